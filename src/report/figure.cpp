#include "report/figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/names.h"
#include "store/results_store.h"

namespace sodlab::report {
namespace {

// The completed runs of each variant, variants in legend order (table rows first, then runs).
struct VariantRuns {
  std::string variant, label;
  std::vector<std::string> run_ids;
};

std::vector<VariantRuns> completed_by_variant(const FigureRequest& r, store::ResultsStore& db) {
  std::vector<VariantRuns> out;
  auto slot = [&](const std::string& variant) -> VariantRuns& {
    for (auto& v : out)
      if (v.variant == variant) return v;
    std::string label = variant.empty() ? "ours" : variant;
    for (const auto& [v, l] : r.labels)
      if (v == variant) label = l;
    out.push_back({variant, label, {}});
    return out.back();
  };
  for (const auto& [variant, label] : r.labels) slot(variant);
  for (const auto& run : r.runs) {
    VariantRuns& v = slot(run.variant);
    const auto record = db.find_run(run.run_id);
    if (record && record->status == store::kStatusCompleted) v.run_ids.push_back(run.run_id);
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const VariantRuns& v) { return v.run_ids.empty(); }),
            out.end());
  return out;
}

std::vector<std::string> datasets_of(const FigureRequest& r) {
  std::vector<std::string> out;
  for (const auto& run : r.runs)
    for (const auto& d : run.datasets)
      if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  return out;
}

// Mean over runs of a curve, by threshold index: (x, y) of the points every run has.
using Curve = std::map<int, std::pair<double, double>>;

Curve mean_curve(const std::vector<const std::vector<store::CurvePoint>*>& per_run, const std::string& dataset,
                 const std::string& distortion, const std::string& name) {
  std::map<int, std::pair<double, std::pair<double, int>>> acc;  // idx → (x, (sum y, n))
  for (const auto* points : per_run)
    for (const auto& p : *points)
      if (p.dataset == dataset && p.distortion == distortion && p.curve == name) {
        auto& [x, sum] = acc[p.idx];
        x = p.x;
        sum.first += p.y;
        ++sum.second;
      }
  Curve out;
  for (const auto& [idx, v] : acc)
    if (v.second.second == static_cast<int>(per_run.size())) out[idx] = {v.first, v.second.first / v.second.second};
  return out;
}

// Mean over runs of a dataset result (NaN when some run lacks it).
double mean_result(const std::vector<const std::vector<store::ResultRow>*>& per_run, const std::string& dataset,
                   const std::string& distortion, const std::string& metric, const std::string& convention) {
  double sum = 0;
  for (const auto* rows : per_run) {
    bool found = false;
    for (const auto& r : *rows)
      if (r.dataset == dataset && r.distortion == distortion && r.metric == metric && r.convention == convention) {
        sum += r.value;
        found = true;
        break;
      }
    if (!found) return std::numeric_limits<double>::quiet_NaN();
  }
  return sum / static_cast<double>(per_run.size());
}

// Ranges that fit every point and mark (4 % margin; a flat range gets ±0.5).
void fit_ranges(Panel& p) {
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  auto see = [&](double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  };
  for (const auto& s : p.series) {
    for (const auto& [x, y] : s.xy) see(x, y);
    for (const auto& m : s.marks) see(m.x, m.y);
  }
  if (!std::isfinite(x0)) return;
  auto pad = [](double& lo, double& hi) {
    if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
    const double m = 0.04 * (hi - lo);
    lo -= m, hi += m;
  };
  pad(x0, x1), pad(y0, y1);
  p.xmin = x0, p.xmax = x1, p.ymin = y0, p.ymax = y1;
}

std::string fmt3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// The strength of `label` for `kind` ("none" = 0 for awgn, 100 for jpeg); nullopt otherwise
// (another kind, or a random strength, which has no single level).
std::optional<double> level_of(const std::string& label, const std::string& kind) {
  if (label == "none") return kind == "awgn" ? 0.0 : 100.0;
  const std::string prefix = kind == "awgn" ? "awgn_s" : "jpeg_q";
  if (label.rfind(prefix, 0) != 0) return std::nullopt;
  try {
    std::size_t used = 0;
    const double v = std::stod(label.substr(prefix.size()), &used);
    if (used == label.size() - prefix.size()) return v;
  } catch (const std::logic_error&) {
  }
  return std::nullopt;
}

