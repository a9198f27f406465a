// torch (via glog) defines CHECK: include it before Catch2 so Catch2's CHECK wins.
#include "tiny.h"
#include "train/predict.h"
#include "train/trainer.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "data/synthetic.h"
#include "support/shared_data.h"

using namespace sodlab;
using sodlab::testing::TinyLoss;
using sodlab::testing::TinyModel;

namespace {

train::TrainSpec two_stage_spec(const std::string& ckpt_dir, std::uint64_t seed = 5) {
  train::TrainSpec spec;
  spec.batch_size = 4;
  spec.seed = seed;
  spec.checkpoint_dir = ckpt_dir;
  spec.threads = 1;
  spec.progress = "none";
  train::StageSpec s1;
  s1.name = "head-only";
  s1.epochs = 1;
  s1.lr = 1e-2;
  s1.frozen = {"backbone"};
  train::StageSpec s2;
  s2.name = "all";
  s2.epochs = 3;
  s2.optimizer = "sgd";
  s2.lr = 0.05;
  s2.momentum = 0.9;
  s2.weight_decay = 1e-4;
  s2.schedule = "multistep";
  s2.milestone_unit = "iteration";
  s2.milestones = {4};
  spec.stages = {s1, s2};
  return spec;
}

data::DataLoader make_loader() {
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{10, 24, 3});
  data::LoaderSpec ls;
  ls.batch_size = 4;
  ls.width = ls.height = 16;
  ls.seed = 21;
  ls.workers = 2;
  ls.augment.kind = "szn";
  return data::DataLoader(ds, ls);
}

std::shared_ptr<TinyModel> fresh_model(std::uint64_t init_seed) {
  torch::manual_seed(init_seed);
  return std::make_shared<TinyModel>();
}

// Parameters and buffers, bitwise.
bool same_state(TinyModel& a, TinyModel& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& kv : pa)
    if (!torch::equal(kv.value(), pb[kv.key()])) return false;
  auto ba = a.named_buffers(), bb = b.named_buffers();
  for (const auto& kv : ba)
    if (!torch::equal(kv.value(), bb[kv.key()])) return false;
  return true;
}

struct Crash : std::runtime_error {
  Crash() : std::runtime_error("crash after checkpoint") {}
};

}  // namespace

TEST_CASE("learning-rate schedules", "[train][schedule]") {
  train::StageSpec s;
  s.lr = 0.1;
  CHECK(train::learning_rate(s, 1000, 50) == 0.1);
  s.schedule = "multistep";
  s.milestone_unit = "iteration";
  s.milestones = {60000, 90000, 100000};  // MEnet
  CHECK(train::learning_rate(s, 59999, 0) == Approx(0.1));
  CHECK(train::learning_rate(s, 60000, 0) == Approx(0.01));
  CHECK(train::learning_rate(s, 95000, 0) == Approx(0.001));
  CHECK(train::learning_rate(s, 110000, 0) == Approx(0.0001));
  s.milestone_unit = "epoch";
  s.milestones = {2};
  CHECK(train::learning_rate(s, 0, 1) == Approx(0.1));
  CHECK(train::learning_rate(s, 0, 2) == Approx(0.01));
  train::TrainSpec spec;
  CHECK_THROWS_AS(train::validate(spec), InputError);
  spec.stages = {s};
  spec.stages[0].optimizer = "rmsprop";
  CHECK_THROWS_AS(train::validate(spec), InputError);
}

TEST_CASE("same seed, same weights, another seed, other weights", "[train][determinism]") {
  auto loader = make_loader();
  auto run = [&](std::uint64_t seed) {
    auto m = fresh_model(1);
    train::Trainer t(m, std::make_shared<TinyLoss>(), two_stage_spec("", seed));
    std::vector<double> losses;
    t.fit(loader, [&](const train::EpochReport& r) { losses.push_back(r.train_loss); });
    CHECK(losses.size() == 4);
    return std::make_pair(m, losses);
  };
  auto [a, la] = run(5);
  auto [b, lb] = run(5);
  auto [c, lc] = run(6);
  CHECK(same_state(*a, *b));
  CHECK(la == lb);
  CHECK_FALSE(same_state(*a, *c));
}

