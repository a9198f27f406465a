// Writes the JPEG seeds of fuzz/corpus/fuzz_gray_image/ with OpenCV's encoder (libjpeg-turbo):
// grey and colour (4:2:0), baseline and progressive, optimised Huffman tables, restart markers.
//   g++ -std=c++17 fuzz/seeds/make_jpeg_seeds.cpp -I/usr/include/opencv4 \
//       -lopencv_imgcodecs -lopencv_core -o /tmp/make_jpeg_seeds && /tmp/make_jpeg_seeds fuzz/corpus/fuzz_gray_image
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "fuzz/corpus/fuzz_gray_image";
  cv::Mat gray(8, 8, CV_8UC1), color(16, 16, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(gray, cv::RNG::UNIFORM, 0, 256);
  rng.fill(color, cv::RNG::UNIFORM, 0, 256);
  struct Seed {
    const char* name;
    const cv::Mat* image;
    std::vector<int> params;
  };
  const std::vector<Seed> seeds = {
      {"gray8.jpg", &gray, {cv::IMWRITE_JPEG_QUALITY, 90}},
      {"gray8_progressive.jpg", &gray, {cv::IMWRITE_JPEG_QUALITY, 50, cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {"color_420.jpg", &color, {cv::IMWRITE_JPEG_QUALITY, 75}},
      {"color_restart.jpg", &color, {cv::IMWRITE_JPEG_QUALITY, 75, cv::IMWRITE_JPEG_RST_INTERVAL, 1,
                                     cv::IMWRITE_JPEG_CHROMA_QUALITY, 40}},
      {"color_progressive_optimized.jpg", &color, {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_OPTIMIZE, 1}},
  };
  for (const auto& s : seeds)
    if (!cv::imwrite(out + "/" + s.name, *s.image, s.params)) return 1;
  return 0;
}
