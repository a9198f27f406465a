#include "models/menet.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/error.h"

namespace sodlab::models {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {

nn::BatchNorm2d bn(int c, double momentum) {
  return nn::BatchNorm2d(nn::BatchNorm2dOptions(c).eps(1e-5).momentum(momentum));
}

// BN → ReLU → Conv(k, stride s, pad p, bias).
struct BrcImpl : nn::Module {
  BrcImpl(int in, int out, int k, int s, int p, double m)
      : norm(register_module("bn", bn(in, m))),
        conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(s).padding(p)))) {}
  torch::Tensor forward(const torch::Tensor& x) { return conv->forward(torch::relu(norm->forward(x))); }
  nn::BatchNorm2d norm;
  nn::Conv2d conv;
};
TORCH_MODULE(Brc);

// BN → ReLU → ConvTranspose(k, stride s, pad p, no bias).
struct BrdImpl : nn::Module {
  BrdImpl(int in, int out, int k, int s, int p, double m)
      : norm(register_module("bn", bn(in, m))),
        deconv(register_module("deconv", nn::ConvTranspose2d(
                                             nn::ConvTranspose2dOptions(in, out, k).stride(s).padding(p).bias(false)))) {}
  torch::Tensor forward(const torch::Tensor& x) { return deconv->forward(torch::relu(norm->forward(x))); }
  nn::BatchNorm2d norm;
  nn::ConvTranspose2d deconv;
};
TORCH_MODULE(Brd);

// Conv(3, bias) → BN → ReLU (the stem).
struct CbrImpl : nn::Module {
  CbrImpl(int in, int out, double m)
      : conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)))),
        norm(register_module("bn", bn(out, m))) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(norm->forward(conv->forward(x))); }
  nn::Conv2d conv;
  nn::BatchNorm2d norm;
};
TORCH_MODULE(Cbr);

struct ResImpl : nn::Module {
  ResImpl(int c, double m) : a(register_module("a", Brc(c, c, 3, 1, 1, m))), b(register_module("b", Brc(c, c, 3, 1, 1, m))) {}
  torch::Tensor forward(const torch::Tensor& x) { return x + b->forward(a->forward(x)); }
  Brc a, b;
};
TORCH_MODULE(Res);

struct DownImpl : nn::Module {
  DownImpl(int in, int out, double m)
      : a(register_module("a", Brc(in, out, 3, 2, 1, m))),
        b(register_module("b", Brc(out, out, 3, 1, 1, m))),
        skip(register_module("skip", Brc(in, out, 1, 2, 0, m))) {}
  torch::Tensor forward(const torch::Tensor& x) { return b->forward(a->forward(x)) + skip->forward(x); }
  Brc a, b, skip;
};
TORCH_MODULE(Down);

struct UpImpl : nn::Module {
  UpImpl(int in, int out, double m)
      : a(register_module("a", Brd(in, out, 4, 2, 1, m))),
        b(register_module("b", Brc(out, out, 3, 1, 1, m))),
        skip(register_module("skip", Brd(in, out, 2, 2, 0, m))) {}
  torch::Tensor forward(const torch::Tensor& x) { return b->forward(a->forward(x)) + skip->forward(x); }
  Brd a;
  Brc b;
  Brd skip;
};
TORCH_MODULE(Up);

// Integer-factor nearest replication (each pixel → a block); its backward sums over the block.
torch::Tensor replicate(const torch::Tensor& m, std::int64_t h, std::int64_t w) {
  if (m.size(2) == h && m.size(3) == w) return m;
  return F::interpolate(m, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{h, w}).mode(torch::kNearest));
}

}  // namespace


