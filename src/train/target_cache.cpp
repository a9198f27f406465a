#include "train/target_cache.h"

#include <map>

#include "core/error.h"
#include "core/timer.h"

namespace sodlab::train {
namespace {

constexpr const char* kMasks = "masks";  // the entry's tensor holding Targets::masks

losses::Targets to_device(losses::Targets t, torch::Device device) {
  t.masks = t.masks.to(device, /*non_blocking=*/true);
  for (auto& [name, map] : t.maps) map = map.to(device, /*non_blocking=*/true);
  return t;
}

}  // namespace

TargetCache::TargetCache(std::shared_ptr<cache::TensorCache> store, std::string loss_identity, std::string ref)
    : store_(std::move(store)), identity_(std::move(loss_identity)), ref_(std::move(ref)) {
  if (!store_) throw InputError("target cache: no cache folder");
}

losses::Targets TargetCache::prepare(const losses::Loss& loss, const torch::Tensor& masks, torch::Device device,
                                     CacheCounters& counters) {
  if (pass_through_) return loss.prepare(masks.to(device, /*non_blocking=*/true));
  const std::int64_t n = masks.size(0);
  std::vector<std::string> keys(static_cast<std::size_t>(n));
  std::vector<std::optional<cache::NamedTensors>> entries(static_cast<std::size_t>(n));
  std::vector<std::int64_t> missing;
  Timer read_timer;
  std::int64_t bytes_read = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    keys[i] = cache::make_key({"targets", identity_, tensor_sha256(masks[i])});
    std::uint64_t bytes = 0;
    entries[i] = store_->get(keys[i], &bytes);
    if (entries[i]) bytes_read += static_cast<std::int64_t>(bytes);
    else missing.push_back(i);
  }
  const double read_seconds = read_timer.seconds();
  Timer miss_timer;
  if (!missing.empty()) {
    const torch::Tensor index = torch::tensor(missing, torch::kLong);
    const losses::Targets computed = loss.prepare(masks.index_select(0, index));
    if (computed.maps.empty()) {  // nothing but the binarised masks: not worth a file per mask
      pass_through_ = true;
      return prepare(loss, masks, device, counters);
    }
    for (std::size_t j = 0; j < missing.size(); ++j) {
      cache::NamedTensors entry{{kMasks, computed.masks[static_cast<std::int64_t>(j)].contiguous()}};
      for (const auto& [name, map] : computed.maps) entry.emplace_back(name, map[static_cast<std::int64_t>(j)].contiguous());
      counters.bytes_written += static_cast<std::int64_t>(store_->put(keys[missing[j]], entry, ref_));
      entries[missing[j]] = std::move(entry);
    }
  }
  // Assemble the batch: each tensor of the entries stacked along a new first dimension.
  losses::Targets t;
  std::map<std::string, std::vector<torch::Tensor>> parts;
  for (const auto& entry : entries)
    for (const auto& [name, tensor] : *entry) parts[name].push_back(tensor);
  for (auto& [name, list] : parts) {
    if (static_cast<std::int64_t>(list.size()) != n)
      throw RuntimeFailure("target cache: map '" + name + "' is missing from some entries of a batch");
    torch::Tensor stacked = torch::stack(list);
    if (name == kMasks) t.masks = std::move(stacked);
    else t.maps.emplace(name, std::move(stacked));
  }
  counters.hits += n - static_cast<std::int64_t>(missing.size());
  counters.misses += static_cast<std::int64_t>(missing.size());
  counters.bytes_read += bytes_read;
  counters.read_seconds += read_seconds;
  counters.miss_seconds += miss_timer.seconds();
  return to_device(std::move(t), device);
}

}  // namespace sodlab::train
