#include "losses/cross_entropy.h"

#include "core/error.h"
#include "losses/mask_maps.h"

namespace sodlab::losses {

torch::Tensor pixel_ce(const torch::Tensor& x, const torch::Tensor& y) {
  // Stable log(1 + e^x) − x·y, with the exact gradient σ(x) − y (also at x = 0).
  return torch::binary_cross_entropy_with_logits(x, y, {}, {}, at::Reduction::None);
}

namespace {

std::pair<torch::Tensor, torch::Tensor> logit_and_mask(const torch::Tensor& logits, const Targets& t,
                                                       const std::string& who) {
  auto x = binary_logit(logits, who);
  check_shapes(x, t.masks, who);
  return {x, t.masks.to(x.dtype())};
}

}  // namespace

torch::Tensor CrossEntropy::forward(const torch::Tensor& logits, const Targets& t,
                                    const torch::Tensor&) const {
  auto [x, y] = logit_and_mask(logits, t, name());
  return pixel_ce(x, y).mean();
}

std::map<std::string, torch::Tensor> CrossEntropy::explain(const torch::Tensor& logits,
                                                           const Targets& t) const {
  torch::NoGradGuard ng;
  auto [x, y] = logit_and_mask(logits, t, name());
  return {{"CE", pixel_ce(x, y)}};
}

WeightedCrossEntropy::WeightedCrossEntropy(Options& o)
    : fg_(o.get_double("fg_weight", 2.0, 0.0, 1e6)), bg_(o.get_double("bg_weight", 1.0, 0.0, 1e6)) {}

torch::Tensor WeightedCrossEntropy::forward(const torch::Tensor& logits, const Targets& t,
                                            const torch::Tensor&) const {
  auto [x, y] = logit_and_mask(logits, t, name());
  return (pixel_ce(x, y) * (bg_ + (fg_ - bg_) * y)).mean();
}

std::map<std::string, torch::Tensor> WeightedCrossEntropy::explain(const torch::Tensor& logits,
                                                                   const Targets& t) const {
  torch::NoGradGuard ng;
  auto [x, y] = logit_and_mask(logits, t, name());
  return {{"weighted_CE", pixel_ce(x, y) * (bg_ + (fg_ - bg_) * y)}};
}

CeDncBand::CeDncBand(Options& o) : width_(o.get_double("width", 3.0, 0.0)) {}

Targets CeDncBand::prepare(const torch::Tensor& masks) const {
  Targets t{binarize_masks(masks, name()), {}};
  auto md = mask_distances(t.masks, true);
  auto fg = t.masks > 0.5;
  auto band = torch::where(fg, md.to_bg <= width_, md.to_fg <= width_);
  t.maps["band"] = band.to(t.masks.dtype());
  return t;
}

torch::Tensor CeDncBand::forward(const torch::Tensor& logits, const Targets& t,
                                 const torch::Tensor&) const {
  auto [x, y] = logit_and_mask(logits, t, name());
  auto it = t.maps.find("band");
  if (it == t.maps.end())
    throw InputError("loss 'ce_dnc_band': targets lack the map 'band' (build them with prepare())");
  auto keep = 1 - it->second.to(x.dtype());
  return (pixel_ce(x, y) * keep).sum() / torch::clamp_min(keep.sum(), 1.0);
}

std::map<std::string, torch::Tensor> CeDncBand::explain(const torch::Tensor& logits,
                                                        const Targets& t) const {
  torch::NoGradGuard ng;
  auto [x, y] = logit_and_mask(logits, t, name());
  return {{"band", t.maps.at("band")}, {"CE", pixel_ce(x, y)}};
}

}  // namespace sodlab::losses
