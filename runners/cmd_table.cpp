// `sodlab table NAME|SPEC.toml`: the paper table, ours beside the published values.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "command.h"
#include "config/experiment.h"
#include "core/error.h"
#include "report/paper_table.h"
#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct TableArgs {
  std::string experiment;
  std::string profile;
  std::string format = "md";
  std::string db = store::default_db_path();
  std::string out;
};

// The profile of the most recently completed run of the experiment ("" if none).
std::string latest_profile(const std::string& db, const std::string& experiment) {
  std::string q;
  for (char c : experiment) q += c == '\'' ? std::string("''") : std::string(1, c);
  const auto r = store::query_readonly(
      db, "SELECT profile FROM runs WHERE experiment = '" + q +
              "' AND status = 'completed' ORDER BY ended_at DESC LIMIT 1");
  if (r.rows.empty() || r.rows[0][0].index() != 3) return "";
  return std::get<std::string>(r.rows[0][0]);
}

CommandRegistration registration{
    "table", "Render an experiment's paper table from the results store (md, tex or csv)",
    [](CLI::App& app) {
      auto a = std::make_shared<TableArgs>();
      app.add_option("experiment", a->experiment,
                     "Experiment name (kolkin2017/table4 → experiments/kolkin2017/table4.toml, or "
                     "$SODLAB_EXPERIMENTS_DIR) or a .toml path")
          ->required();
      app.add_option("--profile,-p", a->profile,
                     "Profile whose runs to show (default: that of the latest completed run)");
      app.add_option("--format,-f", a->format, "md | tex | csv")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--out,-o", a->out, "Write to this file instead of standard output");
      return [a] {
        if (a->format != "md" && a->format != "tex" && a->format != "csv")
          throw InputError("--format '" + a->format + "': expected md, tex or csv");
        const std::string path = config::resolve_experiment_path(a->experiment);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(a->db, ec))
          throw InputError(a->db + ": no results database (run the experiment first, or pass --db)");
        config::LoadOptions load;
        load.profile = a->profile;
        if (load.profile.empty()) {
          const auto base = config::load_experiment(path);
          load.profile = latest_profile(a->db, base.info.name);
        }
        const config::Experiment ex = config::load_experiment(path, load);
        store::ResultsStore db(a->db);
        const report::PaperTable t =
            report::build_table(ex.table, ex.info.name, ex.info.reproduces, load.profile, db);
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
