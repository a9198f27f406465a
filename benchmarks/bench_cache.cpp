// The training caches against recomputing, measured in the same run (each pair timed alternately):
//   FrozenEpoch224       an epoch of a frozen-backbone stage (Kolkin §5.1 stages 1–2: SZN, VGG-16
//                        with fc6/fc7, 224², AF_β^w, Adam) from the fp16 feature cache vs
//                        recomputing the backbone, same images (target ≥ 5×); /0 the 13
//                        convolutions frozen (fc6/fc7 train, as Kolkin's tables), /1 fc6/fc7 too;
//   FeatureFetch224      one image's frozen-prefix activations: read from the cache vs computed;
//   CacheReadThroughput  reading every entry of the cache vs a sequential read() of a file of the
//                        same size, both evicted from the page cache first (posix_fadvise);
//   TargetCache224       AF_β^w's mask maps (distance transform, B weights, nearest indices) for a
//                        batch of 8 from the target cache vs Loss::prepare.
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "cache/tensor_cache.h"
#include "core/blas_threads.h"
#include "core/log.h"
#include "core/threads.h"
#include "data/synthetic.h"
#include "losses/registry.h"
#include "models/registry.h"
#include "models/szn.h"
#include "train/feature_cache.h"
#include "train/target_cache.h"
#include "train/trainer.h"