Menet::Menet(const MenetConfig& c) : config_(c) {
  if (c.width < 1 || c.blocks < 1 || c.global_kernel < 1)
    throw InputError("menet: width, blocks and global_kernel must be ≥ 1");
  has_ce_ = c.variant != MenetVariant::metric_only;
  has_metric_ = c.variant == MenetVariant::full || c.variant == MenetVariant::metric_only;
  has_maps_ = c.variant != MenetVariant::ce_plain;
  groups_.context = "model 'menet'";
  const double m = c.bn_momentum;
  std::vector<int> ch(6);
  for (int k = 0; k < 6; ++k) ch[k] = c.width << k;

  stem_ = register_module("stem", nn::Sequential(Cbr(3, ch[0], m)));
  for (int k = 0; k < 6; ++k) {
    nn::Sequential stage;
    if (k > 0) stage->push_back(Down(ch[k - 1], ch[k], m));
    for (int r = k > 0 ? 1 : 0; r < c.blocks; ++r) stage->push_back(Res(ch[k], m));
    encoder_.push_back(register_module("encoder" + std::to_string(k), stage));
  }
  const int g = c.global_kernel;
  bottleneck_ = register_module("bottleneck", nn::Sequential(Brc(ch[5], ch[5], g, 1, 0, m), Brd(ch[5], ch[5], g, 1, 0, m)));
  decoder_.resize(5);
  for (int k = 4; k >= 0; --k) {
    nn::Sequential stage(Up(2 * ch[k + 1], ch[k], m));
    for (int r = 1; r < c.blocks; ++r) stage->push_back(Res(ch[k], m));
    decoder_[k] = register_module("decoder" + std::to_string(k), stage);
  }
  if (has_maps_) {
    // Channel order [data_f, scale0_m … scale5_m, scale0_u … scale4_u, scale5_u (bottleneck)].
    std::vector<std::pair<std::string, int>> spec{{"map_data", 3}};
    for (int k = 0; k < 6; ++k) spec.push_back({"map_scale" + std::to_string(k) + "_m", ch[k]});
    for (int k = 0; k < 6; ++k) spec.push_back({"map_scale" + std::to_string(k) + "_u", ch[k < 5 ? k : 5]});
    for (const auto& [name, in] : spec) maps_.push_back(register_module(name, nn::Sequential(Brc(in, 1, 3, 1, 1, m))));
  }
  const int head_in = has_maps_ ? 13 : ch[0];
  if (has_ce_)
    ce_head_ = register_module("ce_head", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(head_in, 2, 3).padding(1)), bn(2, m)));
  if (has_metric_)
    metric_head_ = register_module(
        "metric_head", nn::Sequential(nn::Conv2d(nn::Conv2dOptions(head_in, 16, 3).padding(1)), bn(16, m),
                                      nn::Functional([](const torch::Tensor& x) { return torch::tanh(x); })));

  // Caffe "xavier" (FAN_IN): U(±√(3/fan_in)), fan_in = numel / shape[0] for conv and deconv.
  auto gen = at::detail::createCPUGenerator(c.init_seed);
  torch::NoGradGuard guard;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    const bool is_bn = name.find("bn.") != std::string::npos || name.rfind("ce_head.1.", 0) == 0 ||
                       name.rfind("metric_head.1.", 0) == 0;
    if (is_bn) continue;  // BN: weight 1, bias 0 (Caffe Scale defaults)
    if (p.dim() == 4) {
      const double fan_in = static_cast<double>(p.numel() / p.size(0));
      const double a = std::sqrt(3.0 / fan_in);
      p.uniform_(-a, a, gen);
    } else {
      p.zero_();
    }
  }

  groups_.add("encoder", stem_.ptr());
  for (auto& e : encoder_) groups_.add("encoder", e.ptr());
  groups_.add("encoder", bottleneck_.ptr());
  for (auto& d : decoder_) groups_.add("decoder", d.ptr());
  for (auto& mp : maps_) groups_.add("maps", mp.ptr());
  if (has_ce_) groups_.add("heads", ce_head_.ptr());
  if (has_metric_) groups_.add("heads", metric_head_.ptr());
}

void Menet::set_frozen(const std::string& group, bool frozen) { groups_.set(group, frozen, is_training()); }

void Menet::train(bool on) {
  torch::nn::Module::train(on);
  groups_.apply_modes();
}

Menet::Trunk Menet::trunk(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3) throw InputError("menet: expected N×3×H×W images");
  const std::int64_t H = x.size(2), W = x.size(3), g = config_.global_kernel;
  if (H % 32 || W % 32 || H / 32 < g || W / 32 < g)
    throw InputError("menet: input " + std::to_string(H) + "×" + std::to_string(W) +
                     " must be a multiple of 32 with H/32, W/32 ≥ global_kernel (" + std::to_string(g) +
                     "); e.g. 224 with global_kernel=7, 64 with global_kernel ≤ 2");
  Trunk t;
  std::vector<torch::Tensor> e(6), d(5);
  e[0] = encoder_[0]->forward(stem_->forward(x));
  for (int k = 1; k < 6; ++k) e[k] = encoder_[k]->forward(e[k - 1]);
  torch::Tensor z = bottleneck_->forward(e[5]);
  d[4] = decoder_[4]->forward(torch::cat({z, e[5]}, 1));
  for (int k = 3; k >= 0; --k) d[k] = decoder_[k]->forward(torch::cat({d[k + 1], e[k + 1]}, 1));
  t.last = d[0];
  if (has_maps_) {
    t.maps.push_back(maps_[0]->forward(x));
    for (int k = 0; k < 6; ++k) t.maps.push_back(maps_[1 + k]->forward(e[k]));
    for (int k = 0; k < 5; ++k) t.maps.push_back(maps_[7 + k]->forward(d[k]));
    t.maps.push_back(maps_[12]->forward(z));
  }
  return t;
}

