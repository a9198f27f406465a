// SIGINT / SIGTERM / SIGHUP as a request to stop: long operations poll stop_requested() at safe
// points (between batches) and end cleanly (checkpoint kept, run marked interrupted) instead of
// dying. install_stop_handlers() is idempotent; a second signal of any kind exits at once
// (128 + signal: 130 / 143 / 129).
#pragma once

namespace sodlab {

void install_stop_handlers();
bool stop_requested();
int stop_signal();  // the signal received (SIGINT/SIGTERM/SIGHUP), 0 if none
// Exit status for a process stopped by stop_signal(): 128 + signal.
int stop_exit_code();

}  // namespace sodlab
