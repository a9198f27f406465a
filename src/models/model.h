// The segmentation-model interface the trainer, predictor and CLI code against.
//
// Contract: forward() takes N×3×H×W float RGB images in [0,255] (the model applies its own input
// normalisation) and returns logits at the model's output resolution; saliency() turns an output
// into N×1×H×W probabilities in [0,1]. Parameter groups can be frozen: a frozen group gets
// requires_grad=false and stays in eval mode (batch-norm statistics kept) even in train mode.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace sodlab::models {

struct ModelOutput {
  torch::Tensor logits;    // N×1×H×W (szn) or N×2×H×W (menet two-class head; channel 1 = salient);
                           // undefined for menet_metric_only
  torch::Tensor features;  // N×16×H×W tanh metric features (menet variants with a metric head);
                           // undefined otherwise
};

class SegmentationModel : public torch::nn::Module {
 public:
  // images: N×3×H×W float RGB in [0,255]. Sizes the model cannot take are an InputError.
  virtual ModelOutput forward(const torch::Tensor& images) = 0;
  // N×1×H×W saliency map in [0,1] from an output of forward().
  virtual torch::Tensor saliency(const ModelOutput& out) const = 0;
  // Named parameter groups that experiments can freeze, e.g. {"backbone", "fc"} for szn.
  virtual std::vector<std::string> groups() const = 0;
  // Unknown group → InputError listing the groups.
  virtual void set_frozen(const std::string& group, bool frozen) = 0;
  virtual bool is_frozen(const std::string& group) const = 0;
  // Channels of ModelOutput::logits (0 when the model has no logits head).
  virtual int output_channels() const = 0;
};

}  // namespace sodlab::models
