// Evaluating a folder of saliency maps against a folder of masks (the `sodlab eval` library part).
//
// Files are matched by stem (.png/.jpg/.jpeg/.bmp, case-insensitive extension), after each folder's
// NameRule (prefix/suffix) is taken off; each folder must not hold two images with the same key. Images are decoded by read_gray (gray_image_reader.h),
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

// How a file name maps to the image it belongs to: the stem without a fixed prefix and suffix
// ("dss_0001_sal.png" → "0001" with prefix "dss_", suffix "_sal"). A file whose stem does not carry
// both is not an image of that folder (listed as unmatched). Empty rule = the stem itself.
struct NameRule {
  std::string prefix, suffix;
};

FolderPairs match_folders(const std::filesystem::path& pred_dir, const std::filesystem::path& gt_dir,
                          const NameRule& pred_rule = {}, const NameRule& gt_rule = {});

struct FolderEvalOptions {
  Convention convention = Convention::pysodmetrics;
  MetricSelection selection;
  int threads = 0;       // <= 0: SODLAB_THREADS or all cores
  bool resize = false;   // bilinear-resize predictions to the mask size instead of failing
  bool normalize = true; // false: --no-normalize (evaluate_image)
  std::filesystem::path images;  // the RGB photographs, matched by stem (for ccm; InputError if
                                 // ccm is selected without them or one is missing)
};

// Evaluates every pair in parallel, streaming (one pair in memory per worker).
EvaluationResult evaluate_folders(const FolderPairs& pairs, const FolderEvalOptions& options);

// Only decodes every file of every pair (the reference time for the evaluator's speed target).
void decode_only(const FolderPairs& pairs, int threads);

// For a process that mostly evaluates (`sodlab eval`, bench_metrics; process-wide, so not called
// by the library itself): glibc's malloc keeps freed blocks of up to 32 MB in its heaps instead of
// unmapping them, so the per-image buffers (OpenCV's DFT in cm, masks in HCE, ...) are not
// page-faulted in again for every image. Changes no value; without glibc it does nothing.
// Measured: HCE 3.5x, cm 2.7x faster (src/metrics/README.md, Speed).
void keep_freed_memory_for_reuse();

// Evaluates synthetic_pair(0..n-1).
EvaluationResult evaluate_synthetic(int n, const FolderEvalOptions& options);

}  // namespace sodlab::metrics