struct RunData {
  std::vector<const std::vector<store::CurvePoint>*> curves;
  std::vector<const std::vector<store::ResultRow>*> results;
};

// What a curve kind draws: the y curve (the first of `y` a line has), the x curve (empty: the
// threshold t/255), axis labels, and what selects those curves when none is there.
struct CurveKind {
  std::vector<std::string> y, x;  // alternatives, in order of preference; x parallel to y
  std::string xlabel, ylabel, needs;
};

const CurveKind& curve_kind(const std::string& kind) {
  static const std::map<std::string, CurveKind> kinds{
      {"pr", {{"P"}, {"R"}, "recall", "precision", "metric family fm"}},
      {"fmeasure", {{"F"}, {}, "threshold", "F-measure (β² = 0.3)", "metric family fm"}},
      {"emeasure", {{"E"}, {}, "threshold", "E-measure", "metric family em"}},
      // PySODEvalToolkit --mode iou|dice: PySODMetrics FmeasureV2's dynamic IoU / Dice curves.
      {"iou", {{"confusion_iou", "IoU"}, {}, "threshold", "IoU", "metric family confusion_iou or iou"}},
      {"dice", {{"confusion_dice"}, {}, "threshold", "Dice", "metric family confusion_dice"}},
      {"roc", {{"TPR", "confusion_rec"}, {"FPR", "confusion_fpr"}, "false positive rate", "true positive rate",
               "metric family auroc (or confusion_rec and confusion_fpr)"}},
  };
  return kinds.at(kind);
}

const std::vector<std::string>& curve_figure_kind_names() {
  static const std::vector<std::string> kinds{"pr", "fmeasure", "emeasure", "iou", "dice", "roc"};
  return kinds;
}

bool is_curve_kind(const std::string& kind) {
  const auto& k = curve_figure_kind_names();
  return std::find(k.begin(), k.end(), kind) != k.end();
}

// Every curve and result any curve kind reads (build_figure averages these over runs).
const std::vector<std::string> kCurveNames{"P", "R", "F", "E", "confusion_iou", "IoU", "confusion_dice",
                                           "TPR", "FPR", "confusion_rec", "confusion_fpr"};
const std::vector<std::string> kLineResults{"adpP", "adpR", "AUROC_curve256", "auc_roc"};

Figure curve_figure_of(const FigureRequest& r, const std::vector<VariantRuns>& variants,
                       std::map<std::string, std::vector<store::CurvePoint>>& curves,
                       std::map<std::string, std::vector<store::ResultRow>>& results) {
  std::vector<CurvePanel> panels;
  for (const auto& dataset : datasets_of(r)) {
    CurvePanel panel;
    panel.title = dataset + (r.distortion == "none" ? "" : " [" + r.distortion + "]");
    for (const auto& v : variants) {
      RunData d;
      for (const auto& id : v.run_ids) d.curves.push_back(&curves[id]), d.results.push_back(&results[id]);
      CurveLine line;
      line.label = v.label;
      if (v.run_ids.size() > 1) line.legend_suffix = " (mean of " + std::to_string(v.run_ids.size()) + " runs)";
      for (const auto& name : kCurveNames) {
        const Curve c = mean_curve(d.curves, dataset, r.distortion, name);
        for (const auto& [idx, xy] : c) line.curves[name][idx] = xy.second;
      }
      for (const auto& key : kLineResults) {
        const double value = mean_result(d.results, dataset, r.distortion, key, r.convention);
        if (std::isfinite(value)) line.results[key] = value;
      }
      panel.lines.push_back(std::move(line));
    }
    panels.push_back(std::move(panel));
  }
  return curve_figure(r.kind, r.title, panels);
}

