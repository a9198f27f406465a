// `sodlab runs [--experiment E] [--variant V] [--profile P] [--status S] [--where COND]
// [--limit N]`: list runs with their overrides, redo attempts and refs (a stale 'running' run
// shows as 'interrupted'). Read-only.
#include <cstdint>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "store/query.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct RunsArgs {
  std::string experiment, variant, profile, status;
  std::string where;
  std::string format = "table";
  std::int64_t limit = store::kDefaultLimit;
  std::string db = store::default_db_path();
  double stale = 300;
};

CommandRegistration registration{
    "runs", "List the runs in the results store (read-only)",
    [](CLI::App& app) {
      auto a = std::make_shared<RunsArgs>();
      app.add_option("--experiment,-e", a->experiment, "Only runs of this experiment, e.g. kolkin2017/table4");
      app.add_option("--variant", a->variant, "Only runs of this variant");
      app.add_option("--profile,-p", a->profile, "Only runs of this profile");
      app.add_option("--status,-s", a->status,
                     "Only runs with this status (queued, running, completed, failed, interrupted)");
      app.add_option("--where,-w", a->where,
                     "SQL condition on the columns shown, e.g. \"seed = 1 AND overrides <> ''\"");
      app.add_option("--format,-f", a->format, "table | csv | json")->capture_default_str();
      CLI::Option* limit = app.add_option(
          "--limit,-n", a->limit,
          "At most N runs, 0 = all (default: " + std::to_string(store::kTableRowLimit) +
              " for table, all for csv / json)");
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.add_option("--stale", a->stale,
                     "Seconds without heartbeat after which a running run is shown as interrupted")
          ->capture_default_str();
      app.footer(
          "Columns: run_id, experiment, variant, profile, overrides (--set text, empty = none), fold, "
          "seed, status, attempt_of (a --force redo attempt: the run it redoes; it replaces that run "
          "only once completed), provenance, timestamps, error, owner (host:pid that claimed it), "
          "refs (experiment files/profiles referring to the run; see `sodlab query \"SELECT * FROM "
          "run_refs\"`).");
      return [a, limit] {
        const store::Format f = store::parse_format(a->format);
        if (limit->count() && a->limit < 0)
          throw InputError("--limit " + std::to_string(a->limit) + ": expected a number of runs >= 0 "
                           "(0 = all)");
        store::RunFilter filter;
        if (!a->experiment.empty()) filter.experiment = a->experiment;
        if (!a->variant.empty()) filter.variant = a->variant;
        if (!a->profile.empty()) filter.profile = a->profile;
        if (!a->status.empty()) {
          if (a->status != store::kStatusQueued && a->status != store::kStatusRunning &&
              a->status != store::kStatusCompleted && a->status != store::kStatusFailed &&
              a->status != store::kStatusInterrupted)
            throw InputError("--status '" + a->status +
                             "': expected queued, running, completed, failed or interrupted");
          filter.status = a->status;
        }
        store::runs_stream(a->db, filter, a->where, a->stale, f, std::cout, a->limit);
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
