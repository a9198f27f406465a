// read_gray against cv::imread(IMREAD_GRAYSCALE), bit for bit: the shared PNGs (8-bit maps, 1-bit
// masks), PNGs of every colour type / bit depth / interlacing written here, JPEG and BMP (the
// imgcodecs fallback), eXIf PNGs; errors name the file; the `sodlab` binary links no imgcodecs.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "metrics/folder_eval.h"
#include "metrics/gray_image_reader.h"
#include "support/shared_data.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using sodlab::InputError;
using sodlab::metrics::read_gray;
using sodlab::testing::TempDir;

namespace {

// read_gray(file) equals cv::imread(file, IMREAD_GRAYSCALE): type, size and every byte.
void check_same_as_imread(const fs::path& file) {
  INFO(file.string());
  const cv::Mat want = cv::imread(file.string(), cv::IMREAD_GRAYSCALE);
  REQUIRE_FALSE(want.empty());
  const cv::Mat got = read_gray(file);
  REQUIRE(got.type() == CV_8UC1);
  REQUIRE(got.size() == want.size());
  CHECK(cv::countNonZero(got != want) == 0);
}

// A deterministic test pattern with every byte value, varying across rows and columns.
cv::Mat pattern(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  const int depth_max = CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255;
  cv::RNG rng(12345 + type);
  rng.fill(m, cv::RNG::UNIFORM, 0, depth_max + 1);
  return m;
}

// Writes a PNG with libpng directly (cv::imwrite makes no palette, grey+alpha or interlaced PNGs).
// `rows` holds packed rows as the PNG stores them (big-endian 16-bit samples). Returns false on a
// libpng error; no C++ object lives in this function (setjmp).
struct RawPng {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 8, color_type = PNG_COLOR_TYPE_GRAY;
  bool interlaced = false;
  std::vector<png_color> palette;
  std::vector<png_byte> trans;      // palette alpha
  png_color_16 trans_color{};       // grey / RGB transparent colour
  bool has_trans_color = false;
  std::vector<png_byte> exif;       // eXIf chunk payload
  std::vector<std::vector<png_byte>> rows;
};

bool write_raw_png_c(std::FILE* f, const RawPng& p, png_bytepp rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) return false;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, p.width, p.height, p.bit_depth, p.color_type,
               p.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!p.palette.empty())
    png_set_PLTE(png, info, const_cast<png_colorp>(p.palette.data()), static_cast<int>(p.palette.size()));
  if (!p.trans.empty())
    png_set_tRNS(png, info, const_cast<png_bytep>(p.trans.data()), static_cast<int>(p.trans.size()), nullptr);
  if (p.has_trans_color) png_set_tRNS(png, info, nullptr, 0, const_cast<png_color_16p>(&p.trans_color));
  if (!p.exif.empty())
    png_set_eXIf_1(png, info, static_cast<png_uint_32>(p.exif.size()), const_cast<png_bytep>(p.exif.data()));
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

void write_raw_png(const fs::path& file, const RawPng& p) {
  std::vector<png_bytep> rows;
  for (const auto& r : p.rows) rows.push_back(const_cast<png_bytep>(r.data()));
  std::FILE* f = std::fopen(file.c_str(), "wb");
  REQUIRE(f);
  const bool ok = write_raw_png_c(f, p, rows.data());
  std::fclose(f);
  REQUIRE(ok);
}

// A PNG description with `height` rows of `bytes_per_row` pseudo-random bytes (every packed sample
// value occurs; palettes get 2^bit_depth entries, so every index is valid).
RawPng raw_png(png_uint_32 width, png_uint_32 height, int bit_depth, int color_type, std::size_t bytes_per_row,
               unsigned seed) {
  RawPng p;
  p.width = width;
  p.height = height;
  p.bit_depth = bit_depth;
  p.color_type = color_type;
  std::srand(seed);
  p.rows.assign(height, std::vector<png_byte>(bytes_per_row));
  for (auto& r : p.rows)
    for (auto& b : r) b = static_cast<png_byte>(std::rand() & 0xff);
  return p;
}

std::size_t packed_row_bytes(png_uint_32 width, int bit_depth, int channels) {
  return (static_cast<std::size_t>(width) * bit_depth * channels + 7) / 8;
}

// EXIF (big-endian TIFF) with one IFD entry: Orientation = `orientation`.
std::vector<png_byte> exif_orientation(int orientation) {
  return {'M', 'M', 0, 42, 0, 0, 0, 8,                     // header, IFD at 8
          0, 1,                                             // one entry
          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, static_cast<png_byte>(orientation), 0, 0,  // SHORT
          0, 0, 0, 0};                                      // no next IFD
}

