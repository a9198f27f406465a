// sodlab-gpu-check: the time of one training step of the paper-profile models on a CUDA device,
// per model and precision (scripts/gpu-check.sh runs it on GPU machines).
//
// Contract: each --models entry is built from the registries with its default options and no
// pretrained weights (the same arithmetic as with them), once, and trains on through the
// precisions, each with a fresh optimiser and loss scale: szn = Kolkin's SZN at full width with its
// fc layers, AF_beta^w, Adam; menet = MEnet, its CE + metric loss, SGD with momentum 0.9. The
// learning rate is small (1e-5) so that a few steps on random data stay finite; it does not change
// the time. On one fixed batch (--batch random images of --size², a disk-shaped mask each, in
// pinned host memory) it runs --warmup untimed, then --steps timed steps, each as
// train/trainer.cpp does it: the batch copied to the device, the forward under autocast for the
// precision (train/device.h), the loss's prepare() and forward() in fp32, backward (times the
// dynamic loss scale for fp16; a step with inf/NaN gradients skipped), the optimiser step, the
// loss read back. torch::cuda::synchronize() closes every step and brackets prepare(). One line
// per model × precision: median and mean ms/step, images/s at the median, median ms of prepare()
// alone (in the step), first and last loss, fp16 steps skipped.
// `--device cpu` runs the same steps on the CPU (to try the program where there is no GPU; fp32 and
// bf16 only).
// Exit: 0 all timed; 77 (skip) no CUDA device visible to this LibTorch (with --device cuda[:N]);
// 1 a non-finite loss or a failure while training (CUDA error, out of memory); 2 bad arguments.
#include <CLI/CLI.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/options.h"
#include "core/threads.h"
#include "losses/registry.h"
#include "models/registry.h"
#include "train/device.h"

