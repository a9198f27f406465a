#include "core/threads.h"

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace sodlab {

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int resolve_threads(int requested) {
  if (requested < 0 || requested > kMaxThreads)
    throw InputError("--threads " + std::to_string(requested) + ": expected 1.." +
                     std::to_string(kMaxThreads) + " (0 or omitted: SODLAB_THREADS or all cores)");
  if (requested > 0) return requested;
  if (const char* env = std::getenv("SODLAB_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end == env || *end != '\0' || v < 1 || v > kMaxThreads)
      throw InputError("SODLAB_THREADS='" + std::string(env) + "' is not an integer in 1.." +
                       std::to_string(kMaxThreads));
    return static_cast<int>(v);
  }
  return hardware_threads();
}

}  // namespace sodlab
