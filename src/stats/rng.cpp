#include "stats/rng.h"

#include <limits>

namespace sodlab::stats {

std::size_t Rng::below(std::size_t n) {
  const std::uint64_t bound = static_cast<std::uint64_t>(n);
  // Largest multiple of n representable: draws at or above it are rejected (no modulo bias).
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  for (;;) {
    const std::uint64_t x = engine_();
    if (x < limit) return static_cast<std::size_t>(x % bound);
  }
}

}  // namespace sodlab::stats
