// The colour difference of the camouflage degree: scikit-image 0.19's rgb2lab and deltaE_ciede2000.
#pragma once

#include <opencv2/core.hpp>

#include <cstddef>

namespace sodlab::metrics {

// scikit-image 0.19's rgb2lab (sRGB, D65, 2°) of one 8-bit RGB pixel (its cube roots by
// arithmetic, within 3 ulp of std::cbrt, so that it vectorises), and deltaE_ciede2000
// (kL = kC = kH = 1) of two Lab colours. ciede2000 evaluates the formula with fewer library calls
// (powers by multiplication; the hue difference, mean hue and T's cosines from the two (a', b')
// directions by angle formulas, one atan2 for the mean hue's angle): within a few 1e-15
// (relative) of the term-by-term evaluation (test_colour_difference.cpp), except where that
// formula itself jumps (mean hue at exactly 0/2π, hues exactly opposite) and rounding may land
// on either side.
cv::Vec3d skimage_rgb2lab(const cv::Vec3b& rgb);
// out[k] = skimage_rgb2lab(rgb[k]) for k < n, the same doubles (vectorised).
void skimage_rgb2lab_pixels(const cv::Vec3b* rgb, std::size_t n, cv::Vec3d* out);
double ciede2000(const cv::Vec3d& lab1, const cv::Vec3d& lab2);

// out[k] = ciede2000(lab1[k], lab2[k]) for k < n, the same doubles, faster (the formula's
// arithmetic vectorised over blocks of pairs).
void ciede2000_pairs(const cv::Vec3d* lab1, const cv::Vec3d* lab2, std::size_t n, double* out);

}  // namespace sodlab::metrics
