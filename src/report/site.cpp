#include "report/site.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/options.h"
#include "core/output_files.h"
#include "report/html.h"
#include "report/run_page.h"
#include "store/results_store.h"

namespace sodlab::report {
namespace {

namespace fs = std::filesystem;
using html::escape;

void write_file(const fs::path& path, const std::string& text) { output::write_output_file(path.string(), text); }

// A report of a sodlab older than the marker: index.html (a sodlab report), runs/, figures/ only.
bool legacy_report(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n != "index.html" && n != "runs" && n != "figures") return false;
  }
  std::ifstream in(dir / "index.html");
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return !ec && head.find("<title>sodlab report") != std::string::npos;
}

// "<parent>/.<name>.staging-<pid>" of a process that no longer exists.
void remove_dead_staging(const fs::path& out) {
  const std::string prefix = "." + out.filename().string() + ".staging-";
  std::error_code ec;
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = n.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    fs::remove_all(e.path(), rm);
  }
}

std::string anchor(const std::string& name) {
  std::string id = "s-";
  for (char c : name) id += (c == '/' || c == ' ') ? '-' : c;
  return id;
}

std::string status_span(const std::string& status) {
  return "<span class=\"status-" + escape(status) + "\">" + escape(status) + "</span>";
}

// The store's record of each run the report names, read once (nullopt = not in the store).
class StatusCache {
 public:
  explicit StatusCache(store::ResultsStore& store) : store_(store) {}
  const std::optional<store::RunRecord>& of(const std::string& run_id) {
    auto it = cache_.find(run_id);
    if (it != cache_.end()) return it->second;
    return cache_.emplace(run_id, store_.find_run(run_id)).first->second;
  }

 private:
  store::ResultsStore& store_;
  std::map<std::string, std::optional<store::RunRecord>> cache_;
};

int completed(const SiteSection& s, StatusCache& status) {
  int n = 0;
  for (const auto& r : s.runs) {
    const auto& rec = status.of(r.run_id);
    n += rec && rec->status == store::kStatusCompleted;
  }
  return n;
}

std::string run_link(const std::string& run_id, bool in_store) {
  if (!in_store) return "<code>" + escape(run_id) + "</code>";
  return "<a href=\"runs/" + escape(run_page_name(run_id)) + "\"><code>" + escape(run_id) + "</code></a>";
}

std::string runs_list(const SiteSection& s, StatusCache& status) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : s.runs) {
    const auto& rec = status.of(r.run_id);
    if (!rec) {
      rows.push_back({run_link(r.run_id, false), escape(r.variant), "–", "–", "not run", ""});
      continue;
    }
    rows.push_back({run_link(r.run_id, true), escape(r.variant), rec->fold < 0 ? "none" : std::to_string(rec->fold),
                    std::to_string(rec->seed), status_span(rec->status), escape(rec->ended_at)});
  }
  std::ostringstream os;
  os << "<details><summary>" << s.runs.size() << " planned run(s), " << completed(s, status)
     << " completed</summary>\n"
     << html::table({"run", "variant", "fold", "seed", "status", "ended"}, rows, {false, false, true, true, false, false},
                    "runs")
     << "</details>\n";
  return os.str();
}

std::string figures(const SiteSection& s) {
  std::ostringstream os;
  for (const auto& f : s.figures)
    os << "<figure><a href=\"" << escape(f.image) << "\"><img src=\"" << escape(f.image) << "\" alt=\""
       << escape(f.caption) << "\"></a><figcaption>" << escape(f.caption) << " · <a href=\"" << escape(f.script)
       << "\">gnuplot script</a> · <a href=\"" << escape(f.data) << "\">data</a></figcaption></figure>\n";
  return os.str();
}

std::string section_head(const SiteSection& s) {
  std::ostringstream os;
  os << "<section id=\"" << escape(anchor(s.name)) << "\">\n<h2>" << escape(s.name) << "</h2>\n<p class=\"meta\">"
     << escape(s.kind) << " · <code>" << escape(s.source) << "</code>"
     << (s.reproduces.empty() ? "" : " · reproduces " + escape(s.reproduces))
     << (s.threads > 0 ? " · runs with " + std::to_string(s.threads) + " thread(s)" : "") << "</p>\n";
  for (const auto& p : s.problems) os << "<p class=\"problem\">" << escape(p) << "</p>\n";
  return os.str();
}

// A sweep's points: one row per variant with its parameters and how many of its runs are where.
std::string sweep_points(const SiteSection& s, store::ResultsStore& store, StatusCache& status) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> runs_of;
  for (const auto& r : s.runs) {
    if (!runs_of.count(r.variant)) order.push_back(r.variant);
    runs_of[r.variant].push_back(r.run_id);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : order) {
    std::map<std::string, int> count;
    std::string params;
    for (const auto& id : runs_of[v]) {
      const auto& rec = status.of(id);
      ++count[rec ? rec->status : "not run"];
      if (params.empty() && rec)
        for (const auto& p : store.params(id))
          params += (params.empty() ? "" : ", ") + p.key + " = " + param_text(p.value);
    }
    rows.push_back({escape(v), escape(params), std::to_string(runs_of[v].size()), std::to_string(count["completed"]),
                    std::to_string(count["failed"]), std::to_string(count["interrupted"] + count["running"] + count["queued"]),
                    std::to_string(count["not run"])});
  }
  return html::table({"point", "parameters", "runs", "completed", "failed", "interrupted / running / queued", "not run"},
                     rows, {false, false, true, true, true, true, true}, "sweep-points");
}

}  // namespace

