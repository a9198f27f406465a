// libFuzzer target: metrics::read_gray, the image reader of `sodlab eval` (maps and masks).
//
// Input: the bytes of an image file. They are written to a temporary file (read_gray takes a
// path) and decoded:
//   - PNG (8-byte signature): read_gray's own libpng path, or cv::imread for PNGs it hands on
//     (eXIf chunk, unexpected layout, > 2^30 pixels). Before writing, the harness recomputes the
//     CRC of every complete chunk, so mutations reach libpng's chunk and pixel decoding instead of
//     all stopping at "CRC error" (inputs whose CRCs are already right are unchanged).
//   - JPEG (FF D8 FF) and BMP ("BM"): read_gray's fallback, cv::imread from libopencv_imgcodecs
//     loaded with dlopen.
//   - anything else is skipped: the other OpenCV decoders (TIFF, WebP, JPEG 2000, PNM, ...) are
//     system code that sodlab does not own and this build does not instrument.
// libpng, libjpeg and OpenCV are Debian's (not instrumented: no coverage feedback inside them,
// but ASan still sees their heap accesses through its malloc). The result must be a non-empty
// CV_8UC1 Mat; sodlab::InputError is the only acceptable failure. Any other exception (printed,
// then abort()), a crash, a sanitizer report, a leak or a hang is a finding.
#include <opencv2/core.hpp>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <unistd.h>
#include <vector>

#include "core/error.h"
#include "metrics/gray_image_reader.h"

namespace {

std::filesystem::path g_file;
bool g_verbose = false;  // SODLAB_FUZZ_VERBOSE=1: print each input's outcome (reproducing)

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_gray_image: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

const std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Rewrites the CRC of every complete chunk (length, type, data, CRC) after the signature.
void fix_png_crcs(std::vector<std::uint8_t>& b) {
  std::size_t pos = 8;
  while (pos + 12 <= b.size()) {
    const std::uint32_t length = be32(&b[pos]);
    if (length > b.size() - pos - 12) break;
    const std::uint8_t* type_and_data = &b[pos + 4];
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), type_and_data, static_cast<uInt>(length + 4));
    std::uint8_t* out = &b[pos + 8 + length];
    out[0] = static_cast<std::uint8_t>(crc >> 24);
    out[1] = static_cast<std::uint8_t>(crc >> 16);
    out[2] = static_cast<std::uint8_t>(crc >> 8);
    out[3] = static_cast<std::uint8_t>(crc);
    pos += 12 + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // cv::imread's limits, read when imgcodecs is loaded: the default 2^30 pixels lets a 20-byte
  // JPEG header ask for a 1 GiB image, which only measures memory. sodlab's own PNG limits stay.
  setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "4194304", 0);
  const char* tmp = std::getenv("TMPDIR");
  g_file = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
           ("sodlab-fuzz-gray-" + std::to_string(getpid()) + ".img");
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove(g_file, ec);
  });
  const char* v = std::getenv("SODLAB_FUZZ_VERBOSE");
  g_verbose = v && *v && *v != '0';
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  const bool png = size >= 8 && std::memcmp(data, kPngSignature, 8) == 0;
  const bool jpeg = size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
  const bool bmp = size >= 2 && data[0] == 'B' && data[1] == 'M';
  if (!png && !jpeg && !bmp) {
    if (g_verbose) std::fprintf(stderr, "skipped: neither PNG, JPEG nor BMP\n");
    return 0;
  }
  if (png) fix_png_crcs(bytes);
  {
    std::FILE* f = std::fopen(g_file.c_str(), "wb");
    if (!f) finding("cannot write " + g_file.string());
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
      finding("cannot write " + g_file.string());
    std::fclose(f);
  }
  try {
    const cv::Mat m = sodlab::metrics::read_gray(g_file);
    if (m.empty() || m.type() != CV_8UC1 || m.dims != 2)
      finding("read_gray returned an empty or non-CV_8UC1 Mat without throwing");
    // Touch every pixel (a short buffer behind the Mat is an ASan report here).
    std::uint64_t sum = 0;
    for (int y = 0; y < m.rows; ++y) {
      const std::uint8_t* row = m.ptr<std::uint8_t>(y);
      for (int x = 0; x < m.cols; ++x) sum += row[x];
    }
    if (sum > std::uint64_t{255} * m.total()) finding("pixel sum out of range");
    if (g_verbose) std::fprintf(stderr, "decoded %dx%d\n", m.cols, m.rows);
  } catch (const sodlab::InputError& e) {
    // Expected: "cannot read image ... (corrupt PNG: ...)" and the like.
    if (g_verbose) std::fprintf(stderr, "InputError: %s\n", e.what());
  } catch (const std::exception& e) {
    finding(std::string("unexpected exception ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    finding("unexpected exception (not a std::exception)");
  }
  return 0;
}
