// The model registry: one table (registry.cpp) of every model an experiment's [model] may name.
//
// Each entry reads its options through the Options getters (defaults recorded in
// options.resolved(), then reject_unknown()); unknown names and bad options are InputErrors
// naming the closest known name or key. check() validates without building anything (the
// pipeline checks every planned run this way before the first one starts); build() constructs
// the network, with or without its pretrained weights (a summary or a check needs none).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/names.h"
#include "core/options.h"
#include "models/model.h"

namespace sodlab::models {

enum class Weights { load, skip };

struct ModelEntry {
  std::string name, summary;
  std::function<void(Options&)> check;  // reads + validates every option; builds nothing
  std::function<std::shared_ptr<SegmentationModel>(Options&, Weights)> build;
  // Whether the built model needs pretrained weights that check() does not look for (so a
  // plan can resolve them before training); null = none.
  std::function<void(Options&)> check_weights;
  // Whether the model is a models::PrefixCacheable (its frozen backbone can be cached).
  bool prefix_cacheable = false;
};

const NameRegistry<ModelEntry>& model_registry();

// Sets the options' context to "model '<name>'" and validates them (entry.check).
void check_model_options(const std::string& name, Options& options);
// Resolves the pretrained weights the model would load (InputError when missing); no-op when it
// loads none.
void check_model_weights(const std::string& name, Options& options);
std::shared_ptr<SegmentationModel> make_model(const std::string& name, Options& options,
                                              Weights weights = Weights::load);

}  // namespace sodlab::models
