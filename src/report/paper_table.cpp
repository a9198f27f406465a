#include "report/paper_table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
#include "report/latex.h"
#include "report/paired_cells.h"
#include "store/results_store.h"

namespace sodlab::report {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

// "(n=3)" when every planned run has the value, "(2 of 3 runs)" otherwise.
std::string count_text(const Cell& c, int planned) {
  if (c.n >= planned) return "(n=" + std::to_string(c.n) + ")";
  return "(" + std::to_string(c.n) + " of " + std::to_string(planned) + " runs)";
}

// A value as the column prints it: `digits` decimals, fixed or scientific ("1.36E-08").
std::string number(double v, const config::TableColumn& col) {
  if (col.notation != "sci") return fixed(v, col.digits);
  std::ostringstream os;
  os << std::scientific << std::uppercase << std::setprecision(col.digits) << v;
  return os.str();
}

constexpr const char* kDagger = "†";

std::string signed_number(double v, const config::TableColumn& col) {
  return (v > 0 ? "+" : "") + number(v, col);
}

// " Δ +0.012 [+0.004, +0.020]†" (paired statistics against the row's reference), " (reference)".
std::string paired_text(const Cell& c, const config::TableColumn& col) {
  if (c.paired) {
    const auto& p = *c.paired;
    return " Δ " + signed_number(p.difference, col) + " [" + signed_number(p.interval.lo, col) + ", " +
           signed_number(p.interval.hi, col) + "]" + (p.significant() ? kDagger : "");
  }
  return c.is_reference ? " (reference)" : "";
}

std::string ours_text(const Cell& c, int planned, const config::TableColumn& col, const char* pm) {
  if (c.n == 0) return planned > 0 ? "– " + count_text(c, planned) : "not run in this profile";
  std::string s = number(c.mean, col);
  if (c.n > 1) s += std::string(" ") + pm + " " + number(c.std, col);
  return s + " " + count_text(c, planned) + paired_text(c, col);
}

// Whether the table shows any of the paper's values (a published-only row or a published cell).
bool has_published(const PaperTable& t) {
  for (const Row& r : t.rows) {
    if (r.variant.empty()) return true;
    for (const Cell& c : r.cells)
      if (c.published) return true;
  }
  return false;
}

std::string published_text(const Cell& c, const config::TableColumn& col) {
  return c.published ? number(*c.published, col) : "–";
}

// "F_1^w MSRA-B→sod": the paper's dataset, and ours when the profile substitutes another.
std::string column_header(const PaperTable& t, std::size_t i) {
  const auto& c = t.columns[i];
  std::string h = c.label + " " + c.dataset;
  if (i < t.store_datasets.size() && t.store_datasets[i] != c.dataset) h += "→" + t.store_datasets[i];
  if (c.distortion != "none") h += " " + c.distortion;
  return h;
}

bool column_in_profile(const PaperTable& t, std::size_t i) { return i >= t.in_profile.size() || t.in_profile[i]; }

constexpr const char* kNotRun = "not run in this profile";

std::string paper_hardware(const config::TableColumn& c) {
  return c.published_on.empty() ? "" : ", " + c.published_on;
}

// Shortest text that reads back as the same double.
std::string exact(double v) {
  char buf[64];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A timing column's value for one run (nullopt when the run has no such timing).
std::optional<double> timing_value(const config::TableColumn& c, const std::string& dataset,
                                   const std::vector<store::TimingRow>& timings) {
  if (c.metric == "test_s_per_image") {
    for (const auto& x : timings)
      if (x.phase == "inference." + dataset + "." + c.distortion && x.items > 0) return x.seconds / x.items;
    return std::nullopt;
  }
  double total = 0;
  int epochs = 0;
  for (const auto& x : timings)
    if (x.phase.rfind("train.", 0) == 0) total += x.seconds, ++epochs;
  if (epochs == 0) return std::nullopt;
  return c.metric == "train_hours" ? total / 3600.0 : total / epochs;
}

std::string measured_on(const store::RunRecord& r) {
  return r.host + " (" + r.cpu + "), " + r.device + ", " + std::to_string(r.threads) + " thread(s)";
}

// Footnotes numbered in order of appearance: columns, rows, published cells, then table notes.
struct Footnotes {
  std::vector<std::string> texts;
  std::vector<std::string> column, row;           // marker per column / row ("" = none)
  std::vector<std::vector<std::string>> published;  // marker per row × column
  std::string add(const std::string& text) {
    if (text.empty()) return "";
    for (std::size_t i = 0; i < texts.size(); ++i)
      if (texts[i] == text) return "[" + std::to_string(i + 1) + "]";
    texts.push_back(text);
    return "[" + std::to_string(texts.size()) + "]";
  }
  explicit Footnotes(const PaperTable& t) {
    for (const auto& c : t.columns) column.push_back(add(c.note));
    for (const auto& n : t.row_notes) row.push_back(add(n));
    for (const auto& notes : t.published_notes) {
      published.emplace_back();
      for (const auto& n : notes) published.back().push_back(add(n));
    }
    for (const auto& n : t.notes) add(n);
  }
  std::string published_marker(std::size_t r, std::size_t c) const {
    return r < published.size() && c < published[r].size() ? published[r][c] : "";
  }
};

std::string with_marker(const std::string& text, const std::string& marker) {
  return marker.empty() ? text : text + " " + marker;
}

// Text inside a Markdown table cell: '|' would end the cell ("||J||_F", "max |g|").
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

// What the paired statistics are, which rows are compared with which, and the columns without.
std::string paired_notes(const PaperTable& t, const std::string& bullet) {
  if (!t.paired) return "";
  std::ostringstream os;
  std::map<std::string, std::string> label_of;
  for (const Row& r : t.rows)
    if (!r.variant.empty()) label_of.emplace(r.variant, r.label);
  std::set<std::string> references;
  int max_pairs = 0;
  for (const Row& r : t.rows) {
    if (!r.reference.empty()) references.insert(r.reference);
    for (const Cell& c : r.cells) max_pairs = std::max(max_pairs, c.paired_runs);
  }
  std::string refs;
  for (const auto& v : references) refs += (refs.empty() ? "" : ", ") + label_of[v];
  os << bullet << "Δ = row − reference row (" << refs
     << ") per test image, the runs matched by fold and seed (units: fold × seed × image; an image's seeds "
        "averaged), mean over images; [ , ] = its 95 % percentile bootstrap interval over images ("
     << t.resamples << " resamples, seed " << t.bootstrap_seed << "); " << kDagger
     << " = the interval excludes 0. Wilcoxon signed-rank p-values, Holm-adjusted over the rows of each column, "
        "are in the CSV (--format csv)\n";
  if (max_pairs == 1)
    os << bullet << "one run per row: the paired statistics are over the test images of that run, so they "
                    "measure the sampling of images, not the variation between trainings (seeds, folds)\n";
  for (std::size_t i = 0; i < t.columns.size() && i < t.unpaired_why.size(); ++i)
    if (!t.unpaired_why[i].empty())
      os << bullet << column_header(t, i) << ": no paired statistics: " << t.unpaired_why[i] << "\n";
  return os.str();
}

std::string notes(const PaperTable& t, const std::string& bullet) {
  std::ostringstream os;
  os << bullet << "profile: " << (t.profile.empty() ? "(none)" : t.profile)
     << "; ours = mean ± sample std over the completed runs the experiment plans (seeds × folds), "
        "n = runs\n";
  if (!t.overrides.empty()) os << bullet << "overrides (--set): " << t.overrides << "\n";
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    os << bullet << column_header(t, i) << ": metric " << c.metric << ", convention "
       << c.convention << ", distortion " << c.distortion;
    if (t.store_datasets[i] != c.dataset) os << ", our dataset " << t.store_datasets[i];
    if (c.source == "timing") os << ", timing";
    if (c.scale != 1.0) os << ", ours × " << exact(c.scale);
    if (!column_in_profile(t, i)) os << ", " << kNotRun;
    os << (c.higher_is_better ? " (higher is better)" : " (lower is better)") << "\n";
  }
  bool timing = false;
  for (const auto& c : t.columns) timing = timing || c.source == "timing";
  if (timing) {
    os << bullet << "our timings were measured on "
       << (t.timing_hosts.empty() ? std::string("(no completed run yet)") : join(t.timing_hosts, "; "));
    for (const auto& c : t.columns)
      if (c.source == "timing" && !c.published_on.empty()) {
        os << "; the paper's on " << c.published_on << " (not comparable)";
        break;
      }
    os << "\n";
  }
  if (t.ranked_by >= 0)
    os << bullet << "rows sorted by " << column_header(t, static_cast<std::size_t>(t.ranked_by))
       << ", best first; (best) = the best row\n";
  os << paired_notes(t, bullet);
  const Footnotes f(t);
  for (std::size_t i = 0; i < f.texts.size(); ++i)
    os << bullet << "[" << i + 1 << "] " << f.texts[i] << "\n";
  return os.str();
}

}  // namespace

