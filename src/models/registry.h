// Models by name. make_model reads every option through `options` (defaults recorded in
// options.resolved()), then options.reject_unknown(); unknown names and bad options are
// InputErrors naming the closest known name/key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/options.h"
#include "models/model.h"

namespace sodlab::models {

// "szn", "menet", "menet_ce_only", "menet_ce_plain", "menet_metric_only".
std::vector<std::string> model_names();
// One-line description of a registered model (for `sodlab models`).
std::string model_summary(const std::string& name);
std::shared_ptr<SegmentationModel> make_model(const std::string& name, Options& options);

}  // namespace sodlab::models
