// `sodlab report`: the static HTML report of one profile (report/site.h), from the results store.
//
// Every experiment file (experiments/*/*.toml, or $SODLAB_EXPERIMENTS_DIR) and every sweep
// (ablations/*.toml) is planned as `sodlab table` plans it (same profile, --set overrides and
// threads); each gets its table and the figures its runs have data for:
//   pr          always tried (clean inputs), and once per random distortion of the file
//   distortion  a metric against strength, for a distortion kind with two or more levels
//   training    loss per epoch, where epochs are recorded
// A file that cannot be planned (e.g. the paper profile's datasets are not here) or has no runs
// in the store is listed with the reason, not dropped. The report is built in a staging folder
// and swapped in at the end (site.h): an interrupted report leaves the previous one intact.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "code_version.h"
#include "command.h"
#include "planned_runs.h"
#include "config/experiment.h"
#include "core/error.h"
#include "core/output_files.h"
#include "core/threads.h"
#include "pipeline/plan.h"
#include "pipeline/specs.h"
#include "report/figure.h"
#include "report/sweep_figure.h"
#include "report/gnuplot.h"
#include "report/site.h"
#include "store/provenance.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  pipeline::PlanRequest plan;             // profile, sets, threads (experiment set per file)
  std::vector<std::string> experiments;   // restrict to these names / files (empty = all)
  std::string experiments_dir;            // default $SODLAB_EXPERIMENTS_DIR or experiments
  std::string ablations_dir = "ablations";
  std::string db = store::default_db_path();
  std::string out_dir = "results/report";
};

// Every experiment file, then every sweep file, each list sorted.
std::vector<std::string> all_files(const ReportArgs& a) {
  std::vector<std::string> files, sweeps;
  std::error_code ec;
  const std::string dir = a.experiments_dir.empty() ? config::experiments_dir() : a.experiments_dir;
  if (fs::is_directory(dir, ec))
    for (const auto& paper : fs::directory_iterator(dir, ec))
      if (paper.is_directory())
        for (const auto& f : fs::directory_iterator(paper.path(), ec))
          if (f.path().extension() == ".toml") files.push_back(f.path().string());
  if (fs::is_directory(a.ablations_dir, ec))
    for (const auto& f : fs::directory_iterator(a.ablations_dir, ec))
      if (f.path().extension() == ".toml") sweeps.push_back(f.path().string());
  std::sort(files.begin(), files.end());
  std::sort(sweeps.begin(), sweeps.end());
  files.insert(files.end(), sweeps.begin(), sweeps.end());
  return files;
}

std::string file_stem(std::string name) {
  for (char& c : name)
    if (c == '/' || c == ' ' || c == '=' || c == ',') c = '-';
  return name;
}

// The figures of one planned experiment that its runs have data for, rendered into <dir>/figures.
void add_figures(const DisplayPlan& d, store::ResultsStore& db, const std::string& dir, report::SiteSection& s) {
  struct Wanted {
    std::string kind, distortion = "none", distortion_kind = "awgn", caption;
  };
  std::vector<Wanted> wanted{{"pr", "none", "awgn", "PR curves, clean inputs"}};
  if (!d.plan.runs.empty()) {
    std::map<std::string, std::set<std::string>> fixed_levels;  // kind → labels
    for (const auto& x : d.plan.runs.front().spec.data.distortions) {
      const data::Distortion dist = pipeline::distortion_spec(x);
      if (x.kind == "none") continue;
      if (dist.random) wanted.push_back({"pr", dist.label(), "awgn", "PR curves under " + dist.label()});
      else fixed_levels[x.kind].insert(dist.label());
    }
    for (const auto& [kind, labels] : fixed_levels)
      if (labels.size() >= 2) wanted.push_back({"distortion", "none", kind, "adaptive F against " + kind + " strength"});
  }
  wanted.push_back({"training", "none", "awgn", "training curves"});
  for (const auto& w : wanted) {
    report::FigureRequest request = figure_request(d, w.kind);
    request.distortion = w.distortion;
    request.distortion_kind = w.distortion_kind;
    report::Figure figure;
    try {
      figure = report::build_figure(request, db);
    } catch (const InputError&) {
      continue;  // nothing of this kind in the store for these runs
    }
    std::string name = file_stem(d.plan.experiment.info.name) + "-" + w.kind;
    if (w.kind == "distortion") name += "-" + w.distortion_kind;
    if (w.distortion != "none") name += "-" + w.distortion;
    const report::Rendered r = report::render(figure, (fs::path(dir) / "figures").string(), name, "png");
    auto relative = [&](const std::string& p) { return fs::relative(p, dir).generic_string(); };
    s.figures.push_back({w.caption, relative(r.image), relative(r.script), relative(r.data)});
  }
}

