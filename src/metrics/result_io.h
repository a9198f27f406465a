// Writing evaluation results: JSON ({"convention", "n_images", "dataset", "per_image", "curves"};
// NaN → null), per-image CSV (stem + one column per metric), curves CSV (threshold 0..255 + one
// column per curve), and the human-readable table. Write failures are RuntimeFailure.
#pragma once

#include "metrics/evaluator.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace sodlab::metrics {

nlohmann::json to_json(const EvaluationResult& result);
void write_json(const EvaluationResult& result, const std::filesystem::path& file);
void write_per_image_csv(const EvaluationResult& result, const std::filesystem::path& file);
void write_curves_csv(const EvaluationResult& result, const std::filesystem::path& file);
std::string format_table(const EvaluationResult& result);

}  // namespace sodlab::metrics
