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

// A model whose forward begins with a chain of feature layers (SZN's VGG-16) that frozen groups
// can own entirely. The trainer then computes those layers once per input and serves their
// activations from the feature cache (train/feature_cache.h) instead of recomputing them.
class PrefixCacheable {
 public:
  virtual ~PrefixCacheable() = default;
  // How many leading feature layers depend on frozen parameters only, as the model is frozen now
  // (0: none, nothing to cache).
  virtual int frozen_prefix_layers() const = 0;
  // SHA-256 (hex) of everything those `layers` layers compute from: architecture, input
  // normalisation, their weights and biases.
  virtual std::string prefix_identity(int layers) const = 0;
  // Names of the first `layers` layers (the entry's tensor names).
  virtual std::vector<std::string> prefix_layer_names(int layers) const = 0;
  // Activations of the first `layers` layers for N×3×H×W images, without an autograd graph.
  virtual std::vector<torch::Tensor> prefix_features(const torch::Tensor& images, int layers) = 0;
  // forward() from those activations (each N×C×h×w, in layer order); height × width is the
  // input's size. Equals forward(images) up to float rounding of the cached values.
  virtual ModelOutput forward_from_prefix(const std::vector<torch::Tensor>& prefix, std::int64_t height,
                                          std::int64_t width) = 0;
};

}  // namespace sodlab::models
