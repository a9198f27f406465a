// Internal to src/store: the versioned schema. Migration i (1-based) brings a database from
// version i-1 to i; each runs in the same BEGIN IMMEDIATE transaction that bumps
// schema_version, so concurrent openers apply each migration exactly once.
#pragma once

#include <string>
#include <vector>

struct sqlite3;

namespace sodlab::store {
struct RunFilter;
}

namespace sodlab::store::detail {

const std::vector<std::string>& migrations();

// SQL expression of a run's effective status ('running' with a heartbeat older than
// `stale_seconds` → 'interrupted'), over the columns of `runs`.
std::string effective_status_sql(double stale_seconds);

// SQL condition (with ? placeholders; their values appended to `params` in order) matching the
// filter over columns named like those of `runs`; "1" for an empty filter. `status` compares
// the column called status: select the effective status under that name first.
std::string run_filter_sql(const RunFilter& filter, std::vector<std::string>& params);

// InputError naming `path` unless the database is a sodlab store at the schema version of this
// code, or at least `oldest` (read-only openers cannot migrate); returns its version.
// kOldestReadable: version 7 (before run_tags / run_notes) reads as a store without tags or notes.
inline constexpr int kOldestReadable = 7;
inline constexpr int kTagsVersion = 8;
int require_current_schema(sqlite3* db, const std::string& path, int oldest = 1 << 30);

// Tables holding per-run rows that merge_from() replaces with the shard's (all have a run_id
// column referencing runs). run_refs is not one: refs are only ever added.
const std::vector<std::string>& child_tables();

}  // namespace sodlab::store::detail