PaperTable build_table(const config::TableSpec& spec, const std::string& experiment,
                       const std::string& reproduces, const std::string& profile,
                       const std::vector<TableRun>& runs, store::ResultsStore& store) {
  if (spec.empty())
    throw InputError("experiment '" + experiment + "' has no [table] section (columns) to render");
  PaperTable t;
  t.experiment = experiment;
  t.reproduces = reproduces;
  t.title = spec.title;
  t.caption = spec.caption;
  t.profile = profile;
  t.columns = spec.columns;
  t.notes = spec.notes;
  t.layout = spec.layout;
  std::set<std::string> evaluated;
  for (const auto& run : runs) evaluated.insert(run.datasets.begin(), run.datasets.end());
  for (const auto& c : spec.columns) {
    t.store_datasets.push_back(spec.store_dataset(c));
    t.in_profile.push_back(evaluated.empty() || evaluated.count(t.store_datasets.back()) > 0);
  }
  std::set<std::string> hosts;
  for (const auto& spec_row : spec.rows) {
    Row row;
    row.label = spec_row.label;
    row.variant = spec_row.variant;
    row.cells.resize(spec.columns.size());
    for (std::size_t i = 0; i < spec.columns.size(); ++i) row.cells[i].published = spec_row.published[i];
    t.row_notes.push_back(spec_row.note);
    t.published_notes.push_back(spec_row.published_notes);
    if (!spec_row.variant.empty()) {
      std::vector<store::RunRecord> completed;
      for (const auto& run : runs) {
        if (run.variant != spec_row.variant) continue;
        ++row.planned;
        const auto record = store.find_run(run.run_id);
        if (record && record->status == store::kStatusCompleted) completed.push_back(*record);
      }
      row.runs = static_cast<int>(completed.size());
      std::vector<std::vector<double>> values(spec.columns.size());
      for (const auto& record : completed) {
        bool timed = false;
        const auto timings = store.timings(record.run_id);
        for (std::size_t i = 0; i < spec.columns.size(); ++i) {
          const auto& c = spec.columns[i];
          if (c.source != "timing" || !t.in_profile[i]) continue;
          if (const auto v = timing_value(c, t.store_datasets[i], timings)) {
            values[i].push_back(*v * c.scale);
            timed = true;
          }
        }
        if (timed) hosts.insert(measured_on(record));
        for (const auto& res : store.results(record.run_id)) {
          for (std::size_t i = 0; i < spec.columns.size(); ++i) {
            const auto& c = spec.columns[i];
            if (c.source == "results" && t.in_profile[i] && res.dataset == t.store_datasets[i] &&
                res.metric == c.metric && res.convention == c.convention && res.distortion == c.distortion)
              values[i].push_back(res.value * c.scale);
          }
        }
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        Cell& cell = row.cells[i];
        const auto& v = values[i];
        cell.n = static_cast<int>(v.size());
        if (v.empty()) continue;
        double sum = 0;
        for (double x : v) sum += x;
        cell.mean = sum / v.size();
        if (v.size() > 1) {
          double ss = 0;
          for (double x : v) ss += (x - cell.mean) * (x - cell.mean);
          cell.std = std::sqrt(ss / (v.size() - 1));
        }
      }
    }
    t.rows.push_back(std::move(row));
  }
  t.timing_hosts.assign(hosts.begin(), hosts.end());
  add_paired_statistics(t, spec, runs, store);
  return t;
}

