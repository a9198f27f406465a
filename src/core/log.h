// Minimal levelled logging to stderr. Thread-safe (one line per call).
#pragma once

#include <string>

namespace sodlab::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, quiet = 4 };

void set_level(Level level);
Level level();
// Text put before every line, e.g. "[worker 2] " for one of several processes sharing a terminal.
void set_prefix(const std::string& prefix);

void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);

}  // namespace sodlab::log