SiteSummary write_site(const Site& site, store::ResultsStore& store, const std::string& dir) {
  SiteSummary summary;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "runs", ec);
  if (ec) throw RuntimeFailure(dir + "/runs: cannot create the report folder: " + ec.message());
  StatusCache status(store);

  std::ostringstream body;
  body << "<h1>" << escape(site.title) << "</h1>\n<p class=\"meta\">profile <b>"
       << escape(site.profile.empty() ? "(none)" : site.profile) << "</b> · results store <code>" << escape(site.db_path)
       << "</code> · sodlab " << escape(site.code_version) << " · generated " << escape(site.generated_at) << "</p>\n";

  // Overview: one line per section.
  std::vector<std::vector<std::string>> overview;
  for (const auto& s : site.sections) {
    overview.push_back({"<a href=\"#" + escape(anchor(s.name)) + "\">" + escape(s.name) + "</a>", escape(s.kind),
                        escape(s.reproduces), std::to_string(completed(s, status)) + " / " + std::to_string(s.runs.size()),
                        std::to_string(s.figures.size())});
  }
  body << "<h2 id=\"overview\">Overview</h2>\n"
       << html::table({"experiment", "kind", "reproduces", "runs completed / planned", "figures"}, overview,
                      {false, false, false, true, true}, "overview");
  if (!site.eval_runs.empty()) body << "<p><a href=\"#evaluations\">Evaluations of saliency maps</a> (" << site.eval_runs.size() << ")</p>\n";

  bool sweeps_started = false;
  for (const auto& s : site.sections) {
    if (s.kind == "sweep" && !sweeps_started) {
      body << "<h2 id=\"sweeps\">Sweep overview</h2>\n";
      sweeps_started = true;
    }
    body << section_head(s);
    if (s.kind == "sweep") body << sweep_points(s, store, status);
    if (s.table) {
      body << html::paper_table(*s.table);
      ++summary.tables;
    }
    body << figures(s);
    summary.figures += static_cast<int>(s.figures.size());
    body << runs_list(s, status) << "</section>\n";
  }

  if (!site.eval_runs.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& id : site.eval_runs) {
      const auto r = store.find_run(id);
      if (!r) continue;
      std::set<std::string> datasets;
      for (const auto& x : store.results(id)) datasets.insert(x.dataset);
      std::string names;
      for (const auto& d : datasets) names += (names.empty() ? "" : ", ") + d;
      rows.push_back({escape(r->variant), escape(names), status_span(r->status), run_link(id, true), escape(r->ended_at)});
    }
    body << "<h2 id=\"evaluations\">Evaluations of saliency maps (sodlab eval --db)</h2>\n"
         << html::table({"method", "datasets", "status", "run", "ended"}, rows, {}, "evaluations");
  }

  // Run pages: every planned run the store holds, and the evaluations.
  std::set<std::string> pages;
  for (const auto& s : site.sections)
    for (const auto& r : s.runs)
      if (status.of(r.run_id)) pages.insert(r.run_id);
  for (const auto& id : site.eval_runs) pages.insert(id);
  for (const auto& id : pages) {
    write_file(fs::path(dir) / "runs" / run_page_name(id), run_page(store, id));
    ++summary.runs;
  }
  write_file(fs::path(dir) / "index.html", html::page(site.title, body.str(), ""));
  write_file(fs::path(dir) / kReportMarker, "A report written by `sodlab report`; sodlab replaces this folder as a whole.\n");
  summary.pages = summary.runs + 1;
  return summary;
}

std::string prepare_report_folder(const std::string& out_dir) {
  const fs::path out(output::without_trailing_slash(out_dir));
  output::check_output_folder(out.string(), "--out-dir", /*replaces_contents=*/true);
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::exists(out / kReportMarker, ec) && !legacy_report(out))
    throw InputError("--out-dir " + out_dir + ": exists and is not a report sodlab wrote (no " + kReportMarker +
                     " inside); sodlab replaces only its own report folders: choose another --out-dir or remove it");
  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), ec);
  if (ec) throw RuntimeFailure(out.parent_path().string() + ": cannot create the folder: " + ec.message());
  remove_dead_staging(out);
  return (out.parent_path() / ("." + out.filename().string() + ".staging-" + std::to_string(::getpid()))).string();
}

void publish_site(const std::string& staging_dir, const std::string& out_dir) {
  const fs::path out(output::without_trailing_slash(out_dir));
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (::renameat2(AT_FDCWD, staging_dir.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0)
      throw RuntimeFailure(out.string() + ": cannot swap the new report in: " + std::strerror(errno) +
                           " (the previous report is untouched)");
    fs::remove_all(staging_dir, ec);  // now the previous report
    return;
  }
  if (::renameat2(AT_FDCWD, staging_dir.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE) != 0)
    throw RuntimeFailure(out.string() + ": cannot move the new report into place: " + std::strerror(errno));
}

}  // namespace sodlab::report