void rank_rows(PaperTable& t) {
  int column = -1;
  for (std::size_t i = 0; i < t.columns.size() && column < 0; ++i)
    if (t.columns[i].source == "results" && column_in_profile(t, i))
      for (const Row& r : t.rows)
        if (!r.variant.empty() && r.cells[i].n > 0) column = static_cast<int>(i);
  if (column < 0) return;
  const bool higher = t.columns[column].higher_is_better;
  std::vector<std::size_t> order(t.rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](std::size_t i) {  // 0 = has a value, 1 = ours without, 2 = published-only
    const Row& r = t.rows[i];
    return r.variant.empty() ? 2 : r.cells[column].n > 0 ? 0 : 1;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (rank(a) != 0) return false;
    const double x = t.rows[a].cells[column].mean, y = t.rows[b].cells[column].mean;
    return higher ? x > y : x < y;
  });
  auto permute = [&](auto& v) {
    if (v.size() != order.size()) return;
    auto copy = v;
    for (std::size_t i = 0; i < order.size(); ++i) v[i] = std::move(copy[order[i]]);
  };
  permute(t.rows);
  permute(t.row_notes);
  permute(t.published_notes);
  for (Row& r : t.rows) r.best = false;
  t.rows.front().best = true;
  t.ranked_by = column;
}

