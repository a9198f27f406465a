// Deterministic crash points for tests of what survives a kill -9: kill_point("name") raises
// SIGKILL when $SODLAB_KILL_AT is "name" (the first time the process reaches it) or "name:N" (the
// N-th time, 1-based). Unset in normal use: one cached getenv per process, then a comparison.
// Points: epoch_recorded (an epoch's row is in the store, its checkpoint not yet written),
// checkpoint_saved (the epoch's checkpoint is in place).
#pragma once

namespace sodlab {

void kill_point(const char* name);

}  // namespace sodlab
