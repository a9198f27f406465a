#include "losses/registry.h"

#include "losses/af_fbeta_w.h"
#include "losses/cross_entropy.h"
#include "losses/menet_loss.h"

namespace sodlab::losses {

const NameRegistry<LossEntry>& loss_registry() {
  static const NameRegistry<LossEntry> registry(
      "loss",
      {
          {"af_fbeta_w", "AF_beta^w: differentiable weighted F-measure (Kolkin 2017, Eq. 7-9)",
           [](Options& o) { return std::make_unique<AfFbetaW>(AfFbetaWOptions::from(o)); }},
          {"ce", "binary cross-entropy on the logits",
           [](Options&) { return std::make_unique<CrossEntropy>(); }},
          {"ce_dnc_band", "cross-entropy ignoring a band around the object boundary (Kolkin Table 4 DNC)",
           [](Options& o) { return std::make_unique<CeDncBand>(o); }},
          {"menet", "MEnet: cross-entropy + the metric loss on the 16-D features",
           [](Options& o) { return std::make_unique<MenetLoss>(MenetLossOptions::from(o)); }},
          {"weighted_ce", "class-weighted cross-entropy (fg_weight, bg_weight)",
           [](Options& o) { return std::make_unique<WeightedCrossEntropy>(o); }},
      });
  return registry;
}

std::unique_ptr<Loss> make_loss(const std::string& name, Options& options) {
  const LossEntry& entry = loss_registry().at(name);
  if (options.context() == "options" || options.context() == "loss")
    options.set_context("loss '" + name + "'");
  auto loss = entry.build(options);
  options.reject_unknown();
  return loss;
}

}  // namespace sodlab::losses
