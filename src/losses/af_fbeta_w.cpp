#include "losses/af_fbeta_w.h"

#include "core/error.h"
#include "losses/mask_maps.h"

#include <limits>

namespace sodlab::losses {

AfFbetaWOptions AfFbetaWOptions::from(Options& opt) {
  AfFbetaWOptions o;
  o.use_A = opt.get_bool("use_A", o.use_A);
  o.use_B = opt.get_bool("use_B", o.use_B);
  o.beta2 = opt.get_double("beta2", o.beta2, 0.0, 1e6);
  o.theta = static_cast<int>(opt.get_int("theta", o.theta, 0, 1000));
  o.sigma = opt.get_double("sigma", o.theta > 0 ? o.theta / 4.0 : 1.0, 1e-6);
  o.phi = opt.get_double("phi", o.phi, 0.0);
  o.alpha = opt.get_double("alpha", o.alpha, std::nullopt, 0.0);
  o.kernel = opt.get_string("kernel", o.kernel, {"gaussian", "paper_eq9"});
  o.kernel_norm = opt.get_string("kernel_norm", o.kernel_norm, {"paper", "sum1"});
  o.edge = opt.get_string("edge", o.edge, {"zero", "nearest_fg"});
  o.b_distance = opt.get_string("b_distance", o.b_distance, {"squared_truncated", "euclidean"});
  o.error = opt.get_string("error", o.error, {"squared", "absolute"});
  o.implementation =
      opt.get_string("implementation", o.implementation, {"auto", "separable", "toeplitz", "direct"});
  o.eps = opt.get_double("eps", o.eps, std::numeric_limits<double>::min());
  return o;
}

torch::Tensor b_weights(const torch::Tensor& masks, const torch::Tensor& to_fg,
                        const AfFbetaWOptions& o) {
  if (!o.use_B) return torch::ones_like(masks);
  auto d = to_fg.to(torch::kDouble);
  auto delta = o.b_distance == "squared_truncated" ? d * d : d;
  // exp(α·∞) is 0 for α < 0 and 1 for α = 0 (B = 1 everywhere then).
  auto e = torch::where(torch::isinf(delta), torch::full_like(delta, o.alpha < 0 ? 0.0 : 1.0),
                        torch::exp(o.alpha * delta));
  auto off = torch::where(d <= o.phi, 2.0 - e, torch::full_like(e, 2.0));
  return torch::where(masks > 0.5, torch::ones_like(off), off).to(masks.options());
}

WeightedFParts weighted_f(const torch::Tensor& prob, const torch::Tensor& y, const torch::Tensor& b,
                          const torch::Tensor& nearest, const AfFbetaWOptions& o, const AKernel& k,
                          std::map<std::string, torch::Tensor>* maps) {
  const auto diff = prob - y;
  const auto e = o.error == "squared" ? diff * diff : diff.abs();
  auto efg = e;  // E' on the mask
  torch::Tensor c;
  if (o.use_A) {
    const auto s = o.edge == "zero" ? e * y : e.flatten(1).gather(1, nearest).view_as(e);
    c = filter_same(s, k, o.implementation);
    efg = torch::where(c < e, c, e);
  }
  const std::vector<int64_t> dims{1, 2, 3};
  const auto a = (efg * y).sum(dims);           // Σ_Y E_w (B = 1 on the mask) = FN
  const auto fp = (e * (b * (1 - y))).sum(dims);  // Σ_¬Y E_w
  const auto npos = y.sum(dims);
  const auto tp = npos - a;
  const auto p = tp / (tp + fp + o.eps);
  const auto r = tp / (tp + a + o.eps);
  WeightedFParts out;
  out.f = (1 + o.beta2) * p * r / (o.beta2 * p + r + o.eps);
  out.mean_ew = (a + fp) / static_cast<double>(y.size(2) * y.size(3));
  out.empty = npos <= 0;
  if (maps) {
    (*maps)["E"] = e.detach();
    (*maps)["E_A"] = o.use_A ? (c * y).detach() : torch::zeros_like(e);
    (*maps)["B"] = b.detach();
    (*maps)["E_w"] = (y * efg + (1 - y) * e * b).detach();
  }
  return out;
}

AfFbetaW::AfFbetaW(AfFbetaWOptions o)
    : o_(std::move(o)), k_(make_a_kernel(o_.kernel, o_.kernel_norm, o_.theta, o_.sigma)) {
  resolve_filter_impl(k_, o_.implementation, torch::kCPU);  // validates the combination
}

Targets AfFbetaW::prepare(const torch::Tensor& masks) const {
  Targets t{binarize_masks(masks, name()), {}};
  const bool need_dist = o_.use_B || (o_.use_A && o_.edge == "nearest_fg");
  if (need_dist) {
    auto md = mask_distances(t.masks, false);
    t.maps["B"] = b_weights(t.masks, md.to_fg, o_);
    t.maps["nearest"] = md.nearest_fg;
  } else {
    t.maps["B"] = torch::ones_like(t.masks);
  }
  return t;
}

namespace {

const torch::Tensor& need_map(const Targets& t, const std::string& key) {
  auto it = t.maps.find(key);
  if (it == t.maps.end())
    throw InputError("loss 'af_fbeta_w': targets lack the map '" + key +
                     "' (build them with this loss's prepare())");
  return it->second;
}

}  // namespace

torch::Tensor AfFbetaW::forward(const torch::Tensor& logits, const Targets& t,
                                const torch::Tensor&) const {
  const auto x = binary_logit(logits, name());
  check_shapes(x, t.masks, name());
  const auto y = t.masks.to(x.dtype());
  const auto b = need_map(t, "B").to(x.dtype());
  torch::Tensor nearest;
  if (o_.use_A && o_.edge == "nearest_fg") nearest = need_map(t, "nearest");
  auto parts = weighted_f(torch::sigmoid(x), y, b, nearest, o_, k_);
  return torch::where(parts.empty, parts.mean_ew, 1 - parts.f).mean();
}

std::map<std::string, torch::Tensor> AfFbetaW::explain(const torch::Tensor& logits,
                                                       const Targets& t) const {
  torch::NoGradGuard ng;
  const auto x = binary_logit(logits, name());
  check_shapes(x, t.masks, name());
  const auto y = t.masks.to(x.dtype());
  torch::Tensor nearest;
  if (o_.use_A && o_.edge == "nearest_fg") nearest = need_map(t, "nearest");
  std::map<std::string, torch::Tensor> maps;
  weighted_f(torch::sigmoid(x), y, need_map(t, "B").to(x.dtype()), nearest, o_, k_, &maps);
  return maps;
}

}  // namespace sodlab::losses
