// AF_β^w (Kolkin et al. 2017, §3): a differentiable weighted F-measure; loss = 1 − AF.
//
// Per image, with Ŷ = sigmoid(binary logit) and Y the mask:
//   E   = (Ŷ − Y)² (error = squared) or |Ŷ − Y| (absolute)
//   C   = S ⋆ K, S = Y ⊙ E (edge = zero) or S = E at the nearest mask pixel (edge = nearest_fg,
//         Margolin's WFb.m); K = the (2θ+1)² A kernel (kernel_filter.h), zero padding
//   E^A = Y ⊙ C;  E' = Y ⊙ min(E^A, E) + (1 − Y) ⊙ E   (use_A = false: E' = E)
//   B   = 1 on the mask, 2 − e^{αΔ} off it; Δ = d² (b_distance = squared_truncated) or d
//         (euclidean) when the distance d to the nearest mask pixel is ≤ φ, ∞ beyond (B = 2)
//         (use_B = false: B = 1)
//   E_w = E' ⊙ B;  TP = Σ Y(1 − E_w), FP = Σ (1 − Y)E_w, FN = Σ Y E_w
//   P = TP/(TP + FP + ε), R = TP/(TP + FN + ε), AF = (1 + β²)PR/(β²P + R + ε)
// loss = mean over the batch of (1 − AF), or of mean(E_w) for an image whose mask is empty.
// min(E^A, E) takes E on ties (sub-gradient to E), as Margolin's `EA < E` test.
// B and the nearest-mask indices depend only on the mask: `prepare` computes them (maps "B",
// "nearest") with an exact distance transform.
#pragma once

#include "core/options.h"
#include "losses/kernel_filter.h"
#include "losses/loss.h"

#include <cmath>
#include <string>

namespace sodlab::losses {

struct AfFbetaWOptions {
  bool use_A = true, use_B = true;
  double beta2 = 1.0;
  int theta = 9;           // kernel radius
  double sigma = 2.25;     // default θ/4
  double phi = 5.0;        // B truncation radius in px (may be +inf)
  double alpha = std::log(0.5) / 5.0;
  std::string kernel = "gaussian";      // gaussian | paper_eq9
  std::string kernel_norm = "sum1";     // sum1 | paper (why sum1: src/losses/README.md)
  std::string edge = "zero";            // zero | nearest_fg
  std::string b_distance = "squared_truncated";  // squared_truncated | euclidean
  std::string error = "squared";        // squared | absolute
  std::string implementation = "auto";  // auto | separable | toeplitz | direct (same values)
  double eps = 1e-7;

  // Reads every option (with the defaults above; sigma defaults to theta/4).
  static AfFbetaWOptions from(Options& options);
};

// B map (N×1×H×W, `like`'s dtype/device) from the distance to the nearest mask pixel.
torch::Tensor b_weights(const torch::Tensor& masks, const torch::Tensor& to_fg,
                        const AfFbetaWOptions& o);

// The weighted-F computation shared by the loss and the exact metric (exact_fbeta_w.h).
struct WeightedFParts {
  torch::Tensor f;        // N: AF (F_β^w) per image
  torch::Tensor mean_ew;  // N: mean of E_w per image
  torch::Tensor empty;    // N bool: mask empty
};
// prob, y: N×1×H×W; b: N×1×H×W; nearest: N×(H·W) int64 (needed for edge = nearest_fg).
// `maps` (optional) receives E, E_A, B, E_w.
WeightedFParts weighted_f(const torch::Tensor& prob, const torch::Tensor& y, const torch::Tensor& b,
                          const torch::Tensor& nearest, const AfFbetaWOptions& o, const AKernel& k,
                          std::map<std::string, torch::Tensor>* maps = nullptr);

class AfFbetaW : public Loss {
 public:
  explicit AfFbetaW(AfFbetaWOptions o);
  std::string name() const override { return "af_fbeta_w"; }
  Targets prepare(const torch::Tensor& masks) const override;  // maps "B", "nearest"
  torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                        const torch::Tensor& features = {}) const override;
  std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                               const Targets& t) const override;
  const AfFbetaWOptions& options() const { return o_; }

 private:
  AfFbetaWOptions o_;
  AKernel k_;
};

}  // namespace sodlab::losses