torch::Tensor Menet::fused_maps(const torch::Tensor& images) {
  if (!has_maps_) return torch::Tensor();
  Trunk t = trunk(images);
  std::vector<torch::Tensor> up;
  for (auto& mp : t.maps) up.push_back(replicate(mp, images.size(2), images.size(3)));
  return torch::cat(up, 1);
}

ModelOutput Menet::forward(const torch::Tensor& images) {
  Trunk t = trunk(images);
  torch::Tensor in = t.last;
  if (has_maps_) {
    std::vector<torch::Tensor> up;
    for (auto& mp : t.maps) up.push_back(replicate(mp, images.size(2), images.size(3)));
    in = torch::cat(up, 1);
  }
  ModelOutput out;
  if (has_ce_) out.logits = ce_head_->forward(in);
  if (has_metric_) out.features = metric_head_->forward(in);
  return out;
}

torch::Tensor Menet::saliency(const ModelOutput& out) const {
  if (config_.test_map == "metric" || !has_ce_) {
    torch::Tensor fg = out.logits.defined() ? menet_softmax_map(out.logits) : torch::Tensor();
    return menet_metric_map(out.features, fg, config_.metric_map);
  }
  torch::Tensor p = menet_softmax_map(out.logits);
  return config_.test_minmax ? minmax_normalise(p) : p;
}

MenetConfig read_menet_config(const std::string& name, Options& options) {
  MenetConfig c;
  if (name == "menet") c.variant = MenetVariant::full;
  else if (name == "menet_ce_only") c.variant = MenetVariant::ce_only;
  else if (name == "menet_ce_plain") c.variant = MenetVariant::ce_plain;
  else if (name == "menet_metric_only") c.variant = MenetVariant::metric_only;
  else throw InputError("unknown MEnet variant '" + name + "'");
  c.width = static_cast<int>(options.get_int("width", 32, 1, 4096));
  c.blocks = static_cast<int>(options.get_int("blocks", 2, 1, 64));
  c.global_kernel = static_cast<int>(options.get_int("global_kernel", 7, 1, 64));
  c.bn_momentum = options.get_double("bn_momentum", 0.1, 0.0, 1.0);
  c.init_seed = static_cast<std::uint64_t>(options.get_int("init_seed", 0, 0));
  // The map a table evaluates: the metric map where the model has one (paper-tables.md M.0: the
  // paper draws PR curves from the CE map "since the metric maps tend to be binary", implying
  // the metric map is its default output), the CE softmax otherwise.
  const bool metric_default = c.variant == MenetVariant::metric_only || c.variant == MenetVariant::full;
  c.test_map = options.get_string("test_map", metric_default ? "metric" : "softmax", {"softmax", "metric"});
  c.test_minmax = options.get_bool("test_minmax", true);
  c.metric_map.border = static_cast<int>(options.get_int("map_border", 20, 0, 1 << 20));
  c.metric_map.max_samples = static_cast<int>(options.get_int("map_samples", 100, 1, 1 << 20));
  c.metric_map.seed = static_cast<std::uint64_t>(options.get_int("map_seed", 0, 0));
  options.reject_unknown();
  const bool has_metric = c.variant == MenetVariant::full || c.variant == MenetVariant::metric_only;
  if (c.test_map == "metric" && !has_metric)
    throw InputError(options.context() + ": test_map=metric needs a metric head (menet or menet_metric_only)");
  if (c.test_map == "softmax" && c.variant == MenetVariant::metric_only)
    throw InputError(options.context() + ": menet_metric_only has no CE head; use test_map=metric");
  return c;
}

}  // namespace sodlab::models