// The InputError of read_gray(file), checked to name the file.
void check_input_error(const fs::path& file) {
  INFO(file.string());
  try {
    read_gray(file);
    FAIL("read_gray did not throw");
  } catch (const InputError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
  }
}

std::vector<fs::path> pngs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".png") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("read_gray equals cv::imread(IMREAD_GRAYSCALE) on the shared maps and masks") {
  SODLAB_REQUIRE_SHARED(shared);
  int n = 0;
  for (const char* sub : {"fixtures/sod300-published-maps/DSS", "data/sod300/masks", "fixtures/pysod-synthetic/gt",
                          "fixtures/pysod-synthetic/pred"}) {
    const fs::path dir = shared / sub;
    if (!fs::is_directory(dir)) {
      WARN("skipped " << dir.string() << ": not found");
      continue;
    }
    for (const auto& file : pngs_in(dir)) {
      check_same_as_imread(file);
      ++n;
    }
  }
  CHECK(n > 0);
}

TEST_CASE("read_gray equals cv::imread on the PNGs cv::imwrite makes") {
  TempDir tmp;
  struct Case {
    const char* name;
    cv::Mat image;
    std::vector<int> params;
  };
  const std::vector<Case> cases = {
      {"gray8", pattern(37, 53, CV_8UC1), {}},
      {"gray16", pattern(37, 53, CV_16UC1), {}},
      {"bgr8", pattern(37, 53, CV_8UC3), {}},
      {"bgr16", pattern(37, 53, CV_16UC3), {}},
      {"bgra8", pattern(37, 53, CV_8UC4), {}},
      {"bgra16", pattern(37, 53, CV_16UC4), {}},
      {"bilevel", pattern(37, 53, CV_8UC1) > 127, {cv::IMWRITE_PNG_BILEVEL, 1}},
      {"gray8_fast", pattern(37, 53, CV_8UC1), {cv::IMWRITE_PNG_COMPRESSION, 0}},
      {"one_pixel", pattern(1, 1, CV_8UC3), {}},
  };
  for (const auto& c : cases) {
    const fs::path file = tmp.path() / (std::string(c.name) + ".png");
    REQUIRE(cv::imwrite(file.string(), c.image, c.params));
    check_same_as_imread(file);
  }
}

TEST_CASE("read_gray equals cv::imread on palette, grey+alpha, low-bit-depth and interlaced PNGs") {
  TempDir tmp;
  std::vector<png_color> palette16, palette256;
  for (int i = 0; i < 256; ++i) {
    const png_color c{static_cast<png_byte>(i * 37), static_cast<png_byte>(255 - i), static_cast<png_byte>(i * 11)};
    palette256.push_back(c);
    if (i < 16) palette16.push_back(c);
  }
  std::vector<png_byte> alpha16;
  for (int i = 0; i < 16; ++i) alpha16.push_back(static_cast<png_byte>(i * 17));

  int n = 0;
  for (const bool interlaced : {false, true}) {
    const png_uint_32 w = 29, h = 23;  // odd sizes: partial bytes and incomplete Adam7 blocks
    std::vector<RawPng> pngs;
    for (const int depth : {1, 2, 4, 8, 16})  // grey
      pngs.push_back(raw_png(w, h, depth, PNG_COLOR_TYPE_GRAY, packed_row_bytes(w, depth, 1), 1 + depth));
    {
      RawPng p = raw_png(w, h, 4, PNG_COLOR_TYPE_GRAY, packed_row_bytes(w, 4, 1), 7);  // grey + tRNS
      p.trans_color.gray = 5;
      p.has_trans_color = true;
      pngs.push_back(p);
    }
    for (const int depth : {8, 16}) {  // grey + alpha, RGB, RGBA
      pngs.push_back(raw_png(w, h, depth, PNG_COLOR_TYPE_GRAY_ALPHA, packed_row_bytes(w, depth, 2), 20 + depth));
      pngs.push_back(raw_png(w, h, depth, PNG_COLOR_TYPE_RGB, packed_row_bytes(w, depth, 3), 30 + depth));
      pngs.push_back(raw_png(w, h, depth, PNG_COLOR_TYPE_RGB_ALPHA, packed_row_bytes(w, depth, 4), 40 + depth));
    }
    {
      RawPng p = raw_png(w, h, 8, PNG_COLOR_TYPE_RGB, packed_row_bytes(w, 8, 3), 50);  // RGB + tRNS
      p.trans_color.red = p.rows[0][0];
      p.trans_color.green = p.rows[0][1];
      p.trans_color.blue = p.rows[0][2];
      p.has_trans_color = true;
      pngs.push_back(p);
    }
    for (const int depth : {1, 2, 4, 8}) {  // palette, 4-bit also with tRNS
      RawPng p = raw_png(w, h, depth, PNG_COLOR_TYPE_PALETTE, packed_row_bytes(w, depth, 1), 60 + depth);
      const std::size_t entries = std::size_t{1} << depth;
      p.palette.assign(palette256.begin(), palette256.begin() + entries);
      pngs.push_back(p);
      if (depth == 4) {
        p.trans = alpha16;
        pngs.push_back(p);
      }
    }
    for (auto& p : pngs) {
      p.interlaced = interlaced;
      const fs::path file = tmp.path() / ("raw" + std::to_string(n++) + "_t" + std::to_string(p.color_type) + "_d" +
                                          std::to_string(p.bit_depth) + (interlaced ? "_i" : "") + ".png");
      write_raw_png(file, p);
      check_same_as_imread(file);
    }
  }
  CHECK(n == 2 * 18);
}

