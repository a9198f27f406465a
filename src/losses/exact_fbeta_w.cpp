#include "losses/exact_fbeta_w.h"

#include "core/error.h"
#include "losses/af_fbeta_w.h"
#include "losses/kernel_filter.h"
#include "losses/mask_maps.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace sodlab::losses {
namespace {

void check(const torch::Tensor& pred, const torch::Tensor& mask, const ExactFbetaWOptions& o) {
  if (!pred.defined() || !mask.defined() || pred.dim() != 2 || mask.sizes() != pred.sizes())
    throw InputError("exact F_beta^w: pred and mask must both be H×W of the same size");
  if (!(o.sigma > 0)) throw InputError("exact F_beta^w: sigma must be > 0");
  if (o.kernel_norm != "sum1" && o.kernel_norm != "paper")
    throw InputError("exact F_beta^w: kernel_norm must be sum1 or paper");
  if (o.error != "absolute" && o.error != "squared")
    throw InputError("exact F_beta^w: error must be absolute or squared");
  if (o.edge != "zero" && o.edge != "nearest_fg")
    throw InputError("exact F_beta^w: edge must be zero or nearest_fg");
}

double kernel_scale(const ExactFbetaWOptions& o) {
  if (o.kernel_norm == "paper") return 1.0 / std::sqrt(2.0 * M_PI * o.sigma * o.sigma);
  double s = 1.0;  // Σ_{k∈ℤ} e^{−k²/(2σ²)}, terms below 1e-300 dropped
  for (int k = 1;; ++k) {
    const double t = std::exp(-double(k) * k / (2 * o.sigma * o.sigma));
    if (t < 1e-300) break;
    s += 2 * t;
  }
  return 1.0 / (s * s);
}

double f_from_sums(double tp, double fp, double fn, const ExactFbetaWOptions& o) {
  const double p = tp / (tp + fp + o.eps), r = tp / (tp + fn + o.eps);
  return (1 + o.beta2) * p * r / (o.beta2 * p + r + o.eps);
}

}  // namespace

double exact_fbeta_w(const torch::Tensor& pred, const torch::Tensor& mask,
                     const ExactFbetaWOptions& o) {
  check(pred, mask, o);
  const auto dopt = pred.options().dtype(torch::kDouble);
  const auto y = (mask > 0.5).to(dopt).view({1, 1, pred.size(0), pred.size(1)});
  if (y.sum().item<double>() == 0) return 0.0;
  AfFbetaWOptions a;
  a.theta = static_cast<int>(std::max(pred.size(0), pred.size(1)) - 1);
  a.sigma = o.sigma;
  a.phi = std::numeric_limits<double>::infinity();
  a.alpha = o.alpha;
  a.b_distance = "euclidean";
  a.error = o.error;
  a.edge = o.edge;
  a.beta2 = o.beta2;
  a.eps = o.eps;
  a.implementation = "toeplitz";
  AKernel k = make_a_kernel("gaussian", "paper", a.theta, a.sigma);
  k.scale = kernel_scale(o);
  auto md = mask_distances(y, false);
  auto b = b_weights(y, md.to_fg, a);
  auto prob = pred.to(dopt).view_as(y);
  return weighted_f(prob, y, b, md.nearest_fg, a, k).f.item<double>();
}

