#include "report/paper_table.h"

#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "core/error.h"
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

std::string ours_text(const Cell& c, int planned, int digits, const char* pm) {
  if (c.n == 0) return planned > 0 ? "– " + count_text(c, planned) : "–";
  std::string s = fixed(c.mean, digits);
  if (c.n > 1) s += std::string(" ") + pm + " " + fixed(c.std, digits);
  return s + " " + count_text(c, planned);
}

std::string published_text(const Cell& c, int digits) {
  return c.published ? fixed(*c.published, digits) : "–";
}

std::string column_header(const PaperTable& t, std::size_t i) {
  const auto& c = t.columns[i];
  std::string h = c.label + " " + c.dataset;
  if (c.distortion != "none") h += " " + c.distortion;
  return h;
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

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '_': case '%': case '&': case '#': case '$': case '{': case '}':
        out += '\\';
        out += c;
        break;
      case '^': out += "\\^{}"; break;
      case '~': out += "\\~{}"; break;
      case '\\': out += "\\textbackslash{}"; break;
      default: out += c;
    }
  }
  return out;
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
    os << (c.higher_is_better ? " (higher is better)" : " (lower is better)") << "\n";
  }
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
  for (const auto& c : spec.columns) t.store_datasets.push_back(spec.store_dataset(c));
  for (const auto& spec_row : spec.rows) {
    Row row;
    row.label = spec_row.label;
    row.variant = spec_row.variant;
    row.cells.resize(spec.columns.size());
    for (std::size_t i = 0; i < spec.columns.size(); ++i) row.cells[i].published = spec_row.published[i];
    if (!spec_row.variant.empty()) {
      std::vector<std::string> completed;
      for (const auto& run : runs) {
        if (run.variant != spec_row.variant) continue;
        ++row.planned;
        const auto record = store.find_run(run.run_id);
        if (record && record->status == store::kStatusCompleted) completed.push_back(run.run_id);
      }
      row.runs = static_cast<int>(completed.size());
      std::vector<std::vector<double>> values(spec.columns.size());
      for (const auto& run_id : completed) {
        for (const auto& res : store.results(run_id)) {
          for (std::size_t i = 0; i < spec.columns.size(); ++i) {
            const auto& c = spec.columns[i];
            if (res.dataset == t.store_datasets[i] && res.metric == c.metric &&
                res.convention == c.convention && res.distortion == c.distortion)
              values[i].push_back(res.value);
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
  return t;
}

std::string render_markdown(const PaperTable& t) {
  std::ostringstream os;
  os << "## " << t.experiment << (t.title.empty() ? "" : ": " + t.title) << " (profile: "
     << (t.profile.empty() ? "none" : t.profile) << ")\n\n";
  if (!t.reproduces.empty()) os << "Reproduces: " << t.reproduces << "\n\n";
  os << "| Method |";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    os << " " << column_header(t, i) << " (ours) | " << column_header(t, i) << " (paper) |";
  os << "\n|---|";
  for (std::size_t i = 0; i < t.columns.size(); ++i) os << "---:|---:|";
  os << "\n";
  for (const auto& r : t.rows) {
    os << "| " << r.label << (r.variant.empty() ? " (published)" : "") << " |";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const int d = t.columns[i].digits;
      os << " " << (r.variant.empty() ? "" : ours_text(r.cells[i], r.planned, d, "±")) << " | "
         << published_text(r.cells[i], d) << " |";
    }
    os << "\n";
  }
  os << "\n" << notes(t, "- ");
  if (!t.caption.empty()) os << "\n" << t.caption << "\n";
  return os.str();
}

std::string render_latex(const PaperTable& t) {
  std::ostringstream os;
  os << "% " << t.experiment << " (profile: " << (t.profile.empty() ? "none" : t.profile)
     << "), generated by sodlab table\n";
  os << "\\begin{table}[t]\n\\centering\n\\begin{tabular}{l";
  for (std::size_t i = 0; i < t.columns.size(); ++i) os << "rr";
  os << "}\n\\hline\nMethod";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    os << " & \\multicolumn{2}{c}{" << latex_escape(column_header(t, i)) << "}";
  os << " \\\\\n";
  for (std::size_t i = 0; i < t.columns.size(); ++i) os << " & ours & paper";
  os << " \\\\\n\\hline\n";
  for (const auto& r : t.rows) {
    os << latex_escape(r.label);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const int d = t.columns[i].digits;
      const Cell& c = r.cells[i];
      std::string ours;
      if (!r.variant.empty()) {
        const std::string count =
            c.n >= r.planned ? std::to_string(c.n) : std::to_string(c.n) + " of " + std::to_string(r.planned);
        if (c.n == 0) ours = "--";
        else ours = "$" + fixed(c.mean, d) + (c.n > 1 ? " \\pm " + fixed(c.std, d) : "") + "$ {\\scriptsize (" +
                    count + ")}";
      }
      os << " & " << ours << " & " << (c.published ? fixed(*c.published, d) : "--");
    }
    os << " \\\\\n";
  }
  os << "\\hline\n\\end{tabular}\n\\caption{" << latex_escape(t.title.empty() ? t.experiment : t.title)
     << " (profile " << latex_escape(t.profile.empty() ? "none" : t.profile)
     << "; ours: mean $\\pm$ std over runs, (n) runs).}\n\\end{table}\n";
  return os.str();
}

std::string render_csv(const PaperTable& t) {
  std::ostringstream os;
  os << "profile,row,variant,dataset,store_dataset,metric,convention,distortion,n,planned,mean,std,published\n";
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
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace sodlab::report