TableGrid layout_table(const PaperTable& t) {
  TableGrid g;
  g.heading = t.experiment + (t.title.empty() ? "" : ": " + t.title) + " (profile: " +
              (t.profile.empty() ? "none" : t.profile) + ")";
  g.reproduces = t.reproduces;
  g.caption = t.caption;
  std::istringstream note_lines(notes(t, ""));
  for (std::string line; std::getline(note_lines, line);) g.notes.push_back(line);
  const Footnotes f(t);
  using K = GridCell::Kind;
  if (t.layout == "metrics") {  // the paper's layout of a wide table: a row per column
    // A row of ours that the paper does not have (no published value) gets no paper column.
    auto paper_column = [&](const Row& r) {
      if (r.variant.empty()) return true;
      for (const Cell& c : r.cells)
        if (c.published) return true;
      return false;
    };
    g.header.push_back({"Dataset, metric", K::label});
    for (std::size_t ri = 0; ri < t.rows.size(); ++ri) {
      const Row& r = t.rows[ri];
      const std::string label = with_marker(r.label, f.row[ri]) + (r.best ? " (best)" : "");
      if (!r.variant.empty()) g.header.push_back({label + " (ours)", K::ours});
      if (paper_column(r)) g.header.push_back({label + " (paper)", K::paper});
    }
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto& on = t.columns[i].published_on;
      std::vector<GridCell> line{{with_marker(column_header(t, i), f.column[i]) + (on.empty() ? "" : " (paper on " + on + ")"), K::label}};
      for (std::size_t ri = 0; ri < t.rows.size(); ++ri) {
        const Row& r = t.rows[ri];
        const config::TableColumn& d = t.columns[i];
        if (!r.variant.empty())
          line.push_back({!column_in_profile(t, i) ? kNotRun : ours_text(r.cells[i], r.planned, d, "±"), K::ours});
        if (paper_column(r)) line.push_back({with_marker(published_text(r.cells[i], d), f.published_marker(ri, i)), K::paper});
      }
      g.rows.push_back(std::move(line));
    }
    return g;
  }
  const bool paper = has_published(t);  // a sweep's table has no paper columns
  g.header.push_back({"Method", K::label});
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const std::string h = with_marker(column_header(t, i), f.column[i]);
    if (paper) {
      g.header.push_back({h + " (ours)", K::ours});
      g.header.push_back({h + " (paper" + paper_hardware(t.columns[i]) + ")", K::paper});
    } else {
      g.header.push_back({h, K::ours});
    }
  }
  for (std::size_t ri = 0; ri < t.rows.size(); ++ri) {
    const Row& r = t.rows[ri];
    std::vector<GridCell> line{{with_marker(r.label, f.row[ri]) + (r.variant.empty() ? " (published)" : "") +
                                    (r.best ? " (best)" : ""),
                                K::label}};
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const config::TableColumn& d = t.columns[i];
      const std::string ours = r.variant.empty()            ? ""
                               : !column_in_profile(t, i) ? kNotRun
                                                          : ours_text(r.cells[i], r.planned, d, "±");
      line.push_back({ours, K::ours});
      if (paper) line.push_back({with_marker(published_text(r.cells[i], d), f.published_marker(ri, i)), K::paper});
    }
    g.rows.push_back(std::move(line));
  }
  return g;
}

std::string render_markdown(const PaperTable& t) {
  const TableGrid g = layout_table(t);
  std::ostringstream os;
  os << "## " << g.heading << "\n\n";
  if (!g.reproduces.empty()) os << "Reproduces: " << g.reproduces << "\n\n";
  os << "|";
  for (const auto& h : g.header) os << " " << md_cell(h.text) << " |";
  os << "\n|";
  for (const auto& h : g.header) os << (h.kind == GridCell::Kind::label ? "---|" : "---:|");
  os << "\n";
  for (const auto& line : g.rows) {
    os << "|";
    for (const auto& c : line) os << " " << md_cell(c.text) << " |";
    os << "\n";
  }
  os << "\n";
  for (const auto& n : g.notes) os << "- " << n << "\n";
  if (!g.caption.empty()) os << "\n" << g.caption << "\n";
  return os.str();
}

