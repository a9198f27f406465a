// Mask-only maps from the exact Euclidean distance transform (core/distance_transform.h).
//
// Input: masks N×1×H×W, {0,1} (> 0.5 = foreground), any device. Computed on the CPU (one
// O(H·W) transform per image, images in parallel) and returned on the masks' device.
#pragma once

#include <torch/torch.h>

namespace sodlab::losses {

struct MaskDistances {
  torch::Tensor to_fg;       // N×1×H×W double: distance to the nearest foreground pixel (0 on it;
                             // +inf when the mask is empty)
  torch::Tensor nearest_fg;  // N×(H·W) int64: row-major index of that pixel (itself on the
                             // foreground; itself too when the mask is empty)
  torch::Tensor to_bg;       // N×1×H×W double: distance to the nearest background pixel (0 on it;
                             // +inf when the mask has none). Only when requested.
};

MaskDistances mask_distances(const torch::Tensor& masks, bool want_to_bg);

}  // namespace sodlab::losses
