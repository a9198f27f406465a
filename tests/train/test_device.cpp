// Devices and precision (train/device.h): resolution and its errors, autocast, the fp16 loss
// scale, and a bf16 training run on the CPU.
#include "tiny.h"
#include "models/dense_conv.h"
#include "train/device.h"
#include "train/trainer.h"

#include <catch2/catch.hpp>

#include <torch/cuda.h>

#include "core/error.h"
#include "data/synthetic.h"
#include "support/shared_data.h"

using namespace sodlab;

TEST_CASE("devices: auto, cpu, and CUDA asked for where there is none", "[train][device]") {
  CHECK(train::resolve_device("cpu", "--device") == "cpu");
  CHECK(train::device_kind("cpu") == "cpu");
  CHECK(train::device_kind("cuda:1") == "cuda");
  CHECK_THROWS_WITH(train::resolve_device("tpu", "train.device"),
                    Catch::Contains("train.device = 'tpu'") && Catch::Contains("auto, cpu, cuda or cuda:N"));
  CHECK_THROWS_WITH(train::resolve_device("cuda:x", "--device"), Catch::Contains("cuda:N"));
  if (torch::cuda::is_available()) {
    CHECK(train::resolve_device("auto", "--device") == "cuda:0");
    CHECK(train::resolve_device("cuda", "--device") == "cuda:0");
    CHECK_THROWS_AS(train::resolve_device("cuda:999", "--device"), InputError);
  } else {
    CHECK(train::resolve_device("auto", "--device") == "cpu");
    CHECK_THROWS_WITH(train::resolve_device("cuda", "--device"),
                      Catch::Contains("--device = 'cuda'") && Catch::Contains("no CUDA device"));
    CHECK_THROWS_AS(train::resolve_device("cuda:0", "--device"), InputError);
  }
}

TEST_CASE("precision: names, fp16 only on CUDA, autocast scoped to the guard", "[train][precision]") {
  CHECK(train::parse_precision("bf16", "cpu", "train.precision") == train::Precision::bf16);
  CHECK(train::precision_name(train::Precision::fp16) == "fp16");
  CHECK_THROWS_WITH(train::parse_precision("fp16", "cpu", "train.precision"), Catch::Contains("needs a CUDA device"));
  CHECK_THROWS_WITH(train::parse_precision("int8", "cpu", "train.precision"), Catch::Contains("fp32, bf16 or fp16"));

  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 3));
  const auto x = torch::rand({1, 3, 8, 8});
  {
    train::AutocastGuard guard(train::Precision::bf16, torch::Device(torch::kCPU));
    CHECK(conv->forward(x).scalar_type() == torch::kBFloat16);
  }
  CHECK(conv->forward(x).scalar_type() == torch::kFloat32);  // off again after the guard
  {
    train::AutocastGuard guard(train::Precision::fp32, torch::Device(torch::kCPU));
    CHECK(conv->forward(x).scalar_type() == torch::kFloat32);
  }
}

TEST_CASE("fp16 loss scale: inf gradients skip the step and halve it, finite runs grow it", "[train][precision]") {
  train::LossScaler off(false);
  CHECK(off.scale() == 1.0);
  auto p = torch::zeros({2}, torch::requires_grad());
  (p.sum() * 3).backward();
  CHECK(off.unscale_and_check({p}));
  CHECK(p.grad()[0].item<double>() == 3.0);  // untouched when disabled

  train::LossScaler scaler(true, 1024.0, 2);
  p.mutable_grad().fill_(2048.0);
  CHECK(scaler.unscale_and_check({p}));
  CHECK(p.grad()[0].item<double>() == 2.0);  // divided by the scale
  CHECK(scaler.scale() == 1024.0);
  p.mutable_grad().fill_(1.0);
  CHECK(scaler.unscale_and_check({p}));
  CHECK(scaler.scale() == 2048.0);  // two finite steps in a row: doubled
  p.mutable_grad()[1] = std::numeric_limits<float>::infinity();
  CHECK_FALSE(scaler.unscale_and_check({p}));
  CHECK(scaler.scale() == 1024.0);
  CHECK(scaler.skipped_steps() == 1);
}

TEST_CASE("a bf16 run trains on the CPU: finite losses close to fp32's, fp32 weights", "[train][precision]") {
  auto ds = std::make_shared<data::SyntheticDataset>(data::SyntheticSpec{8, 24, 3});
  data::LoaderSpec ls;
  ls.batch_size = 4;
  ls.width = ls.height = 16;
  ls.seed = 3;
  ls.workers = 1;
  data::DataLoader loader(ds, ls);
  auto train_with = [&](const std::string& precision) {
    torch::manual_seed(1);
    auto m = std::make_shared<sodlab::testing::TinyModel>();
    train::TrainSpec spec;
    spec.batch_size = 4;
    spec.threads = 1;
    spec.progress = "none";
    spec.precision = precision;
    train::StageSpec s;
    s.epochs = 3;
    s.lr = 1e-2;
    spec.stages = {s};
    std::vector<double> losses;
    train::Trainer(m, std::make_shared<sodlab::testing::TinyLoss>(), spec)
        .fit(loader, [&](const train::EpochReport& r) { losses.push_back(r.train_loss); });
    for (const auto& q : m->parameters()) CHECK(q.scalar_type() == torch::kFloat32);
    return losses;
  };
  const auto fp32 = train_with("fp32");
  const auto bf16 = train_with("bf16");
  REQUIRE(bf16.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(std::isfinite(bf16[i]));
    CHECK(bf16[i] == Approx(fp32[i]).epsilon(0.05));  // bf16 keeps ~3 significant digits
  }
  CHECK(bf16 != fp32);  // it did run in bf16
}

TEST_CASE("fc layers as matrix products stay fp32 under bf16 autocast", "[train][precision]") {
  torch::manual_seed(4);
  torch::nn::Conv2d fc(torch::nn::Conv2dOptions(16, 24, 7));
  const torch::Tensor x = torch::randn({2, 16, 7, 7});
  const torch::Tensor fp32 = sodlab::models::conv_as_matmul(fc, x);
  torch::Tensor under_autocast;
  {
    train::AutocastGuard autocast(train::Precision::bf16, torch::Device(torch::kCPU));
    under_autocast = sodlab::models::conv_as_matmul(fc, x.to(torch::kBFloat16));
  }
  CHECK(under_autocast.scalar_type() == torch::kFloat);
  // Only the input's rounding to bf16 differs (relative 2^-8), not the product's precision.
  CHECK(torch::allclose(under_autocast, fp32, 2e-2, 2e-2));
  CHECK(torch::equal(under_autocast, sodlab::models::conv_as_matmul(fc, x.to(torch::kBFloat16).to(torch::kFloat))));
}
