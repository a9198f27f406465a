#include "train/spec.h"

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace sodlab::train {

void validate(const TrainSpec& spec) {
  if (spec.stages.empty()) throw InputError("train: no stages given");
  if (spec.batch_size < 1)
    throw InputError("train.batch_size must be >= 1, got " + std::to_string(spec.batch_size));
  if (spec.progress != "auto" && spec.progress != "bar" && spec.progress != "lines" &&
      spec.progress != "none")
    throw InputError("train.progress must be one of auto, bar, lines, none; got '" + spec.progress + "'");
  for (std::size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& s = spec.stages[i];
    const std::string where = "train.stages[" + std::to_string(i) + "] ('" + s.name + "')";
    if (s.epochs < 0) throw InputError(where + ".epochs must be >= 0");
    if (!(s.lr > 0)) throw InputError(where + ".lr must be > 0");
    if (s.optimizer != "adam" && s.optimizer != "sgd")
      throw InputError(where + ".optimizer must be adam or sgd, got '" + s.optimizer + "'");
    if (s.schedule != "constant" && s.schedule != "multistep")
      throw InputError(where + ".schedule must be constant or multistep, got '" + s.schedule + "'");
    if (s.milestone_unit != "epoch" && s.milestone_unit != "iteration")
      throw InputError(where + ".milestone_unit must be epoch or iteration, got '" + s.milestone_unit + "'");
    if (!std::is_sorted(s.milestones.begin(), s.milestones.end()))
      throw InputError(where + ".milestones must be in increasing order");
    if (!(s.gamma > 0)) throw InputError(where + ".gamma must be > 0");
    if (s.momentum < 0 || s.weight_decay < 0) throw InputError(where + ": momentum and weight_decay must be >= 0");
    if (s.betas[0] < 0 || s.betas[0] >= 1 || s.betas[1] < 0 || s.betas[1] >= 1 || !(s.eps > 0))
      throw InputError(where + ": betas must be in [0, 1) and eps > 0");
  }
}

double learning_rate(const StageSpec& stage, std::int64_t iter, int epoch) {
  if (stage.schedule != "multistep") return stage.lr;
  const double t = stage.milestone_unit == "iteration" ? static_cast<double>(iter) : epoch;
  double lr = stage.lr;
  for (double m : stage.milestones)
    if (t >= m) lr *= stage.gamma;
  return lr;
}

std::string fingerprint(const TrainSpec& spec) {
  std::ostringstream os;
  os.precision(17);
  os << "batch_size=" << spec.batch_size << " seed=" << spec.seed;
  if (spec.precision != "fp32") os << " precision=" << spec.precision;
  if (!spec.feature_cache_dir.empty() && spec.feature_cache != "off") os << " feature_cache=" << spec.feature_cache;
  for (const auto& s : spec.stages) {
    os << " | " << s.name << " epochs=" << s.epochs << " lr=" << s.lr << " opt=" << s.optimizer
       << " momentum=" << s.momentum << " nesterov=" << s.nesterov << " wd=" << s.weight_decay
       << " betas=" << s.betas[0] << "," << s.betas[1] << " eps=" << s.eps << " schedule=" << s.schedule
       << " gamma=" << s.gamma << " unit=" << s.milestone_unit << " milestones=";
    for (double m : s.milestones) os << m << ",";
    os << " frozen=";
    for (const auto& f : s.frozen) os << f << ",";
  }
  return os.str();
}

}  // namespace sodlab::train
