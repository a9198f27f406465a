#include "report/paired_units.h"

#include <algorithm>
#include <cmath>

namespace sodlab::report {

const PerImageReader::Column& PerImageReader::column(const store::RunRecord& run, const ResultKey& key) {
  const auto k = std::make_pair(run.run_id, key);
  if (auto it = cache_.find(k); it != cache_.end()) return it->second;
  Column c;
  c.values = store_.per_image_values(run.run_id, key.dataset, key.distortion, key.metric, key.convention);
  if (!c.values.empty()) {
    double sum = 0;
    int n = 0;
    for (const auto& [stem, v] : c.values)
      if (std::isfinite(v)) sum += v, ++n;
    for (const auto& r : store_.results(run.run_id))
      if (r.dataset == key.dataset && r.distortion == key.distortion && r.metric == key.metric &&
          r.convention == key.convention)
        c.mean_of_images = n > 0 && std::fabs(sum / n - r.value) <= 1e-7 * std::max(1.0, std::fabs(r.value));
  }
  return cache_.emplace(k, std::move(c)).first->second;
}

MatchedUnits PerImageReader::match(const std::vector<RunPair>& pairs, const ResultKey& key, double scale) {
  MatchedUnits m;
  for (const auto& pair : pairs) {
    const Column& a = column(pair.a, key);
    const Column& b = column(pair.b, key);
    if (a.values.empty() || b.values.empty()) continue;
    if (!a.mean_of_images || !b.mean_of_images) {
      m.not_mean_of_images = true;
      continue;
    }
    ++m.pairs;
    for (const auto& [stem, va] : a.values) {
      const auto vb = b.values.find(stem);
      if (vb == b.values.end() || !std::isfinite(va) || !std::isfinite(vb->second)) continue;
      m.units.push_back({stem, va * scale, vb->second * scale});
    }
  }
  return m;
}

}  // namespace sodlab::report
