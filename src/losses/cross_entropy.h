// The cross-entropy family (Kolkin Table 4 baselines). Per pixel, with x the binary logit and y the
// mask: CE = −y log σ(x) − (1 − y) log(1 − σ(x)) (computed stably from x).
//   ce          : mean of CE over every pixel of the batch.
//   weighted_ce : mean over every pixel of w·CE, w = fg_weight on the mask, bg_weight off it
//                 (defaults 2, 1: Kolkin's "2× foreground"; set 1, 2 for "2× background").
//   ce_dnc_band : "do not care" band: CE summed over the pixels whose Euclidean distance to the
//                 nearest pixel of the other class is > width (default 3) — so `width` px are
//                 ignored on each side of the boundary — divided by the number of kept pixels
//                 (loss 0 if none). Masks without a boundary (empty or full) ignore nothing.
//                 prepare() stores the ignored band as map "band" (1 = ignored).
#pragma once

#include "core/options.h"
#include "losses/loss.h"

namespace sodlab::losses {

// Per-pixel CE, N×1×H×W, from a binary logit and {0,1} masks.
torch::Tensor pixel_ce(const torch::Tensor& x, const torch::Tensor& y);

class CrossEntropy : public Loss {
 public:
  std::string name() const override { return "ce"; }
  torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                        const torch::Tensor& features = {}) const override;
  std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                               const Targets& t) const override;  // "CE"
};

class WeightedCrossEntropy : public Loss {
 public:
  explicit WeightedCrossEntropy(Options& options);
  WeightedCrossEntropy(double fg_weight, double bg_weight) : fg_(fg_weight), bg_(bg_weight) {}
  std::string name() const override { return "weighted_ce"; }
  torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                        const torch::Tensor& features = {}) const override;
  std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                               const Targets& t) const override;  // "weighted_CE"

 private:
  double fg_ = 2.0, bg_ = 1.0;
};

class CeDncBand : public Loss {
 public:
  explicit CeDncBand(Options& options);
  explicit CeDncBand(double width) : width_(width) {}
  std::string name() const override { return "ce_dnc_band"; }
  Targets prepare(const torch::Tensor& masks) const override;  // map "band"
  torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                        const torch::Tensor& features = {}) const override;
  std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                               const Targets& t) const override;  // "band", "CE"

 private:
  double width_ = 3.0;
};

}  // namespace sodlab::losses
