// The trainer with the real model and loss registries (small sizes).
#include "models/registry.h"
#include "losses/registry.h"
#include "train/trainer.h"

#include <catch2/catch.hpp>

#include "data/synthetic.h"

using namespace sodlab;

TEST_CASE("trainer runs the real menet model with the real ce loss", "[train][registries]") {
  Options mo("model");
  mo.set("global_kernel", std::int64_t{2});  // allows 64×64 inputs
  mo.set("width", std::int64_t{4});          // a small network: this tests the wiring
  mo.set("blocks", std::int64_t{1});
  torch::manual_seed(0);
  std::shared_ptr<models::SegmentationModel> model = models::make_model("menet_ce_only", mo);
  Options lo("loss");
  std::shared_ptr<losses::Loss> loss = losses::make_loss("ce", lo);
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{2, 64, 1});
  data::LoaderSpec ls;
  ls.batch_size = 2;
  ls.width = ls.height = 64;
  train::TrainSpec spec;
  spec.batch_size = 2;
  spec.progress = "none";
  train::StageSpec s;
  s.epochs = 1;
  s.optimizer = "sgd";
  s.lr = 0.01;
  spec.stages = {s};
  int epochs = 0;
  train::Trainer(model, loss, spec).fit(data::DataLoader(ds, ls), [&](const train::EpochReport& r) {
    ++epochs;
    CHECK(std::isfinite(r.train_loss));
    CHECK(r.train_loss > 0);
  });
  CHECK(epochs == 1);
}
