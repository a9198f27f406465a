#include "report/sweep_figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "report/run_page.h"
#include "store/results_store.h"

namespace sodlab::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFlagColour = "#D55E00";

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string short_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

bool is_text(const OptionValue& v) { return std::holds_alternative<std::string>(v); }

double as_number(const OptionValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return kNaN;
}

// One axis of the parallel coordinates: where each value sits in [0, 1] and its tick labels.
struct Axis {
  std::string name;
  bool categorical = false;
  std::vector<OptionValue> levels;  // distinct values, ascending (numbers) or in text order
  double lo = 0, hi = 0;            // numeric range

  double position(const OptionValue& v) const {
    if (categorical) {
      const auto it = std::find(levels.begin(), levels.end(), v);
      const double i = static_cast<double>(it - levels.begin());
      return levels.size() > 1 ? i / static_cast<double>(levels.size() - 1) : 0.5;
    }
    return hi > lo ? (as_number(v) - lo) / (hi - lo) : 0.5;
  }
  // The x coordinate of a value in its marginal panel.
  double x(const OptionValue& v) const {
    if (!categorical) return as_number(v);
    return static_cast<double>(std::find(levels.begin(), levels.end(), v) - levels.begin());
  }
};

Axis axis_of(const SweepSummary& s, std::size_t k) {
  Axis a;
  a.name = s.keys[k];
  for (const auto& p : s.points) a.categorical = a.categorical || is_text(p.values[k]);
  for (const auto& p : s.points)
    if (std::find(a.levels.begin(), a.levels.end(), p.values[k]) == a.levels.end()) a.levels.push_back(p.values[k]);
  if (a.categorical) {
    std::sort(a.levels.begin(), a.levels.end(),
              [](const OptionValue& x, const OptionValue& y) { return param_text(x) < param_text(y); });
  } else {
    std::sort(a.levels.begin(), a.levels.end(),
              [](const OptionValue& x, const OptionValue& y) { return as_number(x) < as_number(y); });
    a.lo = as_number(a.levels.front()), a.hi = as_number(a.levels.back());
  }
  return a;
}

std::string quoted(const std::string& s) { return gnuplot_quoted(s); }

}  // namespace

