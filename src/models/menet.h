// MEnet (Metric Expression Network), the network recovered from the reference code
// (../shared/research/reference-formulas.md §A.2).
//
// Blocks (BN = batch norm with affine scale): BRC = BN→ReLU→Conv(bias), BRD = BN→ReLU→Deconv(no
// bias), CBR = Conv→BN→ReLU (stem), Res = x + BRC3(BRC3(x)), Down = BRC3(BRC3/2(x)) + BRC1/2(x),
// Up = BRC3(BRD4/2(x)) + BRD2/2(x), Map = BRC3(·→1). Width w doubles per stage (w…32w, 32…1024),
// 5 stride-2 encoder stages, a global bottleneck (k×k valid conv + k×k deconv, k = 7 at 224),
// 5 up stages with skip concatenations, 13 one-channel maps replicated (nearest, integer factor)
// to the input size, then the heads on the 13-channel tensor: metric = tanh(BN(Conv3(13→16))),
// CE = BN(Conv3(13→2)). Xavier (fan-in) init U(±√(3/fan_in)) for conv/deconv weights, biases 0.
// Inputs: RGB in [0,255] used raw, H and W multiples of 32 with H/32, W/32 ≥ global_kernel.
//
// Variants: menet (both heads), menet_ce_only (CE head on the 13 maps), menet_metric_only
// (metric head only; saliency() = the metric map), menet_ce_plain (our reading of the paper's
// undefined "CE-plain": the same encoder-decoder without the 13-scale fusion — no maps, the CE
// head BN(Conv3(w→2)) reads the last decoder stage directly).
#pragma once

#include "core/options.h"
#include "models/frozen_groups.h"
#include "models/menet_maps.h"
#include "models/model.h"

namespace sodlab::models {

enum class MenetVariant { full, ce_only, ce_plain, metric_only };

struct MenetConfig {
  MenetVariant variant = MenetVariant::full;
  int width = 32;          // base channels (the paper: 32 → 1024 at the deepest stage)
  int blocks = 2;          // blocks per stage (Down/Up + blocks−1 Res; E0: blocks × Res)
  int global_kernel = 7;   // bottleneck kernel; 7 = global at 224 input
  double bn_momentum = 0.1;
  std::uint64_t init_seed = 0;
  std::string test_map = "softmax";  // saliency(): "softmax" (CE head) or "metric" (§A.5); the
                                     // registry defaults to metric where the model has that head
  bool test_minmax = true;           // min-max normalise the softmax map per image (as the code)
  MetricMapOptions metric_map;
};

class Menet : public SegmentationModel {
 public:
  explicit Menet(const MenetConfig& config);

  ModelOutput forward(const torch::Tensor& images) override;
  torch::Tensor saliency(const ModelOutput& out) const override;
  std::vector<std::string> groups() const override { return groups_.names(); }
  void set_frozen(const std::string& group, bool frozen) override;
  bool is_frozen(const std::string& group) const override { return groups_.frozen(group); }
  int output_channels() const override { return has_ce_ ? 2 : 0; }
  void train(bool on = true) override;

  // The 13 one-channel maps at input resolution, N×13×H×W (undefined for ce_plain).
  torch::Tensor fused_maps(const torch::Tensor& images);
  const MenetConfig& config() const { return config_; }

 private:
  struct Trunk {
    torch::Tensor last;               // D0 output, w×H×W
    std::vector<torch::Tensor> maps;  // 13 maps at native resolution (empty for ce_plain)
  };
  Trunk trunk(const torch::Tensor& images);

  MenetConfig config_;
  bool has_ce_ = false, has_metric_ = false, has_maps_ = false;
  torch::nn::Sequential stem_{nullptr}, bottleneck_{nullptr};
  std::vector<torch::nn::Sequential> encoder_, decoder_;  // E0..E5, D0..D4
  std::vector<torch::nn::Sequential> maps_;               // 13 Map blocks in channel order
  torch::nn::Sequential ce_head_{nullptr}, metric_head_{nullptr};
  FrozenGroups groups_;
};

// The config of MEnet variant `name` (menet, menet_ce_only, menet_ce_plain, menet_metric_only;
// the registry lists them) from its options: width (32), blocks (2), global_kernel (7),
// bn_momentum (0.1), init_seed (0), test_map ("softmax"|"metric"), test_minmax (true), map_border
// (20), map_samples (100), map_seed (0). Calls reject_unknown(); InputError on bad combinations.
MenetConfig read_menet_config(const std::string& name, Options& options);

}  // namespace sodlab::models
