// A stride-1, unpadded, undilated, ungrouped convolution computed as one matrix product over its
// windows: what VGG's fc6 (7×7 on pool5) and fc7 (1×1 on a 1×1 map) and SZN's squeezes of them
// are. oneDNN reorders a convolution's weights into its blocked layout on every call; for fc6
// that is 411 MB, and the forward of fc6 cost as much as the 13 other layers together (340 ms of
// a 224² SZN forward on 2 cores). As a product the weight is read once, in place (BLAS), and the
// backward is two more products. Same values as conv->forward(x) up to float summation order.
// It runs in the weight's dtype (fp32) even under autocast, returning fp32.
#pragma once

#include <torch/torch.h>

namespace sodlab::models {

// InputError-free: the caller passes a conv with stride 1, padding 0, dilation 1, groups 1 (the
// options are checked with TORCH_CHECK) and an input at least the kernel's size.
torch::Tensor conv_as_matmul(const torch::nn::Conv2d& conv, const torch::Tensor& x);

}  // namespace sodlab::models