SweepSummary summarize_sweep(const SweepFigureRequest& request, store::ResultsStore& store) {
  SweepSummary s;
  s.title = request.title;
  s.convention = request.convention;
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> runs_of;
  for (const auto& r : request.runs) {
    if (!runs_of.count(r.variant)) order.push_back(r.variant);
    runs_of[r.variant].push_back(r.run_id);
    if (s.dataset.empty() && !r.datasets.empty()) s.dataset = r.datasets.front();
  }
  if (order.size() < 2) throw InputError(request.title + ": a sweep figure needs two points or more, found " +
                                         std::to_string(order.size()));

  // Per point: its parameters (from its first run in the store), its completed runs' results.
  struct Gathered {
    std::map<std::string, OptionValue> params;
    std::vector<std::map<std::string, double>> results;  // per completed run: metric → value
    std::string signature;  // every result of every run, in (fold, seed) order; "" = not all completed
    int runs = 0;
  };
  std::map<std::string, Gathered> gathered;
  for (const auto& v : order) {
    Gathered& g = gathered[v];
    std::vector<std::pair<std::pair<int, std::int64_t>, std::string>> signatures;
    bool all_completed = true;
    for (const auto& id : runs_of[v]) {
      ++g.runs;
      const auto rec = store.find_run(id);
      if (rec && g.params.empty())
        for (const auto& p : store.params(id)) g.params[p.key] = p.value;
      if (!rec || rec->status != store::kStatusCompleted) {
        all_completed = false;
        continue;
      }
      std::map<std::string, double> metrics;
      std::ostringstream sig;
      for (const auto& row : store.results(id)) {
        sig << row.dataset << '|' << row.distortion << '|' << row.metric << '|' << row.convention << '='
            << number(row.value) << ';';
        if (row.dataset == s.dataset && row.distortion == "none" && row.convention == request.convention)
          metrics[row.metric] = row.value;
      }
      g.results.push_back(std::move(metrics));
      signatures.push_back({{rec->fold, rec->seed}, sig.str()});
    }
    std::sort(signatures.begin(), signatures.end());
    if (all_completed && !signatures.empty())
      for (const auto& [unit, text] : signatures) g.signature += std::to_string(unit.first) + ":" + std::to_string(unit.second) + ":" + text + "\n";
  }

  // The swept keys: params whose values differ between the points that have params.
  std::set<std::string> all_keys;
  for (const auto& [v, g] : gathered)
    for (const auto& [key, value] : g.params) all_keys.insert(key);
  for (const auto& key : all_keys) {
    std::set<std::string> seen;
    bool missing = false;
    for (const auto& [v, g] : gathered) {
      if (g.params.empty()) continue;
      const auto it = g.params.find(key);
      if (it == g.params.end()) missing = true;
      else seen.insert(param_text(it->second));
    }
    if (seen.size() > 1 || (missing && !seen.empty())) s.keys.push_back(key);
  }
  if (s.keys.empty())
    throw InputError(request.title + ": no parameter differs between its points (are its runs in the store?)");

  for (const auto& candidate : request.metrics) {
    for (const auto& [v, g] : gathered)
      for (const auto& r : g.results)
        if (r.count(candidate)) s.metric = candidate;
    if (!s.metric.empty()) break;
  }
  if (s.metric.empty()) {
    std::string wanted;
    for (const auto& m : request.metrics) wanted += (wanted.empty() ? "" : ", ") + m;
    throw InputError(request.title + ": no completed run holds " + (wanted.empty() ? "a metric" : wanted) + " on " +
                     (s.dataset.empty() ? "its test set" : s.dataset));
  }
  s.lower_is_better = request.lower_is_better && request.lower_is_better(s.metric);

  std::map<std::string, std::string> first_with_signature;
  for (const auto& v : order) {
    const Gathered& g = gathered[v];
    SweepPoint p;
    p.variant = v;
    p.runs = g.runs;
    for (const auto& key : s.keys) {
      const auto it = g.params.find(key);
      p.values.push_back(it == g.params.end() ? OptionValue(std::string("(unset)")) : it->second);
    }
    std::vector<double> values;
    bool collapsed = !g.results.empty();
    for (const auto& r : g.results) {
      const auto it = r.find(s.metric);
      if (it != r.end() && std::isfinite(it->second)) values.push_back(it->second);
      const auto auroc = r.find("AUROC");
      collapsed = collapsed && auroc != r.end() && std::abs(auroc->second - 0.5) <= 1e-9;
    }
    p.completed = static_cast<int>(g.results.size());
    if (!values.empty()) {
      double sum = 0;
      for (double x : values) sum += x;
      p.mean = sum / static_cast<double>(values.size());
      p.min = *std::min_element(values.begin(), values.end());
      p.max = *std::max_element(values.begin(), values.end());
    }
    if (p.completed == 0) p.flag = "no completed run";
    else if (collapsed) p.flag = "collapsed (AUROC 0.5)";
    if (!g.signature.empty()) {
      const auto [it, inserted] = first_with_signature.emplace(g.signature, v);
      if (!inserted && p.flag.empty()) p.flag = "identical to " + it->second;
    }
    s.points.push_back(std::move(p));
  }
  return s;
}

