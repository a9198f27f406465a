// Built-in synthetic salient-object dataset, deterministic from a seed.
//
// Each sample is generated on demand from (seed, index), so memory does not grow with n and any
// index can be drawn in any order or thread. An image holds one or two salient objects (ellipse,
// random polygon or smooth blob) with a colour and texture that contrast with a cluttered,
// textured background carrying smaller, lower-contrast distractor shapes that are not in the mask.
#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace sodlab::data {

struct SyntheticSpec {
  int n = 64;               // number of samples
  int size = 128;           // image side in pixels (square images), >= 16
  std::uint64_t seed = 0;   // generator seed
};

class SyntheticDataset : public Dataset {
 public:
  explicit SyntheticDataset(SyntheticSpec spec);  // InputError on n < 1 or size < 16
  std::size_t size() const override { return static_cast<std::size_t>(spec_.n); }
  Sample get(std::size_t index) const override;
  std::string stem(std::size_t index) const override;  // "synth_000042"
  std::string name() const override { return "synthetic"; }
  std::string manifest_sha() const override;  // hash of generator version + spec
  const SyntheticSpec& spec() const { return spec_; }

 private:
  SyntheticSpec spec_;
};

}  // namespace sodlab::data
