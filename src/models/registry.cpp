#include "models/registry.h"

#include "core/error.h"
#include "models/menet.h"
#include "models/szn.h"
#include "models/weights.h"

namespace sodlab::models {
namespace {

ModelEntry menet_entry(const std::string& name, const std::string& summary) {
  return {name, summary, [name](Options& o) { read_menet_config(name, o); },
          [name](Options& o, Weights) -> std::shared_ptr<SegmentationModel> {
            return std::make_shared<Menet>(read_menet_config(name, o));
          },
          nullptr, false};
}

}  // namespace

const NameRegistry<ModelEntry>& model_registry() {
  static const NameRegistry<ModelEntry> registry(
      "model",
      {
          {"szn",
           "Squeezed Zoomout Network: VGG-16 + squeeze modules + per-pixel classifier (Kolkin 2017)",
           [](Options& o) { SznOptions::from(o); },
           [](Options& o, Weights w) -> std::shared_ptr<SegmentationModel> {
             return make_szn(SznOptions::from(o), w == Weights::load);
           },
           [](Options& o) {
             const SznOptions s = SznOptions::from(o);
             if (auto entry = resolve_weights(s.backbone_weights, s.weights_catalogue)) check_weights_file(*entry);
           },
           /*prefix_cacheable=*/true},
          menet_entry("menet", "MEnet: encoder-decoder, 13-scale fusion, metric (16-D tanh) + CE heads"),
          menet_entry("menet_ce_only", "MEnet with the CE head only on the 13-scale fusion (Table IV CE-only)"),
          menet_entry("menet_ce_plain",
                      "MEnet encoder-decoder, CE head on the last decoder stage, no fusion (CE-plain)"),
          menet_entry("menet_metric_only", "MEnet with the metric head only (saliency = metric map)"),
      });
  return registry;
}

namespace {
const ModelEntry& entry_for(const std::string& name, Options& options) {
  const ModelEntry& e = model_registry().at(name);
  if (options.context() == "options" || options.context() == "model")
    options.set_context("model '" + name + "'");
  return e;
}
}  // namespace

void check_model_options(const std::string& name, Options& options) {
  entry_for(name, options).check(options);
}

void check_model_weights(const std::string& name, Options& options) {
  const ModelEntry& e = entry_for(name, options);
  if (e.check_weights) e.check_weights(options);
}

std::shared_ptr<SegmentationModel> make_model(const std::string& name, Options& options,
                                              Weights weights) {
  return entry_for(name, options).build(options, weights);
}

}  // namespace sodlab::models
