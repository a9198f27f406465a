// Internal to src/store: the versioned schema. Migration i (1-based) brings a database from
// version i-1 to i; each runs in the same BEGIN IMMEDIATE transaction that bumps
// schema_version, so concurrent openers apply each migration exactly once.
#pragma once

#include <string>
#include <vector>

namespace sodlab::store::detail {

const std::vector<std::string>& migrations();

// SQL expression of a run's effective status ('running' with a heartbeat older than
// `stale_seconds` → 'interrupted'), over the columns of `runs`.
std::string effective_status_sql(double stale_seconds);

// Tables holding per-run rows (all have a run_id column referencing runs).
const std::vector<std::string>& child_tables();

}  // namespace sodlab::store::detail
