#include "pipeline/study.h"

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/names.h"
#include "core/threads.h"
#include "core/timer.h"
#include "data/registry.h"
#include "losses/exact_fbeta_w.h"
#include "losses/registry.h"
#include "metrics/weighted_fmeasure.h"
#include "pipeline/lifecycle.h"
#include "pipeline/plan.h"
#include "pipeline/provenance.h"
#include "store/provenance.h"

namespace sodlab::pipeline {
namespace {

constexpr const char* kConvention = "none";  // study results are not metric-convention bound
constexpr const char* kVariant = "ours";

// A study kind: its options checked and resolved at planning, its work when run, and whether
// its identity is of this machine (a timing is of one host at one thread count).
struct StudyKind {
  std::string name, summary;
  void (*plan)(const config::StudySection&, const PlanRequest&, PlannedStudy&);
  void (*run)(const PlannedStudy&, store::ResultsStore&);
  bool of_this_machine = false;
};
const NameRegistry<StudyKind>& study_registry();

// The option error gets the option's position in the file.
[[noreturn]] void fail_option(const config::StudySection& st, const std::string& what) {
  throw InputError(st.where + ": study: " + what);
}

void plan_loss_timing(const config::StudySection& st, const PlanRequest& request, PlannedStudy& p) {
  if (st.dataset.dataset.empty()) fail_option(st, "kind 'loss_timing' needs dataset = { dataset = \"...\" }");
  Options o = st.options;
  const std::int64_t images_asked = o.get_int("images", 15, 1, 100000);
  if (request.rehearse > 0 && images_asked > request.rehearse) {  // a rehearsal: its N images
    o = st.options;
    o.set("images", static_cast<std::int64_t>(request.rehearse));
    o.get_int("images", 15, 1, 100000);
  }
  o.get_int("size", 224, 8, 2048);
  o.get_int("seed", 0, 0);
  o.get_int("repeats", 3, 1, 1000);
  o.get_double("beta2", 1.0, 0.0, 1e6);
  o.reject_unknown();
  p.options = o;
  p.dataset_label = st.dataset.label();
  p.datasets = {p.dataset_label};
  if (!request.open_data) {  // validate the dataset reference by name only
    if (!data::dataset_registry().find(st.dataset.dataset) && st.dataset.dataset.find('/') == std::string::npos)
      throw InputError(st.dataset.where + ": " + unknown_name_message("dataset", st.dataset.dataset,
                                                                      data::dataset_registry().names(), "datasets"));
    return;
  }
  Options ds = st.dataset.options;
  if (!st.dataset.split.empty()) ds.set("split", st.dataset.split);
  try {
    p.dataset = data::open_dataset(st.dataset.dataset, st.data_root, ds);
  } catch (const InputError& e) {
    throw InputError(st.dataset.where + ": " + e.what());
  }
  const auto images = static_cast<std::size_t>(std::get<std::int64_t>(o.resolved().at("images")));
  if (images > p.dataset->size())
    fail_option(st, "images = " + std::to_string(images) + " but dataset '" + st.dataset.dataset +
                        "' has only " + std::to_string(p.dataset->size()));
}

void plan_paired_images(const config::StudySection& st, const PlanRequest& request, PlannedStudy& p) {
  Options o = st.options;
  p.runs_of = o.get_string("runs_of", "");
  if (p.runs_of.empty()) fail_option(st, "kind 'paired_images' needs runs_of = \"<experiment>\"");
  const std::string a = o.get_string("a", "szn_ce"), b = o.get_string("b", "szn_af");
  o.get_string("iou_metric", "IoU50");
  o.get_string("f_metric", "wFm");
  o.get_double("iou_within", 0.05, 0.0, 1.0);
  o.get_double("f_apart", 0.20, 0.0, 1.0);
  o.reject_unknown();
  p.options = o;
  PlanRequest sub;
  sub.experiment = p.runs_of;
  sub.profile = request.profile;
  sub.threads = request.threads;
  sub.variants = {a, b};
  sub.check_weights = false;
  sub.open_data = request.open_data;
  sub.rehearse = request.rehearse;  // a rehearsal pairs the rehearsed runs
  Plan referenced;
  try {
    referenced = plan(sub);
  } catch (const InputError& e) {
    throw InputError(st.where + ": study runs_of '" + p.runs_of + "': " + e.what());
  }
  if (referenced.experiment.is_study()) fail_option(st, "runs_of '" + p.runs_of + "' is itself a study");
  std::set<std::string> datasets;
  for (const auto& ra : referenced.runs) {
    if (ra.spec.variant != a) continue;
    for (const auto& rb : referenced.runs)
      if (rb.spec.variant == b && rb.spec.fold == ra.spec.fold && rb.spec.seed == ra.spec.seed)
        p.pairs.push_back({ra.run_id, rb.run_id, ra.spec.fold, ra.spec.seed});
    for (const auto& t : ra.spec.data.test) datasets.insert(t.label());
  }
  if (p.pairs.empty() && request.open_data)
    fail_option(st, "no runs of variants '" + a + "' and '" + b + "' of " + p.runs_of +
                        " share a fold and seed");
  p.datasets.assign(datasets.begin(), datasets.end());
}

std::int64_t int_option(const PlannedStudy& s, const char* key) {
  return std::get<std::int64_t>(s.options.resolved().at(key));
}
double double_option(const PlannedStudy& s, const char* key) {
  const OptionValue& v = s.options.resolved().at(key);
  return v.index() == 1 ? static_cast<double>(std::get<std::int64_t>(v)) : std::get<double>(v);
}
std::string string_option(const PlannedStudy& s, const char* key) {
  return std::get<std::string>(s.options.resolved().at(key));
}

struct Recorder {
  store::ResultsStore& db;
  const PlannedStudy& s;
  std::vector<store::ResultRow> results;
  std::vector<store::PerImageRow> per_image;
  void result(const std::string& dataset, const std::string& metric, double v) {
    results.push_back({s.run_id, dataset, "none", metric, kConvention, v});
  }
  void image(const std::string& dataset, const std::string& stem, const std::string& metric, double v) {
    per_image.push_back({s.run_id, dataset, "none", stem, metric, kConvention, v});
  }
  void flush() {  // per-image rows first: results present imply the rest is
    db.add_per_image(per_image);
    db.add_results(results);
  }
};

// Mask resized (nearest) to size², and the prediction: the mask pulled towards 0.5, plus seeded
// Gaussian noise, blurred, in (0, 1). Timing is nearly content-independent; this keeps E, A and
// B realistic (a soft map with errors along the boundary and some everywhere).
void timing_inputs(const cv::Mat& mask_u8, int size, std::uint64_t seed, cv::Mat& pred, cv::Mat& gt) {
  cv::resize(mask_u8, gt, cv::Size(size, size), 0, 0, cv::INTER_NEAREST);
  cv::Mat g;
  gt.convertTo(g, CV_64F, 1.0 / 255.0);
  cv::Mat noise(size, size, CV_64F);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 0.15);
  for (int r = 0; r < size; ++r)
    for (int c = 0; c < size; ++c) noise.at<double>(r, c) = normal(rng);
  pred = 0.15 + 0.7 * g + noise;
  cv::GaussianBlur(pred, pred, cv::Size(5, 5), 2.0);
  cv::min(cv::max(pred, 0.001), 0.999, pred);
}

double min_seconds(int repeats, const std::function<void()>& f) {
  double best = std::numeric_limits<double>::infinity();
  for (int k = 0; k < repeats; ++k) {
    Timer t;
    f();
    best = std::min(best, t.seconds());
  }
  return best;
}

void run_loss_timing(const PlannedStudy& s, store::ResultsStore& db) {
  const int images = static_cast<int>(int_option(s, "images")), size = static_cast<int>(int_option(s, "size"));
  const int repeats = static_cast<int>(int_option(s, "repeats"));
  const auto seed = static_cast<std::uint64_t>(int_option(s, "seed"));
  const double beta2 = double_option(s, "beta2");
  std::vector<std::size_t> order(s.dataset->size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  order.resize(static_cast<std::size_t>(images));
  at::set_num_threads(s.threads);
  Options loss_options("loss 'af_fbeta_w'");
  loss_options.set("beta2", beta2);
  auto loss = losses::make_loss("af_fbeta_w", loss_options);
  losses::ExactFbetaWOptions exact_options;
  exact_options.beta2 = beta2;
  Recorder rec{db, s, {}, {}};
  const std::string ds = s.dataset_label;
  std::map<std::string, double> total;
  std::map<std::string, double> value_sum;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const data::Sample sample = s.dataset->get(order[k]);
    cv::Mat pred, gt;
    timing_inputs(sample.mask, size, seed + 1 + k, pred, gt);
    const torch::Tensor p = torch::from_blob(pred.data, {size, size}, torch::kDouble).clone();
    const torch::Tensor m = torch::from_blob(gt.data, {size, size}, torch::kUInt8).to(torch::kDouble) / 255.0;
    const torch::Tensor logits = torch::logit(p.to(torch::kFloat)).view({1, 1, size, size});
    const losses::Targets targets = loss->prepare(m.to(torch::kFloat).view({1, 1, size, size}));
    double exact_value = 0, wfb_value = 0, af_value = 0;
    std::map<std::string, double> t;
    t["exact"] = min_seconds(1, [&] { exact_value = losses::exact_fbeta_w_pairwise(p, m, exact_options); });
    t["wfb"] = min_seconds(repeats, [&] { wfb_value = metrics::weighted_fmeasure(pred, gt, beta2); });
    t["af_forward"] = min_seconds(repeats, [&] {
      torch::NoGradGuard no_grad;
      af_value = loss->forward(logits, targets).item<double>();
    });
    t["af_forward_backward"] = min_seconds(repeats, [&] {
      torch::Tensor x = logits.detach().clone().requires_grad_(true);
      loss->forward(x, targets).backward();
    });
    for (const auto& [impl, seconds] : t) {
      total[impl] += seconds;
      rec.image(ds, sample.stem, impl + "_s", seconds);
    }
    rec.image(ds, sample.stem, "exact_Fw", exact_value);
    rec.image(ds, sample.stem, "wfb_Fw", wfb_value);
    rec.image(ds, sample.stem, "af_loss", af_value);
    value_sum["exact_Fw"] += exact_value;
    value_sum["wfb_Fw"] += wfb_value;
    value_sum["af_loss"] += af_value;
    log::info("  " + sample.stem + ": exact " + std::to_string(t["exact"]) + " s, WFb " +
              std::to_string(t["wfb"]) + " s, AF forward " + std::to_string(t["af_forward"]) +
              " s, forward+backward " + std::to_string(t["af_forward_backward"]) + " s");
    db.heartbeat(s.run_id);
  }
  const double n = static_cast<double>(order.size());
  for (const auto& [impl, seconds] : total) {
    rec.result(ds, impl + "_s_per_image", seconds / n);
    rec.result(ds, impl + "_s_total", seconds);
    db.add_timing({s.run_id, "study." + impl, seconds, static_cast<std::int64_t>(order.size()), "cpu"});
  }
  for (const char* approx : {"af_forward", "af_forward_backward", "wfb"})
    rec.result(ds, std::string("ratio_exact_to_") + approx, total["exact"] / total[approx]);
  for (const auto& [key, sum] : value_sum) rec.result(ds, key + "_mean", sum / n);
  rec.result(ds, "n_images", n);
  rec.result(ds, "size", size);
  rec.flush();
}

void run_paired_images(const PlannedStudy& s, store::ResultsStore& db) {
  std::vector<std::string> missing;
  for (const auto& pair : s.pairs)
    for (const std::string& id : {pair.a, pair.b}) {
      const auto r = db.find_run(id);
      if (!r || r->status != store::kStatusCompleted) missing.push_back(id);
    }
  if (!missing.empty())
    throw InputError("study needs the completed runs of " + s.runs_of + (s.profile.empty() ? "" : " (profile " + s.profile + ")") +
                     ": " + std::to_string(missing.size()) + " are not completed (" + join_names(missing, ", ") +
                     "); run `sodlab run " + s.runs_of + (s.profile.empty() ? "" : " --profile " + s.profile) +
                     "` first");
  const std::string iou_metric = string_option(s, "iou_metric"), f_metric = string_option(s, "f_metric");
  const double within = double_option(s, "iou_within"), apart = double_option(s, "f_apart");
  using Values = std::map<std::string, std::map<std::string, double>>;  // dataset\nimage → metric → v
  auto load = [&](const std::string& id) {
    Values v;
    for (const auto& r : db.per_image(id))
      if (r.distortion == "none" && (r.metric == iou_metric || r.metric == f_metric))
        v[r.dataset + "\n" + r.image][r.metric] = r.value;
    return v;
  };
  auto rel = [](double x, double y) {
    const double m = std::max(std::abs(x), std::abs(y));
    return m > 0 ? std::abs(x - y) / m : 0.0;
  };
  Recorder rec{db, s, {}, {}};
  std::map<std::string, std::array<double, 3>> counts;  // dataset → {compared, relative, absolute}
  for (const auto& pair : s.pairs) {
    const Values va = load(pair.a), vb = load(pair.b);
    for (const auto& [key, ma] : va) {
      auto it = vb.find(key);
      if (it == vb.end() || !ma.count(iou_metric) || !ma.count(f_metric) || !it->second.count(iou_metric) ||
          !it->second.count(f_metric))
        continue;
      const std::string dataset = key.substr(0, key.find('\n')), image = key.substr(key.find('\n') + 1);
      const double ia = ma.at(iou_metric), ib = it->second.at(iou_metric);
      const double fa = ma.at(f_metric), fb = it->second.at(f_metric);
      auto& c = counts[dataset];
      c[0] += 1;
      const std::string stem = image + (pair.fold >= 0 ? "@fold" + std::to_string(pair.fold) : "") +
                               "@seed" + std::to_string(pair.seed);
      if (rel(ia, ib) < within && rel(fa, fb) >= apart) {
        c[1] += 1;
        rec.image(dataset, stem, "selected_relative", 1);
      }
      if (std::abs(ia - ib) < within && std::abs(fa - fb) >= apart) {
        c[2] += 1;
        rec.image(dataset, stem, "selected_absolute", 1);
      }
      rec.image(dataset, stem, "delta_" + iou_metric, ib - ia);
      rec.image(dataset, stem, "delta_" + f_metric, fb - fa);
    }
  }
  if (counts.empty())
    throw InputError("the runs of " + s.runs_of + " record no per-image " + iou_metric + " and " + f_metric +
                     " (add the metric families to their eval.metrics)");
  for (const auto& [dataset, c] : counts) {
    rec.result(dataset, "n_images", c[0]);
    rec.result(dataset, "n_selected_relative", c[1]);
    rec.result(dataset, "n_selected_absolute", c[2]);
    rec.result(dataset, "fraction_selected_relative", c[1] / c[0]);
    rec.result(dataset, "fraction_selected_absolute", c[2] / c[0]);
  }
  rec.flush();
}

const NameRegistry<StudyKind>& study_registry() {
  static const NameRegistry<StudyKind> registry(
      "study kind",
      {
          {"loss_timing", "exact F_beta^w vs WFb vs AF_beta^w wall-clock time (Kolkin §5.5)", plan_loss_timing,
           run_loss_timing, true},
          {"paired_images", "images where two variants agree on one metric and not another (Kolkin Fig. 6)",
           plan_paired_images, run_paired_images, false},
      });
  return registry;
}

}  // namespace

