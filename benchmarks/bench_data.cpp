// Data-pipeline throughput: synthetic generation, augmentation and batching with 1 vs all workers.
// Prints images/s; the "speedup" counter of the multi-worker loader is relative to 1 worker
// measured in the same run.
#include "data/loader.h"

#include <benchmark/benchmark.h>

#include "core/threads.h"
#include "data/synthetic.h"

using namespace sodlab;

namespace {

double g_one_worker_ips = 0;

void BM_SyntheticGenerate(benchmark::State& state) {
  data::SyntheticDataset ds({1 << 20, static_cast<int>(state.range(0)), 1});
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ds.get(i++).image.data);
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(i), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SyntheticGenerate)->Arg(128)->Arg(224)->Unit(benchmark::kMillisecond);

void BM_Loader(benchmark::State& state) {
  const int workers = state.range(0) == 0 ? resolve_threads(0) : static_cast<int>(state.range(0));
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{256, 256, 2});
  data::LoaderSpec spec;
  spec.batch_size = 16;
  spec.width = spec.height = 224;
  spec.workers = workers;
  spec.augment.kind = state.range(1) ? "szn" : "menet";
  data::DataLoader loader(ds, spec);
  std::size_t b = 0, images = 0;
  for (auto _ : state) {
    const data::Batch batch = loader.batch(0, b++ % loader.batches_per_epoch());
    images += batch.stems.size();
  }
  const double ips = loader.images_per_second();
  state.counters["images/s"] = ips;
  state.counters["workers"] = workers;
  if (state.range(0) == 1 && state.range(1) == 1) g_one_worker_ips = ips;
  if (state.range(0) == 0 && state.range(1) == 1 && g_one_worker_ips > 0)
    state.counters["speedup_vs_1_worker"] = ips / g_one_worker_ips;
}
// (workers, szn?) — 0 workers means all cores. The 1-worker szn run comes first: the reference.
BENCHMARK(BM_Loader)->Args({1, 1})->Args({0, 1})->Args({0, 0})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
