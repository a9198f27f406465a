#include "losses/mask_maps.h"

#include "core/distance_transform.h"
#include "core/threads.h"

#include <algorithm>
#include <cstring>

namespace sodlab::losses {

MaskDistances mask_distances(const torch::Tensor& masks, bool want_to_bg) {
  const auto cpu = (masks > 0.5).to(torch::kCPU, torch::kUInt8).contiguous();
  const int n = static_cast<int>(cpu.size(0));
  const int rows = static_cast<int>(cpu.size(2)), cols = static_cast<int>(cpu.size(3));
  const std::int64_t hw = static_cast<std::int64_t>(rows) * cols;
  auto dopt = torch::TensorOptions().dtype(torch::kDouble);
  MaskDistances out;
  out.to_fg = torch::empty({n, 1, rows, cols}, dopt);
  out.nearest_fg = torch::empty({n, hw}, torch::TensorOptions().dtype(torch::kLong));
  if (want_to_bg) out.to_bg = torch::empty({n, 1, rows, cols}, dopt);
  const std::uint8_t* m = cpu.data_ptr<std::uint8_t>();
  parallel_for(n, resolve_threads(0), [&](int i) {
    const std::uint8_t* mi = m + i * hw;
    DistanceField f = distance_to_mask(mi, rows, cols);
    double* d = out.to_fg.data_ptr<double>() + i * hw;
    std::int64_t* idx = out.nearest_fg.data_ptr<std::int64_t>() + i * hw;
    std::copy(f.distance.begin(), f.distance.end(), d);
    for (std::int64_t p = 0; p < hw; ++p) idx[p] = f.nearest[p] < 0 ? p : f.nearest[p];
    if (want_to_bg) {
      std::vector<std::uint8_t> inv(hw);
      for (std::int64_t p = 0; p < hw; ++p) inv[p] = mi[p] ? 0 : 1;
      DistanceField g = distance_to_mask(inv.data(), rows, cols);
      std::copy(g.distance.begin(), g.distance.end(), out.to_bg.data_ptr<double>() + i * hw);
    }
  });
  const auto dev = masks.device();
  out.to_fg = out.to_fg.to(dev);
  out.nearest_fg = out.nearest_fg.to(dev);
  if (want_to_bg) out.to_bg = out.to_bg.to(dev);
  return out;
}

}  // namespace sodlab::losses
