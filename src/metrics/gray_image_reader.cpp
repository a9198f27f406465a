#include "metrics/gray_image_reader.h"

#include "core/error.h"

// Header only, for the compile-time check of cv::imread's signature below; this library does not
// link libopencv_imgcodecs.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <dlfcn.h>
#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#ifndef SODLAB_OPENCV_IMGCODECS_SONAME
#error "SODLAB_OPENCV_IMGCODECS_SONAME must name libopencv_imgcodecs (set by cmake/opencv.cmake)"
#endif

namespace sodlab::metrics {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const fs::path& file, const std::string& why) {
  throw InputError("cannot read image " + file.string() + " (" + why + ")");
}

// ---------------------------------------------------------------------------------------------
// Fallback: cv::imread itself, from libopencv_imgcodecs loaded on first use.
//
// Linking imgcodecs would load GDAL and ~120 shared libraries at start-up of every process (0.14 s)
// although the evaluator's inputs are nearly always PNGs; so the library is dlopen'ed, by its
// SONAME (from CMake), the first time a non-PNG file comes, and never unloaded.
// ---------------------------------------------------------------------------------------------

using ImreadFn = cv::Mat (*)(const std::string&, int);
// The declaration in imgcodecs.hpp must match ImreadFn (unevaluated: no reference to the symbol).
static_assert(sizeof(static_cast<ImreadFn>(&cv::imread)) > 0, "cv::imread(const String&, int) changed");
#if !defined(_GLIBCXX_USE_CXX11_ABI) || !_GLIBCXX_USE_CXX11_ABI
#error "the mangled name below assumes libstdc++'s C++11 ABI (std::__cxx11::basic_string)"
#endif
// cv::imread(std::string const&, int), as `nm -D libopencv_imgcodecs.so.406` lists it.
constexpr const char* kImreadSymbol = "_ZN2cv6imreadERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEi";

struct Imgcodecs {
  ImreadFn imread = nullptr;
  std::string error;  // why loading failed (dlerror), when imread is null
};

const Imgcodecs& imgcodecs() {
  static Imgcodecs lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = dlopen(SODLAB_OPENCV_IMGCODECS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      lib.error = e ? e : "dlopen " SODLAB_OPENCV_IMGCODECS_SONAME " failed";
      return;
    }
    dlerror();  // clear
    void* symbol = dlsym(handle, kImreadSymbol);
    if (!symbol) {
      const char* e = dlerror();
      lib.error = e ? e : "cv::imread not found in " SODLAB_OPENCV_IMGCODECS_SONAME;
      return;
    }
    lib.imread = reinterpret_cast<ImreadFn>(symbol);
  });
  return lib;
}

cv::Mat read_with_imgcodecs(const fs::path& file, int flags = cv::IMREAD_GRAYSCALE) {
  const Imgcodecs& lib = imgcodecs();
  if (!lib.imread)
    throw InputError("cannot read image " + file.string() +
                     ": decoding non-PNG images needs OpenCV imgcodecs (" SODLAB_OPENCV_IMGCODECS_SONAME
                     "), which could not be loaded: " + lib.error);
  cv::Mat m;
  try {
    m = lib.imread(file.string(), flags);
  } catch (const cv::Exception& e) {
    throw InputError("cannot decode image " + file.string() + ": " + e.what());
  }
  if (m.empty()) fail(file, "missing, unreadable or corrupt");
  return m;
}

// ---------------------------------------------------------------------------------------------
// PNG fast path: libpng with OpenCV 4.6's transforms (PngDecoder::readHeader/readData, 8-bit
// 1-channel destination), so the pixels are those of cv::imread(IMREAD_GRAYSCALE).
//
// libpng reports errors by longjmp. The two functions that call setjmp (png_read_header,
// png_read_pixels) hold no C++ object with a destructor and read no local after the jump; the
// Mat, the row pointers, the FILE and the libpng structs are owned by their caller, which turns a
// failure into InputError.
// ---------------------------------------------------------------------------------------------

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end = nullptr;
  char error[256] = {};  // libpng's message of the error that longjmp'ed
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(state->error, sizeof state->error, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}  // OpenCV's default handler only prints them

struct PngHeader {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
};

bool png_read_header(PngState& s, std::FILE* f, PngHeader& h) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_init_io(s.png, f);
  png_read_info(s.png, s.info);
  png_get_IHDR(s.png, s.info, &h.width, &h.height, &h.bit_depth, &h.color_type, nullptr, nullptr, nullptr);
  return true;
}

enum class PngPixels { ok, error, unexpected_layout, has_exif };

