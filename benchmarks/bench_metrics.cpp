// Per-metric cost on one 300x400 (map, mask) pair, next to the reference measured in the same
// run: decoding the same two images from PNG (cv::imdecode). Counter x_decode = time / decode time.
#include <benchmark/benchmark.h>

#include "core/distance_transform.h"
#include "metrics/image_metrics.h"
#include "metrics/synthetic_pairs.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <ctime>
#include <vector>

using namespace sodlab::metrics;

namespace {

const SyntheticPair& pair() {
  static const SyntheticPair p = synthetic_pair(7, 300, 400);
  return p;
}

std::vector<std::vector<std::uint8_t>> encoded() {
  std::vector<std::uint8_t> a, b;
  cv::imencode(".png", pair().pred, a);
  cv::imencode(".png", pair().gt, b);
  return {a, b};
}

void decode_both(const std::vector<std::vector<std::uint8_t>>& files) {
  for (const auto& f : files) benchmark::DoNotOptimize(cv::imdecode(f, cv::IMREAD_GRAYSCALE));
}

// CPU seconds to decode the pair once (best of 5 batches of 20), measured once per run.
double decode_seconds() {
  static const double s = [] {
    const auto files = encoded();
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const std::clock_t t0 = std::clock();  // CPU time, like the benchmarks' CPU column
      for (int i = 0; i < 20; ++i) decode_both(files);
      best = std::min(best, double(std::clock() - t0) / CLOCKS_PER_SEC / 20);
    }
    return best;
  }();
  return s;
}

void report(benchmark::State& state) {
  state.counters["x_decode"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * decode_seconds(), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_DecodePngPair(benchmark::State& state) {
  const auto files = encoded();
  for (auto _ : state) decode_both(files);
  report(state);
}
BENCHMARK(BM_DecodePngPair)->Unit(benchmark::kMicrosecond);

void BM_Metric(benchmark::State& state, MetricSelection sel, Convention conv) {
  for (auto _ : state) benchmark::DoNotOptimize(evaluate_image(pair().pred, pair().gt, conv, sel));
  report(state);
}
const MetricSelection kNone{false, false, false, false, false, false, false};
MetricSelection only(bool MetricSelection::*field) {
  MetricSelection s = kNone;
  s.*field = true;
  return s;
}
BENCHMARK_CAPTURE(BM_Metric, histograms_only, kNone, Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, mae, only(&MetricSelection::mae), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, fm, only(&MetricSelection::fm), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, wfm, only(&MetricSelection::wfm), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, sm, only(&MetricSelection::sm), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, em, only(&MetricSelection::em), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, auroc, only(&MetricSelection::auroc), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, iou, only(&MetricSelection::iou), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, all_pysod, MetricSelection{}, Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, all_toolbox, MetricSelection{}, Convention::sal_eval_toolbox)->Unit(benchmark::kMicrosecond);

void BM_DistanceTransform(benchmark::State& state) {
  cv::Mat g = pair().gt > 128;
  for (auto _ : state) benchmark::DoNotOptimize(sodlab::distance_to_mask(g.data, g.rows, g.cols));
  report(state);
}
BENCHMARK(BM_DistanceTransform)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
