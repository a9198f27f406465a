#include "report/sweep_figure.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/error.h"

namespace sodlab::report {
namespace {

constexpr double kNoValue = -0.1;  // where a point without a metric meets the metric axis

std::string num(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

std::string short_num(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// One axis of the parallel coordinates: numbers scaled to their range, text evenly spaced.
struct Axis {
  bool numeric = true;
  double lo = 0, hi = 0;
  std::vector<std::string> categories;  // first-seen order (text axes)
  double pos(const std::string& v) const {
    if (numeric) {
      const double x = *parse_number(v);
      return hi > lo ? (x - lo) / (hi - lo) : 0.5;
    }
    const auto it = std::find(categories.begin(), categories.end(), v);
    const double i = static_cast<double>(it - categories.begin());
    return categories.size() > 1 ? i / static_cast<double>(categories.size() - 1) : 0.5;
  }
  // x position in a marginal panel
  double x(const std::string& v) const {
    if (numeric) return *parse_number(v);
    return static_cast<double>(std::find(categories.begin(), categories.end(), v) - categories.begin());
  }
};

Axis axis_of(const std::vector<std::string>& values) {
  Axis a;
  for (const auto& v : values) a.numeric = a.numeric && parse_number(v).has_value();
  bool first = true;
  for (const auto& v : values) {
    if (a.numeric) {
      const double x = *parse_number(v);
      a.lo = first ? x : std::min(a.lo, x);
      a.hi = first ? x : std::max(a.hi, x);
      first = false;
    } else if (std::find(a.categories.begin(), a.categories.end(), v) == a.categories.end()) {
      a.categories.push_back(v);
    }
  }
  return a;
}

std::string quoted(const std::string& s) { return gnuplot_quoted(s); }

// The point's results, in a comparable form: every stored value of every completed run.
using ResultVector = std::vector<std::tuple<std::string, std::string, std::string, std::string, double>>;

struct Layout {
  std::vector<Axis> axes;        // one per key
  double mlo = 0, mhi = 1;       // metric range (points with a value)
  double clo = 0, chi = 1;       // colour range (ok points)
  bool any_ok = false;
};

Layout layout_of(const SweepFigure& f) {
  Layout l;
  for (std::size_t k = 0; k < f.keys.size(); ++k) {
    std::vector<std::string> values;
    for (const auto& p : f.points) values.push_back(p.values.at(k));
    l.axes.push_back(axis_of(values));
  }
  bool any = false;
  for (const auto& p : f.points) {
    if (!p.metric) continue;
    l.mlo = any ? std::min(l.mlo, *p.metric) : *p.metric;
    l.mhi = any ? std::max(l.mhi, *p.metric) : *p.metric;
    any = true;
    if (p.status != "ok") continue;
    l.clo = l.any_ok ? std::min(l.clo, *p.metric) : *p.metric;
    l.chi = l.any_ok ? std::max(l.chi, *p.metric) : *p.metric;
    l.any_ok = true;
  }
  if (l.chi <= l.clo) l.chi = l.clo + 1e-6;
  return l;
}

double metric_pos(const Layout& l, const SweepPoint& p) {
  if (!p.metric) return kNoValue;
  return l.mhi > l.mlo ? (*p.metric - l.mlo) / (l.mhi - l.mlo) : 0.5;
}

enum Group { kOk, kMarked, kNoMetric };
Group group_of(const SweepPoint& p) {
  if (!p.metric) return kNoMetric;
  return p.status == "ok" ? kOk : kMarked;
}

// The blocks of the data file in order; each gets a gnuplot index (empty ones are not written).
struct Blocks {
  std::vector<std::string> texts;
  int add(const std::string& text) {
    if (text.empty()) return -1;
    texts.push_back(text);
    return static_cast<int>(texts.size()) - 1;
  }
};

struct Marginal {
  int means = -1, dots = -1;
  int marked = -1;  // collapsed / identical points with a value: drawn, left out of the mean
};

struct DataLayout {
  Blocks blocks;
  int groups[3] = {-1, -1, -1};
  std::vector<Marginal> marginals;
};

DataLayout data_layout(const SweepFigure& f, const Layout& l) {
  DataLayout d;
  const char* names[3] = {"points (coloured by the metric)", "collapsed or identical points", "failed or missing points"};
  for (int g = 0; g < 3; ++g) {
    std::ostringstream os;
    bool any = false;
    for (const auto& p : f.points) {
      if (group_of(p) != g) continue;
      if (!any) os << "# " << names[g] << ": axis, position (0..1), metric\n";
      any = true;
      os << "# point " << p.variant << ": " << p.status << ", " << p.completed << " of " << p.runs << " runs completed\n";
      const double colour = p.metric ? *p.metric : 0;
      for (std::size_t k = 0; k < f.keys.size(); ++k)
        os << k + 1 << " " << num(l.axes[k].pos(p.values[k])) << " " << num(colour) << "\n";
      os << f.keys.size() + 1 << " " << num(metric_pos(l, p)) << " " << num(colour) << "\n\n";
    }
    d.groups[g] = d.blocks.add(os.str());
  }
  for (std::size_t k = 0; k < f.keys.size(); ++k) {
    std::map<double, std::vector<double>> by_x;
    std::ostringstream dots;
    for (const auto& p : f.points) {
      if (!p.metric || p.status != "ok") continue;
      const double x = l.axes[k].x(p.values[k]);
      by_x[x].push_back(*p.metric);
      if (dots.tellp() == 0) dots << "# " << f.keys[k] << ": each point (x, metric)\n";
      dots << num(x) << " " << num(*p.metric) << "\n";
    }
    std::ostringstream means;
    for (const auto& [x, v] : by_x) {
      if (means.tellp() == 0) means << "# " << f.keys[k] << ": value, mean and sample std over the points with it\n";
      double m = 0, ss = 0;
      for (double y : v) m += y;
      m /= static_cast<double>(v.size());
      for (double y : v) ss += (y - m) * (y - m);
      const double sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
      means << num(x) << " " << num(m) << " " << num(sd) << "\n";
    }
    std::ostringstream marked;
    for (const auto& p : f.points) {
      if (!p.metric || p.status == "ok") continue;
      if (marked.tellp() == 0) marked << "# " << f.keys[k] << ": collapsed or identical points (x, metric), not in the mean\n";
      marked << num(l.axes[k].x(p.values[k])) << " " << num(*p.metric) << "\n";
    }
    Marginal mg;
    mg.means = d.blocks.add(means.str());
    mg.dots = d.blocks.add(dots.str());
    mg.marked = d.blocks.add(marked.str());
    d.marginals.push_back(mg);
  }
  return d;
}

}  // namespace

SweepFigure build_sweep_figure(const SweepFigureRequest& r, store::ResultsStore& store) {
  if (r.keys.empty()) throw InputError(r.title + ": not a sweep (no swept keys)");
  if (r.points.empty()) throw InputError(r.title + ": the sweep has no points");
  SweepFigure f;
  f.title = r.title;
  f.metric_label = r.metric_label.empty() ? r.metric.metric : r.metric_label;
  f.higher_is_better = r.higher_is_better;
  f.keys = r.keys;
  std::vector<ResultVector> results(r.points.size());
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const auto& rp = r.points[i];
    if (rp.values.size() != r.keys.size())
      throw InputError(r.title + ": point " + rp.variant + " has " + std::to_string(rp.values.size()) + " values for " +
                       std::to_string(r.keys.size()) + " keys");
    SweepPoint p;
    p.variant = rp.variant;
    p.values = rp.values;
    p.runs = static_cast<int>(rp.run_ids.size());
    double sum = 0;
    int n = 0, auroc_half = 0;
    for (const auto& id : rp.run_ids) {
      const auto run = store.find_run(id);
      if (!run) continue;
      if (run->status == store::kStatusFailed || run->status == store::kStatusInterrupted) ++p.failed;
      if (run->status != store::kStatusCompleted) continue;
      ++p.completed;
      bool half = false;
      for (const auto& x : store.results(id)) {
        results[i].emplace_back(x.dataset, x.distortion, x.metric, x.convention, x.value);
        if (x.dataset == r.metric.dataset && x.distortion == r.metric.distortion && x.metric == r.metric.metric &&
            x.convention == r.metric.convention)
          sum += x.value, ++n;
        if (x.dataset == r.metric.dataset && x.distortion == r.metric.distortion && x.metric == "AUROC" &&
            std::fabs(x.value - 0.5) < 1e-9)
          half = true;
      }
      auroc_half += half;
    }
    if (n > 0) p.metric = sum / n;
    if (p.completed == 0) p.status = p.failed > 0 ? "failed" : "missing";
    else if (auroc_half == p.completed) p.status = "collapsed (AUROC 0.5: constant maps)";
    if (p.completed > 0 && p.completed == p.runs && p.status == "ok")
      for (std::size_t j = 0; j < i; ++j)
        if (f.points[j].completed == p.completed && results[j] == results[i]) {
          p.status = "identical to " + f.points[j].variant;
          break;
        }
    f.points.push_back(std::move(p));
  }
  return f;
}

std::string sweep_figure_data(const SweepFigure& f) {
  const DataLayout d = data_layout(f, layout_of(f));
  std::string out;
  for (std::size_t i = 0; i < d.blocks.texts.size(); ++i) out += (i ? "\n\n" : "") + d.blocks.texts[i];
  return out;
}

std::string sweep_figure_script(const SweepFigure& f, const std::string& name, const std::string& format) {
  const Layout l = layout_of(f);
  const DataLayout d = data_layout(f, l);
  const std::size_t k = f.keys.size();
  const int rows = static_cast<int>((k + 1) / 2);
  const int width = 1000, top = 420, row = 300, height = top + rows * row;
  const double top_frac = static_cast<double>(top) / height, row_frac = static_cast<double>(row) / height;
  std::ostringstream os;
  os << "# " << f.title << ": generated by sodlab; re-render with `gnuplot " << name << ".gp`\n"
     << "if (!exists(\"OUT\")) OUT = " << quoted(name + "." + format) << "\n"
     << terminal_line(format, width, height) << "\nset output OUT\n"
     << "set multiplot title " << quoted(f.title) << "\n"
     << "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n";
  // Parallel coordinates.
  os << "set origin 0," << num(1 - top_frac) << "\nset size 1," << num(top_frac * 0.95) << "\n"
     << (f.higher_is_better ? "" : "set palette negative\n")  // brighter = better either way
     << "set cbrange [" << num(l.clo) << ":" << num(l.chi) << "]\nset cblabel "
     << quoted(f.metric_label + " (brighter is better)") << "\n"
     << "set xrange [0.6:" << k + 1.4 << "]\nset yrange [" << kNoValue - 0.06 << ":1.08]\nunset ytics\nset grid xtics\n"
     << "set key outside bottom center horizontal\nset xtics (";
  for (std::size_t i = 0; i < k; ++i) os << quoted(f.keys[i]) << " " << i + 1 << ", ";
  os << quoted(f.metric_label + (f.higher_is_better ? " (higher is better)" : " (lower is better)")) << " " << k + 1
     << ")\n";
  int label = 1;
  auto put = [&](const std::string& text, double x, double y) {
    os << "set label " << label++ << " " << quoted(text) << " at " << num(x) << "," << num(y)
       << " right offset -0.6,0 font \",8\"\n";
  };
  for (std::size_t i = 0; i < k; ++i) {
    const Axis& a = l.axes[i];
    if (a.numeric) {
      put(short_num(a.lo), i + 1, a.hi > a.lo ? 0 : 0.5);
      if (a.hi > a.lo) put(short_num(a.hi), i + 1, 1);
    } else {
      for (const auto& c : a.categories) put(c, i + 1, a.pos(c));
    }
  }
  put(short_num(l.mlo), k + 1, l.mhi > l.mlo ? 0 : 0.5);
  if (l.mhi > l.mlo) put(short_num(l.mhi), k + 1, 1);
  if (d.groups[kNoMetric] >= 0) put("no value", k + 1, kNoValue);
  std::vector<std::string> clauses;
  if (d.groups[kOk] >= 0)
    clauses.push_back("'" + name + ".dat' index " + std::to_string(d.groups[kOk]) +
                      " using 1:2:3 with linespoints lw 2 pt 7 ps 0.6 lc palette title 'points'");
  if (d.groups[kMarked] >= 0)
    clauses.push_back("'" + name + ".dat' index " + std::to_string(d.groups[kMarked]) +
                      " using 1:2 with linespoints dt 2 lw 2 pt 6 lc rgb '#d62728' title 'collapsed / identical'");
  if (d.groups[kNoMetric] >= 0)
    clauses.push_back("'" + name + ".dat' index " + std::to_string(d.groups[kNoMetric]) +
                      " using 1:2 with linespoints dt 3 lw 1 pt 2 lc rgb '#888888' title 'failed / missing'");
  os << "plot ";
  for (std::size_t i = 0; i < clauses.size(); ++i) os << (i ? ", " : "") << clauses[i];
  os << "\nunset label\nunset colorbox\nset key inside top right\nset grid\nset ytics\nset yrange [*:*]\n";
  // One marginal panel per key.
  for (std::size_t i = 0; i < k; ++i) {
    const Axis& a = l.axes[i];
    const int r = static_cast<int>(i / 2), c = static_cast<int>(i % 2);
    os << "set origin " << num(0.5 * c) << "," << num(1 - top_frac - (r + 1) * row_frac) << "\nset size 0.5,"
       << num(row_frac) << "\nset xlabel " << quoted(f.keys[i]) << "\nset ylabel " << quoted(f.metric_label) << "\n";
    if (a.numeric) {
      const double pad = a.hi > a.lo ? 0.08 * (a.hi - a.lo) : 0.5;
      os << "set xrange [" << num(a.lo - pad) << ":" << num(a.hi + pad) << "]\nset xtics autofreq\n";
    } else {
      os << "set xrange [-0.5:" << a.categories.size() - 0.5 << "]\nset xtics (";
      for (std::size_t j = 0; j < a.categories.size(); ++j) os << (j ? ", " : "") << quoted(a.categories[j]) << " " << j;
      os << ")\n";
    }
    const Marginal& m = d.marginals[i];
    if (m.means < 0) {
      os << "set label 1 'no point with a value' at graph 0.5, graph 0.5 center\nplot 0 notitle lc rgb '#ffffff'\n"
            "unset label\n";
      continue;
    }
    os << "plot '" << name << ".dat' index " << m.means
       << " using 1:2:3 with yerrorlines lw 2 pt 5 lc rgb '#1f77b4' title 'mean ± std over the other keys', '" << name
       << ".dat' index " << m.dots << " using 1:2 with points pt 7 ps 0.5 lc rgb '#555555' title 'points'";
    if (m.marked >= 0)
      os << ", '" << name << ".dat' index " << m.marked
         << " using 1:2 with points pt 6 ps 1.4 lw 2 lc rgb '#d62728' title 'collapsed / identical (not in the mean)'";
    os << "\n";
  }
  os << "unset multiplot\nset output\n";
  return os.str();
}

Rendered render_sweep_figure(const SweepFigure& f, const std::string& dir, const std::string& name,
                             const std::string& format) {
  return render_texts(dir, name, format, sweep_figure_data(f), sweep_figure_script(f, name, format));
}

}  // namespace sodlab::report
