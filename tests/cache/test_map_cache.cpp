#include <catch2/catch.hpp>

#include <fstream>

#include "cache/map_cache.h"
#include "core/error.h"
#include "core/log.h"
#include "support/shared_data.h"

using namespace sodlab;
namespace fs = std::filesystem;

TEST_CASE("map cache stores, verifies and rejects tampered entries", "[cache]") {
  log::set_level(log::Level::error);
  sodlab::testing::TempDir tmp;
  cache::MapCache c(tmp.path() / "maps");
  cv::Mat u8(7, 5, CV_8UC1);
  for (int i = 0; i < u8.rows * u8.cols; ++i) u8.data[i] = static_cast<unsigned char>(i * 7);
  cv::Mat f32(3, 4, CV_32FC1);
  for (int i = 0; i < 12; ++i) f32.at<float>(i / 4, i % 4) = 0.25f * i - 1;
  const std::string k1 = cache::prediction_key("run1", "manifest", "img01", "awgn_s10");
  const std::string k2 = cache::gt_map_key("masksha", "distance", "");
  CHECK(k1 != cache::prediction_key("run1", "manifest", "img01", "awgn_s20"));
  CHECK(cache::make_key({"ab", "c"}) != cache::make_key({"a", "bc"}));
  CHECK_FALSE(c.get(k1));
  c.put(k1, u8);
  c.put(k2, f32);
  REQUIRE(c.contains(k1));
  const auto g1 = c.get(k1), g2 = c.get(k2);
  REQUIRE(g1);
  REQUIRE(g2);
  CHECK(g1->type() == CV_8UC1);
  CHECK(cv::norm(*g1, u8, cv::NORM_INF) == 0);
  CHECK(g2->type() == CV_32FC1);
  CHECK(cv::norm(*g2, f32, cv::NORM_INF) == 0);
  CHECK(c.stats().entries == 2);
  CHECK(c.verify(false).empty());
  // No temporary files left behind.
  for (const auto& e : fs::recursive_directory_iterator(c.root()))
    if (e.is_regular_file()) CHECK(e.path().extension() == ".h5");

  // An entry copied under another key fails the key check: a miss, and it is removed.
  const std::string k3 = cache::make_key({"other"});
  fs::create_directories(c.path_of(k3).parent_path());
  fs::copy_file(c.path_of(k1), c.path_of(k3));
  CHECK(c.verify(false).size() == 1);
  CHECK_FALSE(c.get(k3));
  CHECK_FALSE(fs::exists(c.path_of(k3)));
  // A truncated/corrupt entry is a miss, never a wrong map.
  { std::ofstream(c.path_of(k1), std::ios::trunc) << "garbage"; }
  CHECK_FALSE(c.get(k1));
  CHECK(c.get(k2));
  CHECK_THROWS_AS(c.put("nothex", u8), InputError);
  CHECK_THROWS_AS(c.put(k1, cv::Mat(2, 2, CV_8UC3)), InputError);
}
