// `sodlab query "SELECT ..."`: read-only SQL on the results store.
#include <iostream>
#include <memory>

#include "command.h"
#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct QueryArgs {
  std::string sql;
  std::string format = "table";
  std::string db = store::default_db_path();
};

CommandRegistration registration{
    "query", "Run a read-only SQL query on the results store (table, CSV or JSON output)",
    [](CLI::App& app) {
      auto a = std::make_shared<QueryArgs>();
      app.add_option("sql", a->sql, "One SELECT / WITH / VALUES / EXPLAIN / PRAGMA statement")->required();
      app.add_option("--format,-f", a->format, "table | csv | json")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.footer(
          "Tables: runs, run_refs, epochs, results, per_image, curves, timings, artifacts; views "
          "run_results, run_overview.\nOpened read-only (immutable when its directory is not writable).\n"
          "Example: sodlab query \"SELECT variant, avg(value) FROM run_results WHERE metric='mae' "
          "GROUP BY variant\"");
      return [a] {
        const store::Format f = store::parse_format(a->format);
        std::cout << store::render(store::query_readonly(a->db, a->sql), f);
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
