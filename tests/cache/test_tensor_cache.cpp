// torch (via glog) defines CHECK: include it before Catch2 so Catch2's CHECK wins.
#include "cache/tensor_cache.h"

#include <catch2/catch.hpp>

#include <H5Cpp.h>

#include <fstream>

#include "core/error.h"
#include "core/log.h"
#include "support/shared_data.h"

using namespace sodlab;
namespace fs = std::filesystem;

namespace {

bool bitwise_equal(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), a.numel() * a.element_size()) == 0;
}

void flip_bytes(const fs::path& file, std::streamoff from_end) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  f.seekp(std::max<std::streamoff>(0, size - from_end));
  const std::string junk(64, '\x5A');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

}  // namespace

TEST_CASE("tensor cache stores every dtype exactly, in order, and fp16 as IEEE half", "[cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  cache::TensorCache c(tmp.path() / "features");
  torch::manual_seed(3);
  const torch::Tensor big = torch::randn({40, 128, 64}).to(torch::kHalf);  // 640 KiB: several chunks
  const cache::NamedTensors in{{"conv1_1", big},
                               {"fp32", torch::randn({3, 5, 7})},
                               {"B", torch::rand({1, 9, 9}, torch::kDouble)},
                               {"nearest", torch::arange(81, torch::kLong)},
                               {"i32", torch::arange(-5, 5, torch::kInt)},
                               {"u8", torch::arange(200, torch::kByte).reshape({10, 20})},
                               {"mask", torch::rand({4, 4}) > 0.5}};
  const std::string key = cache::make_key({"features", "test"});
  CHECK_FALSE(c.get(key));
  const std::uint64_t written = c.put(key, in, "run-a");
  CHECK(written > 640 * 1024);
  std::uint64_t read = 0;
  const auto out = c.get(key, &read);
  REQUIRE(out);
  CHECK(read == written);
  REQUIRE(out->size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    INFO(in[i].first);
    CHECK((*out)[i].first == in[i].first);
    CHECK(bitwise_equal((*out)[i].second, in[i].second));
  }
  const auto listed = c.entries();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].ref == "run-a");
  CHECK(listed[0].key == key);
  CHECK(cache::holds_tensor_entries(c.root()));
  CHECK(c.verify(false).empty());
  for (const auto& e : fs::recursive_directory_iterator(c.root()))
    if (e.is_regular_file()) CHECK(e.path().extension() == ".h5");  // no temporary file left

  // The stored type of fp16 is a 2-byte IEEE float (what h5py reads as float16), not a bit pattern.
  {
    H5::H5File file(c.path_of(key).string(), H5F_ACC_RDONLY);
    H5::DataSet ds = file.openDataSet("conv1_1");
    CHECK(ds.getTypeClass() == H5T_FLOAT);
    H5::FloatType t = ds.getFloatType();
    CHECK(t.getSize() == 2);
    CHECK(t.getEbias() == 15);
    // Read through HDF5's own conversion to float32: the values of the halves.
    torch::Tensor as_float = torch::empty({40, 128, 64});
    ds.read(as_float.data_ptr(), H5::PredType::NATIVE_FLOAT);
    CHECK(torch::equal(as_float, big.to(torch::kFloat)));
  }
}

TEST_CASE("tensor cache: a corrupted or foreign entry is a miss, removed, and verify names it", "[cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  cache::TensorCache c(tmp.path() / "features");
  const cache::NamedTensors in{{"a", torch::randn({64, 64, 64}).to(torch::kHalf)}};
  const std::string k1 = cache::make_key({"1"}), k2 = cache::make_key({"2"}), k3 = cache::make_key({"3"});
  c.put(k1, in);
  c.put(k2, in);
  c.put(k3, in);
  flip_bytes(c.path_of(k1), 100000);  // inside the data: a chunk's Fletcher-32 fails
  fs::copy_file(c.path_of(k3), c.path_of(k2), fs::copy_options::overwrite_existing);  // wrong key
  const auto bad = c.verify(false);
  REQUIRE(bad.size() == 2);
  const std::string report = bad[0] + "\n" + bad[1];
  INFO(report);
  CHECK(report.find(k1) != std::string::npos);
  CHECK(report.find(k2 + ".h5: stored key differs") != std::string::npos);
  CHECK_FALSE(c.get(k1));
  CHECK_FALSE(fs::exists(c.path_of(k1)));  // a bad entry is removed on read
  CHECK(c.verify(true).size() == 1);         // k2, removed now
  CHECK_FALSE(fs::exists(c.path_of(k2)));
  CHECK(c.get(k3));
  CHECK(c.verify(false).empty());
}

TEST_CASE("tensor cache refuses what it cannot store", "[cache]") {
  sodlab::testing::TempDir tmp;
  cache::TensorCache c(tmp.path() / "t");
  const std::string k = cache::make_key({"k"});
  CHECK_THROWS_AS(c.put(k, {}), InputError);
  CHECK_THROWS_AS(c.put(k, {{"a/b", torch::ones({2})}}), InputError);
  CHECK_THROWS_AS(c.put(k, {{"a", torch::ones({2})}, {"a", torch::ones({2})}}), InputError);
  CHECK_THROWS_AS(c.put(k, {{"scalar", torch::ones({})}}), InputError);
  CHECK_THROWS_AS(c.put(k, {{"c", torch::ones({2}, torch::kComplexFloat)}}), InputError);
  CHECK_THROWS_AS(c.put("not-a-key", {{"a", torch::ones({2})}}), InputError);
  CHECK_FALSE(fs::exists(c.path_of(k)));
}
