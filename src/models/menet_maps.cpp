#include "models/menet_maps.h"

#include <algorithm>
#include <random>

#include "core/error.h"

namespace sodlab::models {

torch::Tensor menet_softmax_map(const torch::Tensor& logits) {
  if (logits.dim() != 4 || logits.size(1) != 2)
    throw InputError("menet softmax map: expected N×2×H×W logits");
  return torch::softmax(logits, 1).narrow(1, 1, 1);
}

torch::Tensor minmax_normalise(const torch::Tensor& maps) {
  const auto n = maps.size(0);
  torch::Tensor flat = maps.reshape({n, -1});
  torch::Tensor mn = std::get<0>(flat.min(1, true)), mx = std::get<0>(flat.max(1, true));
  return ((flat - mn + 1e-8) / (mx - mn + 1e-8)).view_as(maps);
}

torch::Tensor menet_metric_map(const torch::Tensor& features, const torch::Tensor& fg_prob,
                               const MetricMapOptions& o) {
  if (features.dim() != 4) throw InputError("menet metric map: expected N×C×H×W features");
  const std::int64_t N = features.size(0), C = features.size(1), H = features.size(2), W = features.size(3);
  if (fg_prob.defined() && (fg_prob.dim() != 4 || fg_prob.size(0) != N || fg_prob.size(1) != 1 ||
                            fg_prob.size(2) != H || fg_prob.size(3) != W))
    throw InputError("menet metric map: fg_prob must be N×1×H×W matching the features");
  torch::NoGradGuard guard;
  torch::Tensor f = features.detach().to(torch::kFloat32).contiguous();
  torch::Tensor norm = f.norm(2, 1, true);
  f = (f / torch::where(norm == 0, torch::ones_like(norm), norm)).contiguous();
  torch::Tensor fg = fg_prob.defined() ? fg_prob.detach().to(torch::kFloat32).contiguous() : torch::Tensor();
  torch::Tensor out = torch::empty({N, 1, H, W}, torch::kFloat32);
  const auto fa = f.accessor<float, 4>();
  const float* g = fg.defined() ? fg.data_ptr<float>() : nullptr;
  for (std::int64_t n = 0; n < N; ++n) {
    std::vector<std::int64_t> cand;
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) {
        const std::int64_t d = std::min({y, x, H - 1 - y, W - 1 - x});
        if (d >= o.border) continue;
        if (g && !(g[(n * H + y) * W + x] < o.fg_threshold)) continue;
        cand.push_back(y * W + x);
      }
    std::mt19937_64 rng(o.seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(n + 1));
    const size_t k = std::min(cand.size(), static_cast<size_t>(std::max(0, o.max_samples)));
    for (size_t i = 0; i < k; ++i) {  // partial Fisher–Yates: a uniform sample in random order
      std::uniform_int_distribution<size_t> pick(i, cand.size() - 1);
      std::swap(cand[i], cand[pick(rng)]);
    }
    std::vector<double> sum1(C, 0.0), sum2(C, 0.0), b(C, 0.0);
    std::int64_t n1 = 0, n2 = 0;
    auto dist = [&](std::int64_t p, const std::vector<double>& sum, std::int64_t cnt) {
      double d = 0;
      for (std::int64_t c = 0; c < C; ++c) {
        const double v = fa[n][c][p / W][p % W] - sum[c] / cnt;
        d += v * v;
      }
      return d;
    };
    for (size_t i = 0; i < k; ++i) {
      const std::int64_t p = cand[i];
      bool second = false;
      if (n1 > 0) second = dist(p, sum1, n1) > (n2 > 0 ? dist(p, sum2, n2) : 2.0);
      auto& sum = second ? sum2 : sum1;
      for (std::int64_t c = 0; c < C; ++c) sum[c] += fa[n][c][p / W][p % W];
      (second ? n2 : n1) += 1;
    }
    if (k > 0) {
      const bool use1 = n1 >= n2;
      for (std::int64_t c = 0; c < C; ++c) b[c] = use1 ? sum1[c] / n1 : sum2[c] / n2;
    }
    torch::Tensor bt = torch::tensor(std::vector<float>(b.begin(), b.end())).view({C, 1, 1});
    out[n][0] = (f[n] - bt).pow(2).sum(0);
  }
  return minmax_normalise(out);
}

}  // namespace sodlab::models
