#include "losses/menet_loss.h"

#include "core/error.h"
#include "losses/cross_entropy.h"

#include <sstream>

namespace sodlab::losses {

MenetLossOptions MenetLossOptions::from(Options& opt) {
  MenetLossOptions o;
  o.lambda = opt.get_double("lambda", o.lambda, 0.0, 1e6);
  o.l2_normalize = opt.get_bool("l2_normalize", o.l2_normalize);
  o.mining = opt.get_string("mining", o.mining, {"hard_1to1", "none"});
  o.reduction = opt.get_string("reduction", o.reduction, {"sum_half", "mean"});
  return o;
}

namespace {

// Per-pixel CE, N×1×H×W: softmax CE for two-class logits, BCE for a binary logit.
torch::Tensor menet_ce(const torch::Tensor& logits, const torch::Tensor& y) {
  if (logits.size(1) == 2) {
    auto lp = torch::log_softmax(logits, 1);
    return -(y * lp.narrow(1, 1, 1) + (1 - y) * lp.narrow(1, 0, 1));
  }
  return pixel_ce(logits, y);
}

}  // namespace

torch::Tensor menet_mining_mask(const torch::Tensor& ell, const torch::Tensor& y) {
  auto m = torch::zeros_like(ell);
  const int64_t n = ell.size(0);
  for (int64_t i = 0; i < n; ++i) {
    auto yi = y[i].flatten() > 0.5;
    const int64_t hw = yi.numel();
    const int64_t npos = yi.sum().item<int64_t>(), nneg = hw - npos;
    const int64_t nmin = std::min(npos, nneg);
    if (nmin == 0) continue;
    auto mi = m[i].view({hw});
    if (npos == nneg) {
      mi.fill_(1);
      continue;
    }
    auto minority = npos < nneg ? yi : yi.logical_not();
    mi.masked_fill_(minority, 1);
    auto score = ell[i].flatten().masked_fill(minority, -std::numeric_limits<double>::infinity());
    auto idx = std::get<1>(score.topk(nmin));
    mi.index_fill_(0, idx, 1);
  }
  return m;
}

torch::Tensor MenetLoss::forward(const torch::Tensor& logits, const Targets& t,
                                 const torch::Tensor& features) const {
  binary_logit(logits, name());  // validates the logits' shape
  check_shapes(logits, t.masks, name());
  if (!features.defined())
    throw InputError("loss 'menet' needs the model's metric features (N×C×H×W); none were given");
  if (features.dim() != 4 || features.size(0) != logits.size(0) ||
      features.size(2) != logits.size(2) || features.size(3) != logits.size(3)) {
    std::ostringstream s;
    s << "loss 'menet': features " << features.sizes() << " do not match logits "
      << logits.sizes() << " (expected N×C×H×W with the logits' N, H, W)";
    throw InputError(s.str());
  }
  const auto y = t.masks.to(logits.dtype());
  const double hw = static_cast<double>(y.size(2) * y.size(3));
  const std::vector<int64_t> px{1, 2, 3};
  auto ce = menet_ce(logits, y).sum(px) / hw;

  const auto f = features.to(logits.dtype());
  auto fv = f.detach();
  if (o_.l2_normalize) {
    auto norm = fv.norm(2, {1}, true);
    fv = fv / torch::where(norm == 0, torch::ones_like(norm), norm);
  }
  const auto fhat = f + (fv - f.detach());  // value f̃, gradient identity
  const auto yd = y;
  auto mu_p = (yd * fv).sum({2, 3}, true) / torch::clamp_min(yd.sum({2, 3}, true), 1.0);
  auto mu_n = ((1 - yd) * fv).sum({2, 3}, true) / torch::clamp_min((1 - yd).sum({2, 3}, true), 1.0);
  auto dp = (fhat - mu_p).pow(2).sum(1, true);
  auto dn = (fhat - mu_n).pow(2).sum(1, true);
  auto ell = (2 * y - 1) * (dp - dn);
  auto m = o_.mining == "hard_1to1" ? menet_mining_mask(ell.detach(), y) : torch::ones_like(ell);
  auto per_image = ce + o_.lambda * (m * ell).sum(px) / hw;
  return o_.reduction == "sum_half" ? 0.5 * per_image.sum() : per_image.mean();
}

std::map<std::string, torch::Tensor> MenetLoss::explain(const torch::Tensor& logits,
                                                        const Targets& t) const {
  torch::NoGradGuard ng;
  binary_logit(logits, name());
  check_shapes(logits, t.masks, name());
  return {{"CE", menet_ce(logits, t.masks.to(logits.dtype()))}};
}

}  // namespace sodlab::losses