PlannedStudy plan_study(const config::Experiment& ex, const PlanRequest& request) {
  const config::StudySection& st = *ex.study;
  const StudyKind* kind = study_registry().find(st.kind);
  if (!kind)
    throw InputError(st.where + ": " + unknown_name_message("study kind", st.kind, study_registry().names(),
                                                            "study kinds"));
  PlannedStudy p;
  p.kind = st.kind;
  p.profile = request.profile;
  p.overrides = overrides_text(request.sets, request.rehearse);
  p.threads = resolve_threads(request.threads);
  kind->plan(st, request, p);
  std::ostringstream config;
  config << "[study]\n" << st.canonical << "\n\n# resolved options\n";
  for (const auto& [k, v] : p.options.resolved()) config << "# " << k << " = " << option_value_to_string(v) << "\n";
  p.config_text = config.str();
  std::string identity = "study\n" + p.config_text + "\n" + code_identity();
  if (p.dataset) identity += "\ndataset=" + p.dataset->manifest_sha();
  if (request.rehearse > 0) identity += "\nrehearse=" + std::to_string(request.rehearse);
  if (kind->of_this_machine)  // a timing is of one machine at one thread count
    identity += "\nhost=" + store::host_name() + "\nthreads=" + std::to_string(p.threads);
  for (const auto& pair : p.pairs) identity += "\npair=" + pair.a + "," + pair.b;
  p.run_id = sha256_hex(identity).substr(0, 16);
  return p;
}

bool run_study(const config::Experiment& ex, const PlannedStudy& s, store::ResultsStore& db, bool force) {
  log::info(ex.info.name + (s.profile.empty() ? "" : " [profile " + s.profile + "]") + ": study '" + s.kind +
            "' " + s.run_id);
  if (auto existing = db.find_run(s.run_id); existing && existing->status == store::kStatusCompleted && !force) {
    log::info("  already completed (use --force to redo)");
    return false;
  }
  store::RunRecord record;
  record.run_id = s.run_id;
  record.experiment = ex.info.name;
  record.variant = kVariant;
  record.profile = s.profile;
  record.config_toml = s.config_text;
  record.overrides = s.overrides;
  fill_provenance(record, s.threads);
  if (claim_for_this_process(db, record) != ClaimOutcome::claimed) return false;
  const StudyKind* kind = study_registry().find(s.kind);
  if (!kind) throw InputError("unknown study kind '" + s.kind + "'");
  run_claimed(db, s.run_id, [&] { kind->run(s, db); });
  return true;
}

}  // namespace sodlab::pipeline
