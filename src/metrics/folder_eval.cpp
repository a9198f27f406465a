#include "metrics/folder_eval.h"

#include <atomic>
#include <mutex>

#include "core/error.h"
#include "core/names.h"
#include "core/log.h"
#include "core/threads.h"
#include "metrics/gray_image_reader.h"
#include "metrics/synthetic_pairs.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sodlab::metrics {
namespace fs = std::filesystem;
namespace {

bool is_image(const fs::path& p) {
  const std::string ext = ascii_lower(p.extension().string());
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// Images of `dir` by key (the stem without the rule's prefix and suffix); files whose stem does
// not carry them go to `other`.
std::map<std::string, fs::path> list_images(const fs::path& dir, const char* what, const NameRule& rule,
                                            std::vector<fs::path>& other) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(std::string(what) + " folder not found: " + dir.string());
  std::map<std::string, fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || !is_image(entry.path())) continue;
    std::string stem = entry.path().stem().string();
    const std::size_t affixes = rule.prefix.size() + rule.suffix.size();
    if (affixes) {
      if (stem.size() <= affixes || stem.compare(0, rule.prefix.size(), rule.prefix) != 0 ||
          stem.compare(stem.size() - rule.suffix.size(), rule.suffix.size(), rule.suffix) != 0) {
        other.push_back(entry.path());
        continue;
      }
      stem = stem.substr(rule.prefix.size(), stem.size() - affixes);
    }
    auto [it, inserted] = out.emplace(stem, entry.path());
    if (!inserted)
      throw InputError(std::string(what) + " folder has two images with stem '" + stem +
                       "': " + it->second.string() + " and " + entry.path().string());
  }
  if (ec) throw InputError("cannot list " + dir.string() + ": " + ec.message());
  return out;
}

}  // namespace

FolderPairs match_folders(const fs::path& pred_dir, const fs::path& gt_dir, const NameRule& pred_rule,
                          const NameRule& gt_rule) {
  FolderPairs out;
  std::vector<fs::path> other_gts;
  const auto preds = list_images(pred_dir, "prediction", pred_rule, out.unmatched_preds);
  const auto gts = list_images(gt_dir, "mask", gt_rule, other_gts);
  for (const auto& [stem, path] : gts) {
    auto it = preds.find(stem);
    if (it == preds.end()) {
      out.unmatched_gts.push_back(path);
      continue;
    }
    out.stems.push_back(stem);
    out.preds.push_back(it->second);
    out.gts.push_back(path);
  }
  for (const auto& [stem, path] : preds)
    if (!gts.count(stem)) out.unmatched_preds.push_back(path);
  std::sort(out.unmatched_preds.begin(), out.unmatched_preds.end());
  if (out.stems.empty()) {
    auto rule = [](const NameRule& r) {
      return r.prefix.empty() && r.suffix.empty() ? std::string() : " (prefix '" + r.prefix + "', suffix '" + r.suffix + "')";
    };
    throw InputError("no prediction in " + pred_dir.string() + rule(pred_rule) + " matches a mask in " +
                     gt_dir.string() + rule(gt_rule) + " by file stem (.png/.jpg/.bmp)");
  }
  return out;
}

namespace {

// With ccm: each stem's photograph in options.images (.jpg/.jpeg/.png/.bmp, any case), checked
// before anything is evaluated.
std::vector<fs::path> match_images(const FolderPairs& pairs, const FolderEvalOptions& options) {
  if (!options.selection.has("ccm")) return {};
  if (options.images.empty())
    throw InputError("ccm (the camouflage Context-measure) needs the RGB images: --images DIR");
  if (!fs::is_directory(options.images)) throw InputError("--images: no folder " + options.images.string());
  std::map<std::string, fs::path> by_stem;
  for (const auto& entry : fs::directory_iterator(options.images)) {
    if (entry.is_regular_file() && is_image(entry.path())) by_stem[entry.path().stem().string()] = entry.path();
  }
  std::vector<fs::path> out;
  for (const auto& stem : pairs.stems) {
    const auto it = by_stem.find(stem);
    if (it == by_stem.end()) throw InputError("--images " + options.images.string() + ": no image for '" + stem + "'");
    out.push_back(it->second);
  }
  return out;
}

}  // namespace

EvaluationResult evaluate_folders(const FolderPairs& pairs, const FolderEvalOptions& options) {
  Evaluator evaluator(options.convention, options.selection, options.normalize);
  const int n = static_cast<int>(pairs.stems.size());
  const std::vector<fs::path> images = match_images(pairs, options);
  std::atomic<int> label_masks{0};
  std::string first_label_mask;
  std::mutex first_mutex;
  parallel_for(n, resolve_threads(options.threads), [&](int i) {
    cv::Mat gt = read_gray(pairs.gts[i]);
    if (expand_label_mask(gt) && label_masks++ == 0) {
      std::lock_guard<std::mutex> lock(first_mutex);
      first_label_mask = pairs.gts[i].string();
    }
    auto mismatch = [&](const cv::Size& pred) {
      return InputError("size mismatch: " + pairs.preds[i].string() + " is " + std::to_string(pred.width) + "x" +
                        std::to_string(pred.height) + " but " + pairs.gts[i].string() + " is " +
                        std::to_string(gt.cols) + "x" + std::to_string(gt.rows) +
                        " (use --resize to resize predictions bilinearly to the mask size)");
    };
    // From the PNG header, before decoding: a huge map costs nothing to refuse.
    if (!options.resize)
      if (const auto declared = png_header_size(pairs.preds[i]); declared && *declared != gt.size())
        throw mismatch(*declared);
    cv::Mat pred = read_gray(pairs.preds[i]);
    if (pred.size() != gt.size()) {
      if (!options.resize) throw mismatch(pred.size());
      cv::Mat resized;
      cv::resize(pred, resized, gt.size(), 0, 0, cv::INTER_LINEAR);
      pred = resized;
    }
    cv::Mat rgb;
    if (!images.empty()) {
      rgb = read_rgb(images[i]);
      if (rgb.size() != gt.size())
        throw InputError("size mismatch: " + images[i].string() + " is " + std::to_string(rgb.cols) + "x" +
                         std::to_string(rgb.rows) + " but " + pairs.gts[i].string() + " is " +
                         std::to_string(gt.cols) + "x" + std::to_string(gt.rows));
    }
    evaluator.add(pairs.stems[i], pred, gt, rgb);
  });
  if (label_masks > 0)
    log::warn(std::to_string(label_masks.load()) + " mask(s) hold 0/1 labels (e.g. " + first_label_mask +
              "): read as 0/255");
  return evaluator.result();
}

void decode_only(const FolderPairs& pairs, int threads) {
  const int n = static_cast<int>(pairs.stems.size());
  parallel_for(n, resolve_threads(threads), [&](int i) {
    read_gray(pairs.gts[i]);
    read_gray(pairs.preds[i]);
  });
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum: blocks below it come from the heaps
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // and stay there once freed (up to 1 GB free at the top)
  mallopt(M_TOP_PAD, 64 << 20);         // each heap grows by 64 MB at a time
#endif
}

EvaluationResult evaluate_synthetic(int n, const FolderEvalOptions& options) {
  if (n < 1) throw InputError("--synthetic: need at least 1 pair, got " + std::to_string(n));
  Evaluator evaluator(options.convention, options.selection, options.normalize);
  parallel_for(n, resolve_threads(options.threads), [&](int i) {
    const SyntheticPair pair = synthetic_pair(i);
    evaluator.add(pair.stem, pair.pred, pair.gt);
  });
  return evaluator.result();
}

}  // namespace sodlab::metrics
