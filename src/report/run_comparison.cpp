#include "report/run_comparison.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "stats/holm.h"

namespace sodlab::report {
namespace {

// An image's values averaged over its units (several pairs: seeds).
std::map<std::string, std::pair<double, double>> per_image_means(const std::vector<stats::PairedUnit>& units) {
  std::map<std::string, std::tuple<double, double, int>> sums;
  for (const auto& u : units) {
    auto& [a, b, n] = sums[u.cluster];
    a += u.value;
    b += u.reference;
    ++n;
  }
  std::map<std::string, std::pair<double, double>> out;
  for (const auto& [stem, s] : sums) out[stem] = {std::get<0>(s) / std::get<2>(s), std::get<1>(s) / std::get<2>(s)};
  return out;
}

std::string key_text(const ResultKey& k) {
  return k.metric + " " + k.dataset + (k.distortion == "none" ? "" : " " + k.distortion) + " (" + k.convention + ")";
}

std::string exact(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

std::string fixed(double v, int digits = 4) {
  if (std::isnan(v)) return "–";
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string signed_fixed(double v) { return (v > 0 ? "+" : "") + fixed(v); }

std::string p_text(double p) {
  if (std::isnan(p)) return "–";
  std::ostringstream os;
  if (p < 1e-4) os << std::scientific << std::setprecision(1) << p;
  else os << std::fixed << std::setprecision(4) << p;
  return os.str();
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string run_ids(const ComparisonSide& s) {
  std::string out;
  for (const auto& r : s.runs) out += (out.empty() ? "" : ", ") + r.run_id;
  return out;
}

std::string direction_text(int d) { return d > 0 ? "higher" : d < 0 ? "lower" : "neither"; }

std::vector<RunPair> match_pairs(const ComparisonSide& a, const ComparisonSide& b) {
  if (a.runs.empty()) throw InputError(a.label + ": no completed run");
  if (b.runs.empty()) throw InputError(b.label + ": no completed run");
  if (a.runs.size() == 1 && b.runs.size() == 1) return {{a.runs[0], b.runs[0]}};
  std::vector<RunPair> pairs;
  for (const auto& ra : a.runs)
    for (const auto& rb : b.runs)
      if (ra.fold == rb.fold && ra.seed == rb.seed) pairs.push_back({ra, rb});
  if (pairs.empty())
    throw InputError(a.label + " and " + b.label + " share no (fold, seed): nothing to compare run by run");
  return pairs;
}

}  // namespace

Comparison compare_runs(store::ResultsStore& store, ComparisonSide a, ComparisonSide b, const CompareOptions& o) {
  if (!o.direction) throw RuntimeFailure("compare_runs: no metric direction given");
  Comparison c;
  c.pairs = match_pairs(a, b);
  c.a = std::move(a);
  c.b = std::move(b);
  c.resamples = o.resamples;
  c.seed = o.seed;
  const RunPair& first = c.pairs.front();
  c.config = config_difference(first.a.config_toml, first.b.config_toml, first.a.run_id, first.b.run_id);
  c.provenance = provenance_difference(first.a, first.b);

  // Means of each side's stored values, per key, over the runs in pairs (a run of one side
  // without a partner on the other is left out, so Δ compares like with like).
  auto means = [&](bool side_a) {
    std::map<ResultKey, std::pair<double, int>> m;
    std::set<std::string> seen;
    for (const auto& pair : c.pairs) {
      const store::RunRecord& run = side_a ? pair.a : pair.b;
      if (!seen.insert(run.run_id).second) continue;
      for (const auto& r : store.results(run.run_id)) {
        if (r.metric == "n_images") continue;
        auto& [sum, n] = m[{r.dataset, r.distortion, r.metric, r.convention}];
        sum += r.value;
        ++n;
      }
    }
    return m;
  };
  const auto ma = means(true), mb = means(false);
  PerImageReader reader(store);
  const stats::BootstrapOptions boot{o.resamples, o.seed, 0.95};
  std::vector<double> p;
  for (const auto& [key, va] : ma) {
    const auto vb = mb.find(key);
    if (vb == mb.end()) continue;
    MetricComparison m;
    m.key = key;
    m.direction = o.direction(key.metric);
    m.a = va.first / va.second;
    m.b = vb->second.first / vb->second.second;
    m.a_runs = va.second;
    m.b_runs = vb->second.second;
    const MatchedUnits matched = reader.match(c.pairs, key);
    if (!matched.units.empty()) {
      m.paired = stats::compare_paired(matched.units, boot);
      m.pairs = matched.pairs;
      for (const auto& [stem, v] : per_image_means(matched.units)) {
        if (v.first == v.second) ++m.ties;
        else if ((v.first > v.second) == (m.direction > 0)) ++m.wins;
        else ++m.losses;
      }
      if (m.direction == 0) m.wins = m.losses = m.ties = 0;
    } else {
      m.why = matched.not_mean_of_images ? "dataset-level (not a mean of per-image values)" : "no per-image values";
    }
    p.push_back(m.paired ? m.paired->wilcoxon.p : std::nan(""));
    c.metrics.push_back(std::move(m));
  }
  const auto adjusted = stats::holm_adjust(p);
  for (std::size_t i = 0; i < c.metrics.size(); ++i)
    if (c.metrics[i].paired) c.metrics[i].paired->p_holm = adjusted[i];

  for (const auto& m : c.metrics) {
    if (!m.paired) continue;
    if (!o.top_metric.empty() && m.key.metric != o.top_metric) continue;
    c.top_key = m.key;
    break;
  }
  if (!o.top_metric.empty() && !c.top_key) {
    bool known = false;
    for (const auto& m : c.metrics) known = known || m.key.metric == o.top_metric;
    throw InputError("--metric " + o.top_metric + ": " +
                     (known ? "no per-image values of it in both runs" : "not a metric both runs have"));
  }
  if (c.top_key) {
    const auto images = per_image_means(reader.match(c.pairs, *c.top_key).units);
    for (const auto& [stem, v] : images) c.top.push_back({stem, v.first, v.second});
    std::stable_sort(c.top.begin(), c.top.end(), [](const Disagreement& x, const Disagreement& y) {
      return std::fabs(x.a - x.b) > std::fabs(y.a - y.b);
    });
    if (static_cast<int>(c.top.size()) > o.top_n) c.top.resize(static_cast<std::size_t>(std::max(0, o.top_n)));
  }
  return c;
}

std::string render_comparison_markdown(const Comparison& c) {
  std::ostringstream os;
  os << "## Compare A = " << c.a.label << " with B = " << c.b.label << "\n\n";
  for (const ComparisonSide* s : {&c.a, &c.b}) {
    os << "- " << (s == &c.a ? "A" : "B") << ": " << s->runs.size() << " run(s): " << run_ids(*s);
    if (!s->tags.empty()) {
      os << "; tags:";
      for (const auto& t : s->tags) os << " " << t;
    }
    os << "\n";
    for (const auto& n : s->notes) os << "  - note: " << n << "\n";
  }
  os << "- " << c.pairs.size() << " run pair(s)" << (c.pairs.size() > 1 ? ", matched by fold and seed" : "") << "\n\n";
  os << "### Config difference (" << c.pairs.front().a.run_id << " vs " << c.pairs.front().b.run_id << ")\n\n";
  if (c.config.empty() && c.provenance.empty()) {
    os << "No key differs.\n\n";
  } else {
    os << "| key | A | B |\n|---|---|---|\n";
    for (const auto* list : {&c.config, &c.provenance})
      for (const auto& d : *list)
        os << "| " << md_cell(d.key) << " | " << md_cell(d.a.empty() ? "(absent)" : d.a) << " | "
           << md_cell(d.b.empty() ? "(absent)" : d.b) << " |\n";
    os << "\n";
  }
  os << "### Metrics\n\n| metric | better | A | B | Δ = A − B | 95 % interval | p (Wilcoxon) | p (Holm) | A wins / losses / ties |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : c.metrics) {
    os << "| " << md_cell(key_text(m.key)) << " | " << direction_text(m.direction) << " | " << fixed(m.a) << " | "
       << fixed(m.b) << " | " << signed_fixed(m.a - m.b);
    if (m.paired) {
      os << " | [" << signed_fixed(m.paired->interval.lo) << ", " << signed_fixed(m.paired->interval.hi) << "]"
         << (m.paired->significant() ? "†" : "") << " | " << p_text(m.paired->wilcoxon.p) << " | "
         << p_text(m.paired->p_holm) << " | ";
      if (m.direction != 0) os << m.wins << " / " << m.losses << " / " << m.ties;
      else os << "–";
      os << " |\n";
    } else {
      os << " | – | – | – | " << md_cell(m.why) << " |\n";
    }
  }
  os << "\n- Δ over test images (A's and B's values on the same image; several pairs: the image's mean); "
        "interval: 95 % percentile bootstrap over images ("
     << c.resamples << " resamples, seed " << c.seed
     << "); † = the interval excludes 0; p: Wilcoxon signed-rank, Holm-adjusted over the metrics listed; wins: "
        "images where A is better by the metric's direction\n";
  if (c.pairs.size() == 1)
    os << "- one run per side: the statistics are over the test images of these runs (image sampling, not "
          "training variance)\n";
  if (c.top_key) {
    os << "\n### " << c.top.size() << " images where A and B disagree most on " << key_text(*c.top_key)
       << "\n\n| image | A | B | A − B |\n|---|---:|---:|---:|\n";
    for (const auto& d : c.top)
      os << "| " << md_cell(d.image) << " | " << fixed(d.a) << " | " << fixed(d.b) << " | " << signed_fixed(d.a - d.b)
         << " |\n";
  }
  return os.str();
}

std::string render_comparison_csv(const Comparison& c) {
  std::ostringstream os;
  os << "section,key,a,b\n";
  for (const auto& d : c.config) os << "config," << csv_field(d.key) << "," << csv_field(d.a) << "," << csv_field(d.b) << "\n";
  for (const auto& d : c.provenance)
    os << "provenance," << csv_field(d.key) << "," << csv_field(d.a) << "," << csv_field(d.b) << "\n";
  os << "\nsection,dataset,distortion,metric,convention,better,a,b,a_runs,b_runs,difference,ci_low,ci_high,p_wilcoxon,"
        "p_holm,test,units,images,pairs,wins,losses,ties,resamples,seed,significant,note\n";
  for (const auto& m : c.metrics) {
    os << "metric," << csv_field(m.key.dataset) << "," << csv_field(m.key.distortion) << "," << csv_field(m.key.metric)
       << "," << csv_field(m.key.convention) << "," << direction_text(m.direction) << "," << exact(m.a) << ","
       << exact(m.b) << "," << m.a_runs << "," << m.b_runs << ",";
    if (m.paired) {
      const auto& p = *m.paired;
      os << exact(p.difference) << "," << exact(p.interval.lo) << "," << exact(p.interval.hi) << ","
         << exact(p.wilcoxon.p) << "," << exact(p.p_holm) << "," << stats::method_name(p.wilcoxon.method) << ","
         << p.units << "," << p.images << "," << m.pairs << "," << m.wins << "," << m.losses << "," << m.ties << ","
         << p.resamples << "," << p.seed << "," << (p.significant() ? 1 : 0) << ",\n";
    } else {
      os << exact(m.a - m.b) << ",,,,,,,,,,,,," << c.resamples << "," << c.seed << ",," << csv_field(m.why) << "\n";
    }
  }
  if (c.top_key) {
    os << "\nsection,image,dataset,distortion,metric,convention,a,b\n";
    for (const auto& d : c.top)
      os << "image," << csv_field(d.image) << "," << csv_field(c.top_key->dataset) << ","
         << csv_field(c.top_key->distortion) << "," << csv_field(c.top_key->metric) << ","
         << csv_field(c.top_key->convention) << "," << exact(d.a) << "," << exact(d.b) << "\n";
  }
  return os.str();
}

std::string render_comparison_json(const Comparison& c) {
  using nlohmann::json;
  auto side = [](const ComparisonSide& s) {
    json runs = json::array();
    for (const auto& r : s.runs) runs.push_back({{"run_id", r.run_id}, {"fold", r.fold}, {"seed", r.seed}});
    return json{{"label", s.label}, {"runs", runs}, {"tags", s.tags}, {"notes", s.notes}};
  };
  auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  json j;
  j["a"] = side(c.a);
  j["b"] = side(c.b);
  j["pairs"] = c.pairs.size();
  j["resamples"] = c.resamples;
  j["seed"] = c.seed;
  for (const auto* list : {&c.config, &c.provenance}) {
    json& out = j[list == &c.config ? "config" : "provenance"] = json::array();
    for (const auto& d : *list)
      out.push_back({{"key", d.key}, {"a", d.a.empty() ? json(nullptr) : json(d.a)}, {"b", d.b.empty() ? json(nullptr) : json(d.b)}});
  }
  j["metrics"] = json::array();
  for (const auto& m : c.metrics) {
    json x{{"dataset", m.key.dataset}, {"distortion", m.key.distortion}, {"metric", m.key.metric},
           {"convention", m.key.convention}, {"better", direction_text(m.direction)}, {"a", num(m.a)}, {"b", num(m.b)},
           {"a_runs", m.a_runs}, {"b_runs", m.b_runs}};
    if (m.paired) {
      const auto& p = *m.paired;
      x["paired"] = {{"difference", p.difference}, {"ci_low", p.interval.lo}, {"ci_high", p.interval.hi},
                     {"level", p.level}, {"p_wilcoxon", num(p.wilcoxon.p)}, {"p_holm", num(p.p_holm)},
                     {"test", stats::method_name(p.wilcoxon.method)}, {"units", p.units}, {"images", p.images},
                     {"pairs", m.pairs}, {"wins", m.wins}, {"losses", m.losses}, {"ties", m.ties},
                     {"significant", p.significant()}};
    } else {
      x["paired"] = nullptr;
      x["note"] = m.why;
    }
    j["metrics"].push_back(x);
  }
  if (c.top_key) {
    json top = json::array();
    for (const auto& d : c.top) top.push_back({{"image", d.image}, {"a", d.a}, {"b", d.b}});
    j["disagreements"] = {{"dataset", c.top_key->dataset}, {"distortion", c.top_key->distortion},
                          {"metric", c.top_key->metric}, {"convention", c.top_key->convention}, {"images", top}};
  }
  return j.dump(2) + "\n";
}

Rendered render_comparison_scatter(store::ResultsStore& store, const Comparison& c, const std::string& metric,
                                   const std::string& dir, const std::string& name, const std::string& format) {
  const MetricComparison* m = nullptr;
  for (const auto& x : c.metrics)
    if (x.key.metric == metric && x.paired) {
      m = &x;
      break;
    }
  if (!m) throw InputError("--figure " + metric + ": no per-image values of it in both A and B");
  PerImageReader reader(store);
  const auto images = per_image_means(reader.match(c.pairs, m->key).units);
  std::ostringstream data;
  data << "# " << key_text(m->key) << ": one line per test image: image, B (x), A (y)\n";
  double lo = 1e300, hi = -1e300;
  for (const auto& [stem, v] : images) {
    data << '"' << stem << "\" " << exact(v.second) << " " << exact(v.first) << "\n";
    lo = std::min({lo, v.first, v.second});
    hi = std::max({hi, v.first, v.second});
  }
  const double pad = hi > lo ? 0.05 * (hi - lo) : 0.05;
  std::ostringstream gp;
  gp << "# Per-image " << metric << ": A against B, generated by sodlab compare; re-render with `gnuplot " << name
     << ".gp`\n"
     << "if (!exists(\"OUT\")) OUT = " << gnuplot_quoted(name + "." + format) << "\n"
     << terminal_line(format, 640, 600) << "\nset output OUT\n"
     << "set title " << gnuplot_quoted(key_text(m->key) + " per image (" + std::to_string(images.size()) + " images)") << "\n"
     << "set xlabel " << gnuplot_quoted("B = " + c.b.label) << "\nset ylabel " << gnuplot_quoted("A = " + c.a.label) << "\n"
     << "set xrange [" << exact(lo - pad) << ":" << exact(hi + pad) << "]\nset yrange [" << exact(lo - pad) << ":"
     << exact(hi + pad) << "]\nset size ratio -1\nset grid\nset key top left\n"
     << "plot '" << name << ".dat' using 2:3 with points pt 7 ps 0.6 lc rgb '#1f77b4' title 'images', x with lines "
        "dt 2 lc rgb '#888888' title 'A = B'\n"
     << "set output\n";
  return render_texts(dir, name, format, data.str(), gp.str());
}

}  // namespace sodlab::report
