// MEnet's objective (reference-formulas.md §A.3): cross-entropy + metric loss, written as the
// autograd objective whose gradients equal the original Caffe layer's hand-written ones.
//
// Per image i (H×W pixels p, features F: C×H×W, mask y):
//   CE_p  = softmax cross-entropy of the 2-class logits (N×2×H×W; an N×1 binary logit gives the
//           same value through BCE); the original clamps p at 1e-10 in the logged value only.
//   f̃_p  = F_p/‖F_p‖₂ (norm 0 → 1) when l2_normalize, else F_p; f̂_p = F_p + sg(f̃_p − F_p)
//           (straight-through: the Caffe gradient ignores the normalisation's Jacobian).
//   μ⁺, μ⁻ = sg(means of f̃ over the mask / off it) (max(1, count) denominators).
//   ℓ_p   = y(‖f̂−μ⁺‖² − ‖f̂−μ⁻‖²) + (1−y)(‖f̂−μ⁻‖² − ‖f̂−μ⁺‖²)
//   m_p   = mining "hard_1to1": every minority-class pixel plus the n_min majority pixels with the
//           largest ℓ (no gradient); all 0 when the mask is empty or full. "none": m ≡ 1.
//   L_i   = mean_p CE_p + λ·mean_p m_p ℓ_p        (λ default 1/16: the code's effective weight)
// reduction "sum_half" (default, the Caffe layer): ½ Σ_i L_i; "mean": mean_i L_i.
#pragma once

#include "core/options.h"
#include "losses/loss.h"

namespace sodlab::losses {

struct MenetLossOptions {
  double lambda = 1.0 / 16.0;
  bool l2_normalize = true;
  std::string mining = "hard_1to1";   // hard_1to1 | none
  std::string reduction = "sum_half";  // sum_half | mean
  static MenetLossOptions from(Options& options);
};

// The mining mask m (N×1×H×W, 0/1, ell's dtype) from per-pixel ℓ and masks y.
torch::Tensor menet_mining_mask(const torch::Tensor& ell, const torch::Tensor& y);

class MenetLoss : public Loss {
 public:
  explicit MenetLoss(MenetLossOptions o) : o_(std::move(o)) {}
  std::string name() const override { return "menet"; }
  bool needs_features() const override { return true; }
  // features: N×C×H×W with the logits' N, H, W (InputError when missing or mismatched).
  torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                        const torch::Tensor& features = {}) const override;
  std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                               const Targets& t) const override;  // "CE"

 private:
  MenetLossOptions o_;
};

}  // namespace sodlab::losses
