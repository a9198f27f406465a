#include "models/registry.h"

#include "core/error.h"
#include "models/menet.h"
#include "models/szn.h"

namespace sodlab::models {

std::vector<std::string> model_names() {
  std::vector<std::string> names{"szn"};
  for (const auto& n : menet_variant_names()) names.push_back(n);
  return names;
}

std::string model_summary(const std::string& name) {
  if (name == "szn") return "Squeezed Zoomout Network: VGG-16 + squeeze modules + per-pixel classifier (Kolkin 2017)";
  if (name == "menet") return "MEnet: encoder-decoder, 13-scale fusion, metric (16-D tanh) + CE heads";
  if (name == "menet_ce_only") return "MEnet with the CE head only on the 13-scale fusion (Table IV CE-only)";
  if (name == "menet_ce_plain") return "MEnet encoder-decoder, CE head on the last decoder stage, no fusion (CE-plain)";
  if (name == "menet_metric_only") return "MEnet with the metric head only (saliency = metric map)";
  return "";
}

std::shared_ptr<SegmentationModel> make_model(const std::string& name, Options& options) {
  options.set_context("model '" + name + "'");
  if (name == "szn") return make_szn(options);
  for (const auto& n : menet_variant_names())
    if (name == n) return make_menet(name, options);
  std::string msg = "unknown model '" + name + "'";
  const std::string close = closest_match(name, model_names());
  if (!close.empty()) msg += " (did you mean '" + close + "'?)";
  std::string all;
  for (const auto& n : model_names()) all += (all.empty() ? "" : ", ") + n;
  throw InputError(msg + "; models: " + all);
}

}  // namespace sodlab::models
