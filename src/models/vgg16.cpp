#include "models/dense_conv.h"
#include "models/vgg16.h"

#include <cmath>

#include "core/error.h"

namespace sodlab::models {
namespace F = torch::nn::functional;

InputNormalisation caffe_vgg_normalisation() {
  InputNormalisation n;
  n.bgr = true;
  n.mean = {103.939, 116.779, 123.68};
  n.std = {1, 1, 1};
  return n;
}

InputNormalisation imagenet_rgb_normalisation() {
  InputNormalisation n;
  n.bgr = false;
  n.mean = {0.485 * 255, 0.456 * 255, 0.406 * 255};
  n.std = {0.229 * 255, 0.224 * 255, 0.225 * 255};
  return n;
}

Vgg16Impl::Vgg16Impl(const Vgg16Config& config) : config_(config) {
  if (config.width_divisor < 1) throw InputError("vgg16: width_divisor must be ≥ 1");
  const int blocks[5] = {2, 2, 3, 3, 3};
  const int widths[5] = {64, 128, 256, 512, 512};
  int in = 3;
  for (int b = 0; b < 5; ++b) {
    const int out = std::max(1, widths[b] / config.width_divisor);
    for (int c = 0; c < blocks[b]; ++c) {
      names_.push_back("conv" + std::to_string(b + 1) + "_" + std::to_string(c + 1));
      layers_.push_back(register_module(
          names_.back(), torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1))));
      channels_.push_back(out);
      in = out;
    }
  }
  if (config.fc_layers) {
    const int fc = std::max(1, 4096 / config.width_divisor);
    names_.push_back("fc6");
    layers_.push_back(register_module("fc6", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, fc, 7))));
    channels_.push_back(fc);
    names_.push_back("fc7");
    layers_.push_back(register_module("fc7", torch::nn::Conv2d(torch::nn::Conv2dOptions(fc, fc, 1))));
    channels_.push_back(fc);
  }
  mean_ = register_buffer("input_mean", torch::zeros({3}));
  std_ = register_buffer("input_std", torch::ones({3}));
  bgr_ = register_buffer("input_bgr", torch::zeros({1}));
  set_normalisation(imagenet_rgb_normalisation());
}

void Vgg16Impl::set_normalisation(const InputNormalisation& n) {
  torch::NoGradGuard guard;
  for (int c = 0; c < 3; ++c) {
    if (!(n.std[c] > 0)) throw InputError("vgg16: input normalisation std must be > 0");
    mean_[c] = n.mean[c];
    std_[c] = n.std[c];
  }
  bgr_.fill_(n.bgr ? 1.0 : 0.0);
}

InputNormalisation Vgg16Impl::normalisation() const {
  InputNormalisation n;
  n.bgr = bgr_.item<float>() != 0;
  for (int c = 0; c < 3; ++c) {
    n.mean[c] = mean_[c].item<double>();
    n.std[c] = std_[c].item<double>();
  }
  return n;
}

torch::Tensor Vgg16Impl::normalise(const torch::Tensor& images) const {
  torch::Tensor x = bgr_.item<float>() != 0 ? images.flip({1}) : images;
  return (x - mean_.view({1, 3, 1, 1})) / std_.view({1, 3, 1, 1});
}

std::vector<torch::Tensor> Vgg16Impl::forward(const torch::Tensor& images, int layers) {
  if (images.dim() != 4 || images.size(1) != 3)
    throw InputError("vgg16: expected N×3×H×W images, got " + std::to_string(images.dim()) + "-d input");
  if (config_.fc_layers && (images.size(2) < 224 || images.size(3) < 224))
    throw InputError("szn: fc6 is a 7×7 valid convolution on pool5 and needs inputs ≥ 224×224, got " +
                     std::to_string(images.size(2)) + "×" + std::to_string(images.size(3)) +
                     "; set fc_layers=false for smaller inputs");
  const std::size_t last = layers < 0 ? layers_.size() : std::min<std::size_t>(layers, layers_.size());
  std::vector<torch::Tensor> out;
  out.reserve(last);
  return run_layers(normalise(images), 0, last, std::move(out));
}

std::vector<torch::Tensor> Vgg16Impl::forward_from(std::vector<torch::Tensor> prefix) {
  if (prefix.empty() || prefix.size() > layers_.size())
    throw InputError("vgg16: forward_from needs the activations of 1.." + std::to_string(layers_.size()) +
                     " leading layers, got " + std::to_string(prefix.size()));
  const std::size_t first = prefix.size();
  torch::Tensor x = prefix.back();
  return run_layers(x, first, layers_.size(), std::move(prefix));
}

bool Vgg16Impl::pools_after(std::size_t layer) const {
  // 2×2 max-pool after each block (conv1_2, conv2_2, conv3_3, conv4_3; after conv5_3 only when fc6
  // follows).
  return layer == 1 || layer == 3 || layer == 6 || layer == 9 || (layer == 12 && config_.fc_layers);
}

std::vector<torch::Tensor> Vgg16Impl::run_layers(torch::Tensor x, std::size_t first, std::size_t last,
                                                 std::vector<torch::Tensor> out) {
  for (std::size_t i = first; i < last; ++i) {
    if (i > 0 && pools_after(i - 1)) x = F::max_pool2d(x, F::MaxPool2dFuncOptions(2).stride(2));
    // fc6 / fc7 as matrix products (dense_conv.h); the 3×3 layers through oneDNN.
    const bool fc = names_[i].rfind("fc", 0) == 0;
    x = (fc ? conv_as_matmul(layers_[i], x) : layers_[i]->forward(x)).relu_();
    out.push_back(x);
  }
  return out;
}

void Vgg16Impl::reset_parameters(at::Generator& gen) {
  torch::NoGradGuard guard;
  for (auto& conv : layers_) {
    const auto& w = conv->weight;
    const double fan_out = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
    w.normal_(0.0, std::sqrt(2.0 / fan_out), gen);
    conv->bias.zero_();
  }
}

}  // namespace sodlab::models