// A sweep's parallel coordinates and marginal plots (report/sweep_figure.h) once a point has a value.
void add_sweep_figure(const DisplayPlan& d, store::ResultsStore& db, const std::string& dir, report::SiteSection& s) {
  report::SweepFigure f;
  try {
    f = report::build_sweep_figure(sweep_figure_request(d, ""), db);
  } catch (const InputError& e) {
    s.problems.push_back(std::string("sweep figure: ") + e.what());
    return;
  }
  if (std::none_of(f.points.begin(), f.points.end(), [](const report::SweepPoint& p) { return p.metric.has_value(); }))
    return;
  const std::string name = file_stem(d.plan.experiment.info.name) + "-sweep";
  const report::Rendered r = report::render_sweep_figure(f, (fs::path(dir) / "figures").string(), name, "png");
  auto relative = [&](const std::string& p) { return fs::relative(p, dir).generic_string(); };
  s.figures.push_back({"every point's parameters against " + f.metric_label +
                           " (parallel coordinates; failed, missing, collapsed and identical points marked) and "
                           "the metric against each swept key with the others marginalised",
                       relative(r.image), relative(r.script), relative(r.data)});
}

report::SiteSection section_of(const std::string& file, const ReportArgs& a, store::ResultsStore& db,
                               const std::string& staging) {
  report::SiteSection s;
  s.source = file;
  const config::Experiment ex = config::load_experiment(file);
  s.name = ex.info.name;
  s.reproduces = ex.info.reproduces;
  s.kind = ex.is_sweep() ? "sweep" : ex.is_study() ? "study" : "paper table";
  pipeline::PlanRequest request = a.plan;
  request.experiment = file;
  DisplayPlan d;
  try {
    d = plan_for_display(request, db);
  } catch (const InputError& e) {
    s.problems.push_back(std::string("not planned under profile ") + (a.plan.profile.empty() ? "(none)" : a.plan.profile) +
                         ": " + e.what());
    return s;
  }
  // Without --threads, a file none of whose runs is in the store at the default thread count is
  // looked for at every other count (sweeps run several workers of fewer threads each).
  auto in_store = [&](const DisplayPlan& p) {
    int n = 0;
    for (const auto& r : p.runs) n += db.find_run(r.run_id).has_value();
    return n;
  };
  if (a.plan.threads == 0 && !d.plan.runs.empty() && in_store(d) == 0) {
    for (int t = 1; t <= hardware_threads(); ++t) {
      if (t == d.plan.runs.front().threads) continue;
      request.threads = t;
      DisplayPlan other = plan_for_display(request, db);
      if (in_store(other) > 0) {
        d = std::move(other);
        break;
      }
    }
  }
  if (!d.plan.runs.empty()) s.threads = d.plan.runs.front().threads;
  s.runs = d.runs;
  try {
    s.table = display_table(d, db);
  } catch (const InputError& e) {
    s.problems.push_back(e.what());
  }
  if (!d.plan.study) add_figures(d, db, staging, s);
  if (ex.is_sweep()) add_sweep_figure(d, db, staging, s);
  if (in_store(d) == 0) {
    std::string profile = a.plan.profile.empty() ? "" : " --profile " + a.plan.profile;
    if (a.plan.threads > 0) profile += " --threads " + std::to_string(a.plan.threads);
    s.problems.push_back("none of its runs is in the store yet: " +
                         (ex.is_sweep() ? "sodlab sweep " + file : "sodlab run " + s.name) + profile);
  }
  return s;
}

