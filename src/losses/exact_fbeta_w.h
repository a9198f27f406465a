// The exact weighted F-measure F_β^w (Margolin et al. 2014; Kolkin Eq. 2–6), for evaluation.
//
// Definition (per image, n = H·W pixels, E = |Ŷ − Y| or (Ŷ − Y)²):
//   A_ij = s·e^{−d(i,j)²/(2σ²)} for y_i = y_j = 1, A_ii = 1 for y_i = 0, 0 otherwise (Eq. 3,
//   no truncation); B_i = 1 on the mask, 2 − e^{αΔ_i} off it, Δ_i = Euclidean distance to the
//   nearest mask pixel (Eq. 4, no truncation); E^w = min(AE, E) ⊙ B (Eq. 5);
//   TP = Σ Y(1 − E^w), FP = Σ (1 − Y)E^w, FN = Σ Y E^w;  P = TP/(TP + FP + ε), R = TP/(TP + FN + ε),
//   F = (1 + β²)PR/(β²P + R + ε) (Eq. 6).
// s: "sum1" (default) makes the untruncated lattice Gaussian Σ_{p,q∈ℤ} s·e^{−(p²+q²)/(2σ²)} = 1
// (fspecial's normalisation without the window); "paper" is Eq. 3's 1/√(2πσ²).
// pred: H×W probabilities in [0,1]; mask: H×W, > 0.5 = foreground; any dtype/device (computed in
// double on the input's device). Empty mask → 0 (PySOD's convention). Shape mismatch → InputError.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <string>

namespace sodlab::losses {

struct ExactFbetaWOptions {
  double beta2 = 1.0;
  double sigma = 5.0;
  double alpha = std::log(0.5) / 5.0;
  std::string kernel_norm = "sum1";  // sum1 | paper
  std::string error = "absolute";    // absolute | squared
  std::string edge = "zero";         // zero (Eq. 3) | nearest_fg (Margolin's WFb.m copy; fast form only)
  double eps = 2.220446049250313e-16;  // MATLAB eps
};

// O(n·(H+W)): the full-support Gaussian as two dense Toeplitz matrix products, B from an exact
// distance transform.
double exact_fbeta_w(const torch::Tensor& pred, const torch::Tensor& mask,
                     const ExactFbetaWOptions& o = {});

// The definitional form with the full n×n matrices A and pairwise distances (the reference for
// tests): O(n²) time and memory; n ≤ 4096 (InputError beyond) and edge = zero only.
double exact_fbeta_w_dense(const torch::Tensor& pred, const torch::Tensor& mask,
                           const ExactFbetaWOptions& o = {});

// The same definition evaluated pair by pair: O(n·|mask|) time, O(n) memory, any size, on the
// CPU at LibTorch's thread count (edge = zero only). It is the "original formulation" Kolkin
// §5.5 times against AF_β^w: every pixel pair of Eq. 3 and the nearest-mask-pixel search of
// Eq. 4 by exhaustive search (the Gaussian of each integer squared distance is tabulated once).
double exact_fbeta_w_pairwise(const torch::Tensor& pred, const torch::Tensor& mask,
                              const ExactFbetaWOptions& o = {});

}  // namespace sodlab::losses
