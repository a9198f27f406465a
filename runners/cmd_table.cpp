// `sodlab table NAME|SPEC.toml`: the paper table, ours beside the published values.
//
// The table plans the experiment exactly as `sodlab run` would (same profile, --set overrides
// and threads) and shows only the runs with those run ids.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "command.h"
#include "planned_runs.h"
#include "core/threads.h"
#include "config/experiment.h"
#include "core/error.h"
#include "core/output_files.h"
#include "pipeline/plan.h"
#include "report/paper_table.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct TableArgs {
  pipeline::PlanRequest plan;
  std::string format = "md";
  std::string db = store::default_db_path();
  std::string out;
  bool sort = false;
};

CommandRegistration registration{
    "table", "Render an experiment's paper table from the results store (md, tex or csv)",
    [](CLI::App& app) {
      auto a = std::make_shared<TableArgs>();
      app.add_option("experiment", a->plan.experiment,
                     "Experiment name (kolkin2017/table4 → experiments/kolkin2017/table4.toml, or "
                     "$SODLAB_EXPERIMENTS_DIR) or a .toml path")
          ->required();
      app.add_option("--profile,-p", a->plan.profile,
                     "Profile whose runs to show (default: that of the latest completed run)");
      app.add_option("--set,-s", a->plan.sets,
                     "The --set overrides the runs were made with (the table shows those runs)");
      app.add_option("--threads", a->plan.threads,
                     "The --threads the runs were made with (default: as `sodlab run`)")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--device", a->plan.device, "The --device the runs were made with (its kind is part of the run id)");
      app.add_option("--format,-f", a->format, "md | tex | csv")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--out,-o", a->out, "Write to this file instead of standard output");
      app.add_flag("--sort", a->sort,
                   "Sort the rows by the first metric column, best first, and mark the best (a sweep: by its "
                   "headline metric; with --set table.reference=POINT each row also gets the paired statistics "
                   "against that point)");
      return [a] {
        if (a->format != "md" && a->format != "tex" && a->format != "csv")
          throw InputError("--format '" + a->format + "': expected md, tex or csv");
        require_results_db(a->db);
        store::ResultsStore db(a->db, store::OpenMode::read_only);
        if (!a->out.empty()) output::check_output_file(a->out, "--out");
        const DisplayPlan d = plan_for_display(a->plan, db);
        report::PaperTable t = display_table(d, db);
        if (a->sort) report::rank_rows(t);
        const std::string text = a->format == "md"    ? report::render_markdown(t)
                                 : a->format == "tex" ? report::render_latex(t)
                                                      : report::render_csv(t);
        std::error_code ec;
        if (a->out.empty()) {
          std::cout << text;
        } else {
          const auto parent = std::filesystem::path(a->out).parent_path();
          if (!parent.empty()) std::filesystem::create_directories(parent, ec);
          output::write_output_file(a->out, text, "--out");
          std::cerr << "wrote " << a->out << "\n";
        }
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