GnuplotTexts sweep_figure_texts(const SweepSummary& s, const std::string& name, const std::string& format) {
  const std::size_t n_keys = s.keys.size();
  std::vector<Axis> axes;
  for (std::size_t k = 0; k < n_keys; ++k) axes.push_back(axis_of(s, k));
  double m_lo = kNaN, m_hi = kNaN;
  for (const auto& p : s.points)
    if (std::isfinite(p.mean)) {
      m_lo = std::isfinite(m_lo) ? std::min(m_lo, p.mean) : p.mean;
      m_hi = std::isfinite(m_hi) ? std::max(m_hi, p.mean) : p.mean;
    }
  auto metric_position = [&](double v) { return m_hi > m_lo ? (v - m_lo) / (m_hi - m_lo) : 0.5; };
  const std::string direction = s.lower_is_better ? "lower is better" : "higher is better";
  const std::string data_file = name + ".dat";

  std::ostringstream data, plot_top;
  data << "# " << s.title << ": " << s.metric << " (" << direction << ") on " << s.dataset
       << ", mean over each point's completed runs\n# Blocks (gnuplot `index`) separated by two blank lines.\n";
  int block = 0;
  const char* sep = " ";
  std::vector<std::string> notes;
  for (const auto& p : s.points) {
    const bool has_metric = std::isfinite(p.mean);
    data << "\n\n# block " << block << ": point '" << p.variant << "'" << (p.flag.empty() ? "" : " (" + p.flag + ")")
         << ": axis, position in [0, 1], " << s.metric << "\n";
    for (std::size_t k = 0; k < n_keys; ++k)
      data << k << " " << number(axes[k].position(p.values[k])) << " " << number(has_metric ? p.mean : 0) << "\n";
    if (has_metric) data << n_keys << " " << number(metric_position(p.mean)) << " " << number(p.mean) << "\n";
    if (!has_metric) {
      plot_top << sep << quoted(data_file) << " index " << block << " using 1:2 with lines dt 2 lw 1.5 lc rgb \"#999999\" notitle";
    } else {
      plot_top << sep << quoted(data_file) << " index " << block << " using 1:2:3 with lines lw 2 "
               << (p.flag.empty() ? "" : "dt 2 ") << "lc palette z notitle";
      if (!p.flag.empty())
        plot_top << ", \\\n     " << quoted(data_file) << " index " << block << " every ::" << n_keys << "::" << n_keys
                 << " using 1:2 with points pt 6 ps 2.2 lw 2 lc rgb \"" << kFlagColour << "\" notitle";
    }
    if (!p.flag.empty()) notes.push_back(p.variant + ": " + p.flag);
    sep = ", \\\n     ";
    ++block;
  }

  // Marginals: per key, every point (dots, flagged ones circled) and the mean over the points
  // sharing a value with its min-max bar.
  std::vector<std::string> plot_marginal(n_keys);
  for (std::size_t k = 0; k < n_keys; ++k) {
    std::ostringstream dots, flagged, means;
    std::map<double, std::vector<double>> at;
    bool any_flagged = false;
    for (const auto& p : s.points) {
      if (!std::isfinite(p.mean)) continue;
      const double x = axes[k].x(p.values[k]);
      dots << number(x) << " " << number(p.mean) << "\n";
      if (!p.flag.empty()) flagged << number(x) << " " << number(p.mean) << "\n", any_flagged = true;
      at[x].push_back(p.mean);
    }
    for (const auto& [x, ys] : at) {
      double sum = 0;
      for (double y : ys) sum += y;
      means << number(x) << " " << number(sum / static_cast<double>(ys.size())) << " "
            << number(*std::min_element(ys.begin(), ys.end())) << " " << number(*std::max_element(ys.begin(), ys.end()))
            << "\n";
    }
    std::ostringstream plot;
    if (at.empty()) continue;
    data << "\n\n# block " << block << ": " << s.keys[k] << " against " << s.metric << ", every point\n" << dots.str();
    plot << " " << quoted(data_file) << " index " << block++ << " with points pt 7 ps 0.8 lc rgb \"#888888\" title \"points\"";
    if (any_flagged) {
      data << "\n\n# block " << block << ": flagged points\n" << flagged.str();
      plot << ", \\\n     " << quoted(data_file) << " index " << block++ << " with points pt 6 ps 2 lw 2 lc rgb \""
           << kFlagColour << "\" title \"flagged\"";
    }
    data << "\n\n# block " << block << ": " << s.keys[k] << ": value, mean, min, max of " << s.metric
         << " over the points with that value\n" << means.str();
    plot << ", \\\n     " << quoted(data_file) << " index " << block++
         << " with yerrorlines lw 2 pt 7 lc rgb \"#0072B2\" title \"mean over the other keys (min-max)\"";
    plot_marginal[k] = plot.str();
  }

  const int cols = static_cast<int>(std::max<std::size_t>(n_keys, 1));
  const int width = std::max(960, 320 * cols), height = 900;
  std::ostringstream os;
  os << "# Generated by sodlab: the sweep figure of " << s.title << "\n"
     << "# Data: " << data_file << ". Restyle freely, then re-render with: gnuplot " << name << ".gp\n"
     << "if (!exists(\"OUT\")) OUT = " << quoted(name + "." + format) << "\n"
     << "set encoding utf8\n" << terminal_line(format, width, height) << "\nset output OUT\n"
     << "set multiplot title " << quoted(s.title + ": " + s.metric + " on " + s.dataset + " (" + direction + ")") << "\n"
     << "set palette defined (0 \"#440154\", 0.5 \"#21918C\", 1 \"#FDE725\")" << (s.lower_is_better ? " negative" : "")
     << "  # bright = better\n";
  // Top: the parallel coordinates.
  os << "\nset origin 0,0.46\nset size 1,0.5\nset title "
     << quoted(notes.empty() ? "parallel coordinates: one line per point, coloured by " + s.metric
                             : "parallel coordinates; flagged (dashed, circled): " + [&] {
                                 std::string t;
                                 for (std::size_t i = 0; i < notes.size() && i < 4; ++i) t += (i ? "; " : "") + notes[i];
                                 if (notes.size() > 4) t += "; +" + std::to_string(notes.size() - 4) + " more";
                                 return t;
                               }())
     << "\nunset border\nunset ytics\nset grid noxtics noytics\nset xrange [-0.35:" << number(n_keys + 0.35)
     << "]\nset yrange [-0.12:1.12]\nset xtics nomirror scale 0 (";
  for (std::size_t k = 0; k <= n_keys; ++k)
    os << (k ? ", " : "") << quoted(k < n_keys ? s.keys[k] : s.metric) << " " << k;
  os << ")\nset cbrange [" << number(std::isfinite(m_lo) ? m_lo : 0) << ":"
     << number(std::isfinite(m_hi) && m_hi > m_lo ? m_hi : (std::isfinite(m_lo) ? m_lo + 1e-9 : 1)) << "]\nset cblabel "
     << quoted(s.metric + " (" + direction + ")") << "\nunset label\nunset arrow\n";
  for (std::size_t k = 0; k <= n_keys; ++k) {
    os << "set arrow from " << k << ",0 to " << k << ",1 nohead lc rgb \"#444444\" lw 1.5\n";
    if (k < n_keys) {  // every value of the key beside its axis
      for (const auto& level : axes[k].levels)
        os << "set label " << quoted(param_text(level)) << " at " << number(k + 0.04) << ","
           << number(axes[k].position(level)) << " left font \",8\"\n";
    } else if (std::isfinite(m_lo)) {
      os << "set label " << quoted(short_number(m_lo)) << " at " << number(k + 0.04) << ",0 left font \",8\"\n"
         << "set label " << quoted(short_number(m_hi)) << " at " << number(k + 0.04) << ",1 left font \",8\"\n";
    }
  }
  os << "plot" << plot_top.str() << "\n";
  // Below: one marginal panel per key.
  os << "\nunset label\nunset arrow\nset border\nset ytics\nset grid\nunset colorbox\nset key below horizontal font \",8\"\n";
  for (std::size_t k = 0; k < n_keys; ++k) {
    if (plot_marginal[k].empty()) continue;
    const Axis& a = axes[k];
    os << "\nset origin " << number(static_cast<double>(k) / cols) << ",0\nset size " << number(1.0 / cols)
       << ",0.46\nset title " << quoted(s.metric + " against " + a.name) << "\nset xlabel " << quoted(a.name)
       << "\nset ylabel " << quoted(s.metric) << "\nset autoscale y\n";
    if (a.categorical || a.levels.size() <= 6) {
      os << "set xtics (";
      for (std::size_t i = 0; i < a.levels.size(); ++i)
        os << (i ? ", " : "") << quoted(param_text(a.levels[i])) << " " << number(a.x(a.levels[i]));
      os << ")\n";
    } else {
      os << "set xtics autofreq\n";
    }
    const double lo = a.x(a.levels.front()), hi = a.x(a.levels.back());
    const double pad = hi > lo ? 0.08 * (hi - lo) : 0.5;
    os << "set xrange [" << number(lo - pad) << ":" << number(hi + pad) << "]\nplot" << plot_marginal[k] << "\n";
  }
  os << "\nunset multiplot\nset output\n";
  return {data.str(), os.str()};
}

Rendered render_sweep_figure(const SweepSummary& summary, const std::string& dir, const std::string& name,
                             const std::string& format) {
  terminal_line(format, 1, 1);  // validates the format before anything is written
  const GnuplotTexts texts = sweep_figure_texts(summary, name, format);
  return render_texts(dir, name, format, texts.data, texts.script);
}

}  // namespace sodlab::report
