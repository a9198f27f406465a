// Per-metric cost on one 300x400 synthetic (map, mask) pair with noise everywhere (the worst case
// for wFm: no pixel has zero error), next to the reference measured in the same run: decoding the
// same two images from PNG (cv::imdecode). Counter x_decode = time / decode time.
// With the shared data folder (SODLAB_SHARED_DIR, default ../shared beside the source tree), the
// *_DSS benchmarks do the same on the 300 published DSS maps of SOD and their masks (real maps:
// mostly exact zeros on the background), with x_decode against decoding those 600 files.
#include <benchmark/benchmark.h>

#include "core/distance_transform.h"
#include "metrics/image_metrics.h"
#include "metrics/synthetic_pairs.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstdio>
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
const MetricSelection kNone = MetricSelection::none();
MetricSelection only(const std::string& family) { return MetricSelection::from_names({family}); }
BENCHMARK_CAPTURE(BM_Metric, histograms_only, kNone, Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, mae, only("mae"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, fm, only("fm"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, wfm, only("wfm"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, sm, only("sm"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, em, only("em"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, auroc, only("auroc"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, iou, only("iou"), Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, all_pysod, MetricSelection{}, Convention::pysodmetrics)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Metric, all_toolbox, MetricSelection{}, Convention::sal_eval_toolbox)->Unit(benchmark::kMicrosecond);

void BM_DistanceTransform(benchmark::State& state) {
  cv::Mat g = pair().gt > 128;
  for (auto _ : state) benchmark::DoNotOptimize(sodlab::distance_to_mask(g.data, g.rows, g.cols));
  report(state);
}
BENCHMARK(BM_DistanceTransform)->Unit(benchmark::kMicrosecond);

// ---- Real maps: the DSS fixture (300 pairs), when the shared folder is there. ----
namespace fs = std::filesystem;

struct RealPairs {
  std::vector<std::vector<std::uint8_t>> files;  // pred, gt, pred, gt, ... as stored
  std::vector<cv::Mat> preds, gts;
};

const RealPairs& real_pairs() {
  static const RealPairs pairs = [] {
    RealPairs out;
    const char* env = std::getenv("SODLAB_SHARED_DIR");
    const fs::path shared = env ? fs::path(env) : fs::path(SODLAB_SOURCE_DIR) / ".." / "shared";
    const fs::path preds = shared / "fixtures" / "sod300-published-maps" / "DSS", gts = shared / "data" / "sod300" / "masks";
    std::error_code ec;
    if (!fs::is_directory(preds, ec) || !fs::is_directory(gts, ec)) return out;
    std::vector<fs::path> stems;
    for (const auto& e : fs::directory_iterator(preds, ec))
      if (fs::exists(gts / e.path().filename())) stems.push_back(e.path().filename());
    std::sort(stems.begin(), stems.end());
    auto slurp = [](const fs::path& f) {
      std::ifstream in(f, std::ios::binary);
      return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
    };
    for (const auto& name : stems) {
      out.files.push_back(slurp(preds / name));
      out.files.push_back(slurp(gts / name));
      out.preds.push_back(cv::imdecode(out.files[out.files.size() - 2], cv::IMREAD_GRAYSCALE));
      out.gts.push_back(cv::imdecode(out.files.back(), cv::IMREAD_GRAYSCALE));
    }
    return out;
  }();
  return pairs;
}

// CPU seconds to decode all real files once (best of 5, after a warm-up pass).
double real_decode_seconds() {
  static const double s = [] {
    decode_both(real_pairs().files);
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const std::clock_t t0 = std::clock();
      decode_both(real_pairs().files);
      best = std::min(best, double(std::clock() - t0) / CLOCKS_PER_SEC);
    }
    return best;
  }();
  return s;
}

void report_real(benchmark::State& state) {
  state.counters["x_decode"] = benchmark::Counter(static_cast<double>(state.iterations()) * real_decode_seconds(),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["per_pair"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(real_pairs().preds.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_DecodeDSS(benchmark::State& state) {
  for (auto _ : state) decode_both(real_pairs().files);
  report_real(state);
}

void BM_MetricDSS(benchmark::State& state, MetricSelection sel) {
  const auto& pairs = real_pairs();
  for (auto _ : state)
    for (std::size_t i = 0; i < pairs.preds.size(); ++i)
      benchmark::DoNotOptimize(evaluate_image(pairs.preds[i], pairs.gts[i], Convention::pysodmetrics, sel));
  report_real(state);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!real_pairs().preds.empty()) {
    benchmark::RegisterBenchmark("BM_DecodeDSS", BM_DecodeDSS)->Unit(benchmark::kMillisecond)->MinTime(2.0);
    benchmark::RegisterBenchmark("BM_MetricDSS/histograms_only", BM_MetricDSS, kNone)->Unit(benchmark::kMillisecond)->MinTime(2.0);
    benchmark::RegisterBenchmark("BM_MetricDSS/wfm", BM_MetricDSS, only("wfm"))->Unit(benchmark::kMillisecond)->MinTime(2.0);
    benchmark::RegisterBenchmark("BM_MetricDSS/all_pysod", BM_MetricDSS, MetricSelection{})->Unit(benchmark::kMillisecond)->MinTime(2.0);
  } else {
    std::fprintf(stderr, "bench_metrics: DSS fixture not found (set SODLAB_SHARED_DIR); real-map benchmarks skipped\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
