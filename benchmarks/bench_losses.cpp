// Loss costs (`make bench-losses`). Every timing is per image; ratios compare against references
// measured in the same run (a direct 19×19 convolution implementation of the same AF_β^w loss)
// and against the paper's published CPU figures (Kolkin et al. §5.5: AF_β^w 8.7 s for 15 images
// = 580 ms per image; the exact F_β^w 37 min for 15 images = 148 s per image).
#include "core/blas_threads.h"
#include "core/threads.h"
#include "losses/exact_fbeta_w.h"
#include "losses/registry.h"

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace sodlab;

namespace {

constexpr int kBatch = 8, kSize = 224;

// Deterministic masks (a disk and a rectangle per image) and plausible logits.
std::pair<torch::Tensor, torch::Tensor> batch(int n, int size) {
  torch::manual_seed(0);
  auto yy = torch::arange(size, torch::kFloat).view({1, size, 1});
  auto xx = torch::arange(size, torch::kFloat).view({1, 1, size});
  auto cy = torch::rand({n, 1, 1}) * size * 0.5 + size * 0.25;
  auto cx = torch::rand({n, 1, 1}) * size * 0.5 + size * 0.25;
  auto disk = ((yy - cy).pow(2) + (xx - cx).pow(2)) < (size * size / 16.0);
  auto rect = (yy > size / 8) & (yy < size / 3) & (xx > size / 2) & (xx < size * 7 / 8);
  auto mask = (disk | rect).to(torch::kFloat).unsqueeze(1);
  auto logits = (mask * 2 - 1) * 2 + torch::randn({n, 1, size, size}) * 1.5;
  return {mask, logits};
}

double seconds_per_step(losses::Loss& l, const losses::Targets& t, const torch::Tensor& logits,
                        const torch::Tensor& feat, int reps) {
  auto run = [&] {
    auto x = logits.detach().clone().set_requires_grad(true);
    auto v = l.forward(x, t, feat);
    v.backward();
  };
  run();  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

std::unique_ptr<losses::Loss> make(const std::string& name, std::vector<std::string> sets = {}) {
  Options o;
  for (const auto& s : sets) o.set_from_assignment(s);
  return losses::make_loss(name, o);
}

// AF_β^w forward + backward, batch 8 at 224×224, with the given filter implementation; counters
// give ms per image, the ratio to the direct 19×19 convolution (measured here) and to the paper.
void BM_AfFbetaW(benchmark::State& state, const std::string& impl) {
  auto [mask, logits] = batch(kBatch, kSize);
  auto l = make("af_fbeta_w", {"implementation=" + impl});
  auto t = l->prepare(mask);
  for (auto _ : state) {
    auto x = logits.detach().clone().set_requires_grad(true);
    auto v = l->forward(x, t);
    v.backward();
    benchmark::DoNotOptimize(x.grad().data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  auto direct = make("af_fbeta_w", {"implementation=direct"});
  const double ours = seconds_per_step(*l, t, logits, {}, 5) / kBatch * 1e3;
  const double ref = seconds_per_step(*direct, t, logits, {}, 3) / kBatch * 1e3;
  state.counters["ms_per_image"] = ours;
  state.counters["direct19x19_ms_per_image"] = ref;
  state.counters["speedup_vs_direct19x19"] = ref / ours;
  state.counters["speedup_vs_paper_580ms"] = 580.0 / ours;
  state.counters["target_2ms_met"] = ours <= 2.0 ? 1 : 0;
}
BENCHMARK_CAPTURE(BM_AfFbetaW, auto, std::string("auto"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AfFbetaW, separable, std::string("separable"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AfFbetaW, toeplitz, std::string("toeplitz"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AfFbetaW, direct19x19, std::string("direct"))->Unit(benchmark::kMillisecond);

// One thread pool or two (core/blas_threads.h): AF_β^w forward + backward (default options) with
// OpenBLAS's own pthread pool on every core beside LibTorch's OpenMP pool, against OpenBLAS
// single-threaded inside LibTorch's parallel work (what sodlab-torch does), in the same run.
void BM_BlasThreadPolicy(benchmark::State& state) {
  auto [mask, logits] = batch(kBatch, kSize);
  auto l = make("af_fbeta_w");
  auto t = l->prepare(mask);
  const int policy = use_one_thread_pool();
  double two_pools = 0, one_pool = 0;
  for (auto _ : state) {
    set_blas_threads(resolve_threads(0));
    two_pools = seconds_per_step(*l, t, logits, {}, 5) / kBatch * 1e3;
    set_blas_threads(std::max(1, policy));
    one_pool = seconds_per_step(*l, t, logits, {}, 5) / kBatch * 1e3;
  }
  state.counters["ms_per_image_blas_pool_all_cores"] = two_pools;
  state.counters["ms_per_image_one_blas_thread"] = one_pool;
  state.counters["speedup_one_pool"] = two_pools / one_pool;
  state.counters["openblas_pthread"] = blas_info().parallel == "pthread" ? 1 : 0;
}
BENCHMARK(BM_BlasThreadPolicy)->Iterations(2)->Unit(benchmark::kMillisecond);

// Every loss: forward + backward per image (batch 8, 224×224, float32), default options.
void BM_Loss(benchmark::State& state, const std::string& name) {
  auto [mask, logits] = batch(kBatch, kSize);
  auto l = make(name);
  torch::Tensor feat;
  if (l->needs_features()) {
    logits = torch::cat({torch::zeros_like(logits), logits}, 1);
    feat = torch::tanh(torch::randn({kBatch, 16, kSize, kSize})).set_requires_grad(true);
  }
  auto t = l->prepare(mask);
  for (auto _ : state) {
    auto x = logits.detach().clone().set_requires_grad(true);
    auto v = l->forward(x, t, feat);
    v.backward();
    benchmark::DoNotOptimize(x.grad().data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ms_per_image"] = seconds_per_step(*l, t, logits, feat, 3) / kBatch * 1e3;
}
BENCHMARK_CAPTURE(BM_Loss, ce, std::string("ce"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Loss, weighted_ce, std::string("weighted_ce"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Loss, ce_dnc_band, std::string("ce_dnc_band"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Loss, af_fbeta_w, std::string("af_fbeta_w"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Loss, menet, std::string("menet"))->Unit(benchmark::kMillisecond);

// Mask-only precomputation (distance transforms → B, nearest indices, band), per image.
void BM_Prepare(benchmark::State& state, const std::string& name) {
  auto [mask, logits] = batch(kBatch, kSize);
  auto l = make(name);
  for (auto _ : state) benchmark::DoNotOptimize(l->prepare(mask).masks.data_ptr<float>());
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK_CAPTURE(BM_Prepare, af_fbeta_w, std::string("af_fbeta_w"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Prepare, ce_dnc_band, std::string("ce_dnc_band"))->Unit(benchmark::kMillisecond);

// The exact (untruncated) F_β^w at 224×224 against the paper's 148 s per image (target ≤ 20 ms).
void BM_ExactFbetaW(benchmark::State& state) {
  auto [mask, logits] = batch(1, kSize);
  auto pred = torch::sigmoid(logits[0][0]).to(torch::kDouble);
  auto m = mask[0][0].to(torch::kDouble);
  double f = 0;
  for (auto _ : state) f = losses::exact_fbeta_w(pred, m);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) f += losses::exact_fbeta_w(pred, m);
  const double ms = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 5 * 1e3;
  state.counters["ms_per_image"] = ms;
  state.counters["speedup_vs_paper_148s"] = 148000.0 / ms;
  state.counters["target_20ms_met"] = ms <= 20.0 ? 1 : 0;
  benchmark::DoNotOptimize(f);
}
BENCHMARK(BM_ExactFbetaW)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(resolve_threads(0));
  const int blas = use_one_thread_pool();  // as sodlab-torch
  const BlasInfo info = blas_info();
  std::printf("threads %d; BLAS: %s (%s), %d thread(s) inside each call\n", torch::get_num_threads(),
              info.openblas ? info.config.c_str() : "not OpenBLAS", info.parallel.c_str(), blas);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
