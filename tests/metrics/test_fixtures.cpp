// The evaluator against reference values no one here wrote: PySODMetrics 1.6.2 on the synthetic
// fixture (pysodmetrics convention) and the MATLAB sal_eval_toolbox on the published DSS maps of
// SOD (sal_eval_toolbox convention). Tolerances from metric-conventions.md.
#include <catch2/catch.hpp>

#include "metrics/evaluator.h"
#include "metrics/folder_eval.h"
#include "support/shared_data.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace sodlab::metrics;
namespace fs = std::filesystem;

namespace {

// Checks |got - want| <= tol, with JSON null / empty CSV ↔ NaN.
void check_value(const std::string& what, double got, double want, double tol) {
  INFO(what << ": got " << got << ", expected " << want);
  if (std::isnan(want)) {
    CHECK(std::isnan(got));
  } else {
    CHECK(std::fabs(got - want) <= tol);
  }
}

double json_number(const nlohmann::json& j) {
  return j.is_null() ? std::nan("") : j.get<double>();
}

std::vector<std::map<std::string, std::string>> read_csv(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  std::string line;
  auto next_line = [&]() {
    if (!std::getline(in, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the fixture CSVs use CRLF
    return true;
  };
  next_line();
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  std::vector<std::map<std::string, std::string>> rows;
  while (next_line()) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; std::getline(ss, cell, ','); ++i) row[header.at(i)] = cell;
    rows.push_back(row);
  }
  return rows;
}

double csv_number(const std::string& s) { return s.empty() ? std::nan("") : std::stod(s); }

}  // namespace

TEST_CASE("pysodmetrics convention reproduces PySODMetrics 1.6.2 on the synthetic fixture") {
  SODLAB_REQUIRE_SHARED(shared);
  const fs::path dir = shared / "fixtures" / "pysod-synthetic";
  std::ifstream in(dir / "expected.json");
  REQUIRE(in);
  const auto expected = nlohmann::json::parse(in);

  const FolderPairs pairs = match_folders(dir / "pred", dir / "gt");
  REQUIRE(pairs.stems.size() == 200);
  FolderEvalOptions options;
  options.convention = Convention::pysodmetrics;
  options.threads = 2;
  const EvaluationResult r = evaluate_folders(pairs, options);
  REQUIRE(r.n_images == expected["n_images"].get<int>());

  const double tight = 1e-9;
  for (const auto& [stem, values] : expected["per_image"].items()) {
    REQUIRE(r.per_image.count(stem));
    const auto& got = r.per_image.at(stem);
    for (const auto& [key, want] : values.items()) {
      REQUIRE(got.count(key));
      const double tol = key == "wFm" ? 1e-9 : tight;
      check_value(stem + "/" + key, got.at(key), json_number(want), tol);
    }
  }
  for (const auto& [key, want] : expected["dataset"].items()) {
    if (key == "AUROC_impl") continue;
    REQUIRE(r.dataset.count(key));
    // The fixture gives the arg-max threshold as its index t (0..255, `q >= t`); sodlab reports it
    // on the maps' [0, 1] scale, t / 255.
    const bool threshold = key == "maxF_threshold" || key == "maxEm_threshold";
    check_value("dataset/" + key, r.dataset.at(key), json_number(want) / (threshold ? 255.0 : 1.0),
                key == "wFm" ? 1e-9 : tight);
  }
  for (const auto& [key, want] : expected["curves"].items()) {
    REQUIRE(r.curves.count(key));
    const auto& got = r.curves.at(key);
    REQUIRE(want.size() == 256);
    for (int t = 0; t < 256; ++t)
      check_value(key + "[" + std::to_string(t) + "]", got[t], json_number(want[t]), tight);
  }
}

TEST_CASE("sal_eval_toolbox convention reproduces the MATLAB toolbox on the DSS maps of SOD") {
  SODLAB_REQUIRE_SHARED(shared);
  const fs::path fx = shared / "fixtures" / "sod300-published-maps";
  const FolderPairs pairs = match_folders(fx / "DSS", shared / "data" / "sod300" / "masks");
  REQUIRE(pairs.stems.size() == 300);
  FolderEvalOptions options;
  options.convention = Convention::sal_eval_toolbox;
  options.threads = 2;
  const EvaluationResult r = evaluate_folders(pairs, options);
  REQUIRE(r.n_images == 300);
  const double tol = 1e-9;

  const auto per_image = read_csv(fx / "DSS.sal_eval_toolbox.per_image.csv");
  REQUIRE(per_image.size() == 300);
  const std::map<std::string, std::string> per_image_keys{
      {"mae", "MAE"}, {"s_measure", "Sm"}, {"adaptive_precision", "adpP"},
      {"adaptive_recall", "adpR"}, {"adaptive_f", "adpF"}};
  for (const auto& row : per_image) {
    const std::string stem = row.at("image");
    REQUIRE(r.per_image.count(stem));
    for (const auto& [csv_key, key] : per_image_keys)
      check_value(stem + "/" + key, r.per_image.at(stem).at(key), csv_number(row.at(csv_key)), tol);
  }

  const std::map<std::string, std::string> dataset_keys{
      {"MaxFmeasure", "maxF"}, {"MAE", "MAE"}, {"S_measure", "Sm"}, {"AUC", "AUROC_curve256"},
      {"meanIoU", "meanIoU"}, {"maxIoU", "maxIoU"}, {"adaptive_precision", "adpP"},
      {"adaptive_recall", "adpR"}, {"adaptive_f", "adpF"}};
  for (const auto& row : read_csv(fx / "DSS.sal_eval_toolbox.dataset.csv")) {
    const std::string key = dataset_keys.at(row.at("metric"));
    check_value("dataset/" + key, r.dataset.at(key), csv_number(row.at("value")), tol);
  }

  const std::map<std::string, std::string> curve_keys{
      {"precision", "curve_P"}, {"recall", "curve_R"}, {"tpr", "curve_TPR"},
      {"fpr", "curve_FPR"}, {"iou", "curve_IoU"}, {"f_0.3", "curve_F"}};
  const auto curves = read_csv(fx / "DSS.sal_eval_toolbox.curves.csv");
  REQUIRE(curves.size() == 256);
  for (const auto& row : curves) {
    const int t = 255 - std::stoi(row.at("threshold_index"));  // index 0 = threshold 1.0
    for (const auto& [csv_key, key] : curve_keys)
      check_value(key + "[" + std::to_string(t) + "]", r.curves.at(key)[t], csv_number(row.at(csv_key)), tol);
  }
}
