// MEnet test-time maps (reference-formulas.md §A.5).
//
// softmax map: softmax(logits)[1]. metric map, per image: L2-normalise the 16-D features (a zero
// norm counts as 1); candidates = pixels within `border` px of the image edge whose foreground
// probability is < fg_threshold (all band pixels when fg_prob is undefined); sample ≤ max_samples
// of them without replacement (seeded: seed and the image index); greedy online 2-clustering in
// sample order (the first starts cluster 1; x joins cluster 2 if ‖x−c̄1‖² > d2, d2 = ‖x−c̄2‖² or 2
// while cluster 2 is empty); background prototype b = mean of the larger cluster (ties → 1; b = 0
// without candidates); S = ‖f̃−b‖²; min-max normalised (S−min+1e−8)/(max−min+1e−8).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace sodlab::models {

struct MetricMapOptions {
  int border = 20;
  int max_samples = 100;
  double fg_threshold = 0.5;
  std::uint64_t seed = 0;
};

// logits N×2×H×W → N×1×H×W foreground probability softmax(logits)[:,1].
torch::Tensor menet_softmax_map(const torch::Tensor& logits);
// Per-image min-max normalisation of N×1×H×W maps: (S−min+1e−8)/(max−min+1e−8).
torch::Tensor minmax_normalise(const torch::Tensor& maps);
// features N×C×H×W, fg_prob N×1×H×W or undefined → N×1×H×W in [0,1] (no gradient).
torch::Tensor menet_metric_map(const torch::Tensor& features, const torch::Tensor& fg_prob,
                               const MetricMapOptions& options);

}  // namespace sodlab::models
