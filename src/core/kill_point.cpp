#include "core/kill_point.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace sodlab {
namespace {

struct Target {
  std::string name;
  long at = 1;
};

const Target& target() {
  static const Target t = [] {
    Target t;
    const char* env = std::getenv("SODLAB_KILL_AT");
    if (!env || !*env) return t;
    t.name = env;
    if (const auto colon = t.name.rfind(':'); colon != std::string::npos) {
      t.at = std::strtol(t.name.c_str() + colon + 1, nullptr, 10);
      t.name.resize(colon);
    }
    return t;
  }();
  return t;
}

std::atomic<long> g_reached{0};

}  // namespace

void kill_point(const char* name) {
  const Target& t = target();
  if (t.name.empty() || t.name != name) return;
  if (g_reached.fetch_add(1) + 1 == t.at) ::raise(SIGKILL);
}

}  // namespace sodlab
