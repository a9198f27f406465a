// `sodlab query "SELECT ..." [--format F] [--limit N]`: read-only SQL on the results store; CSV
// and JSON rows are streamed as SQLite returns them.
#include <cstdint>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct QueryArgs {
  std::string sql;
  std::string format = "table";
  std::int64_t limit = store::kDefaultLimit;
  std::string db = store::default_db_path();
};

CommandRegistration registration{
    "query", "Run a read-only SQL query on the results store (table, CSV or JSON output)",
    [](CLI::App& app) {
      auto a = std::make_shared<QueryArgs>();
      app.add_option("sql", a->sql, "One SELECT / WITH / VALUES / EXPLAIN / PRAGMA statement")->required();
      app.add_option("--format,-f", a->format, "table | csv | json")->capture_default_str();
      CLI::Option* limit = app.add_option(
          "--limit,-n", a->limit,
          "At most N rows, 0 = all (default: " + std::to_string(store::kTableRowLimit) +
              " for table, all for csv / json, which stream any number of rows)");
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.footer(
          "Tables: runs, run_refs, epochs, results, per_image, curves, timings, artifacts; views "
          "run_results (redo attempts left out), run_overview.\nOpened read-only (immutable when its "
          "directory is not writable).\n"
          "Example: sodlab query \"SELECT variant, avg(value) FROM run_results WHERE metric='mae' "
          "GROUP BY variant\"");
      return [a, limit] {
        const store::Format f = store::parse_format(a->format);
        if (limit->count() && a->limit < 0)
          throw InputError("--limit " + std::to_string(a->limit) + ": expected a number of rows >= 0 "
                           "(0 = all)");
        store::query_stream(a->db, a->sql, f, std::cout, a->limit);
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
