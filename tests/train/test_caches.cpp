// The training caches: a frozen stage trained from cached backbone activations equals training
// without the cache; what a run trains on does not depend on what the cache held (cold, warm,
// a corrupted entry); cached targets equal Loss::prepare bit for bit; the augmentation pool.
// torch (via glog) defines CHECK: include it before Catch2 so Catch2's CHECK wins.
#include "losses/registry.h"
#include "models/registry.h"
#include "models/szn.h"
#include "train/trainer.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "core/log.h"
#include "data/synthetic.h"
#include "support/shared_data.h"

using namespace sodlab;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<models::Szn> small_szn() {
  Options o("model 'szn'");
  o.set("backbone_weights", std::string("none"));
  o.set("width_divisor", std::int64_t{16});
  o.set("squeeze", std::int64_t{4});
  o.set("hidden", std::int64_t{8});
  o.set("fc_layers", false);
  o.set("init_seed", std::int64_t{7});
  return std::dynamic_pointer_cast<models::Szn>(models::make_model("szn", o, models::Weights::skip));
}

std::shared_ptr<losses::Loss> af_loss() {
  Options o("loss 'af_fbeta_w'");
  return losses::make_loss("af_fbeta_w", o);
}

data::DataLoader loader_with(const std::string& augment, int pool) {
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{12, 48, 4});
  data::LoaderSpec ls;
  ls.batch_size = 4;
  ls.width = ls.height = 32;
  ls.seed = 3;
  ls.workers = 1;
  ls.augment.kind = augment;
  ls.augment_pool = pool;
  return data::DataLoader(ds, ls);
}

// Stage 1 frozen backbone (2 epochs, cached), stage 2 everything (1 epoch, not cached).
train::TrainSpec frozen_then_all(const std::string& feature_cache, const fs::path& cache_dir) {
  train::TrainSpec spec;
  spec.batch_size = 4;
  spec.seed = 11;
  spec.threads = 1;
  spec.progress = "none";
  train::StageSpec s1;
  s1.name = "frozen";
  s1.epochs = 2;
  s1.lr = 3e-3;
  s1.frozen = {"backbone"};
  train::StageSpec s2;
  s2.name = "all";
  s2.epochs = 1;
  s2.lr = 1e-3;
  spec.stages = {s1, s2};
  if (feature_cache != "off") {
    spec.feature_cache = feature_cache;
    spec.feature_cache_dir = (cache_dir / "features").string();
    spec.cache_ref = "test-run";
  }
  return spec;
}

struct Trained {
  std::shared_ptr<models::Szn> model;
  std::vector<train::EpochReport> epochs;
};

Trained train_szn(const train::TrainSpec& spec, const data::DataLoader& loader) {
  Trained t{small_szn(), {}};
  train::Trainer trainer(t.model, af_loss(), spec);
  trainer.fit(loader, [&](const train::EpochReport& e) { t.epochs.push_back(e); });
  return t;
}

double max_difference(models::Szn& a, models::Szn& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  double d = 0;
  for (const auto& p : pa) d = std::max(d, (p.value() - pb[p.key()]).abs().max().item<double>());
  return d;
}

bool bitwise_same(models::Szn& a, models::Szn& b) {
  const auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters())
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  return true;
}

std::vector<fs::path> entry_files(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().extension() == ".h5") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a frozen stage from the fp32 feature cache gives the weights of training without it", "[train][cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  const auto loader = loader_with("none", 0);
  const Trained plain = train_szn(frozen_then_all("off", tmp.path()), loader);
  const Trained cached = train_szn(frozen_then_all("fp32", tmp.path()), loader);
  CHECK(max_difference(*plain.model, *cached.model) < 1e-5);
  REQUIRE(cached.epochs.size() == 3);
  // Epoch 1 computes every image's activations, epoch 2 reads them all; stage 2 trains the
  // backbone, so it does not use the cache.
  CHECK(cached.epochs[0].features.misses == 12);
  CHECK(cached.epochs[0].features.hits == 0);
  CHECK(cached.epochs[0].features.bytes_written > 0);
  CHECK(cached.epochs[1].features.hits == 12);
  CHECK(cached.epochs[1].features.misses == 0);
  CHECK(cached.epochs[1].features.bytes_read == cached.epochs[0].features.bytes_written);
  CHECK_FALSE(cached.epochs[2].features.used());
  CHECK_FALSE(plain.epochs[0].features.used());
  CHECK(entry_files(tmp.path() / "features").size() == 12);
}