TEST_CASE("a validation loss per epoch, and training bitwise the same with or without it", "[train][validation]") {
  auto loader = make_loader();
  auto val_set = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{5, 24, 9});
  data::LoaderSpec vs;
  vs.batch_size = 2;
  vs.width = vs.height = 16;
  vs.shuffle = false;
  vs.workers = 1;
  vs.augment.kind = "none";
  const data::DataLoader validation(val_set, vs);
  auto with = fresh_model(1), without = fresh_model(1);
  std::vector<double> val, val_again;
  train::Trainer(with, std::make_shared<TinyLoss>(), two_stage_spec(""))
      .fit(loader, [&](const train::EpochReport& r) {
        REQUIRE(r.val_loss);
        val.push_back(*r.val_loss);
      }, {}, &validation);
  train::Trainer(without, std::make_shared<TinyLoss>(), two_stage_spec(""))
      .fit(loader, [&](const train::EpochReport& r) { CHECK_FALSE(r.val_loss); });
  CHECK(same_state(*with, *without));  // eval mode, no grad, no RNG: training untouched
  REQUIRE(val.size() == 4);
  for (double v : val) CHECK(std::isfinite(v));
  CHECK(val.front() != val.back());  // the model changed between epochs
  auto again = fresh_model(1);
  train::Trainer(again, std::make_shared<TinyLoss>(), two_stage_spec(""))
      .fit(loader, [&](const train::EpochReport& r) { val_again.push_back(*r.val_loss); }, {}, &validation);
  CHECK(val == val_again);  // deterministic
}

TEST_CASE("frozen groups do not move, training lowers the loss", "[train][frozen]") {
  auto loader = make_loader();
  auto m = fresh_model(2);
  const torch::Tensor w0 = m->conv->weight.clone(), h0 = m->head->weight.clone();
  const torch::Tensor rm0 = m->bn->running_mean.clone();
  auto spec = two_stage_spec("");
  spec.stages.resize(1);
  spec.stages[0].epochs = 2;
  std::vector<double> losses;
  train::Trainer(m, std::make_shared<TinyLoss>(), spec).fit(loader, [&](const train::EpochReport& r) {
    losses.push_back(r.train_loss);
    CHECK(r.images == 10);
    CHECK(r.stage == "head-only");
  });
  CHECK(torch::equal(m->conv->weight, w0));
  CHECK(torch::equal(m->bn->running_mean, rm0));  // frozen BN stays in eval mode
  CHECK_FALSE(torch::equal(m->head->weight, h0));
  CHECK(losses.size() == 2);
}

