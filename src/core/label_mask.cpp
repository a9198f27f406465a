#include "core/label_mask.h"

#include <algorithm>

namespace sodlab {

bool expand_label_mask(std::uint8_t* pixels, std::size_t count) {
  if (count == 0 || *std::max_element(pixels, pixels + count) != 1) return false;
  for (std::size_t i = 0; i < count; ++i) pixels[i] = static_cast<std::uint8_t>(pixels[i] * 255);
  return true;
}

}  // namespace sodlab
