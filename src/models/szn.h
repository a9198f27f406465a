// Squeezed Zoomout Network (Kolkin et al. 2017, §4).
//
// VGG-16 backbone → a squeeze module on every layer (n 1×1 + n 3×3 convolutions, ReLU; 2n 1×1 on
// fc6/fc7, where a 3×3 on the 1×1 map reduces to its centre) → every squeezed map brought to the
// output resolution with bilinear interpolation (align_corners=false) and concatenated into the
// zoomout feature → per-pixel classifier of 1×1 convolutions (hidden width, ReLU) → 1 logit.
// Memory: the classifier's first 1×1 layer is applied per layer at native resolution (summed
// over layers of equal resolution), and only its hidden-width output is resampled and summed;
// this equals forward_direct(), which materialises the concatenation, up to float rounding.
#pragma once

#include <optional>

#include "core/options.h"
#include "models/frozen_groups.h"
#include "models/model.h"
#include "models/vgg16.h"

namespace sodlab::models {

struct SznConfig {
  Vgg16Config backbone;
  int squeeze = 64;            // n: filters of each kind per squeeze module
  int hidden = 128;            // classifier hidden width
  int classifier_layers = 2;   // 1×1 layers in the classifier (the last has 1 output)
  int output_size = 0;         // output H=W; 0 = the input size (the paper: 224 from 224)
  std::uint64_t init_seed = 0; // from-scratch parameter initialisation
};

class Szn : public SegmentationModel, public PrefixCacheable {
 public:
  explicit Szn(const SznConfig& config);

  ModelOutput forward(const torch::Tensor& images) override;
  torch::Tensor saliency(const ModelOutput& out) const override { return torch::sigmoid(out.logits); }
  std::vector<std::string> groups() const override { return groups_.names(); }
  void set_frozen(const std::string& group, bool frozen) override;
  bool is_frozen(const std::string& group) const override { return groups_.frozen(group); }
  int output_channels() const override { return 1; }
  void train(bool on = true) override;

  // Split forward: backbone activations (one per layer), then the head; `height` × `width` is
  // the input's size (the output's unless output_size is set).
  std::vector<torch::Tensor> backbone_features(const torch::Tensor& images);
  ModelOutput forward_from_features(const std::vector<torch::Tensor>& features, std::int64_t height,
                                    std::int64_t width);

  // PrefixCacheable: the 13 convolutions when "backbone" is frozen, fc6/fc7 too when "fc" is.
  int frozen_prefix_layers() const override;
  std::string prefix_identity(int layers) const override;
  std::vector<std::string> prefix_layer_names(int layers) const override;
  std::vector<torch::Tensor> prefix_features(const torch::Tensor& images, int layers) override;
  ModelOutput forward_from_prefix(const std::vector<torch::Tensor>& prefix, std::int64_t height,
                                  std::int64_t width) override;
  // Reference implementation: materialises the full zoomout concatenation at output resolution.
  ModelOutput forward_direct(const torch::Tensor& images);

  Vgg16& backbone() { return backbone_; }
  const SznConfig& config() const { return config_; }
  // Channels of the zoomout concatenation (Σ over layers of 2n).
  std::int64_t zoomout_channels() const { return zoomout_channels_; }

 private:
  torch::Tensor squeeze(size_t layer, const torch::Tensor& feature);
  torch::Tensor classify_rest(torch::Tensor hidden);
  std::pair<std::int64_t, std::int64_t> output_hw(std::int64_t height, std::int64_t width) const;

  SznConfig config_;
  Vgg16 backbone_{nullptr};
  std::vector<torch::nn::Conv2d> squeeze1_, squeeze3_;  // squeeze3_[i] empty for fc layers
  std::vector<torch::nn::Conv2d> classifier_;
  std::int64_t zoomout_channels_ = 0;
  FrozenGroups groups_;
};

// The options of "szn": fc_layers (true), width_divisor (1), squeeze (64), hidden (128),
// classifier_layers (2), output_size (0 = input size), init_seed (0), backbone_weights ("vgg16";
// name | path | "none"), weights_catalogue (""). from() reads them all and reject_unknown()s.
struct SznOptions {
  SznConfig config;
  std::string backbone_weights = "vgg16";
  std::string weights_catalogue;
  static SznOptions from(Options& options);
};
// Builds the network; with load_weights, resolves and loads backbone_weights (InputError when
// they cannot be found); without, the backbone keeps its init_seed initialisation.
std::shared_ptr<Szn> make_szn(const SznOptions& options, bool load_weights = true);

}  // namespace sodlab::models
