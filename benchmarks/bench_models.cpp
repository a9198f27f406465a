// Model speed and memory: SZN and MEnet forward and forward+backward per image at 224, in ms and
// as a fraction of this machine's SGEMM throughput (a 2048² matmul timed in the same run);
// SZN peak memory for forward+backward, per-scale classifier vs the direct concatenation.
// Paper anchor: SZN inference 94 ms/image on a Titan X; target here ≤ 150 ms/image at 224.
// Convolution FLOPs are counted from the ops actually run (RecordFunction on aten::convolution).
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>

#include "core/blas_threads.h"
#include "core/options.h"
#include "core/threads.h"
#include "models/registry.h"
#include "models/szn.h"
#include "train/device.h"

namespace {

using namespace sodlab;
double g_sgemm_gflops = 0;  // measured in main()
std::atomic<double> g_flops{0};

// 2·MACs of aten::convolution from its inputs (input, weight, bias, stride, padding, dilation,
// transposed, output_padding, groups); backward convolutions are not counted.
std::unique_ptr<at::ObserverContext> count_conv(const at::RecordFunction& fn) {
  if (std::string(fn.name()) != "aten::convolution") return nullptr;
  const auto in = fn.inputs();
  if (in.size() < 9 || !in[0].isTensor() || !in[1].isTensor()) return nullptr;
  const auto x = in[0].toTensor().sizes(), w = in[1].toTensor().sizes();
  const auto stride = in[3].toIntVector(), pad = in[4].toIntVector(), dil = in[5].toIntVector();
  const bool transposed = in[6].toBool();
  double pixels = static_cast<double>(x[0]);
  for (int d = 0; d < 2; ++d) {
    const std::int64_t k = w[2 + d], i = x[2 + d];
    pixels *= transposed ? i : (i + 2 * pad[d] - dil[d] * (k - 1) - 1) / stride[d] + 1;
  }
  double wn = 1;
  for (auto s : w) wn *= static_cast<double>(s);
  g_flops = g_flops + 2.0 * pixels * wn;
  return nullptr;
}

double measure_sgemm_gflops() {
  torch::NoGradGuard guard;
  auto a = torch::rand({2048, 2048}), b = torch::rand({2048, 2048});
  torch::mm(a, b);
  const int reps = 5;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) benchmark::DoNotOptimize(torch::mm(a, b));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * 2048 * 2048 * 2048 * reps / s / 1e9;
}

std::shared_ptr<models::SegmentationModel> make(const std::string& name) {
  Options o;
  if (name == "szn") o.set("backbone_weights", std::string("none"));
  return models::make_model(name, o);
}

long status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  return -1;
}
bool reset_peak() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  return static_cast<bool>(f);
}

void report(benchmark::State& state, double seconds, std::int64_t images, double flops) {
  const double ms = 1e3 * seconds / static_cast<double>(images);
  const double gflop = flops / static_cast<double>(images) / 1e9;
  state.counters["ms_per_image"] = ms;
  state.counters["conv_GFLOP_per_image"] = gflop;
  state.counters["fraction_of_sgemm"] = (gflop / (ms / 1e3)) / g_sgemm_gflops;
  state.counters["sgemm_GFLOPs"] = g_sgemm_gflops;
}

