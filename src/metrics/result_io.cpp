#include "metrics/result_io.h"

#include "core/error.h"
#include "core/output_files.h"
#include "metrics/confusion_metrics.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace sodlab::metrics {
namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// The file's text, written at once (core/output_files.h: checked path, every write checked).
void finish(const std::ostringstream& out, const std::filesystem::path& file) {
  output::write_output_file(file.string(), out.str());
}

}  // namespace

nlohmann::json to_json(const EvaluationResult& r) {
  nlohmann::json j;
  j["convention"] = convention_name(r.convention);
  j["normalize"] = r.normalize;
  j["n_images"] = r.n_images;
  j["dataset"] = nlohmann::json::object();
  for (const auto& [k, v] : r.dataset) j["dataset"][k] = number(v);
  j["per_image"] = nlohmann::json::object();
  for (const auto& [stem, values] : r.per_image) {
    auto& o = j["per_image"][stem] = nlohmann::json::object();
    for (const auto& [k, v] : values) o[k] = number(v);
  }
  j["curves"] = nlohmann::json::object();
  for (const auto& [k, c] : r.curves) {
    auto& a = j["curves"][k] = nlohmann::json::array();
    for (double v : c) a.push_back(number(v));
  }
  return j;
}

void write_json(const EvaluationResult& r, const std::filesystem::path& file) {
  std::ostringstream out;
  out << to_json(r).dump(1) << "\n";
  finish(out, file);
}

void write_per_image_csv(const EvaluationResult& r, const std::filesystem::path& file) {
  std::set<std::string> keys;
  for (const auto& [stem, values] : r.per_image)
    for (const auto& [k, v] : values) keys.insert(k);
  std::ostringstream out;
  out << "stem";
  for (const auto& k : keys) out << "," << k;
  out << "\n";
  for (const auto& [stem, values] : r.per_image) {
    out << stem;
    for (const auto& k : keys) {
      auto it = values.find(k);
      out << "," << (it == values.end() ? "" : csv_number(it->second));
    }
    out << "\n";
  }
  finish(out, file);
}

void write_curves_csv(const EvaluationResult& r, const std::filesystem::path& file) {
  std::ostringstream out;
  out << "threshold";
  for (const auto& [k, c] : r.curves) out << "," << k;
  out << "\n";
  for (int t = 0; t < 256; ++t) {
    out << t;
    for (const auto& [k, c] : r.curves) out << "," << csv_number(c[t]);
    out << "\n";
  }
  finish(out, file);
}

std::string format_table(const EvaluationResult& r) {
  std::ostringstream s;
  s << "convention: " << convention_name(r.convention) << (r.normalize ? "" : " (--no-normalize: maps v/255, no stretch)")
    << "    images: " << r.n_images << "\n";
  static const char* order[] = {"MAE", "maxF", "meanF", "adpF", "wFm", "Sm", "maxEm", "meanEm", "adpEm",
                                "AUROC", "AUROC_curve256", "maxIoU", "meanIoU", "IoU_at_maxF"};
  std::set<std::string> shown;
  auto row = [&](const std::string& k, double v) {
    char buf[96];
    if (std::isnan(v)) std::snprintf(buf, sizeof buf, "  %-24s %12s\n", k.c_str(), "n/a");
    else std::snprintf(buf, sizeof buf, "  %-24s %12.6f\n", k.c_str(), v);
    s << buf;
  };
  for (const char* k : order) {
    auto it = r.dataset.find(k);
    if (it == r.dataset.end()) continue;
    row(k, it->second);
    shown.insert(k);
  }
  // The confusion-matrix families as one grid: a row per member, a column per mode.
  std::vector<std::string> grid;
  for (const auto& m : confusion_members()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "    %-8s", m.name);
    std::string line = buf;
    bool any = false;
    for (const auto& mode : confusion_modes()) {
      const std::string key = mode.prefix + std::string(m.name);
      auto it = r.dataset.find(key);
      if (it == r.dataset.end()) std::snprintf(buf, sizeof buf, " %11s", "");
      else if (std::isnan(it->second)) std::snprintf(buf, sizeof buf, " %11s", "n/a");
      else std::snprintf(buf, sizeof buf, " %11.6f", it->second);
      if (it != r.dataset.end()) any = true, shown.insert(key);
      line += buf;
    }
    if (any) grid.push_back(line);
  }
  if (!grid.empty()) {
    s << "  confusion ";  // as wide as a row's member column
    for (const auto& mode : confusion_modes()) {
      char buf[40];
      std::snprintf(buf, sizeof buf, " %11s", mode.prefix);
      s << buf;
    }
    s << "\n";
    for (const auto& line : grid) s << line << "\n";
  }
  s << "  other:\n";
  for (const auto& [k, v] : r.dataset)
    if (!shown.count(k)) row(k, v);
  return s.str();
}

}  // namespace sodlab::metrics
