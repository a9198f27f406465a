#include "eval_record.h"

#include <opencv2/core/version.hpp>

#include <sstream>

#include "code_version.h"
#include "core/hash.h"
#include "store/provenance.h"

namespace sodlab::cli {
namespace {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string describe(const EvalRecord& r) {
  std::ostringstream os;
  os << "[eval]\nexperiment = " << toml_string(r.experiment) << "\nmethod = " << toml_string(r.method)
     << "\nconvention = " << toml_string(r.convention) << "\nnormalize = " << (r.normalize ? "true" : "false")
     << "\nmetrics = " << toml_string(r.metrics) << "\n";
  auto rules = [&](const char* group, const std::vector<std::pair<std::string, config::FolderRule>>& v) {
    for (const auto& [dataset, rule] : v)
      os << "\n[" << group << "." << toml_string(dataset) << "]\ndir = " << toml_string(rule.dir)
         << "\nprefix = " << toml_string(rule.prefix) << "\nsuffix = " << toml_string(rule.suffix) << "\n";
  };
  rules("maps", r.maps);
  rules("masks", r.masks);
  return os.str();
}

}  // namespace

std::string begin_eval_run(store::ResultsStore& db, const EvalRecord& r) {
  const std::string config = describe(r);
  // What identifies the evaluated maps: not the convention or metrics (results are keyed by them).
  std::string identity = r.experiment + "\n" + r.method + "\n";
  for (const auto& group : {r.maps, r.masks})
    for (const auto& [dataset, rule] : group)
      identity += dataset + "\t" + rule.dir + "\t" + rule.prefix + "\t" + rule.suffix + "\n";
  store::RunRecord rec;
  rec.run_id = "eval-" + sha256_hex(identity).substr(0, 12);
  rec.experiment = r.experiment;
  rec.variant = r.method;
  rec.config_toml = config;
  rec.code_version = build::kCodeVersion;
  rec.code_dirty = build::kCodeDirty;
  rec.host = store::host_name();
  rec.cpu = store::cpu_model();
  rec.threads = r.threads;
  rec.device = "cpu";
  rec.opencv = CV_VERSION;
  db.begin_run(rec);
  return rec.run_id;
}

std::string store_convention(const metrics::EvaluationResult& r) {
  return std::string(metrics::convention_name(r.convention)) + (r.normalize ? "" : "/no-normalize");
}

void record_eval_result(store::ResultsStore& db, const std::string& id, const std::string& dataset,
                        const metrics::EvaluationResult& r, double seconds) {
  const std::string conv = store_convention(r);
  std::vector<store::ResultRow> rows;
  for (const auto& [metric, value] : r.dataset) rows.push_back({id, dataset, "none", metric, conv, value});
  db.add_results(rows);
  std::vector<store::PerImageRow> per_image;
  for (const auto& [stem, values] : r.per_image)
    for (const auto& [metric, value] : values) per_image.push_back({id, dataset, "none", stem, metric, conv, value});
  db.add_per_image(per_image);
  std::vector<store::CurvePoint> points;
  for (const auto& [key, ys] : r.curves) {
    const std::string curve = key.rfind("curve_", 0) == 0 ? key.substr(6) : key;
    for (std::size_t t = 0; t < ys.size(); ++t)
      points.push_back({id, dataset, "none", curve, static_cast<int>(t), static_cast<double>(t) / 255.0, ys[t]});
  }
  db.add_curves(points);
  db.add_timing({id, "eval." + dataset, seconds, r.n_images, "cpu"});
}

}  // namespace sodlab::cli