// state.range(0): 0 = forward (eval, no grad), 1 = forward+backward (train mode),
// 2 = forward+backward with the backbone/encoder frozen (szn stages 1–2).
void run_model(benchmark::State& state, const std::string& name, std::int64_t batch) {
  auto model = make(name);
  const int mode = static_cast<int>(state.range(0));
  if (mode == 2) model->set_frozen(name == "szn" ? "backbone" : "encoder", true);
  model->train(mode != 0);
  auto x = torch::rand({batch, 3, 224, 224}) * 255;
  auto handle = at::addGlobalCallback(at::RecordFunctionCallback(count_conv).needsInputs(true));
  double seconds = 0, flops = 0;
  std::int64_t images = 0;
  for (auto _ : state) {
    model->zero_grad();
    g_flops = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (mode == 0) {
      torch::NoGradGuard guard;
      benchmark::DoNotOptimize(model->forward(x).logits);
    } else {
      auto out = model->forward(x);
      torch::Tensor loss = out.logits.defined() ? out.logits.mean() : out.features.mean();
      if (out.features.defined()) loss = loss + out.features.mean();
      loss.backward();
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    flops += g_flops;
    images += batch;
  }
  at::removeCallback(handle);
  report(state, seconds, images, flops);
}

void BM_SznForward224(benchmark::State& s) { run_model(s, "szn", 1); }
void BM_MenetForward224(benchmark::State& s) { run_model(s, "menet", s.range(0) == 0 ? 1 : 2); }
BENCHMARK(BM_SznForward224)->Arg(0)->Arg(1)->Arg(2)->Iterations(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MenetForward224)->Arg(0)->Arg(1)->Iterations(3)->Unit(benchmark::kMillisecond);

// Peak resident memory per image of SZN forward+backward at 224 (range 0: per-scale classifier,
// 1: direct concatenation), above the resident set before the step.
void BM_SznPeakMemory224(benchmark::State& state) {
  auto model = std::dynamic_pointer_cast<models::Szn>(make("szn"));
  model->train();
  auto x = torch::rand({1, 3, 224, 224}) * 255;
  double peak_mib = 0;
  bool ok = true;
  for (auto _ : state) {
    model->zero_grad();
    auto step = [&] {
      auto out = state.range(0) == 0 ? model->forward(x) : model->forward_direct(x);
      out.logits.mean().backward();
    };
    step();  // first step allocates the gradients
    model->zero_grad(false);
    const long before = status_kib("VmRSS:");
    ok = reset_peak();
    step();
    peak_mib = std::max(peak_mib, (status_kib("VmHWM:") - before) / 1024.0);
  }
  state.counters["peak_MiB_per_image"] = ok ? peak_mib : -1;
}
BENCHMARK(BM_SznPeakMemory224)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// SZN against its own VGG-16 backbone (13 convolutions and fc6/fc7, as SZN runs them), and bf16
// against fp32, timed alternately in the same iterations so that both sides see the same machine.
// state.range(0): 0 = forward (eval, no grad), 1 = forward+backward (train mode). Batch 2.
double time_ms(const std::function<void()>& step) {
  const auto t0 = std::chrono::steady_clock::now();
  step();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Runs `a` and `b` once each as a warm-up (oneDNN primitives, allocator), then alternately in every
// iteration; returns their mean milliseconds per image over `batch` images a step.
std::pair<double, double> alternate_ms_per_image(benchmark::State& state, const std::function<void()>& a,
                                                 const std::function<void()>& b, std::int64_t batch) {
  a();
  b();
  double ms_a = 0, ms_b = 0;
  for (auto _ : state) {
    ms_a += time_ms(a);
    ms_b += time_ms(b);
  }
  const double n = static_cast<double>(state.iterations() * batch);
  return {ms_a / n, ms_b / n};
}

std::function<void()> szn_step(models::Szn& szn, const torch::Tensor& x, bool backward, bool backbone_only) {
  return [&szn, x, backward, backbone_only] {
    szn.zero_grad();
    if (!backward) {
      torch::NoGradGuard guard;
      if (backbone_only) benchmark::DoNotOptimize(szn.backbone_features(x));
      else benchmark::DoNotOptimize(szn.forward(x).logits);
      return;
    }
    torch::Tensor loss;
    if (backbone_only) {
      for (const auto& f : szn.backbone_features(x)) loss = loss.defined() ? loss + f.mean() : f.mean();
    } else {
      loss = szn.forward(x).logits.mean();
    }
    loss.backward();
  };
}

void BM_SznOverBackbone224(benchmark::State& state) {
  auto szn = std::dynamic_pointer_cast<models::Szn>(make("szn"));
  const bool backward = state.range(0) == 1;
  szn->train(backward);
  const std::int64_t batch = 2;
  auto x = torch::rand({batch, 3, 224, 224}) * 255;
  const auto [backbone_ms, szn_ms] = alternate_ms_per_image(
      state, szn_step(*szn, x, backward, true), szn_step(*szn, x, backward, false), batch);
  state.counters["backbone_ms_per_image"] = backbone_ms;
  state.counters["szn_ms_per_image"] = szn_ms;
  state.counters["szn_over_backbone"] = szn_ms / backbone_ms;  // target <= 1.5
}
BENCHMARK(BM_SznOverBackbone224)->Arg(0)->Arg(1)->Iterations(3)->Unit(benchmark::kMillisecond);

// bf16 autocast (train.precision = "bf16") against fp32: SZN forward+backward (range 0) and the
// VGG-16 backbone forward (range 1), batch 8 as the oneDNN figures.
void BM_Bf16Speedup224(benchmark::State& state) {
  auto szn = std::dynamic_pointer_cast<models::Szn>(make("szn"));
  const bool backbone_only = state.range(0) == 1;
  szn->train(!backbone_only);
  const std::int64_t batch = backbone_only ? 8 : 2;
  auto x = torch::rand({batch, 3, 224, 224}) * 255;
  const auto fp32 = szn_step(*szn, x, !backbone_only, backbone_only);
  const std::function<void()> bf16 = [&] {
    train::AutocastGuard autocast(train::Precision::bf16, torch::Device(torch::kCPU));
    fp32();
  };
  const auto [fp32_ms, bf16_ms] = alternate_ms_per_image(state, fp32, bf16, batch);
  state.counters["fp32_ms_per_image"] = fp32_ms;
  state.counters["bf16_ms_per_image"] = bf16_ms;
  state.counters["bf16_speedup"] = fp32_ms / bf16_ms;  // target >= 1.5
}
BENCHMARK(BM_Bf16Speedup224)->Arg(0)->Arg(1)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(resolve_threads(0));
  // The reference is the machine's SGEMM peak: OpenBLAS on every core before LibTorch's OpenMP
  // pool has run (nothing competes). The models then run as sodlab-torch runs them: one pool.
  set_blas_threads(resolve_threads(0));
  g_sgemm_gflops = measure_sgemm_gflops();
  const int blas = use_one_thread_pool();
  const double policy_gflops = measure_sgemm_gflops();
  std::printf("threads %d; SGEMM 2048² peak: %.1f GFLOP/s (OpenBLAS on %d threads, alone: the reference for "
              "fraction_of_sgemm); with sodlab-torch's %d BLAS thread(s): %.1f GFLOP/s\n",
              at::get_num_threads(), g_sgemm_gflops, resolve_threads(0), blas, policy_gflops);
  std::printf("modes: /0 forward (eval, no grad), /1 forward+backward (train), /2 forward+backward with the "
              "backbone (szn) frozen; menet /1 uses batch 2 (train-mode BN at the 1×1 bottleneck)\n");
  std::printf("szn peak memory: /0 per-scale classifier, /1 direct concatenation\n");
  std::printf("SznOverBackbone: /0 forward, /1 forward+backward, batch 2, SZN and its backbone timed alternately; "
              "Bf16Speedup: /0 SZN forward+backward batch 2, /1 backbone forward batch 8\n");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