TEST_CASE("a run crashed at any point resumes to bitwise the same weights", "[train][resume]") {
  auto loader = make_loader();
  sodlab::testing::TempDir tmp;
  // Reference: uninterrupted.
  auto ref = fresh_model(3);
  train::Trainer(ref, std::make_shared<TinyLoss>(), two_stage_spec((tmp.path() / "ref").string()))
      .fit(loader);

  // Crash while global epoch 2 / 4 is being reported, i.e. after the checkpoint of epoch 1 (stage
  // boundary) / 3 (mid-stage): the report comes before that epoch's checkpoint, so the resumed run
  // trains and reports the crashed epoch again (a store replaces its row; none is lost).
  for (int crash_at : {2, 4}) {
    const std::string dir = (tmp.path() / ("at" + std::to_string(crash_at))).string();
    {
      auto m = fresh_model(3);
      train::Trainer t(m, std::make_shared<TinyLoss>(), two_stage_spec(dir));
      CHECK_THROWS_AS(t.fit(loader, [&](const train::EpochReport& r) {
        if (r.global_epoch == crash_at) throw Crash();
      }), Crash);
    }
    auto resumed = fresh_model(99);  // different init: the checkpoint must overwrite it
    train::Trainer t(resumed, std::make_shared<TinyLoss>(), two_stage_spec(dir));
    std::vector<int> epochs;
    const auto res = t.fit(loader, [&](const train::EpochReport& r) { epochs.push_back(r.global_epoch); });
    CHECK(res.epochs_resumed == crash_at - 1);
    CHECK(epochs.front() == crash_at);
    CHECK(epochs.back() == 4);
    CHECK(same_state(*ref, *resumed));
  }

  // Crash in the middle of an epoch (step 2 of global epoch 3): resumes from epoch 2's checkpoint.
  {
    const std::string dir = (tmp.path() / "midepoch").string();
    auto m = fresh_model(3);
    auto loss = std::make_shared<TinyLoss>();
    loss->crash_at = 3 * 2 + 2;  // 3 batches per epoch
    CHECK_THROWS_WITH(train::Trainer(m, loss, two_stage_spec(dir)).fit(loader), "simulated crash");
    CHECK(std::filesystem::exists(dir + "/checkpoint.pt"));
    CHECK_FALSE(std::filesystem::exists(dir + "/checkpoint.pt.tmp"));
    auto resumed = fresh_model(98);
    const auto res = train::Trainer(resumed, std::make_shared<TinyLoss>(), two_stage_spec(dir)).fit(loader);
    CHECK(res.epochs_resumed == 2);
    CHECK(same_state(*ref, *resumed));
    // Running again when everything is done trains nothing and leaves the final weights.
    auto again = fresh_model(97);
    const auto res2 = train::Trainer(again, std::make_shared<TinyLoss>(), two_stage_spec(dir)).fit(loader);
    CHECK(res2.epochs_trained == 0);
    CHECK(same_state(*ref, *again));
  }

  // A checkpoint of another protocol is refused.
  auto other = two_stage_spec((tmp.path() / "ref").string());
  other.stages[1].lr = 0.02;
  CHECK_THROWS_AS(train::Trainer(fresh_model(3), std::make_shared<TinyLoss>(), other).fit(loader), InputError);
}

TEST_CASE("a NaN loss stops the run naming stage, epoch, step and samples", "[train][nan]") {
  auto loader = make_loader();
  auto loss = std::make_shared<TinyLoss>();
  loss->nan_at = 5;  // epoch 2 (the first of stage "all"), step 2
  try {
    train::Trainer(fresh_model(4), loss, two_stage_spec("")).fit(loader);
    FAIL("no exception");
  } catch (const RuntimeFailure& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("stage 'all'") != std::string::npos);
    CHECK(msg.find("epoch 1/3") != std::string::npos);
    CHECK(msg.find("step 2/3") != std::string::npos);
    CHECK(msg.find("synth_0000") != std::string::npos);
  }
}

TEST_CASE("predict returns an 8-bit map at the image's size", "[train][predict]") {
  auto m = fresh_model(5);
  m->train();
  cv::Mat img(37, 53, CV_8UC3, cv::Scalar(10, 200, 30));
  const cv::Mat map = train::predict(*m, img, 16, 16);
  CHECK(map.size() == img.size());
  CHECK(map.type() == CV_8UC1);
  CHECK(m->is_training());  // mode restored
  // Equals round(255·sigmoid(logit)) of the resized constant image (constant map).
  torch::NoGradGuard g;
  m->eval();
  auto x = torch::empty({1, 3, 16, 16});
  x.select(1, 0).fill_(10);
  x.select(1, 1).fill_(200);
  x.select(1, 2).fill_(30);
  const float s = torch::sigmoid(m->forward(x).logits)[0][0][8][8].item<float>();
  CHECK(std::abs(map.at<unsigned char>(18, 26) - 255.0 * s) <= 0.51);
}