namespace {

using namespace sodlab;
using Clock = std::chrono::steady_clock;

constexpr int kSkip = 77;  // "skipped" for ctest and for scripts/gpu-check.sh

struct Args {
  std::vector<std::string> models{"szn", "menet"};
  std::vector<std::string> precisions{"fp32", "bf16", "fp16"};
  std::string device = "cuda";
  int batch = 8, size = 224, warmup = 3, steps = 10;
};

// What each model trains with in its paper profile (experiments/kolkin2017/table1.toml,
// experiments/menet/table1.toml), the learning rate aside.
struct Profile {
  std::string model, loss, optimizer;
};

Profile profile_of(const std::string& model) {
  if (model == "szn") return {"szn", "af_fbeta_w", "adam"};
  if (model == "menet") return {"menet", "menet", "sgd"};
  throw InputError("--models: '" + model + "' is not one of szn, menet");
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::string& kind, torch::nn::Module& model) {
  const double lr = 1e-5;
  if (kind == "sgd")
    return std::make_unique<torch::optim::SGD>(model.parameters(),
                                               torch::optim::SGDOptions(lr).momentum(0.9).weight_decay(1e-8));
  return std::make_unique<torch::optim::Adam>(model.parameters(), torch::optim::AdamOptions(lr));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Waits for the device's queued work (nothing to wait for on the CPU).
void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// N×3×S×S RGB in [0, 255] and N×1×S×S {0,1} masks (one disk each), pinned for asynchronous copies
// to a CUDA device.
std::pair<torch::Tensor, torch::Tensor> random_batch(int n, int size, const torch::Device& device) {
  torch::manual_seed(0);
  auto pin = [&](const torch::Tensor& t) { return device.is_cuda() ? t.pin_memory() : t; };
  const auto images = pin(torch::rand({n, 3, size, size}) * 255);
  const auto coords = torch::arange(size, torch::kFloat32);
  const auto yy = coords.view({1, 1, size, 1}), xx = coords.view({1, 1, 1, size});
  const auto cy = torch::rand({n, 1, 1, 1}) * size, cx = torch::rand({n, 1, 1, 1}) * size;
  const auto r = (torch::rand({n, 1, 1, 1}) * 0.25 + 0.15) * size;
  const auto masks = pin(((yy - cy).pow(2) + (xx - cx).pow(2) < r.pow(2)).to(torch::kFloat32));
  return {images, masks};
}

struct Timing {
  std::vector<double> step_ms, prepare_ms;
  double first_loss = 0, last_loss = 0;
  int skipped = 0;
};

// The model trains on through the precisions (its weights do not change the time); the optimiser
// and the loss scale start afresh for each.
Timing time_steps(const Profile& p, models::SegmentationModel& model, const losses::Loss& loss,
                  train::Precision precision, const torch::Device& device, const Args& a) {
  auto optimizer = make_optimizer(p.optimizer, model);
  std::vector<torch::Tensor> params;
  for (auto& g : optimizer->param_groups())
    for (auto& t : g.params()) params.push_back(t);
  train::LossScaler scaler(precision == train::Precision::fp16);
  const auto [images, masks] = random_batch(a.batch, a.size, device);
  auto fp32 = [](const torch::Tensor& t) { return t.defined() ? t.to(torch::kFloat32) : t; };

  Timing out;
  for (int s = 0; s < a.warmup + a.steps; ++s) {
    sync(device);
    const auto t0 = Clock::now();
    optimizer->zero_grad();
    models::ModelOutput o;
    {
      train::AutocastGuard autocast(precision, device);
      o = model.forward(images.to(device, /*non_blocking=*/true));
    }
    sync(device);
    const auto tp = Clock::now();
    const losses::Targets targets = loss.prepare(masks.to(device, /*non_blocking=*/true));
    sync(device);
    const double prepare_ms = ms_since(tp);
    torch::Tensor l = loss.forward(fp32(o.logits), targets, loss.needs_features() ? fp32(o.features) : torch::Tensor());
    if (scaler.enabled()) {
      (l * scaler.scale()).backward();
      if (scaler.unscale_and_check(params)) optimizer->step();
    } else {
      l.backward();
      optimizer->step();
    }
    const double value = l.item<double>();
    sync(device);
    const double step_ms = ms_since(t0);
    if (!std::isfinite(value))
      throw RuntimeFailure(p.model + " " + train::precision_name(precision) + ": loss " + std::to_string(value) +
                           " at step " + std::to_string(s + 1));
    if (s == 0) out.first_loss = value;
    out.last_loss = value;
    if (s < a.warmup) continue;
    out.step_ms.push_back(step_ms);
    out.prepare_ms.push_back(prepare_ms);
  }
  out.skipped = scaler.skipped_steps();
  return out;
}

int run(const Args& a) {
  if (a.batch < 1 || a.size < 32 || a.warmup < 0 || a.steps < 1)
    throw InputError("--batch and --steps must be >= 1, --size >= 32, --warmup >= 0");
  for (const auto& m : a.models) profile_of(m);
  const bool wants_cuda = a.device == "cuda" || a.device.rfind("cuda:", 0) == 0;
  if (wants_cuda && !torch::cuda::is_available()) {
    std::printf("sodlab-gpu-check: SKIPPED: LibTorch %s sees no CUDA device (built without CUDA, or no GPU or "
                "driver visible); nothing timed (exit %d)\n", TORCH_VERSION, kSkip);
    return kSkip;
  }
  if (a.device == "auto") throw InputError("--device: expected cuda, cuda:N or cpu");
  const std::string resolved = train::resolve_device(a.device, "--device");
  at::set_num_threads(resolve_threads(0));  // as the trainer: all cores, or SODLAB_THREADS
  const torch::Device device(resolved);
  std::vector<train::Precision> precisions;
  for (const auto& name : a.precisions) precisions.push_back(train::parse_precision(name, resolved, "--precisions"));

  std::printf("sodlab-gpu-check: LibTorch %s, %s (%zu CUDA device(s) visible, cuDNN %s), %d CPU threads\n",
              TORCH_VERSION, resolved.c_str(), torch::cuda::device_count(),
              torch::cuda::cudnn_is_available() ? "available" : "not available", at::get_num_threads());
  std::printf("batch %d x 3x%dx%d, %d warm-up + %d timed steps each; learning rate 1e-5\n\n", a.batch, a.size, a.size,
              a.warmup, a.steps);
  std::printf("%-6s %-5s %-7s %9s %9s %9s %11s %22s %7s\n", "model", "prec", "optim", "ms/step", "mean ms",
              "images/s", "prepare ms", "loss first -> last", "skipped");
  std::fflush(stdout);
  for (const auto& m : a.models) {
    const Profile p = profile_of(m);
    Options model_options, loss_options;
    const auto model = models::make_model(p.model, model_options, models::Weights::skip);
    const auto loss = losses::make_loss(p.loss, loss_options);
    model->to(device);
    model->train();
    for (const auto precision : precisions) {
      const Timing t = time_steps(p, *model, *loss, precision, device, a);
      double mean = 0;
      for (double v : t.step_ms) mean += v / t.step_ms.size();
      const double med = median(t.step_ms);
      std::printf("%-6s %-5s %-7s %9.2f %9.2f %9.1f %11.2f %10.4f -> %-8.4f %7d\n", p.model.c_str(),
                  train::precision_name(precision).c_str(), p.optimizer.c_str(), med, mean, a.batch * 1000.0 / med,
                  median(t.prepare_ms), t.first_loss, t.last_loss, t.skipped);
      std::fflush(stdout);
    }
  }
  std::printf("\nms/step: median of the timed steps (mean beside it); prepare: the loss's mask maps alone, "
              "inside the step; skipped: fp16 steps with inf/NaN gradients.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app{"sodlab-gpu-check: training-step time of the paper-profile models (szn, menet) on CUDA, per precision. "
               "Exit 77 (skip) when no CUDA device is visible."};
  app.add_option("--models", a.models, "szn, menet (default: both)")->delimiter(',');
  app.add_option("--precisions", a.precisions, "fp32, bf16, fp16 (default: all three)")->delimiter(',');
  app.add_option("--device", a.device, "cuda, cuda:N, or cpu (to try it without a GPU)")->capture_default_str();
  app.add_option("--batch", a.batch, "images per step")->capture_default_str();
  app.add_option("--size", a.size, "input height = width")->capture_default_str();
  app.add_option("--warmup", a.warmup, "untimed steps first")->capture_default_str();
  app.add_option("--steps", a.steps, "timed steps")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  }
  try {
    return run(a);
  } catch (const Error& e) {
    std::fprintf(stderr, "sodlab-gpu-check: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const c10::Error& e) {  // LibTorch's (CUDA errors, out of memory), without its backtrace
    std::fprintf(stderr, "sodlab-gpu-check: %s\n", e.what_without_backtrace());
    return static_cast<int>(ExitCode::runtime_failure);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sodlab-gpu-check: %s\n", e.what());
    return static_cast<int>(ExitCode::runtime_failure);
  }
}
