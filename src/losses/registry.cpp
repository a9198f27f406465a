#include "losses/registry.h"

#include "core/error.h"
#include "losses/af_fbeta_w.h"
#include "losses/cross_entropy.h"
#include "losses/menet_loss.h"

#include <functional>
#include <map>

namespace sodlab::losses {
namespace {

using Factory = std::function<std::unique_ptr<Loss>(Options&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> f{
      {"ce", [](Options&) { return std::make_unique<CrossEntropy>(); }},
      {"weighted_ce", [](Options& o) { return std::make_unique<WeightedCrossEntropy>(o); }},
      {"ce_dnc_band", [](Options& o) { return std::make_unique<CeDncBand>(o); }},
      {"af_fbeta_w",
       [](Options& o) { return std::make_unique<AfFbetaW>(AfFbetaWOptions::from(o)); }},
      {"menet", [](Options& o) { return std::make_unique<MenetLoss>(MenetLossOptions::from(o)); }},
  };
  return f;
}

}  // namespace

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : factories()) names.push_back(name);
  return names;
}

std::unique_ptr<Loss> make_loss(const std::string& name, Options& options) {
  auto it = factories().find(name);
  if (it == factories().end()) {
    std::string list, close = closest_match(name, loss_names());
    for (const auto& n : loss_names()) list += (list.empty() ? "" : ", ") + n;
    throw InputError("unknown loss '" + name + "'" +
                     (close.empty() ? "" : " (did you mean '" + close + "'?)") +
                     "; known losses: " + list);
  }
  if (options.context() == "options") options.set_context("loss '" + name + "'");
  auto loss = it->second(options);
  options.reject_unknown();
  return loss;
}

}  // namespace sodlab::losses
