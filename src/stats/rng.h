// A seeded random stream whose draws are the same on every compiler and standard library: the
// bootstrap's resamples are part of what a table records (seed, resamples), so they must repeat.
// std::mt19937_64's output is fixed by the standard; std::uniform_int_distribution's is not, so
// bounded draws use rejection sampling here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

namespace sodlab::stats {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  // Uniform on [0, n); n > 0.
  std::size_t below(std::size_t n);

 private:
  std::mt19937_64 engine_;
};

}  // namespace sodlab::stats
