// VGG-16 backbone for the Squeezed Zoomout Network: the 13 convolution layers (3×3, pad 1, ReLU,
// 2×2 max-pool after each block) and optionally fc6/fc7 as convolutions (fc6 = 7×7 valid conv on
// pool5, so it needs pool5 ≥ 7×7, i.e. inputs ≥ 224; fc7 = 1×1; dropout is not applied).
//
// The module owns its input normalisation as buffers (input_mean, input_std in [0,255] units,
// input_bgr 0/1), so a torch::save of the backbone carries the normalisation its weights expect.
// Children are named conv1_1 … conv5_3, fc6, fc7 (weight O×I×kh×kw, bias O).
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

namespace sodlab::models {

// x' = (reorder(x) − mean) / std, per channel, for x RGB in [0,255]; mean/std in the order of
// the reordered channels (BGR when bgr = true).
struct InputNormalisation {
  bool bgr = false;
  std::array<double, 3> mean{0, 0, 0};
  std::array<double, 3> std{1, 1, 1};
};
// Keras/Caffe VGG-16 ("caffe" preprocessing): BGR, mean (103.939, 116.779, 123.68), std 1.
InputNormalisation caffe_vgg_normalisation();
// torchvision ImageNet: RGB, mean 255·(0.485, 0.456, 0.406), std 255·(0.229, 0.224, 0.225).
InputNormalisation imagenet_rgb_normalisation();

struct Vgg16Config {
  int width_divisor = 1;  // every channel width (64 … 512, 4096) divided by this (at least 1)
  bool fc_layers = true;  // fc6/fc7 as convolutions
};

class Vgg16Impl : public torch::nn::Module {
 public:
  explicit Vgg16Impl(const Vgg16Config& config);

  // images N×3×H×W RGB [0,255] → post-ReLU activations of every layer (or of the first
  // `layers`), in layer_names() order. H and W must be ≥ 224 when fc_layers (InputError otherwise).
  std::vector<torch::Tensor> forward(const torch::Tensor& images, int layers = -1);
  // The remaining layers' activations after those of the first prefix.size() layers: returns
  // prefix followed by them, as forward(images) would.
  std::vector<torch::Tensor> forward_from(std::vector<torch::Tensor> prefix);
  torch::Tensor normalise(const torch::Tensor& images) const;

  const std::vector<std::string>& layer_names() const { return names_; }
  const std::vector<int>& layer_channels() const { return channels_; }
  std::vector<torch::nn::Conv2d>& layers() { return layers_; }
  const std::vector<torch::nn::Conv2d>& layers() const { return layers_; }
  bool has_fc() const { return config_.fc_layers; }
  const Vgg16Config& config() const { return config_; }

  void set_normalisation(const InputNormalisation& n);
  InputNormalisation normalisation() const;

  // Deterministic from-scratch init: weights N(0, 2/fan_out) (He, as torchvision), biases 0.
  void reset_parameters(at::Generator& gen);

 private:
  // Runs layers [first, last) on x (the input of layer `first`: pooled here when a block ends
  // before it), appending their activations to `out`.
  std::vector<torch::Tensor> run_layers(torch::Tensor x, std::size_t first, std::size_t last,
                                        std::vector<torch::Tensor> out);
  bool pools_after(std::size_t layer) const;

  Vgg16Config config_;
  std::vector<std::string> names_;
  std::vector<int> channels_;
  std::vector<torch::nn::Conv2d> layers_;
  torch::Tensor mean_, std_, bgr_;
};
TORCH_MODULE(Vgg16);

// Parameters of the 13 convolutions at full width: 14,714,688.
constexpr std::int64_t kVgg16ConvParameters = 14714688;

}  // namespace sodlab::models
