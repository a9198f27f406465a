// A tiny SegmentationModel and Loss for trainer tests (independent of the real registries).
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

#include "core/error.h"
#include "losses/loss.h"
#include "models/model.h"

namespace sodlab::testing {

// backbone: conv 3→4 + batch norm (buffers!) + ReLU; head: conv 4→1. Logits N×1×H×W.
class TinyModel : public models::SegmentationModel {
 public:
  TinyModel() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    head = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 1, 1)));
  }
  models::ModelOutput forward(const torch::Tensor& images) override {
    auto x = torch::relu(bn->forward(conv->forward(images / 255.0 - 0.5)));
    x = torch::dropout(x, 0.2, is_training());  // uses torch's RNG: resume must reproduce it
    return {head->forward(x), {}};
  }
  torch::Tensor saliency(const models::ModelOutput& o) const override { return torch::sigmoid(o.logits); }
  std::vector<std::string> groups() const override { return {"backbone", "head"}; }
  void set_frozen(const std::string& g, bool f) override {
    if (g == "backbone") {
      backbone_frozen = f;
      for (auto& p : conv->parameters()) p.set_requires_grad(!f);
      for (auto& p : bn->parameters()) p.set_requires_grad(!f);
    } else if (g == "head") {
      head_frozen = f;
      for (auto& p : head->parameters()) p.set_requires_grad(!f);
    } else {
      throw InputError("unknown group " + g);
    }
  }
  bool is_frozen(const std::string& g) const override { return g == "backbone" ? backbone_frozen : head_frozen; }
  int output_channels() const override { return 1; }
  void train(bool on = true) override {
    torch::nn::Module::train(on);
    if (backbone_frozen) bn->eval();
  }

  torch::nn::Conv2d conv{nullptr}, head{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  bool backbone_frozen = false, head_frozen = false;
};

// Binary cross-entropy with logits; optionally NaN from the `nan_at`-th call on, or a "crash"
// (std::runtime_error) at the `crash_at`-th call.
class TinyLoss : public losses::Loss {
 public:
  std::string name() const override { return "tiny_bce"; }
  torch::Tensor forward(const torch::Tensor& logits, const losses::Targets& t,
                        const torch::Tensor& = {}) const override {
    ++calls;
    if (crash_at > 0 && calls == crash_at) throw std::runtime_error("simulated crash");
    auto l = torch::binary_cross_entropy_with_logits(logits, t.masks);
    if (nan_at > 0 && calls >= nan_at) l = l * std::numeric_limits<float>::quiet_NaN();
    return l;
  }
  mutable int calls = 0;
  int nan_at = 0, crash_at = 0;
};

}  // namespace sodlab::testing
