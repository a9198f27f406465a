#include "train/feature_cache.h"

#include <sstream>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/timer.h"

namespace sodlab::train {

torch::ScalarType feature_cache_dtype(const std::string& name) {
  if (name == "fp16") return torch::kHalf;
  if (name == "fp32") return torch::kFloat;
  throw InputError("train.feature_cache = '" + name + "': expected off, fp16 or fp32");
}

std::string tensor_sha256(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU).contiguous();
  Sha256 h;
  std::ostringstream head;
  head << c.scalar_type() << " " << c.sizes() << "\n";
  h.update(head.str());
  h.update(c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size());
  return h.hex();
}

FeatureCache::FeatureCache(std::shared_ptr<cache::TensorCache> store, const std::string& dtype, std::string ref)
    : store_(std::move(store)), dtype_(feature_cache_dtype(dtype)), dtype_name_(dtype), ref_(std::move(ref)) {
  if (!store_) throw InputError("feature cache: no cache folder");
}

int FeatureCache::begin_stage(models::PrefixCacheable& model, Precision precision) {
  layers_ = model.frozen_prefix_layers();
  precision_ = precision;
  if (layers_ > 0) {
    identity_ = model.prefix_identity(layers_);
    names_ = model.prefix_layer_names(layers_);
  }
  return layers_;
}

std::string FeatureCache::key_of(const torch::Tensor& image) const {
  return cache::make_key({"features", identity_, dtype_name_, precision_name(precision_), tensor_sha256(image)});
}

std::vector<torch::Tensor> FeatureCache::features(models::PrefixCacheable& model, const torch::Tensor& images,
                                                  torch::Device device, CacheCounters& counters) {
  if (!active()) throw RuntimeFailure("feature cache: features() outside a stage with a frozen prefix");
  const std::int64_t n = images.size(0);
  // per_layer[l][i]: image i's activation of layer l (C×h×w, float32, rounded to the cache dtype).
  std::vector<std::vector<torch::Tensor>> per_layer(static_cast<std::size_t>(layers_),
                                                    std::vector<torch::Tensor>(static_cast<std::size_t>(n)));
  for (std::int64_t i = 0; i < n; ++i) {
    const torch::Tensor image = images[i];
    const std::string key = key_of(image);
    Timer read_timer;
    std::uint64_t bytes = 0;
    std::optional<cache::NamedTensors> entry = store_->get(key, &bytes);
    if (entry && entry->size() == names_.size()) {
      for (std::size_t l = 0; l < names_.size(); ++l) per_layer[l][i] = (*entry)[l].second.to(torch::kFloat);
      counters.hits++;
      counters.bytes_read += static_cast<std::int64_t>(bytes);
      counters.read_seconds += read_timer.seconds();
      continue;
    }
    Timer miss_timer;
    std::vector<torch::Tensor> computed;
    {
      AutocastGuard autocast(precision_, device);
      computed = model.prefix_features(image.unsqueeze(0).to(device), layers_);
    }
    cache::NamedTensors stored;
    for (std::size_t l = 0; l < computed.size(); ++l) {
      torch::Tensor rounded = computed[l][0].to(torch::kCPU, dtype_).contiguous();
      per_layer[l][i] = rounded.to(torch::kFloat);
      stored.emplace_back(names_[l], std::move(rounded));
    }
    counters.bytes_written += static_cast<std::int64_t>(store_->put(key, stored, ref_));
    counters.misses++;
    counters.miss_seconds += miss_timer.seconds();
  }
  std::vector<torch::Tensor> out;
  out.reserve(per_layer.size());
  for (auto& layer : per_layer) out.push_back(torch::stack(layer).to(device));
  return out;
}

}  // namespace sodlab::train