Figure distortion_figure(const FigureRequest& r, const std::vector<VariantRuns>& variants,
                         std::map<std::string, std::vector<store::ResultRow>>& results) {
  Figure f;
  f.title = r.title;
  for (const auto& dataset : datasets_of(r)) {
    Panel p;
    p.title = dataset;
    p.xlabel = r.distortion_kind == "awgn" ? "AWGN σ (0-255 scale)" : "JPEG quality";
    p.ylabel = r.metric;
    for (const auto& v : variants) {
      std::vector<const std::vector<store::ResultRow>*> rows;
      for (const auto& id : v.run_ids) rows.push_back(&results[id]);
      std::set<std::string> labels;
      for (const auto* rs : rows)
        for (const auto& x : *rs)
          if (x.dataset == dataset && x.metric == r.metric && x.convention == r.convention) labels.insert(x.distortion);
      std::map<double, double> points;
      for (const auto& label : labels)
        if (const auto level = level_of(label, r.distortion_kind)) {
          const double y = mean_result(rows, dataset, label, r.metric, r.convention);
          if (std::isfinite(y)) points[*level] = y;
        }
      if (points.size() < 2) {
        f.missing.push_back(v.label + " on " + dataset + ": " + std::to_string(points.size()) + " " +
                            r.distortion_kind + " level(s) of " + r.metric);
        continue;
      }
      Series s;
      s.label = v.label + (v.run_ids.size() > 1 ? " (mean of " + std::to_string(v.run_ids.size()) + " runs)" : "");
      for (const auto& [x, y] : points) s.xy.push_back({x, y});
      s.points = true;
      p.series.push_back(std::move(s));
    }
    if (p.series.empty()) continue;
    fit_ranges(p);
    f.panels.push_back(std::move(p));
  }
  return f;
}

Figure training_figure(const FigureRequest& r, const std::vector<VariantRuns>& variants, store::ResultsStore& db) {
  Figure f;
  f.title = r.title;
  for (const auto& v : variants) {
    Panel p;
    p.title = v.label;
    p.xlabel = "epoch";
    p.ylabel = "loss";
    for (const auto& id : v.run_ids) {
      const auto record = db.find_run(id);
      const std::string name =
          (record->fold >= 0 ? "fold " + std::to_string(record->fold) + ", " : std::string()) + "seed " +
          std::to_string(record->seed);
      Series train, val;
      train.label = name + " train";
      val.label = name + " validation";
      val.dashed = true;
      std::string stage;
      int epoch = 0;
      for (const auto& e : db.epochs(id)) {
        ++epoch;
        if (!stage.empty() && e.stage != stage && p.vlines.size() < 16 &&
            std::find(p.vlines.begin(), p.vlines.end(), epoch - 0.5) == p.vlines.end())
          p.vlines.push_back(epoch - 0.5);
        stage = e.stage;
        train.xy.push_back({static_cast<double>(epoch), e.train_loss});
        if (e.val_loss) val.xy.push_back({static_cast<double>(epoch), *e.val_loss});
      }
      if (train.xy.empty()) {
        f.missing.push_back(v.label + " " + name + ": no epochs");
        continue;
      }
      p.series.push_back(std::move(train));
      if (!val.xy.empty()) {  // the best epoch (lowest validation loss, the first of equals) marked
        auto best = val.xy.front();
        for (const auto& xy : val.xy)
          if (xy.second < best.second) best = xy;
        val.marks.push_back({"best epoch " + std::to_string(static_cast<int>(best.first)), best.first, best.second});
        p.series.push_back(std::move(val));
      }
    }
    if (p.series.empty()) continue;
    fit_ranges(p);
    f.panels.push_back(std::move(p));
  }
  return f;
}

}  // namespace

