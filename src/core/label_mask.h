// Label masks: a ground-truth mask of 8-bit pixels whose values are only 0 and 1 holds 0/1 labels,
// not intensities; under any convention's threshold (> 128, >= 25.5) it would be empty. The one
// rule everywhere (sodlab eval, the datasets that train and test): such a mask is read as 0/255,
// and its reader warns. Here, without OpenCV, so that data/ and metrics/ share it as the layering
// allows (metrics::expand_label_mask is its cv::Mat form).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sodlab {

// True, and every 1 scaled to 255 in place, when the pixels' maximum is exactly 1.
bool expand_label_mask(std::uint8_t* pixels, std::size_t count);

}  // namespace sodlab
