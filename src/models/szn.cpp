#include "models/szn.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "models/dense_conv.h"
#include "models/weights.h"

namespace sodlab::models {
namespace F = torch::nn::functional;

namespace {
// Keras' default for Conv2D (the paper's implementation is TensorFlow): Glorot uniform, zero bias.
void glorot_(torch::nn::Conv2d& conv, at::Generator& gen) {
  torch::NoGradGuard guard;
  const auto& w = conv->weight;
  const double rf = static_cast<double>(w.size(2) * w.size(3));
  const double a = std::sqrt(6.0 / (rf * static_cast<double>(w.size(0) + w.size(1))));
  w.uniform_(-a, a, gen);
  if (conv->bias.defined()) conv->bias.zero_();
}

// In fp32 whatever the input's dtype: LibTorch 1.13's bilinear upsampling of bf16 on the CPU is
// unvectorised (281 ms against 52 of a 224² SZN forward), and the summed zoomout maps stay fp32.
torch::Tensor resize_bilinear(const torch::Tensor& input, std::int64_t h, std::int64_t w) {
  const torch::Tensor x = input.to(torch::kFloat);  // itself when already fp32
  if (x.size(2) == h && x.size(3) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<std::int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}
}  // namespace

Szn::Szn(const SznConfig& config) : config_(config) {
  if (config.squeeze < 1) throw InputError("szn: squeeze must be ≥ 1");
  if (config.hidden < 1) throw InputError("szn: hidden must be ≥ 1");
  if (config.classifier_layers < 1) throw InputError("szn: classifier_layers must be ≥ 1");
  groups_.context = "model 'szn'";
  backbone_ = register_module("backbone", Vgg16(config.backbone));
  const auto& names = backbone_->layer_names();
  const auto& channels = backbone_->layer_channels();
  const int n = config.squeeze;
  for (size_t i = 0; i < names.size(); ++i) {
    const bool fc = names[i].rfind("fc", 0) == 0;
    const int c = channels[i];
    squeeze1_.push_back(register_module("squeeze_" + names[i] + "_1x1",
                                         torch::nn::Conv2d(torch::nn::Conv2dOptions(c, fc ? 2 * n : n, 1))));
    if (fc) {
      squeeze3_.emplace_back(nullptr);
    } else {
      squeeze3_.push_back(register_module("squeeze_" + names[i] + "_3x3",
                                          torch::nn::Conv2d(torch::nn::Conv2dOptions(c, n, 3).padding(1))));
    }
    zoomout_channels_ += 2 * n;
  }
  std::int64_t in = zoomout_channels_;
  for (int l = 0; l < config.classifier_layers; ++l) {
    const std::int64_t out = l + 1 == config.classifier_layers ? 1 : config.hidden;
    classifier_.push_back(register_module("classifier" + std::to_string(l),
                                          torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1))));
    in = out;
  }
  auto gen = at::detail::createCPUGenerator(config.init_seed);
  backbone_->reset_parameters(gen);
  for (size_t i = 0; i < names.size(); ++i) {
    glorot_(squeeze1_[i], gen);
    if (!squeeze3_[i].is_empty()) glorot_(squeeze3_[i], gen);
  }
  for (auto& c : classifier_) glorot_(c, gen);

  auto& layers = backbone_->layers();
  for (size_t i = 0; i < names.size(); ++i)
    groups_.add(names[i].rfind("fc", 0) == 0 ? "fc" : "backbone", layers[i].ptr());
  for (size_t i = 0; i < names.size(); ++i) {
    groups_.add("head", squeeze1_[i].ptr());
    if (!squeeze3_[i].is_empty()) groups_.add("head", squeeze3_[i].ptr());
  }
  for (auto& c : classifier_) groups_.add("head", c.ptr());
}

void Szn::set_frozen(const std::string& group, bool frozen) { groups_.set(group, frozen, is_training()); }

void Szn::train(bool on) {
  torch::nn::Module::train(on);
  groups_.apply_modes();
}

std::pair<std::int64_t, std::int64_t> Szn::output_hw(std::int64_t height, std::int64_t width) const {
  if (config_.output_size > 0) return {config_.output_size, config_.output_size};
  return {height, width};
}

torch::Tensor Szn::squeeze(size_t i, const torch::Tensor& f) {
  if (squeeze3_[i].is_empty()) return torch::relu(conv_as_matmul(squeeze1_[i], f));  // fc6 / fc7
  return torch::relu(torch::cat({squeeze1_[i]->forward(f), squeeze3_[i]->forward(f)}, 1));
}

torch::Tensor Szn::classify_rest(torch::Tensor h) {
  for (size_t l = 1; l < classifier_.size(); ++l) h = classifier_[l]->forward(torch::relu(h));
  return h;
}

std::vector<torch::Tensor> Szn::backbone_features(const torch::Tensor& images) {
  return backbone_->forward(images);
}

ModelOutput Szn::forward(const torch::Tensor& images) {
  return forward_from_features(backbone_->forward(images), images.size(2), images.size(3));
}

int Szn::frozen_prefix_layers() const {
  if (!groups_.frozen("backbone")) return 0;
  const int convs = static_cast<int>(squeeze1_.size()) - (backbone_->has_fc() ? 2 : 0);
  return backbone_->has_fc() && groups_.frozen("fc") ? convs + 2 : convs;
}