TEST_CASE("read_gray hands PNGs with an eXIf chunk to cv::imread (EXIF orientation)") {
  TempDir tmp;
  for (const int orientation : {1, 6, 8}) {
    RawPng p = raw_png(31, 17, 8, PNG_COLOR_TYPE_GRAY, 31, 70 + orientation);
    p.exif = exif_orientation(orientation);
    const fs::path file = tmp.path() / ("exif" + std::to_string(orientation) + ".png");
    write_raw_png(file, p);
    check_same_as_imread(file);
  }
}

TEST_CASE("read_gray equals cv::imread on JPEG and BMP files (imgcodecs fallback)") {
  TempDir tmp;
  const cv::Mat bgr = pattern(41, 67, CV_8UC3), gray = pattern(41, 67, CV_8UC1);
  for (const auto& [name, image] : {std::pair<const char*, cv::Mat>{"c.jpg", bgr}, {"g.jpg", gray},
                                    {"c.bmp", bgr}, {"g.bmp", gray}}) {
    const fs::path file = tmp.path() / name;
    REQUIRE(cv::imwrite(file.string(), image));
    check_same_as_imread(file);
  }
  // A PNG named .jpg and a JPEG named .png: the signature decides, not the extension.
  REQUIRE(cv::imwrite((tmp.path() / "png.png").string(), bgr));
  fs::rename(tmp.path() / "png.png", tmp.path() / "png.jpg");
  check_same_as_imread(tmp.path() / "png.jpg");
  REQUIRE(cv::imwrite((tmp.path() / "jpeg.jpg").string(), bgr));
  fs::rename(tmp.path() / "jpeg.jpg", tmp.path() / "jpeg.png");
  check_same_as_imread(tmp.path() / "jpeg.png");

  SODLAB_REQUIRE_SHARED(shared);
  const fs::path images = shared / "data/sod300/images";
  if (!fs::is_directory(images)) return;
  std::vector<fs::path> jpgs;
  for (const auto& e : fs::directory_iterator(images))
    if (e.path().extension() == ".jpg") jpgs.push_back(e.path());
  std::sort(jpgs.begin(), jpgs.end());
  for (std::size_t i = 0; i < jpgs.size(); i += 15) check_same_as_imread(jpgs[i]);  // 20 of 300
}

