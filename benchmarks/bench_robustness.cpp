// Cost of the Jacobian estimators (src/robustness) on MEnet at the small profile (width 8, blocks 1,
// global kernel 2, 64 px, batch 8, random weights and images), per image, in ms and in forward
// passes: `forwards` divides by one no-grad eval forward per image (batch 8), timed in the same
// iterations, interleaved with the estimator (so a busy machine slows both). Targets:
// salient_sum (and paper_code) ≤ 3 forwards, mc_fd ≤ 2K + 1 (K = 8). Threads: SODLAB_THREADS,
// else 2.
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <opencv2/core.hpp>

#include "core/options.h"
#include "core/threads.h"
#include "models/registry.h"
#include "robustness/jacobian.h"

namespace {

using namespace sodlab;
constexpr int kBatch = 8, kSize = 64, kDirections = 8;

std::shared_ptr<models::SegmentationModel> small_menet() {
  Options o;
  o.set("width", std::int64_t{8});
  o.set("blocks", std::int64_t{1});
  o.set("global_kernel", std::int64_t{2});
  auto model = models::make_model("menet", o, models::Weights::skip);
  model->eval();
  return model;
}

std::vector<cv::Mat> images() {
  std::vector<cv::Mat> out;
  cv::RNG rng(1);
  for (int i = 0; i < kBatch; ++i) {
    cv::Mat m(kSize, kSize, CV_8UC3);
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> stems() {
  std::vector<std::string> out;
  for (int i = 0; i < kBatch; ++i) out.push_back("img" + std::to_string(i));
  return out;
}

robustness::JacobianSettings settings() {
  robustness::JacobianSettings s;
  s.input_size = kSize;
  s.directions = kDirections;
  s.batch_size = kBatch;
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// state.range(0): index into estimator_registry().entries() (paper_code, salient_sum, mc_fd).
void BM_Estimator(benchmark::State& state) {
  auto model = small_menet();
  const auto& entry = robustness::estimator_registry().entries().at(static_cast<std::size_t>(state.range(0)));
  state.SetLabel(entry.name);
  const int target = entry.name == "mc_fd" ? 2 * kDirections + 1 : 3;
  const auto rgb = images();
  const auto names = stems();
  const auto s = settings();
  const auto x = torch::rand({kBatch, 3, kSize, kSize}) * 255;
  auto forward = [&] {
    torch::NoGradGuard guard;
    benchmark::DoNotOptimize(model->forward(x).logits);
  };
  forward();  // warm-up
  entry.run(*model, rgb, names, s);
  double estimator_s = 0, forward_s = 0;
  std::int64_t images = 0, forwards = 0;
  for (auto _ : state) {
    state.PauseTiming();  // the Time column is the estimator's, per batch of kBatch images
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < target; ++r) forward();  // about as long as the estimator should take
    forward_s += seconds_since(t0);
    state.ResumeTiming();
    t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(entry.run(*model, rgb, names, s));
    estimator_s += seconds_since(t0);
    images += kBatch;
    forwards += target * kBatch;
  }
  const double ms = 1e3 * estimator_s / static_cast<double>(images);
  const double forward_ms = 1e3 * forward_s / static_cast<double>(forwards);
  state.counters["ms_per_image"] = ms;
  state.counters["forward_ms_per_image"] = forward_ms;
  state.counters["forwards"] = ms / forward_ms;
  state.counters["target_forwards"] = target;
}
BENCHMARK(BM_Estimator)->Arg(0)->Arg(1)->Iterations(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Estimator)->Arg(2)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(std::getenv("SODLAB_THREADS") ? resolve_threads(0) : 2);
  std::printf("threads %d; MEnet small (width 8, blocks 1, global kernel 2), %d px, batch %d; mc_fd K = %d\n",
              at::get_num_threads(), kSize, kBatch, kDirections);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