PngPixels png_read_pixels(PngState& s, const PngHeader& h, png_bytepp rows) {
  if (setjmp(png_jmpbuf(s.png))) return PngPixels::error;
  // PngDecoder::readData, in its order, for img.depth() == CV_8U and img.channels() == 1:
  if (h.bit_depth == 16)
    png_set_strip_16(s.png);
  else
    png_set_swap(s.png);  // OpenCV on little-endian hosts; acts on 16-bit samples only, so a no-op
  png_set_strip_alpha(s.png);
  if (h.color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s.png);
  if ((h.color_type & PNG_COLOR_MASK_COLOR) == 0 && h.bit_depth < 8) png_set_expand_gray_1_2_4_to_8(s.png);
  png_set_rgb_to_gray(s.png, 1, 0.299, 0.587);  // error_action 1: no warning for colour pixels
  png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  // These transforms give one 8-bit sample per pixel for every PNG colour type; check it before
  // libpng writes into rows of `width` bytes (OpenCV does not check; should it differ, imread decides).
  if (png_get_channels(s.png, s.info) != 1 || png_get_bit_depth(s.png, s.info) != 8 ||
      png_get_rowbytes(s.png, s.info) != h.width)
    return PngPixels::unexpected_layout;
  png_read_image(s.png, rows);
  png_read_end(s.png, s.end);
  // OpenCV applies the EXIF orientation of an eXIf chunk (before or after the image data).
  if (png_get_valid(s.png, s.info, PNG_INFO_eXIf) || png_get_valid(s.png, s.end, PNG_INFO_eXIf))
    return PngPixels::has_exif;
  return PngPixels::ok;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct PngStructs : PngState {
  ~PngStructs() {
    if (png) png_destroy_read_struct(&png, &info, &end);
  }
};

// OpenCV's imread limits (CV_IO_MAX_IMAGE_WIDTH/HEIGHT/PIXELS defaults; the environment can change
// them, so larger images go to imread itself). libpng already refuses widths/heights > 1,000,000.
constexpr std::uint64_t kMaxSide = std::uint64_t{1} << 20, kMaxPixels = std::uint64_t{1} << 30;

// Decodes the PNG open in `f` (at any position) into `out`; false when imread must decide instead.
bool read_png(const fs::path& file, std::FILE* f, cv::Mat& out) {
  PngStructs s;
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_png_error, on_png_warning);
  if (!s.png) fail(file, "libpng: out of memory");
  s.info = png_create_info_struct(s.png);
  s.end = png_create_info_struct(s.png);
  if (!s.info || !s.end) fail(file, "libpng: out of memory");
  std::rewind(f);  // libpng checks the signature itself, as in OpenCV

  PngHeader h;
  if (!png_read_header(s, f, h)) fail(file, std::string("corrupt PNG: ") + s.error);
  if (std::uint64_t{h.width} * h.height > max_image_pixels())
    fail(file, std::to_string(h.width) + "x" + std::to_string(h.height) + " pixels, above the limit of " +
                   std::to_string(max_image_pixels()) + " (SODLAB_MAX_IMAGE_PIXELS); not decoded");
  if (h.width > kMaxSide || h.height > kMaxSide || std::uint64_t{h.width} * h.height > kMaxPixels) return false;

  cv::Mat m(static_cast<int>(h.height), static_cast<int>(h.width), CV_8UC1);
  std::vector<png_bytep> rows(h.height);
  for (png_uint_32 y = 0; y < h.height; ++y) rows[y] = m.ptr<png_byte>(static_cast<int>(y));
  switch (png_read_pixels(s, h, rows.data())) {
    case PngPixels::ok: out = m; return true;
    case PngPixels::error: fail(file, std::string("corrupt PNG: ") + s.error);
    case PngPixels::unexpected_layout:
    case PngPixels::has_exif: return false;
  }
  return false;
}

}  // namespace

std::uint64_t max_image_pixels() {
  static const std::uint64_t limit = [] {
    const char* env = std::getenv("SODLAB_MAX_IMAGE_PIXELS");
    if (env && *env) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(env, &end, 10);
      if (end && *end == '\0' && v > 0) return static_cast<std::uint64_t>(v);
    }
    return std::uint64_t{1} << 26;
  }();
  return limit;
}

std::optional<cv::Size> png_header_size(const fs::path& file) {
  File f(std::fopen(file.c_str(), "rb"));
  if (!f) return std::nullopt;
  unsigned char b[24];
  if (std::fread(b, 1, sizeof b, f.get()) != sizeof b || png_sig_cmp(b, 0, 8) != 0 || std::memcmp(b + 12, "IHDR", 4) != 0)
    return std::nullopt;
  auto be32 = [&](int at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
  };
  const std::uint32_t w = be32(16), h = be32(20);
  if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu) return std::nullopt;
  return cv::Size(static_cast<int>(w), static_cast<int>(h));
}

cv::Mat read_rgb(const fs::path& file) {
  if (!fs::exists(file)) throw InputError("cannot read image " + file.string() + ": missing");
  const cv::Mat bgr = read_with_imgcodecs(file, cv::IMREAD_COLOR);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat read_gray(const fs::path& file) {
  cv::Mat m;
  {
    File f(std::fopen(file.c_str(), "rb"));
    if (!f) fail(file, std::error_code(errno, std::generic_category()).message());
    png_byte signature[8];
    const std::size_t n = std::fread(signature, 1, sizeof signature, f.get());
    if (n < sizeof signature && std::ferror(f.get()))
      fail(file, std::error_code(errno, std::generic_category()).message());
    if (n == sizeof signature && png_sig_cmp(signature, 0, sizeof signature) == 0 && read_png(file, f.get(), m))
      return m;
  }
  return read_with_imgcodecs(file);  // not a PNG, or a PNG OpenCV may treat differently
}

}  // namespace sodlab::metrics
