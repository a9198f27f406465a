// The static HTML report of `sodlab report`: what the results store holds for one profile.
//
// Layout of the report folder (every link relative, no file from elsewhere: the folder can be
// copied or served anywhere):
//   index.html        overview (each experiment: kind, completed / planned runs), every paper table
//                     beside the published values (profile, n), its figures, its runs; a sweep
//                     overview (points, parameters, run status); the evaluations of `sodlab eval --db`
//   figures/          <name>.png with the <name>.gp script and <name>.dat data kept beside it
//   runs/<id>.html    one page per run (run_page.h)
// The caller gathers the sections (tables built, figures rendered into <staging>/figures);
// write_site() writes the pages into a staging folder and publish_site() swaps it with the report
// folder in one atomic exchange (renameat2 RENAME_EXCHANGE), so a reader never sees half a report
// and pages of runs that are gone do not linger. A report folder carries a marker file
// (kReportMarker); sodlab replaces only a folder that has it, never anything else.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/paper_table.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

struct SiteFigure {
  std::string caption;
  std::string image, script, data;  // paths relative to the report folder
};

// One experiment or sweep file.
struct SiteSection {
  std::string name;        // kolkin2017/table4, ablations/kolkin2017_af_sensitivity
  std::string kind;        // "paper table" | "study" | "sweep"
  std::string source;      // the .toml file
  std::string reproduces;  // the paper's table or figure
  std::optional<PaperTable> table;
  std::vector<std::string> problems;  // why a table or figure is missing (shown as is)
  std::vector<SiteFigure> figures;
  std::vector<TableRun> runs;         // the planned runs (plan order)
  int threads = 0;                    // intra-op threads the runs were planned with (0 = none)
};

struct Site {
  std::string title;
  std::string profile;                // "" = none
  std::string db_path, code_version, generated_at;
  std::vector<SiteSection> sections;  // paper tables and studies, then sweeps, in file order
  std::vector<std::string> eval_runs; // runs recorded by `sodlab eval --db`
};

struct SiteSummary {
  int pages = 0, tables = 0, figures = 0, runs = 0;
};

// Writes index.html and runs/*.html into `dir` (created; figures already there). A run id of a
// section that the store does not hold is listed as "not run" without a page.
SiteSummary write_site(const Site& site, store::ResultsStore& store, const std::string& dir);

inline constexpr const char* kReportMarker = ".sodlab-report";

// Checks that `out_dir` may receive a report and returns the staging folder to build it in
// (beside it, named after this process). InputError (exit 2) naming the folder when it exists and
// is not a report sodlab wrote (no marker; a report of an older sodlab, holding only index.html,
// runs/ and figures/, is recognised), or when it is or holds something protected
// (core/output_files.h: the store, checkpoints, caches). Staging folders left by killed reports
// (their process gone) are removed first. A trailing slash is accepted.
std::string prepare_report_folder(const std::string& out_dir);

// Replaces `out_dir` with `staging_dir` (same parent folder) in one atomic exchange, then removes
// the previous report; with no previous report, one rename. A process killed in between leaves the
// previous report whole in the staging folder, removed by the next prepare_report_folder.
// RuntimeFailure naming the folder when the exchange fails (the previous report is untouched).
void publish_site(const std::string& staging_dir, const std::string& out_dir);

}  // namespace sodlab::report