double exact_fbeta_w_dense(const torch::Tensor& pred, const torch::Tensor& mask,
                           const ExactFbetaWOptions& o) {
  check(pred, mask, o);
  if (o.edge != "zero") throw InputError("exact F_beta^w (dense): only edge = zero (Eq. 3)");
  const int64_t h = pred.size(0), w = pred.size(1), n = h * w;
  if (n > 4096) throw InputError("exact F_beta^w (dense): at most 4096 pixels (n×n matrices)");
  const auto dopt = pred.options().dtype(torch::kDouble);
  const auto y = (mask > 0.5).to(dopt).flatten();
  if (y.sum().item<double>() == 0) return 0.0;
  const auto yhat = pred.to(dopt).flatten();
  const auto e = o.error == "absolute" ? (yhat - y).abs() : (yhat - y).pow(2);
  auto r = torch::arange(h, dopt).repeat_interleave(w), c = torch::arange(w, dopt).repeat({h});
  auto d2 = (r.unsqueeze(1) - r.unsqueeze(0)).pow(2) + (c.unsqueeze(1) - c.unsqueeze(0)).pow(2);
  // Eq. 3.
  const double s = kernel_scale(o);
  auto a = s * torch::exp(-d2 / (2 * o.sigma * o.sigma)) * y.unsqueeze(1) * y.unsqueeze(0) +
           torch::diag(1 - y);
  auto ae = torch::mv(a, e);
  // Eq. 4: Δ_i = min over mask pixels j of d(i, j).
  auto big = torch::full_like(d2, std::numeric_limits<double>::infinity());
  auto delta = std::get<0>(torch::where(y.unsqueeze(0) > 0.5, d2, big).min(1)).sqrt();
  auto bw = torch::where(y > 0.5, torch::ones_like(y), 2 - torch::exp(o.alpha * delta));
  auto ew = torch::minimum(ae, e) * bw;  // Eq. 5
  const double tp = (y * (1 - ew)).sum().item<double>();
  const double fp = ((1 - y) * ew).sum().item<double>();
  const double fn = (y * ew).sum().item<double>();
  return f_from_sums(tp, fp, fn, o);
}

double exact_fbeta_w_pairwise(const torch::Tensor& pred, const torch::Tensor& mask,
                              const ExactFbetaWOptions& o) {
  check(pred, mask, o);
  if (o.edge != "zero") throw InputError("exact F_beta^w (pairwise): only edge = zero (Eq. 3)");
  const int64_t h = pred.size(0), w = pred.size(1), n = h * w;
  const torch::Tensor p = pred.to(torch::kCPU, torch::kDouble).contiguous();
  const torch::Tensor m = (mask.to(torch::kCPU) > 0.5).to(torch::kUInt8).contiguous();
  const double* yhat = p.data_ptr<double>();
  const std::uint8_t* y = m.data_ptr<std::uint8_t>();
  std::vector<int> fg_r, fg_c;
  std::vector<double> e(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double d = yhat[i] - (y[i] ? 1.0 : 0.0);
    e[i] = o.error == "absolute" ? std::abs(d) : d * d;
    if (y[i]) fg_r.push_back(static_cast<int>(i / w)), fg_c.push_back(static_cast<int>(i % w));
  }
  const int64_t nf = static_cast<int64_t>(fg_r.size());
  if (nf == 0) return 0.0;
  // A's entries depend on the integer squared distance only: one table of e^{−d²/(2σ²)}.
  const double s = kernel_scale(o);
  std::vector<double> gauss(static_cast<std::size_t>((h - 1) * (h - 1) + (w - 1) * (w - 1) + 1));
  for (std::size_t d2 = 0; d2 < gauss.size(); ++d2)
    gauss[d2] = s * std::exp(-static_cast<double>(d2) / (2 * o.sigma * o.sigma));
  std::vector<double> fg_e(static_cast<std::size_t>(nf));
  for (int64_t j = 0; j < nf; ++j) fg_e[j] = e[fg_r[j] * w + fg_c[j]];
  std::vector<double> ew(static_cast<std::size_t>(n));
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int r = static_cast<int>(i / w), c = static_cast<int>(i % w);
      if (y[i]) {  // (AE)_i = Σ_{j ∈ mask} A_ij E_j; B_i = 1
        double ae = 0;
        for (int64_t j = 0; j < nf; ++j) {
          const int dr = r - fg_r[j], dc = c - fg_c[j];
          ae += gauss[static_cast<std::size_t>(dr * dr + dc * dc)] * fg_e[j];
        }
        ew[i] = std::min(ae, e[i]);
      } else {  // A_ii = 1; B_i = 2 − e^{αΔ_i}, Δ_i the distance to the nearest mask pixel
        int best = std::numeric_limits<int>::max();
        for (int64_t j = 0; j < nf; ++j) {
          const int dr = r - fg_r[j], dc = c - fg_c[j];
          best = std::min(best, dr * dr + dc * dc);
        }
        ew[i] = e[i] * (2 - std::exp(o.alpha * std::sqrt(static_cast<double>(best))));
      }
    }
  });
  double tp = 0, fp = 0, fn = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (y[i]) tp += 1 - ew[i], fn += ew[i];
    else fp += ew[i];
  }
  return f_from_sums(tp, fp, fn, o);
}

}  // namespace sodlab::losses