std::string render_latex(const PaperTable& t) {
  std::ostringstream os;
  os << "% " << t.experiment << " (profile: " << (t.profile.empty() ? "none" : t.profile)
     << "), generated by sodlab table\n";
  const bool paper = has_published(t);  // a sweep's table has no paper columns
  os << "\\begin{table}[t]\n\\centering\n\\begin{tabular}{l";
  for (std::size_t i = 0; i < t.columns.size(); ++i) os << (paper ? "rr" : "r");
  os << "}\n\\hline\nMethod";
  const Footnotes f(t);
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const std::string h = latex_text(with_marker(column_header(t, i), f.column[i]));
    if (paper) os << " & \\multicolumn{2}{c}{" << h << "}";
    else os << " & " << h;
  }
  os << " \\\\\n";
  if (paper) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) os << " & ours & paper";
    os << " \\\\\n";
  }
  os << "\\hline\n";
  for (std::size_t ri = 0; ri < t.rows.size(); ++ri) {
    const Row& r = t.rows[ri];
    os << latex_text(with_marker(r.label, f.row[ri]) + (r.best ? " (best)" : ""));
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const config::TableColumn& d = t.columns[i];
      const Cell& c = r.cells[i];
      std::string ours;
      if (!r.variant.empty()) {
        const std::string count =
            c.n >= r.planned ? std::to_string(c.n) : std::to_string(c.n) + " of " + std::to_string(r.planned);
        if (!column_in_profile(t, i)) ours = "{\\scriptsize not run}";
        else if (c.n == 0) ours = "--";
        else ours = "$" + number(c.mean, d) + (c.n > 1 ? " \\pm " + number(c.std, d) : "") +
                    (c.paired && c.paired->significant() ? "^{\\dagger}" : "") + "$ {\\scriptsize (" + count +
                    (c.is_reference ? ", ref." : "") + ")}";
      }
      os << " & " << ours;
      if (paper) os << " & " << with_marker(c.published ? number(*c.published, d) : "--", latex_text(f.published_marker(ri, i)));
    }
    os << " \\\\\n";
  }
  os << "\\hline\n\\end{tabular}\n\\caption{" << latex_text(t.title.empty() ? t.experiment : t.title)
     << " (profile " << latex_text(t.profile.empty() ? "none" : t.profile)
     << "; ours: mean $\\pm$ std over runs, (n) runs)";
  for (std::size_t i = 0; i < f.texts.size(); ++i) os << " [" << i + 1 << "] " << latex_text(f.texts[i]);
  if (t.paired)
    os << " $^{\\dagger}$: the 95\\% paired bootstrap interval (over test images, " << t.resamples
       << " resamples) of the difference to the reference row (ref.) excludes 0";
  os << ".}\n\\end{table}\n";
  return os.str();
}

std::string render_csv(const PaperTable& t) {
  std::ostringstream os;
  os << "profile,row,variant,dataset,store_dataset,metric,convention,distortion,n,planned,mean,std,published,"
        "in_profile,reference,units,images,run_pairs,difference,ci_low,ci_high,level,p_wilcoxon,p_holm,test,"
        "resamples,bootstrap_seed,significant\n";
  for (const auto& r : t.rows) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto& c = t.columns[i];
      const Cell& cell = r.cells[i];
      os << csv_field(t.profile) << "," << csv_field(r.label) << "," << csv_field(r.variant) << ","
         << csv_field(c.dataset) << "," << csv_field(t.store_datasets[i]) << "," << csv_field(c.metric)
         << "," << csv_field(c.convention) << "," << csv_field(c.distortion) << "," << cell.n << ","
         << r.planned << ",";
      if (cell.n > 0) os << exact(cell.mean);
      os << ",";
      if (cell.n > 1) os << exact(cell.std);
      os << ",";
      if (cell.published) os << exact(*cell.published);
      os << "," << (column_in_profile(t, i) ? 1 : 0) << "," << csv_field(r.reference) << ",";
      if (const auto& p = cell.paired) {
        auto num = [](double v) { return std::isnan(v) ? std::string() : exact(v); };
        os << p->units << "," << p->images << "," << cell.paired_runs << "," << exact(p->difference) << ","
           << exact(p->interval.lo) << "," << exact(p->interval.hi) << "," << exact(p->level) << ","
           << num(p->wilcoxon.p) << "," << num(p->p_holm) << "," << stats::method_name(p->wilcoxon.method) << ","
           << p->resamples << "," << p->seed << "," << (p->significant() ? 1 : 0);
      } else {
        os << ",,,,,,,,,,,,";
      }
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace sodlab::report