TEST_CASE("fp16 features: a cold, a warm and a partly corrupted cache train the same weights", "[train][cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  const auto loader = loader_with("szn", 2);  // augmented: a pool of 2 copies per image
  const auto spec = frozen_then_all("fp16", tmp.path());
  const Trained cold = train_szn(spec, loader);
  const std::size_t entries = entry_files(tmp.path() / "features").size();
  CHECK(entries > 12);   // both copies of most images were drawn in two epochs
  CHECK(entries <= 24);  // never more than the pool
  CHECK(cold.epochs[0].features.misses + cold.epochs[1].features.misses == static_cast<std::int64_t>(entries));
  const Trained warm = train_szn(spec, loader);
  CHECK(warm.epochs[0].features.misses == 0);
  CHECK(warm.epochs[1].features.misses == 0);
  CHECK(bitwise_same(*cold.model, *warm.model));

  // A corrupted entry is detected on read, removed, recomputed and stored again.
  const fs::path victim = entry_files(tmp.path() / "features").front();
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(victim) / 2));  // inside the activations
    const std::string junk(256, '\x3C');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  cache::TensorCache store(tmp.path() / "features");
  REQUIRE(store.verify(false).size() == 1);
  const Trained repaired = train_szn(spec, loader);
  CHECK(repaired.epochs[0].features.misses + repaired.epochs[1].features.misses == 1);
  CHECK(bitwise_same(*cold.model, *repaired.model));
  CHECK(store.verify(false).empty());
  CHECK(entry_files(tmp.path() / "features").size() == entries);

  // fp16 rounding changes the values trained on (slightly): not the weights of fp32 features.
  const Trained fp32 = train_szn(frozen_then_all("off", tmp.path()), loader);
  const double d = max_difference(*cold.model, *fp32.model);
  CHECK(d > 0);
  CHECK(d < 1e-2);
}

TEST_CASE("cached targets equal Loss::prepare bit for bit, and a loss without maps is passed through", "[train][cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  const auto loader = loader_with("szn", 0);
  for (const std::string name : {"af_fbeta_w", "ce_dnc_band", "ce"}) {
    INFO(name);
    Options o("loss '" + name + "'");
    auto loss = losses::make_loss(name, o);
    auto store = std::make_shared<cache::TensorCache>(tmp.path() / name);
    train::TargetCache targets(store, name, "run");
    for (int pass = 0; pass < 2; ++pass) {
      train::CacheCounters counters;
      for (std::size_t b = 0; b < loader.batches_per_epoch(); ++b) {
        const data::Batch batch = loader.batch(0, b);
        const losses::Targets expected = loss->prepare(batch.masks);
        const losses::Targets got = targets.prepare(*loss, batch.masks, torch::kCPU, counters);
        CHECK(torch::equal(got.masks, expected.masks));
        REQUIRE(got.maps.size() == expected.maps.size());
        for (const auto& [key, map] : expected.maps) {
          REQUIRE(got.maps.count(key));
          CHECK(got.maps.at(key).scalar_type() == map.scalar_type());
          CHECK(torch::equal(got.maps.at(key), map));
        }
      }
      if (name == "ce") {
        CHECK_FALSE(counters.used());
        continue;
      }
      CHECK(counters.hits == (pass == 0 ? 0 : 12));
      CHECK(counters.misses == (pass == 0 ? 12 : 0));
    }
    CHECK(entry_files(tmp.path() / name).size() == (name == "ce" ? 0u : 12u));
  }
}

TEST_CASE("augmentation pool: K fixed copies per image, one drawn per epoch", "[data][cache]") {
  const auto fresh = loader_with("szn", 0);
  const auto pooled = loader_with("szn", 3);
  std::map<std::string, std::set<std::string>> seen_fresh, seen_pooled;
  auto digest = [](const torch::Tensor& image) {
    return std::to_string(image.sum().item<double>()) + "/" + std::to_string((image * image).sum().item<double>());
  };
  for (int epoch = 0; epoch < 12; ++epoch)
    for (std::size_t b = 0; b < fresh.batches_per_epoch(); ++b) {
      const data::Batch f = fresh.batch(epoch, b), p = pooled.batch(epoch, b);
      for (std::size_t i = 0; i < f.stems.size(); ++i) seen_fresh[f.stems[i]].insert(digest(f.images[i]));
      for (std::size_t i = 0; i < p.stems.size(); ++i) seen_pooled[p.stems[i]].insert(digest(p.images[i]));
    }
  std::size_t at_most_three = 0, more_than_three = 0;
  for (const auto& [stem, set] : seen_pooled) at_most_three += set.size() <= 3;
  for (const auto& [stem, set] : seen_fresh) more_than_three += set.size() > 3;
  CHECK(at_most_three == seen_pooled.size());
  CHECK(more_than_three == seen_fresh.size());
  // Pure functions of (spec, epoch, batch), as without a pool.
  CHECK(torch::equal(pooled.batch(5, 1).images, loader_with("szn", 3).batch(5, 1).images));
  // Pool 0 keeps the per-epoch stream of earlier versions.
  data::LoaderSpec s = fresh.spec();
  CHECK(data::augment_seed(s, 4, 2) == data::derive_seed(s.seed, "augment", 4, 2));
}
