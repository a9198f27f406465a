// `sodlab table NAME|SPEC.toml`: the paper table, ours beside the published values.
//
// The table plans the experiment exactly as `sodlab run` would (same profile, --set overrides
// and threads) and shows only the runs with those run ids.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/threads.h"
#include "config/experiment.h"
#include "core/error.h"
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
      app.add_option("--format,-f", a->format, "md | tex | csv")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--out,-o", a->out, "Write to this file instead of standard output");
      return [a] {
        if (a->format != "md" && a->format != "tex" && a->format != "csv")
          throw InputError("--format '" + a->format + "': expected md, tex or csv");
        const std::string path = config::resolve_experiment_path(a->plan.experiment);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(a->db, ec))
          throw InputError(a->db + ": no results database (run the experiment first, or pass --db)");
        store::ResultsStore db(a->db, store::OpenMode::read_only);
        pipeline::PlanRequest request = a->plan;
        request.check_weights = false;  // showing results needs no pretrained weights
        if (request.profile.empty())
          request.profile = db.latest_completed_profile(config::load_experiment(path).info.name).value_or("");
        const pipeline::Plan plan = pipeline::plan(request);
        std::vector<report::TableRun> runs;
        for (const auto& r : plan.runs) {
          report::TableRun run{r.spec.variant, r.run_id, {}};
          for (const auto& test : r.data.tests) run.datasets.push_back(test.label);
          runs.push_back(std::move(run));
        }
        if (plan.study) runs.push_back({"ours", plan.study->run_id, plan.study->datasets});
        const config::Experiment& ex = plan.experiment;
        report::PaperTable t =
            report::build_table(ex.table, ex.info.name, ex.info.reproduces, request.profile, runs, db);
        t.overrides = pipeline::overrides_text(request.sets);
        const std::string text = a->format == "md"    ? report::render_markdown(t)
                                 : a->format == "tex" ? report::render_latex(t)
                                                      : report::render_csv(t);
        if (a->out.empty()) {
          std::cout << text;
        } else {
          const auto parent = std::filesystem::path(a->out).parent_path();
          if (!parent.empty()) std::filesystem::create_directories(parent, ec);
          std::ofstream f(a->out, std::ios::binary);
          if (!(f << text)) throw RuntimeFailure(a->out + ": cannot write the table");
          std::cerr << "wrote " << a->out << "\n";
        }
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
