// Decoding one image file as 8-bit grey, pixel for pixel as cv::imread(file, IMREAD_GRAYSCALE) does
// (PySODMetrics reads maps and masks that way), without linking OpenCV's imgcodecs.
//
// PNG files (recognised by their 8-byte signature, whatever the extension) are decoded with libpng
// directly, with exactly the transforms OpenCV 4.6's PngDecoder applies for an 8-bit 1-channel
// destination. Everything else (JPEG, BMP, ..., and PNGs carrying an eXIf chunk, whose orientation
// OpenCV may apply) goes to cv::imread itself, from libopencv_imgcodecs loaded with dlopen on first
// use: imgcodecs pulls in GDAL and ~120 shared libraries, 0.14 s of start-up for every process,
// which a PNG-only evaluation never pays.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>

namespace sodlab::metrics {

// Returns a CV_8UC1 Mat equal to cv::imread(file, cv::IMREAD_GRAYSCALE). Thread-safe.
// Throws InputError naming the file when it is missing, unreadable or corrupt, when a PNG's header
// declares more than max_image_pixels() (refused before anything is allocated), or when a non-PNG
// image needs OpenCV's imgcodecs and that library cannot be loaded.
cv::Mat read_gray(const std::filesystem::path& file);

// The photograph at `file` as CV_8UC3 in RGB order: cv::imread(file, IMREAD_COLOR) (from the
// dlopen'ed imgcodecs) converted BGR → RGB, as PySODMetrics' users read it for ccm. InputError
// naming the file when it cannot be read.
cv::Mat read_rgb(const std::filesystem::path& file);

// The width × height a PNG's header declares (read from its first 24 bytes, nothing decoded);
// nullopt for a file that is not a PNG or too short to tell (read_gray then decides).
std::optional<cv::Size> png_header_size(const std::filesystem::path& file);

// Largest image read_gray decodes: $SODLAB_MAX_IMAGE_PIXELS, else 2^26 (67 megapixels, e.g.
// 8192 × 8192; 67 MB decoded per thread). Larger salient-object datasets do not exist.
std::uint64_t max_image_pixels();

}  // namespace sodlab::metrics
