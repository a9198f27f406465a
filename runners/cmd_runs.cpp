// `sodlab runs [--experiment E] [--variant V] [--profile P] [--status S] [--tag T] [--where COND]
// [--limit N]`: list runs with their overrides, redo attempts, refs, tags and notes (a stale
// 'running' run shows as 'interrupted'). Read-only.
// `sodlab runs tag RUN TAG... [--remove]` and `sodlab runs note RUN "text"`: the only writes; they
// touch run_tags / run_notes, never the run's row (its identity).
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

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
  std::vector<std::string> tags;
  // runs tag / runs note
  std::string run_id, note;
  std::vector<std::string> new_tags;
  bool remove = false;
};

// The store a tag or note goes into: it must exist (a typo in --db must not create one).
store::ResultsStore open_existing(const std::string& db) {
  if (!std::filesystem::is_regular_file(db))
    throw InputError(db + ": no results database here (--db or $SODLAB_DB names it)");
  return store::ResultsStore(db);
}

void print_tags(store::ResultsStore& s, const std::string& run_id) {
  std::string line;
  for (const auto& t : s.tags(run_id)) line += (line.empty() ? "" : ", ") + t;
  std::cout << run_id << ": tags " << (line.empty() ? "(none)" : line) << "\n";
}

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
      app.add_option("--tag,-t", a->tags, "Only runs carrying this tag (repeat: all of them)");
      CLI::App* tag = app.add_subcommand("tag", "Tag a run: sodlab runs tag RUN TAG... (never changes its identity)");
      tag->add_option("run", a->run_id, "Run id (sodlab runs lists them)")->required();
      tag->add_option("tags", a->new_tags, "Tags (no spaces or commas)")->required();
      tag->add_flag("--remove", a->remove, "Remove these tags instead");
      tag->add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      CLI::App* note = app.add_subcommand("note", "Add a note to a run: sodlab runs note RUN \"text\"");
      note->add_option("run", a->run_id, "Run id (sodlab runs lists them)")->required();
      note->add_option("text", a->note, "The note")->required();
      note->add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.require_subcommand(0, 1);
      app.footer(
          "Columns: run_id, experiment, variant, profile, overrides (--set text, empty = none), fold, "
          "seed, status, attempt_of (a --force redo attempt: the run it redoes; it replaces that run "
          "only once completed), provenance, timestamps, error, owner (host:pid that claimed it), "
          "refs (experiment files/profiles referring to the run; see `sodlab query \"SELECT * FROM "
          "run_refs\"`), tags (comma-separated), notes (\" | \" between notes).");
      return [a, limit, tag, note] {
        if (tag->parsed()) {
          store::ResultsStore s = open_existing(a->db);
          if (a->remove) {
            const int removed = s.remove_tags(a->run_id, a->new_tags);
            std::cout << "removed " << removed << " tag(s); ";
          } else {
            s.add_tags(a->run_id, a->new_tags);
          }
          print_tags(s, a->run_id);
          return 0;
        }
        if (note->parsed()) {
          store::ResultsStore s = open_existing(a->db);
          s.add_note(a->run_id, a->note);
          std::cout << a->run_id << ": " << s.notes(a->run_id).size() << " note(s)\n";
          return 0;
        }
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
        filter.tags = a->tags;
        store::runs_stream(a->db, filter, a->where, a->stale, f, std::cout, a->limit);
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
