#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace sodlab::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mutex;
std::string g_prefix;  // guarded by g_mutex

void emit(Level at, const char* tag, const std::string& message) {
  if (at < g_level.load()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%s%s%s\n", g_prefix.c_str(), tag, message.c_str());
  std::fflush(stderr);
}
}  // namespace

void set_level(Level l) { g_level.store(l); }
Level level() { return g_level.load(); }
void set_prefix(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_prefix = prefix;
}
void debug(const std::string& m) { emit(Level::debug, "[debug] ", m); }
void info(const std::string& m) { emit(Level::info, "", m); }
void warn(const std::string& m) { emit(Level::warn, "warning: ", m); }
void error(const std::string& m) { emit(Level::error, "error: ", m); }

}  // namespace sodlab::log
