#include "pipeline/jacobian_eval.h"

#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/names.h"
#include "core/threads.h"
#include "core/timer.h"

namespace sodlab::pipeline {
namespace {

Options with_run_defaults(const config::RunSpec& run) {
  Options o = run.eval.jacobian;
  if (!o.has("input_size")) o.set("input_size", static_cast<std::int64_t>(run.data.input_size));
  if (!o.has("batch_size")) o.set("batch_size", static_cast<std::int64_t>(run.data.batch_size));
  return o;
}

void check_estimators(const config::RunSpec& run) {
  const auto known = robustness::known_estimators();
  for (const auto& e : run.eval.jacobian_estimators)
    if (!robustness::estimator_registry().find(e))
      throw InputError((run.eval.jacobian_where.empty() ? "" : run.eval.jacobian_where + ": ") +
                       "eval.jacobian.estimators: " + unknown_name_message("estimator", e, known, "estimators"));
}

}  // namespace

robustness::JacobianSettings jacobian_settings(const config::RunSpec& run) {
  Options o = with_run_defaults(run);
  robustness::JacobianSettings s = robustness::read_jacobian_settings(o);
  o.reject_unknown();
  return s;
}

Options resolved_jacobian_options(const config::RunSpec& run) {
  check_estimators(run);
  Options o = with_run_defaults(run);
  robustness::read_jacobian_settings(o);
  o.reject_unknown();
  Options out(o.context());
  for (const auto& [k, v] : o.resolved()) out.set(k, v);
  return out;
}

std::vector<std::pair<std::string, std::string>> jacobian_conventions(const config::RunSpec& run) {
  std::vector<std::pair<std::string, std::string>> out;
  if (run.eval.jacobian_estimators.empty()) return out;
  const robustness::JacobianSettings s = jacobian_settings(run);
  for (const auto& e : run.eval.jacobian_estimators) out.emplace_back(e, s.label(e));
  return out;
}

SetJacobian evaluate_jacobian(models::SegmentationModel& model, const TestSet& set, const std::string& estimator,
                              const robustness::JacobianSettings& settings, int workers) {
  const robustness::EstimatorEntry* entry = robustness::estimator_registry().find(estimator);
  if (!entry) throw InputError("unknown Jacobian estimator '" + estimator + "'");
  SetJacobian out;
  out.dataset = set.label;
  out.estimator = estimator;
  out.convention = settings.label(estimator);
  const std::size_t n = set.dataset->size();
  const std::size_t batch = static_cast<std::size_t>(std::max(1, settings.batch_size));
  for (std::size_t first = 0; first < n; first += batch) {
    const std::size_t count = std::min(batch, n - first);
    std::vector<data::Sample> samples(count);
    parallel_for(static_cast<int>(count), resolve_threads(workers),
                 [&](int i) { samples[i] = set.dataset->get(first + i); });
    std::vector<cv::Mat> images;
    std::vector<std::string> stems;
    for (const auto& s : samples) images.push_back(s.image), stems.push_back(s.stem);
    Timer timer;
    const std::vector<robustness::MetricValues> values = entry->run(model, images, stems, settings);
    out.seconds += timer.seconds();
    for (std::size_t i = 0; i < count; ++i) out.per_image.emplace_back(stems[i], values.at(i));
  }
  return out;
}

namespace {

// Each metric's mean over the images where it is finite, in first-seen order ((metric, mean);
// a metric finite nowhere is left out).
std::vector<std::pair<std::string, double>> finite_means(const SetJacobian& j) {
  std::map<std::string, std::pair<double, std::int64_t>> sums;
  std::vector<std::string> order;
  for (const auto& [stem, values] : j.per_image)
    for (const auto& [metric, value] : values) {
      if (!sums.count(metric)) order.push_back(metric);
      auto& [sum, count] = sums[metric];
      if (std::isfinite(value)) sum += value, ++count;
    }
  std::vector<std::pair<std::string, double>> out;
  for (const auto& metric : order)
    if (const auto& [sum, count] = sums[metric]; count > 0) out.emplace_back(metric, sum / count);
  return out;
}

}  // namespace

void record_jacobian(store::ResultsStore& store, const std::string& run_id, const SetJacobian& j) {
  std::vector<store::PerImageRow> per_image;
  for (const auto& [stem, values] : j.per_image)
    for (const auto& [metric, value] : values)
      per_image.push_back({run_id, j.dataset, "none", stem, metric, j.convention, value});
  store.add_per_image(per_image);
  store.add_timing({run_id, "jacobian." + j.convention + "." + j.dataset, j.seconds,
                    static_cast<std::int64_t>(j.per_image.size()), j.device});
  std::vector<store::ResultRow> rows;
  for (const auto& [metric, mean] : finite_means(j)) rows.push_back({run_id, j.dataset, "none", metric, j.convention, mean});
  rows.push_back({run_id, j.dataset, "none", "n_images", j.convention, static_cast<double>(j.per_image.size())});
  store.add_results(rows);
}

std::string summary_line(const SetJacobian& j) {
  std::ostringstream line;
  line << "  " << j.dataset << " [jacobian " << j.convention << "]";
  for (const auto& [metric, mean] : finite_means(j))
    line << "  " << metric << " " << std::scientific << std::setprecision(2) << mean;
  const double images = static_cast<double>(std::max<std::size_t>(1, j.per_image.size()));
  line << std::fixed << "  (" << j.per_image.size() << " images, " << std::setprecision(1)
       << 1e3 * j.seconds / images << " ms/image)";
  return line.str();
}

}  // namespace sodlab::pipeline
