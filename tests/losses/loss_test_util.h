// Helpers for the loss tests: tiny tensors and a central finite-difference gradient check.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <vector>

namespace sodlab::testing {

inline torch::Tensor dbl(std::vector<double> v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kDouble).view(shape);
}

inline torch::Tensor logit_of(const torch::Tensor& p) { return torch::log(p / (1 - p)); }

// Max |autograd − central difference| over all entries of x, relative to max(1, |fd|).
inline double grad_error(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                         const torch::Tensor& x0, double h = 1e-6) {
  auto x = x0.detach().clone().set_requires_grad(true);
  auto g = torch::autograd::grad({f(x)}, {x})[0].contiguous();
  auto xd = x0.detach().clone().contiguous();
  double* p = xd.data_ptr<double>();
  const double* ga = g.data_ptr<double>();
  double worst = 0;
  torch::NoGradGuard ng;
  for (int64_t i = 0; i < xd.numel(); ++i) {
    const double keep = p[i];
    p[i] = keep + h;
    const double up = f(xd).item<double>();
    p[i] = keep - h;
    const double dn = f(xd).item<double>();
    p[i] = keep;
    const double fd = (up - dn) / (2 * h);
    worst = std::max(worst, std::abs(fd - ga[i]) / std::max(1.0, std::abs(fd)));
  }
  return worst;
}

}  // namespace sodlab::testing