namespace {

using namespace sodlab;
namespace fs = std::filesystem;

fs::path bench_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("sodlab-bench-cache-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

double seconds_of(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::shared_ptr<models::Szn> paper_szn() {
  Options o("model 'szn'");
  o.set("backbone_weights", std::string("none"));  // weights do not change the cost
  return std::dynamic_pointer_cast<models::Szn>(models::make_model("szn", o, models::Weights::skip));
}

std::shared_ptr<losses::Loss> af_loss() {
  Options o("loss 'af_fbeta_w'");
  return losses::make_loss("af_fbeta_w", o);
}

data::DataLoader loader_224(int images, int batch) {
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{images, 224, 5});
  data::LoaderSpec ls;
  ls.batch_size = batch;
  ls.width = ls.height = 224;
  ls.shuffle = false;
  return data::DataLoader(ds, ls);
}

// frozen_fc: fc6/fc7 frozen too (prefix of 15 layers), not only the 13 convolutions (Kolkin's
// frozen = ["backbone"], under which fc6/fc7 and their 120 M parameters still train).
train::TrainSpec frozen_stage(const std::string& feature_cache, int batch, bool frozen_fc) {
  train::TrainSpec spec;
  spec.batch_size = batch;
  spec.progress = "none";
  train::StageSpec s;
  s.name = "squeeze";
  s.epochs = 1;
  s.lr = 3e-4;
  s.frozen = {"backbone"};
  if (frozen_fc) s.frozen.push_back("fc");
  spec.stages = {s};
  if (feature_cache != "off") {
    spec.feature_cache = feature_cache;
    spec.feature_cache_dir = (bench_dir() / "features").string();
  }
  return spec;
}

void BM_FrozenEpoch224(benchmark::State& state) {
  const int images = 4, batch = 2;
  auto szn = paper_szn();
  auto loss = af_loss();
  const auto loader = loader_224(images, batch);
  const bool frozen_fc = state.range(0) == 1;
  train::Trainer recompute(szn, loss, frozen_stage("off", batch, frozen_fc));
  train::Trainer cached(szn, loss, frozen_stage("fp16", batch, frozen_fc));
  std::int64_t hits = 0, misses = 0;
  const auto count = [&](const train::EpochReport& e) {
    hits += e.features.hits;
    misses += e.features.misses;
  };
  cached.fit(loader, count);  // fills the cache
  recompute.fit(loader);      // warm-up
  hits = misses = 0;
  double s_recompute = 0, s_cached = 0;
  for (auto _ : state) {
    s_recompute += seconds_of([&] { recompute.fit(loader); });
    s_cached += seconds_of([&] { cached.fit(loader, count); });
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["recompute_s_per_epoch"] = s_recompute / n;
  state.counters["cached_s_per_epoch"] = s_cached / n;
  state.counters["speedup"] = s_recompute / s_cached;  // target >= 5
  state.counters["hit_rate"] = static_cast<double>(hits) / static_cast<double>(std::max<std::int64_t>(hits + misses, 1));
}
BENCHMARK(BM_FrozenEpoch224)->Arg(0)->Arg(1)->Iterations(2)->Unit(benchmark::kMillisecond);

void BM_FeatureFetch224(benchmark::State& state) {
  auto szn = paper_szn();
  szn->set_frozen("backbone", true);
  szn->eval();
  const int layers = szn->frozen_prefix_layers();
  auto store = std::make_shared<cache::TensorCache>(bench_dir() / "fetch");
  train::FeatureCache cache(store, "fp16", "bench");
  cache.begin_stage(*szn, train::Precision::fp32);
  const torch::Tensor image = torch::rand({1, 3, 224, 224}) * 255;
  train::CacheCounters counters;
  cache.features(*szn, image, torch::kCPU, counters);  // stores the entry
  double s_compute = 0, s_read = 0;
  for (auto _ : state) {
    s_compute += seconds_of([&] { benchmark::DoNotOptimize(szn->prefix_features(image, layers)); });
    s_read += seconds_of([&] { benchmark::DoNotOptimize(cache.features(*szn, image, torch::kCPU, counters)); });
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["compute_ms"] = 1e3 * s_compute / n;
  state.counters["read_ms"] = 1e3 * s_read / n;
  state.counters["speedup"] = s_compute / s_read;
  state.counters["entry_MiB"] = static_cast<double>(counters.bytes_written) / (1 << 20);
}
BENCHMARK(BM_FeatureFetch224)->Iterations(5)->Unit(benchmark::kMillisecond);

// Writes back and drops a file's pages from the page cache, so the next read goes to the disk.
void evict(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

void BM_CacheReadThroughput(benchmark::State& state) {
  cache::TensorCache store(bench_dir() / "throughput");
  std::vector<std::string> keys;
  std::uint64_t total = 0;
  torch::manual_seed(1);
  for (int i = 0; i < 16; ++i) {  // 16 entries of 4 MiB-chunked fp16 activations (about 12 MiB each)
    keys.push_back(cache::make_key({"throughput", std::to_string(i)}));
    total += store.put(keys.back(), {{"a", torch::randn({64, 224, 224}).to(torch::kHalf)},
                                     {"b", torch::randn({128, 112, 112}).to(torch::kHalf)}});
  }
  const fs::path plain = bench_dir() / "sequential.bin";
  {
    std::ofstream f(plain, std::ios::binary);
    const std::string block(std::size_t{1} << 20, '\x42');
    for (std::uint64_t w = 0; w < total; w += block.size()) f.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  std::vector<char> buffer(std::size_t{4} << 20);
  double s_entries = 0, s_plain = 0;
  for (auto _ : state) {
    for (const auto& k : keys) evict(store.path_of(k));
    evict(plain);
    s_entries += seconds_of([&] {
      for (const auto& k : keys) benchmark::DoNotOptimize(store.get(k));
    });
    s_plain += seconds_of([&] {
      const int fd = ::open(plain.c_str(), O_RDONLY);
      while (::read(fd, buffer.data(), buffer.size()) > 0) {
      }
      ::close(fd);
    });
  }
  const double n = static_cast<double>(state.iterations()), mib = static_cast<double>(total) / (1 << 20);
  state.counters["cache_MiB_per_s"] = mib * n / s_entries;
  state.counters["sequential_MiB_per_s"] = mib * n / s_plain;
  state.counters["fraction_of_sequential"] = s_plain / s_entries;
}
BENCHMARK(BM_CacheReadThroughput)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_TargetCache224(benchmark::State& state) {
  auto loss = af_loss();
  const data::Batch batch = loader_224(8, 8).batch(0, 0);
  train::TargetCache cache(std::make_shared<cache::TensorCache>(bench_dir() / "targets"), "af_fbeta_w", "bench");
  train::CacheCounters counters;
  cache.prepare(*loss, batch.masks, torch::kCPU, counters);  // stores the 8 entries
  double s_prepare = 0, s_cached = 0;
  for (auto _ : state) {
    s_prepare += seconds_of([&] { benchmark::DoNotOptimize(loss->prepare(batch.masks)); });
    s_cached += seconds_of([&] { benchmark::DoNotOptimize(cache.prepare(*loss, batch.masks, torch::kCPU, counters)); });
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["prepare_ms_per_batch"] = 1e3 * s_prepare / n;
  state.counters["cached_ms_per_batch"] = 1e3 * s_cached / n;
  state.counters["speedup"] = s_prepare / s_cached;
}
BENCHMARK(BM_TargetCache224)->Iterations(20)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  log::set_level(log::Level::warn);
  at::set_num_threads(resolve_threads(0));
  use_one_thread_pool();
  std::printf("threads %d; cache folder %s (removed at exit)\n", at::get_num_threads(), bench_dir().c_str());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(bench_dir(), ec);
  return 0;
}
