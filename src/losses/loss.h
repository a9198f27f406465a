// The loss interface shared by every objective (src/losses/).
//
// Shapes: logits N×1×H×W (binary logit) or N×2×H×W (two-class head: the binary logit is
// channel 1 − channel 0, which makes binary cross-entropy equal to the 2-class softmax CE); masks
// N×1×H×W with values in {0,1} (any floating dtype; compared > 0.5). `forward` returns a 0-dim
// tensor on the logits' device and dtype, differentiable w.r.t. logits (and features for menet).
// Shape/dtype mismatches throw sodlab::InputError naming the loss and the shapes.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

namespace sodlab::losses {

// Mask-only precomputation (distance transforms, B weights, nearest-foreground indices, DNC band):
// computed once per mask by `prepare`, cacheable by the pipeline; tensors on the masks' device.
struct Targets {
  torch::Tensor masks;  // N×1×H×W float {0,1}
  std::map<std::string, torch::Tensor> maps;
};

class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // Default: the masks (validated, binarised, converted to float) and no maps.
  virtual Targets prepare(const torch::Tensor& masks) const;
  // Returns a scalar. `features`: MEnet's N×C×H×W metric features (undefined for other models).
  virtual torch::Tensor forward(const torch::Tensor& logits, const Targets& t,
                                const torch::Tensor& features = {}) const = 0;
  virtual bool needs_features() const { return false; }
  // Named per-pixel intermediate maps (N×1×H×W, no gradient), for `sodlab loss --maps`.
  virtual std::map<std::string, torch::Tensor> explain(const torch::Tensor& logits,
                                                       const Targets& t) const;
};

// Helpers shared by the implementations.
// N×1×H×W binary logit from N×1 or N×2 logits; InputError (naming `who`) otherwise.
torch::Tensor binary_logit(const torch::Tensor& logits, const std::string& who);
// Checks that masks are N×1×H×W and match the logits' N, H, W; InputError naming `who`.
void check_shapes(const torch::Tensor& logits, const torch::Tensor& masks, const std::string& who);
// Masks binarised (> 0.5) as float (the masks' dtype if floating, else float32), N×1×H×W.
torch::Tensor binarize_masks(const torch::Tensor& masks, const std::string& who);

}  // namespace sodlab::losses