std::string Szn::prefix_identity(int layers) const {
  Sha256 h;
  std::ostringstream arch;
  const InputNormalisation n = backbone_->normalisation();
  arch.precision(17);
  arch << "szn/vgg16 width_divisor=" << backbone_->config().width_divisor << " fc_layers=" << backbone_->has_fc()
       << " layers=" << layers << " bgr=" << n.bgr;
  for (int c = 0; c < 3; ++c) arch << " mean" << c << "=" << n.mean[c] << " std" << c << "=" << n.std[c];
  h.update(arch.str());
  const auto& convs = backbone_->layers();
  for (int i = 0; i < layers; ++i)
    for (const torch::Tensor& p : {convs[i]->weight, convs[i]->bias}) {
      const torch::Tensor c = p.detach().to(torch::kCPU, torch::kFloat).contiguous();
      h.update(c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size());
    }
  return h.hex();
}

std::vector<std::string> Szn::prefix_layer_names(int layers) const {
  const auto& names = backbone_->layer_names();
  return {names.begin(), names.begin() + std::min<std::size_t>(layers, names.size())};
}

std::vector<torch::Tensor> Szn::prefix_features(const torch::Tensor& images, int layers) {
  torch::NoGradGuard no_grad;
  return backbone_->forward(images, layers);
}

ModelOutput Szn::forward_from_prefix(const std::vector<torch::Tensor>& prefix, std::int64_t height,
                                     std::int64_t width) {
  return forward_from_features(backbone_->forward_from(prefix), height, width);
}

ModelOutput Szn::forward_from_features(const std::vector<torch::Tensor>& feats, std::int64_t height,
                                       std::int64_t width) {
  const auto [oh, ow] = output_hw(height, width);
  if (feats.size() != squeeze1_.size())
    throw InputError("szn: expected " + std::to_string(squeeze1_.size()) + " backbone feature maps, got " +
                     std::to_string(feats.size()));
  const torch::Tensor& w0 = classifier_[0]->weight;
  // First classifier layer per layer at native resolution, summed per resolution.
  std::map<std::pair<std::int64_t, std::int64_t>, torch::Tensor> acc;
  std::int64_t offset = 0;
  for (size_t i = 0; i < feats.size(); ++i) {
    torch::Tensor s = squeeze(i, feats[i]);
    torch::Tensor part = F::conv2d(s, w0.narrow(1, offset, s.size(1)));
    offset += s.size(1);
    auto& slot = acc[{s.size(2), s.size(3)}];
    slot = slot.defined() ? slot.add_(part) : part;
  }
  torch::Tensor total;
  for (auto it = acc.rbegin(); it != acc.rend(); ++it) {  // largest resolution first
    const auto& [hw, a] = *it;
    if (hw.first == 1 && hw.second == 1 && total.defined()) {
      total = total + a;  // bilinear resampling of a 1×1 map is a constant: broadcast
      continue;
    }
    torch::Tensor r = resize_bilinear(a, oh, ow);
    total = total.defined() ? total.add_(r) : r;
  }
  total = total + classifier_[0]->bias.view({1, -1, 1, 1});
  return {classify_rest(total), torch::Tensor()};
}

ModelOutput Szn::forward_direct(const torch::Tensor& images) {
  auto [h, w] = output_hw(images.size(2), images.size(3));
  std::vector<torch::Tensor> feats = backbone_->forward(images), ups;
  for (size_t i = 0; i < feats.size(); ++i) ups.push_back(resize_bilinear(squeeze(i, feats[i]), h, w));
  return {classify_rest(classifier_[0]->forward(torch::cat(ups, 1))), torch::Tensor()};
}

SznOptions SznOptions::from(Options& options) {
  SznOptions o;
  SznConfig& c = o.config;
  c.backbone.fc_layers = options.get_bool("fc_layers", true);
  c.backbone.width_divisor = static_cast<int>(options.get_int("width_divisor", 1, 1, 4096));
  c.squeeze = static_cast<int>(options.get_int("squeeze", 64, 1, 4096));
  c.hidden = static_cast<int>(options.get_int("hidden", 128, 1, 65536));
  c.classifier_layers = static_cast<int>(options.get_int("classifier_layers", 2, 1, 16));
  c.output_size = static_cast<int>(options.get_int("output_size", 0, 0, 8192));
  c.init_seed = static_cast<std::uint64_t>(options.get_int("init_seed", 0, 0));
  o.backbone_weights = options.get_string("backbone_weights", "vgg16");
  o.weights_catalogue = options.get_string("weights_catalogue", "");
  options.reject_unknown();
  return o;
}

std::shared_ptr<Szn> make_szn(const SznOptions& options, bool load_weights) {
  std::optional<WeightsEntry> entry;
  if (load_weights) entry = resolve_weights(options.backbone_weights, options.weights_catalogue);
  auto model = std::make_shared<Szn>(options.config);
  if (entry) sodlab::log::info("szn backbone weights " + load_backbone_weights(*model->backbone(), *entry));
  return model;
}

}  // namespace sodlab::models
