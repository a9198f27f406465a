// Order-independent summation for dataset aggregation: each term is truncated to a multiple of
// 2^-80 and summed exactly in 128-bit integers, so results do not depend on the order in which
// threads add images (error ≤ n·2^-80, far below double rounding). Non-finite terms propagate as
// in an ordinary sum. Terms must satisfy |x| < 2^40.
#pragma once

#include <cmath>
#include <cstdint>

namespace sodlab::metrics {

class ExactSum {
 public:
  void add(double x) {
    if (!std::isfinite(x)) {
      nonfinite_ = (n_nonfinite_++ == 0) ? x : nonfinite_ + x;
      return;
    }
    acc_ += static_cast<__int128>(std::ldexp(x, kShift));
  }
  double value() const {
    if (n_nonfinite_ > 0) return nonfinite_;
    return std::ldexp(static_cast<double>(acc_), -kShift);
  }

 private:
  static constexpr int kShift = 80;
  __int128 acc_ = 0;
  double nonfinite_ = 0;
  std::int64_t n_nonfinite_ = 0;
};

}  // namespace sodlab::metrics
