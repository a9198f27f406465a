#include "losses/kernel_filter.h"

#include "core/error.h"

#include <cmath>

namespace sodlab::losses {

AKernel make_a_kernel(const std::string& kind, const std::string& norm, int radius, double sigma) {
  if (radius < 0) throw InputError("A kernel: radius (theta) must be >= 0");
  if (!(sigma > 0) || !std::isfinite(sigma)) throw InputError("A kernel: sigma must be > 0");
  if (kind != "gaussian" && kind != "paper_eq9")
    throw InputError("A kernel: kind must be gaussian or paper_eq9, got '" + kind + "'");
  if (norm != "paper" && norm != "sum1")
    throw InputError("A kernel: kernel_norm must be paper or sum1, got '" + norm + "'");
  AKernel k;
  k.kind = kind;
  k.radius = radius;
  k.sigma = sigma;
  const int w = 2 * radius + 1;
  const double s2 = 2.0 * sigma * sigma;
  k.g.resize(w);
  for (int i = 0; i < w; ++i) {
    const double d = i - radius;
    k.g[i] = std::exp(-d * d / s2);
  }
  k.k2.resize(static_cast<size_t>(w) * w);
  double sum = 0;
  for (int i = 0; i < w; ++i)
    for (int j = 0; j < w; ++j) {
      const double p = i - radius, q = j - radius;
      const double v = kind == "gaussian" ? k.g[i] * k.g[j] : std::exp(-std::sqrt(p * p + q * q) / s2);
      k.k2[static_cast<size_t>(i) * w + j] = v;
      sum += v;
    }
  k.scale = norm == "paper" ? 1.0 / std::sqrt(M_PI * s2) : 1.0 / sum;
  for (double& v : k.k2) v *= k.scale;
  return k;
}

std::string resolve_filter_impl(const AKernel& k, const std::string& impl, const torch::Device& dev) {
  if (impl != "auto" && impl != "separable" && impl != "toeplitz" && impl != "direct")
    throw InputError("A kernel: implementation must be auto, separable, toeplitz or direct, got '" +
                     impl + "'");
  if (k.kind != "gaussian") {
    if (impl == "separable" || impl == "toeplitz")
      throw InputError("A kernel: implementation '" + impl +
                       "' needs the separable gaussian kernel; use direct for paper_eq9");
    return "direct";
  }
  if (impl != "auto") return impl;
  // Measured (bench_losses): on the CPU the banded matrix products beat LibTorch's conv2d for one
  // channel; on accelerators conv2d is the natural choice.
  return dev.is_cpu() ? "toeplitz" : "separable";
}

namespace {

torch::Tensor vec(const std::vector<double>& v, const torch::Tensor& like) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kDouble)).to(like.options());
}

// n×n symmetric banded matrix T[i][j] = g[j − i + r] for |i − j| ≤ r, 0 elsewhere.
torch::Tensor banded(const std::vector<double>& g, int r, std::int64_t n, const torch::Tensor& like) {
  std::vector<double> t(static_cast<size_t>(n * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t lo = std::max<std::int64_t>(0, i - r), hi = std::min<std::int64_t>(n - 1, i + r);
    for (std::int64_t j = lo; j <= hi; ++j) t[static_cast<size_t>(i * n + j)] = g[j - i + r];
  }
  return vec(t, like).view({n, n});
}

torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& k, int64_t ph, int64_t pw) {
  const std::vector<int64_t> stride{1, 1}, pad{ph, pw};
  return torch::conv2d(x, k, torch::Tensor(), stride, pad);
}

// 'same' correlation along the last dimension with the symmetric 1D kernel g (radius r), zero
// padding. Rows up to 4b (b = 128) use one dense L×L banded product (at 224 px this measured ~2×
// faster than blocking); longer rows are cut into blocks of b outputs, each a (b+2r)×b banded
// product, so the work is O(L·(b+2r)) instead of O(L²).
torch::Tensor filter_last(const torch::Tensor& x, const std::vector<double>& g, int r) {
  const int64_t len = x.size(-1);
  const int64_t b = std::max<int64_t>(128, 2 * r + 1);
  if (len <= 4 * b) return torch::matmul(x, banded(g, r, len, x));
  const int64_t nb = (len + b - 1) / b, padded = nb * b;
  const std::vector<int64_t> pad{r, r + padded - len};  // last dimension: before, after
  auto blocks = torch::constant_pad_nd(x, pad, 0).unfold(-1, b + 2 * r, b);  // [..., nb, b+2r]
  std::vector<double> m(static_cast<size_t>((b + 2 * r) * b), 0.0);
  for (int64_t j = 0; j < b; ++j)
    for (int64_t k = 0; k <= 2 * r; ++k) m[static_cast<size_t>((j + k) * b + j)] = g[k];
  auto y = torch::matmul(blocks, vec(m, x).view({b + 2 * r, b}));  // [..., nb, b]
  return y.flatten(-2).narrow(-1, 0, len);
}

}  // namespace

torch::Tensor filter_same(const torch::Tensor& x, const AKernel& k, const std::string& impl) {
  const std::string how = resolve_filter_impl(k, impl, x.device());
  const int r = k.radius, w = 2 * r + 1;
  if (how == "direct") {
    auto kk = vec(k.k2, x).view({1, 1, w, w});
    return conv(x, kk, r, r);
  }
  if (how == "separable") {
    std::vector<double> gs(k.g);
    for (double& v : gs) v *= k.scale;
    auto y = conv(x, vec(gs, x).view({1, 1, 1, w}), 0, r);
    return conv(y, vec(k.g, x).view({1, 1, w, 1}), r, 0);
  }
  // toeplitz: (T_H · X · T_W), T symmetric banded (blocked when long); the scale folded into T_W.
  std::vector<double> gs(k.g);
  for (double& v : gs) v *= k.scale;
  auto y = filter_last(x, gs, r);
  return filter_last(y.transpose(2, 3), k.g, r).transpose(2, 3);
}

}  // namespace sodlab::losses
