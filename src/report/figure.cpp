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

Figure curve_figure(const FigureRequest& r, const std::vector<VariantRuns>& variants,
                    std::map<std::string, std::vector<store::CurvePoint>>& curves,
                    std::map<std::string, std::vector<store::ResultRow>>& results) {
  Figure f;
  f.title = r.title;
  const std::string curve_y = r.kind == "emeasure" ? "E" : r.kind == "pr" ? "P" : "F";
  for (const auto& dataset : datasets_of(r)) {
    Panel p;
    p.title = dataset + (r.distortion == "none" ? "" : " [" + r.distortion + "]");
    p.xlabel = r.kind == "pr" ? "recall" : "threshold";
    p.ylabel = r.kind == "pr" ? "precision" : r.kind == "emeasure" ? "E-measure" : "F-measure (β² = 0.3)";
    for (const auto& v : variants) {
      RunData d;
      for (const auto& id : v.run_ids) d.curves.push_back(&curves[id]), d.results.push_back(&results[id]);
      const Curve y = mean_curve(d.curves, dataset, r.distortion, curve_y);
      if (y.empty()) {
        f.missing.push_back(v.label + " on " + dataset + ": no " + curve_y + " curve");
        continue;
      }
      Series s;
      s.label = v.label + (v.run_ids.size() > 1 ? " (mean of " + std::to_string(v.run_ids.size()) + " runs)" : "");
      if (r.kind == "pr") {
        const Curve rec = mean_curve(d.curves, dataset, r.distortion, "R");
        const Curve fm = mean_curve(d.curves, dataset, r.distortion, "F");
        for (const auto& [idx, py] : y)
          if (auto it = rec.find(idx); it != rec.end()) s.xy.push_back({it->second.second, py.second});
        if (!fm.empty()) {
          const auto best = std::max_element(fm.begin(), fm.end(),
                                             [](const auto& a, const auto& b) { return a.second.second < b.second.second; });
          if (rec.count(best->first) && y.count(best->first))
            s.marks.push_back({"max F " + fmt3(best->second.second), rec.at(best->first).second, y.at(best->first).second});
        }
        const double ap = mean_result(d.results, dataset, r.distortion, "adpP", r.convention);
        const double ar = mean_result(d.results, dataset, r.distortion, "adpR", r.convention);
        if (std::isfinite(ap) && std::isfinite(ar)) s.marks.push_back({"adaptive", ar, ap});
      } else {
        for (const auto& [idx, py] : y) s.xy.push_back(py);
        const auto best = std::max_element(y.begin(), y.end(),
                                           [](const auto& a, const auto& b) { return a.second.second < b.second.second; });
        s.marks.push_back({"max " + fmt3(best->second.second), best->second.first, best->second.second});
      }
      p.series.push_back(std::move(s));
    }
    if (p.series.empty()) continue;
    fit_ranges(p);
    f.panels.push_back(std::move(p));
  }
  return f;
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

const std::vector<std::string>& figure_kinds() {
  static const std::vector<std::string> kinds{"pr", "fmeasure", "emeasure", "distortion", "training"};
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
                                    : curve_figure(r, variants, curves, results);
  if (f.panels.empty()) {
    std::string why = f.missing.empty() ? "nothing to draw" : join_names(f.missing, "; ");
    if (r.kind == "emeasure") why += " (E curves need metric family em in [eval] metrics)";
    throw InputError("figure '" + r.kind + "': " + why);
  }
  return f;
}

}  // namespace sodlab::report
