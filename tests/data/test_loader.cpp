// torch (via glog) defines CHECK: include it before Catch2 so Catch2's CHECK wins.
#include "data/loader.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/synthetic.h"

using namespace sodlab::data;

TEST_CASE("loader batches are identical for any worker count and read order", "[data][loader]") {
  auto ds = std::make_shared<SyntheticDataset>(SyntheticSpec{11, 48, 2});
  LoaderSpec spec;
  spec.batch_size = 4;
  spec.width = 32;
  spec.height = 24;
  spec.seed = 9;
  spec.augment.kind = "szn";
  LoaderSpec spec3 = spec;
  spec.workers = 1;
  spec3.workers = 3;
  DataLoader one(ds, spec), three(ds, spec3);
  REQUIRE(one.batches_per_epoch() == 3);
  for (int epoch : {0, 1}) {
    std::vector<Batch> seq;
    auto reader = three.epoch(epoch);
    Batch b;
    while (reader.next(b)) seq.push_back(b);
    REQUIRE(seq.size() == 3);
    CHECK(seq[2].images.size(0) == 3);  // last partial batch kept
    for (std::size_t k : {2u, 0u, 1u}) {  // random access in another order
      const Batch x = one.batch(epoch, k);
      CHECK(x.stems == seq[k].stems);
      CHECK(torch::equal(x.images, seq[k].images));
      CHECK(torch::equal(x.masks, seq[k].masks));
    }
  }
  const Batch b0 = one.batch(0, 0);
  CHECK(b0.images.sizes() == torch::IntArrayRef({4, 3, 24, 32}));
  CHECK(b0.masks.sizes() == torch::IntArrayRef({4, 1, 24, 32}));
  CHECK(b0.images.max().item<float>() <= 255.0f);
  CHECK(b0.images.min().item<float>() >= 0.0f);
  CHECK(torch::equal(b0.masks, (b0.masks > 0.5).to(torch::kFloat32)));
  CHECK(b0.masks.sum().item<float>() > 0);
  // Epochs are shuffled differently; every index appears once per epoch.
  CHECK(one.order(0) != one.order(1));
  auto o = one.order(1);
  std::sort(o.begin(), o.end());
  for (std::size_t i = 0; i < o.size(); ++i) CHECK(o[i] == i);
  CHECK(one.images_loaded() > 0);
  CHECK(one.images_per_second() > 0);
}

TEST_CASE("loader without augmentation reproduces the resized dataset in order", "[data][loader]") {
  auto ds = std::make_shared<SyntheticDataset>(SyntheticSpec{5, 32, 1});
  LoaderSpec spec;
  spec.batch_size = 2;
  spec.width = spec.height = 32;
  spec.shuffle = false;
  spec.drop_last = true;
  DataLoader loader(ds, spec);
  CHECK(loader.batches_per_epoch() == 2);
  const Batch b = loader.batch(3, 1);
  CHECK(b.stems == std::vector<std::string>{"synth_000002", "synth_000003"});
  const Sample s = ds->get(3);
  // Channel 0 of the tensor is R; pixel (y=5, x=7).
  CHECK(b.images[1][0][5][7].item<float>() == s.image.at<cv::Vec3b>(5, 7)[0]);
  CHECK(b.images[1][2][5][7].item<float>() == s.image.at<cv::Vec3b>(5, 7)[2]);
  CHECK(b.masks[1][0][5][7].item<float>() == (s.mask.at<unsigned char>(5, 7) ? 1.0f : 0.0f));
  CHECK_THROWS_AS(loader.batch(0, 2), sodlab::InputError);
}
