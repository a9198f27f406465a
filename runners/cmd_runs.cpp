// `sodlab runs [--where COND]`: list runs (a stale 'running' run shows as 'interrupted').
#include <iostream>
#include <memory>

#include "command.h"
#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct RunsArgs {
  std::string where;
  std::string format = "table";
  std::string db = store::default_db_path();
  double stale = 300;
};

CommandRegistration registration{
    "runs", "List the runs in the results store (read-only)",
    [](CLI::App& app) {
      auto a = std::make_shared<RunsArgs>();
      app.add_option("--where,-w", a->where,
                     "SQL condition on runs columns, e.g. \"experiment='kolkin2017/table4' AND "
                     "status='completed'\"");
      app.add_option("--format,-f", a->format, "table | csv | json")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--stale", a->stale,
                     "Seconds without heartbeat after which a running run is shown as interrupted")
          ->capture_default_str();
      return [a] {
        const store::Format f = store::parse_format(a->format);
        std::cout << store::render(store::runs_readonly(a->db, a->where, a->stale), f);
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