// The profile of the most recently completed run in the store ("" when none).
std::string latest_profile(store::ResultsStore& db) {
  store::RunFilter f;
  f.status = store::kStatusCompleted;
  std::string profile, ended;
  for (const auto& r : db.runs(f))
    if (r.experiment != "eval" && r.ended_at >= ended) ended = r.ended_at, profile = r.profile;
  return profile;
}

CommandRegistration registration{
    "report", "Write the static HTML report of a profile: every table, figure, sweep and run (results/report/)",
    [](CLI::App& app) {
      auto a = std::make_shared<ReportArgs>();
      app.add_option("--profile,-p", a->plan.profile,
                     "Profile to report (default: that of the latest completed run in the store)");
      app.add_option("--set,-s", a->plan.sets, "The --set overrides the runs were made with");
      app.add_option("--threads", a->plan.threads, "The --threads the runs were made with")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--device", a->plan.device, "The --device the runs were made with (its kind is part of the run id)");
      app.add_option("--experiment,-e", a->experiments,
                     "Only these experiments (names or .toml files; repeatable; default every file)");
      app.add_option("--experiments-dir", a->experiments_dir,
                     "Experiment files (default $SODLAB_EXPERIMENTS_DIR or experiments)");
      app.add_option("--ablations-dir", a->ablations_dir, "Sweep files")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--out-dir,-o", a->out_dir, "The report folder (replaced as a whole; only a folder sodlab's report wrote)")->capture_default_str();
      return [a] {
        require_results_db(a->db);
        store::ResultsStore db(a->db, store::OpenMode::read_only);
        if (a->plan.profile.empty()) a->plan.profile = latest_profile(db);
        std::vector<std::string> files;
        if (a->experiments.empty()) files = all_files(*a);
        for (const auto& e : a->experiments) files.push_back(config::resolve_experiment_path(e));
        if (files.empty()) throw InputError("no experiment files found (looked in experiments/ and " + a->ablations_dir + ")");

        output::protect_folder(a->experiments_dir.empty() ? config::experiments_dir() : a->experiments_dir,
                               "the experiment files");
        output::protect_folder(a->ablations_dir, "the sweep files");
        const fs::path out(output::without_trailing_slash(a->out_dir));
        const fs::path staging = report::prepare_report_folder(a->out_dir);
        struct Cleanup {
          fs::path dir;
          ~Cleanup() {
            std::error_code ec;
            fs::remove_all(dir, ec);
          }
        } cleanup{staging};
        fs::create_directories(staging / "figures");

        report::Site site;
        site.title = "sodlab report" + (a->plan.profile.empty() ? std::string() : " — profile " + a->plan.profile);
        site.profile = a->plan.profile;
        site.db_path = a->db;
        site.code_version = build::kCodeVersion;
        site.generated_at = store::utc_now();
        for (const auto& file : files) {
          std::cerr << "report: " << file << "\n";
          site.sections.push_back(section_of(file, *a, db, staging.string()));
        }
        store::RunFilter evals;
        evals.experiment = "eval";
        for (const auto& r : db.runs(evals)) site.eval_runs.push_back(r.run_id);

        const report::SiteSummary summary = report::write_site(site, db, staging.string());
        report::publish_site(staging.string(), a->out_dir);
        std::cout << (out / "index.html").string() << "\n";
        std::cerr << "report: " << site.sections.size() << " experiment(s), " << summary.tables << " table(s), "
                  << summary.figures << " figure(s), " << summary.runs << " run page(s)\n";
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
