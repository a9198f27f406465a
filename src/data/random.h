// Portable, seedable random streams for data generation and augmentation.
//
// Contract: the same seed gives the same sequence on every platform and standard library (no
// std::*_distribution, whose output is implementation-defined). derive_seed() mixes a root seed
// with a stream name and up to two indices (e.g. epoch, sample index), so every sample of every
// epoch has its own independent stream, whatever thread draws it.
#pragma once

#include <cstdint>
#include <string_view>

namespace sodlab::data {

// SplitMix64 finaliser: a bijective 64-bit mixer.
std::uint64_t mix64(std::uint64_t x);

// Seed of the stream `stream` at (a, b) under `root`.
std::uint64_t derive_seed(std::uint64_t root, std::string_view stream, std::uint64_t a = 0,
                          std::uint64_t b = 0);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();                  // uniform 64-bit word (SplitMix64 sequence)
  double uniform();                      // [0, 1)
  double uniform(double lo, double hi);  // [lo, hi)
  int uniform_int(int lo, int hi);       // [lo, hi], inclusive
  double normal();                       // N(0, 1), Box-Muller
  bool bernoulli(double p) { return uniform() < p; }

 private:
  std::uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace sodlab::data
