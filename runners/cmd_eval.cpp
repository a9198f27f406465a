// `sodlab eval`: evaluate a folder of saliency maps against a folder of masks (or built-in
// synthetic pairs) under a named metric convention.
#include "command.h"

#include "core/error.h"
#include "core/threads.h"
#include "core/timer.h"
#include "metrics/folder_eval.h"
#include "metrics/result_io.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

namespace {

using namespace sodlab;

struct EvalArgs {
  std::string pred, gt, convention = "pysodmetrics", metrics = "all", json, per_image, curves;
  int threads = 0, synthetic = 0;
  bool resize = false, decode_only = false;
};

int run_eval(const EvalArgs& a) {
  metrics::FolderEvalOptions options;
  options.convention = metrics::parse_convention(a.convention);
  options.selection = metrics::MetricSelection::parse(a.metrics);
  options.threads = a.threads;
  options.resize = a.resize;
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  metrics::EvaluationResult result;
  if (a.synthetic > 0) {
    if (!a.pred.empty() || !a.gt.empty()) throw InputError("--synthetic cannot be combined with --pred/--gt");
    result = metrics::evaluate_synthetic(a.synthetic, options);
  } else {
    if (a.pred.empty() || a.gt.empty()) throw InputError("eval needs --pred DIR and --gt DIR (or --synthetic N)");
    const auto pairs = metrics::match_folders(a.pred, a.gt);
    for (const auto& p : pairs.unmatched_preds) std::cerr << "unmatched prediction (no mask): " << p.string() << "\n";
    for (const auto& p : pairs.unmatched_gts) std::cerr << "unmatched mask (no prediction): " << p.string() << "\n";
    if (a.decode_only) {
      metrics::decode_only(pairs, options.threads);
      const double s = seconds();
      std::printf("decoded %zu pairs (%zu files) in %.4f s with %d threads\n", pairs.stems.size(),
                  2 * pairs.stems.size(), s, resolve_threads(options.threads));
      return 0;
    }
    result = metrics::evaluate_folders(pairs, options);
  }
  const double s = seconds();
  std::cout << metrics::format_table(result);
  std::printf("evaluated %lld images in %.4f s (%.1f images/s, %d threads)\n",
              static_cast<long long>(result.n_images), s, result.n_images / s,
              resolve_threads(options.threads));
  if (!a.json.empty()) metrics::write_json(result, a.json);
  if (!a.per_image.empty()) metrics::write_per_image_csv(result, a.per_image);
  if (!a.curves.empty()) metrics::write_curves_csv(result, a.curves);
  return 0;
}

cli::CommandRegistration reg{
    "eval", "evaluate saliency maps against masks (PySODMetrics / MATLAB toolbox conventions)",
    [](CLI::App& app) {
      auto a = std::make_shared<EvalArgs>();
      app.add_option("--pred", a->pred, "folder of predicted saliency maps (png/jpg/bmp, 8-bit grey)");
      app.add_option("--gt", a->gt, "folder of ground-truth masks, matched by file stem");
      app.add_option("--convention", a->convention, "pysodmetrics | sal_eval_toolbox")
          ->capture_default_str();
      app.add_option("--metrics", a->metrics, "comma list of mae,fm,wfm,sm,em,auroc,iou (or all)")
          ->capture_default_str();
      app.add_option("--json", a->json, "write results as JSON to FILE (NaN as null)");
      app.add_option("--per-image", a->per_image, "write per-image metrics as CSV to FILE");
      app.add_option("--curves", a->curves, "write dataset curves (threshold 0..255) as CSV to FILE");
      app.add_option("--threads", a->threads, "worker threads (default: SODLAB_THREADS or all cores)")->check(CLI::Range(0, kMaxThreads));
      app.add_flag("--resize", a->resize, "resize predictions bilinearly to the mask size if they differ");
      app.add_option("--synthetic", a->synthetic, "evaluate N built-in deterministic synthetic pairs");
      app.add_flag("--decode-only", a->decode_only, "only decode the matched files and report the time");
      return [a] { return run_eval(*a); };
    }};

}  // namespace
