// Shared helpers for the models tests.
#pragma once

#include <torch/torch.h>

#include "core/options.h"
#include "models/registry.h"

namespace sodlab::models::test {

inline std::shared_ptr<SegmentationModel> build(const std::string& name,
                                                std::vector<std::pair<std::string, OptionValue>> opts) {
  Options o;
  for (auto& [k, v] : opts) o.set(k, v);
  return make_model(name, o);
}

inline std::int64_t count(torch::nn::Module& m, bool trainable_only = false) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

inline torch::Tensor images(std::int64_t n, std::int64_t h, std::int64_t w, std::uint64_t seed = 7) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::empty({n, 3, h, w}).uniform_(0, 255, gen);
}

// Loss with random per-element weights (a plain sum is blind behind batch norm).
inline torch::Tensor random_loss(const ModelOutput& out, std::uint64_t seed = 11) {
  auto gen = at::detail::createCPUGenerator(seed);
  torch::Tensor loss = torch::zeros({});
  for (const auto& t : {out.logits, out.features})
    if (t.defined()) loss = loss + (t * torch::empty(t.sizes()).normal_(0, 1, gen)).sum();
  return loss;
}

}  // namespace sodlab::models::test
