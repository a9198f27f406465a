// Evaluating a folder of saliency maps against a folder of masks (the `sodlab eval` library part).
//
// Files are matched by stem (.png/.jpg/.jpeg/.bmp, case-insensitive extension); each folder must
// not hold two images with the same stem. Images are decoded by read_gray (gray_image_reader.h),
// pixel for pixel as cv::imread(IMREAD_GRAYSCALE), which PySODMetrics uses. Errors (missing
// folder, no pair, unreadable or corrupt file, size mismatch without resize) are InputError naming
// the file(s).
#pragma once

#include "metrics/convention.h"
#include "metrics/evaluator.h"

#include <opencv2/core.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace sodlab::metrics {

struct FolderPairs {
  std::vector<std::string> stems;                  // sorted
  std::vector<std::filesystem::path> preds, gts;   // parallel to stems
  std::vector<std::filesystem::path> unmatched_preds, unmatched_gts;
};

FolderPairs match_folders(const std::filesystem::path& pred_dir, const std::filesystem::path& gt_dir);

struct FolderEvalOptions {
  Convention convention = Convention::pysodmetrics;
  MetricSelection selection;
  int threads = 0;       // <= 0: SODLAB_THREADS or all cores
  bool resize = false;   // bilinear-resize predictions to the mask size instead of failing
};

// Evaluates every pair in parallel, streaming (one pair in memory per worker).
EvaluationResult evaluate_folders(const FolderPairs& pairs, const FolderEvalOptions& options);

// Only decodes every file of every pair (the reference time for the evaluator's speed target).
void decode_only(const FolderPairs& pairs, int threads);

// Evaluates synthetic_pair(0..n-1).
EvaluationResult evaluate_synthetic(int n, const FolderEvalOptions& options);

}  // namespace sodlab::metrics
