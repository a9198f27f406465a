// The A kernel of AF_β^w / F_β^w (a Gaussian of pixel distance) and 'same'-size correlation with it.
//
// Kernel K(p,q) on the (2r+1)² grid, p,q ∈ [−r, r]:
//   gaussian  : s · exp(−(p²+q²)/(2σ²))        (Eq. 3; separable)
//   paper_eq9 : s · exp(−√(p²+q²)/(2σ²))       (Eq. 8–9 as printed; not separable)
// with s = 1/√(2πσ²) for norm "paper" (Eq. 3) or s making the (2r+1)² kernel sum to 1 for "sum1".
// filter_same(x, k, impl): x N×1×H×W (any floating dtype/device), zero padding, output same size,
// differentiable. impl: "separable" (conv2d 1×K then K×1), "toeplitz" (two banded matrix products;
// a radius ≥ H−1, W−1 gives the untruncated full-support Gaussian), "direct" (one K×K conv2d),
// "auto" (the fastest valid one). separable/toeplitz need the gaussian kernel (InputError otherwise).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace sodlab::losses {

struct AKernel {
  std::string kind = "gaussian";  // gaussian | paper_eq9
  int radius = 9;
  double sigma = 2.25;
  double scale = 1.0;      // s above
  std::vector<double> g;   // gaussian: unscaled 1D factor exp(−k²/(2σ²)), k = −r..r
  std::vector<double> k2;  // the full (2r+1)² kernel, row-major, scale included
};

// norm: "paper" | "sum1". radius ≥ 0, sigma > 0 (InputError otherwise).
AKernel make_a_kernel(const std::string& kind, const std::string& norm, int radius, double sigma);

torch::Tensor filter_same(const torch::Tensor& x, const AKernel& k, const std::string& impl);

// The implementation "auto" resolves to for this kernel on this device.
std::string resolve_filter_impl(const AKernel& k, const std::string& impl, const torch::Device& dev);

}  // namespace sodlab::losses