Figure curve_figure(const std::string& kind, const std::string& title, const std::vector<CurvePanel>& panels) {
  if (!is_curve_kind(kind))
    throw InputError(unknown_name_message("curve figure kind", kind, curve_figure_kind_names(), "kinds"));
  const CurveKind& k = curve_kind(kind);
  Figure f;
  f.title = title;
  for (const CurvePanel& cp : panels) {
    Panel p;
    p.title = cp.title;
    p.xlabel = k.xlabel;
    p.ylabel = k.ylabel;
    for (const CurveLine& line : cp.lines) {
      // The first alternative the line has (with its x curve, if the kind has one).
      const std::map<int, double>* y = nullptr;
      const std::map<int, double>* x = nullptr;
      for (std::size_t a = 0; a < k.y.size() && !y; ++a) {
        const auto yi = line.curves.find(k.y[a]);
        if (yi == line.curves.end() || yi->second.empty()) continue;
        if (k.x.empty()) {
          y = &yi->second;
          continue;
        }
        const auto xi = line.curves.find(k.x[a]);
        if (xi != line.curves.end() && !xi->second.empty()) y = &yi->second, x = &xi->second;
      }
      if (!y) {
        std::string names = join_names(k.y, " or ");
        f.missing.push_back(line.label + " on " + cp.title + ": no " + names + " curve");
        continue;
      }
      Series s;
      s.label = line.label + line.legend_suffix;
      auto result = [&](const char* key) {
        const auto it = line.results.find(key);
        return it == line.results.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
      };
      if (x) {  // y against x at the thresholds both have
        for (const auto& [idx, vy] : *y)
          if (const auto it = x->find(idx); it != x->end()) s.xy.push_back({it->second, vy});
        if (kind == "roc") {
          std::sort(s.xy.begin(), s.xy.end());  // ascending FPR, a line from (0, 0) towards (1, 1)
          double auc = result("AUROC_curve256");
          if (!std::isfinite(auc)) auc = result("auc_roc");
          if (std::isfinite(auc)) s.label += ", AUC " + fmt3(auc);
        } else {  // pr: marks at the max of the F curve and at the adaptive point
          if (const auto fi = line.curves.find("F"); fi != line.curves.end() && !fi->second.empty()) {
            const auto best = std::max_element(fi->second.begin(), fi->second.end(),
                                               [](const auto& a, const auto& b) { return a.second < b.second; });
            if (x->count(best->first) && y->count(best->first))
              s.marks.push_back({"max F " + fmt3(best->second), x->at(best->first), y->at(best->first)});
          }
          const double ap = result("adpP"), ar = result("adpR");
          if (std::isfinite(ap) && std::isfinite(ar)) s.marks.push_back({"adaptive", ar, ap});
        }
      } else {  // against the threshold t/255, the max marked
        for (const auto& [idx, vy] : *y) s.xy.push_back({idx / 255.0, vy});
        const auto best = std::max_element(y->begin(), y->end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
        s.marks.push_back({"max " + fmt3(best->second), best->first / 255.0, best->second});
      }
      p.series.push_back(std::move(s));
    }
    if (p.series.empty()) continue;
    fit_ranges(p);
    f.panels.push_back(std::move(p));
  }
  return f;
}

const std::vector<std::string>& curve_figure_kinds() { return curve_figure_kind_names(); }

const std::vector<std::string>& figure_kinds() {
  static const std::vector<std::string> kinds{"pr", "fmeasure", "emeasure", "iou", "dice", "roc", "distortion", "training"};
  return kinds;
}

Figure build_figure(const FigureRequest& r, store::ResultsStore& db) {
  const auto& kinds = figure_kinds();
  if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end())
    throw InputError(unknown_name_message("figure kind", r.kind, kinds, "kinds"));
  if (r.distortion_kind != "awgn" && r.distortion_kind != "jpeg")
    throw InputError("distortion kind '" + r.distortion_kind + "': expected awgn or jpeg");
  const std::vector<VariantRuns> variants = completed_by_variant(r, db);
  if (variants.empty())
    throw InputError("no completed run of this experiment in " + db.path() + " (run it first)");
  std::map<std::string, std::vector<store::CurvePoint>> curves;
  std::map<std::string, std::vector<store::ResultRow>> results;
  for (const auto& v : variants)
    for (const auto& id : v.run_ids) {
      if (r.kind != "training" && r.kind != "distortion") curves[id] = db.curves(id);
      results[id] = db.results(id);
    }
  Figure f = r.kind == "distortion" ? distortion_figure(r, variants, results)
             : r.kind == "training" ? training_figure(r, variants, db)
                                    : curve_figure_of(r, variants, curves, results);
  if (f.panels.empty()) {
    std::string why = f.missing.empty() ? "nothing to draw" : join_names(f.missing, "; ");
    if (is_curve_kind(r.kind)) why += " (" + r.kind + " curves need " + curve_kind(r.kind).needs + " in [eval] metrics)";
    throw InputError("figure '" + r.kind + "': " + why);
  }
  return f;
}

}  // namespace sodlab::report