TEST_CASE("read_gray: missing, truncated and non-image files are InputErrors naming the file") {
  TempDir tmp;
  check_input_error(tmp.path() / "missing.png");
  check_input_error(tmp.path() / "missing.jpg");

  const cv::Mat image = pattern(64, 64, CV_8UC1);
  const fs::path full = tmp.path() / "full.png";
  REQUIRE(cv::imwrite(full.string(), image));
  const auto size = fs::file_size(full);
  for (const auto keep : {std::uintmax_t{8}, std::uintmax_t{20}, std::uintmax_t{50}, size / 2, size - 12}) {
    const fs::path cut = tmp.path() / ("truncated" + std::to_string(keep) + ".png");
    fs::copy_file(full, cut);
    fs::resize_file(cut, keep);
    REQUIRE(cv::imread(cut.string(), cv::IMREAD_GRAYSCALE).empty());  // OpenCV refuses it too
    check_input_error(cut);
  }
  {
    // A flipped bit in the image data: the IDAT CRC fails.
    std::vector<char> bytes(size);
    std::ifstream(full, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(size));
    bytes[size / 2] ^= 0x10;
    const fs::path bad = tmp.path() / "bad_crc.png";
    std::ofstream(bad, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
    REQUIRE(cv::imread(bad.string(), cv::IMREAD_GRAYSCALE).empty());
    check_input_error(bad);
  }
  const fs::path text = tmp.path() / "x.png";
  std::ofstream(text) << "not an image\n";
  check_input_error(text);
  const fs::path empty = tmp.path() / "empty.png";
  std::ofstream{empty};
  check_input_error(empty);
  check_input_error(tmp.path());  // a folder
}

TEST_CASE("sodlab links no imgcodecs and still evaluates JPEG predictions") {
  const fs::path sodlab = sodlab::testing::sodlab_binary();
  if (!fs::exists(sodlab)) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path ldd_log = tmp.path() / "ldd.txt";
  if (std::system(("ldd " + sodlab.string() + " > " + ldd_log.string() + " 2>&1").c_str()) == 0) {
    std::ifstream in(ldd_log);
    const std::string libs(std::istreambuf_iterator<char>(in), {});
    INFO(libs);
    CHECK(libs.find("libopencv_imgcodecs") == std::string::npos);
    CHECK(libs.find("libgdal") == std::string::npos);
  } else {
    WARN("ldd not available: not checking the libraries sodlab loads");
  }

  fs::create_directories(tmp.path() / "pred");
  fs::create_directories(tmp.path() / "gt");
  cv::Mat gt = cv::Mat::zeros(40, 60, CV_8UC1);
  gt(cv::Rect(10, 10, 20, 16)) = 255;
  REQUIRE(cv::imwrite((tmp.path() / "gt" / "a.png").string(), gt));
  REQUIRE(cv::imwrite((tmp.path() / "pred" / "a.jpg").string(), gt, {cv::IMWRITE_JPEG_QUALITY, 100}));
  const fs::path log = tmp.path() / "log.txt";
  const std::string cmd = sodlab.string() + " eval --pred " + (tmp.path() / "pred").string() + " --gt " +
                          (tmp.path() / "gt").string() + " --json " + (tmp.path() / "r.json").string() + " > " +
                          log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  INFO(std::string(std::istreambuf_iterator<char>(in), {}));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(fs::exists(tmp.path() / "r.json"));
}

namespace {

std::uint32_t crc32_of(const unsigned char* p, std::size_t n) {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

// A small real PNG whose IHDR is rewritten (CRC included) to declare width × height: libpng
// accepts the header; the pixel data would fail long after a decoder allocated the image.
void write_png_declaring(const fs::path& file, std::uint32_t width, std::uint32_t height) {
  std::vector<uchar> png;
  REQUIRE(cv::imencode(".png", cv::Mat(8, 8, CV_8UC1, cv::Scalar(200)), png));
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) png[at + k] = static_cast<uchar>(v >> (24 - 8 * k));
  };
  put32(16, width);
  put32(20, height);
  put32(29, crc32_of(png.data() + 12, 17));  // over "IHDR" and its 13 data bytes
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
}

}  // namespace

TEST_CASE("a PNG declaring 30000 x 30000 is refused from its header, before anything is decoded") {
  TempDir dir;
  const fs::path huge = dir.path() / "pred" / "a.png", mask = dir.path() / "gt" / "a.png";
  fs::create_directories(huge.parent_path());
  fs::create_directories(mask.parent_path());
  write_png_declaring(huge, 30000, 30000);
  REQUIRE(cv::imwrite(mask.string(), cv::Mat(8, 8, CV_8UC1, cv::Scalar(255))));
  const auto declared = sodlab::metrics::png_header_size(huge);
  REQUIRE(declared);
  CHECK(*declared == cv::Size(30000, 30000));
  CHECK_FALSE(sodlab::metrics::png_header_size(dir.path() / "missing.png"));
  // Alone: above the pixel limit (2^26), named, not decoded.
  CHECK_THROWS_WITH(read_gray(huge), Catch::Contains(huge.string()) && Catch::Contains("30000x30000") &&
                                         Catch::Contains("SODLAB_MAX_IMAGE_PIXELS"));
  // Against its mask: the size mismatch, from the header.
  const auto pairs = sodlab::metrics::match_folders(huge.parent_path(), mask.parent_path());
  CHECK_THROWS_WITH(sodlab::metrics::evaluate_folders(pairs, {}),
                    Catch::Contains("size mismatch") && Catch::Contains("30000x30000") && Catch::Contains("8x8"));
}
