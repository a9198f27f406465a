#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

#include "core/error.h"
#include "core/options.h"
#include "data/folder.h"
#include "data/registry.h"
#include "data/splits.h"
#include "support/shared_data.h"

using namespace sodlab::data;
namespace fs = std::filesystem;
using sodlab::testing::TempDir;

namespace {

// Writes `n` pairs a0..a{n-1} (image JPEG/PNG alternating, mask PNG) into dir.
void write_pairs(const fs::path& dir, int n, int w = 20, int h = 12) {
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "masks");
  for (int i = 0; i < n; ++i) {
    cv::Mat bgr(h, w, CV_8UC3, cv::Scalar(10 * i, 50, 200));
    cv::Mat mask = cv::Mat::zeros(h, w, CV_8UC1);
    cv::rectangle(mask, {2, 2}, {8, 8}, cv::Scalar(255), cv::FILLED);
    const std::string stem = "a" + std::to_string(i);
    cv::imwrite((dir / "images" / (stem + (i % 2 ? ".png" : ".jpg"))).string(), bgr);
    cv::imwrite((dir / "masks" / (stem + ".png")).string(), mask);
  }
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const sodlab::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("folder dataset matches images and masks by stem", "[data][folder]") {
  TempDir tmp;
  write_pairs(tmp.path() / "set", 4);
  FolderDataset ds(tmp.path() / "set");
  REQUIRE(ds.size() == 4);
  CHECK(ds.name() == "set");
  CHECK(ds.stem(0) == "a0");
  const Sample s = ds.get(1);
  CHECK(s.image.size() == cv::Size(20, 12));
  CHECK(s.image.type() == CV_8UC3);
  // RGB order: the BGR pixel (10, 50, 200) reads back as R=200, B=10.
  CHECK(s.image.at<cv::Vec3b>(0, 0)[0] == 200);
  CHECK(s.image.at<cv::Vec3b>(0, 0)[2] == 10);
  CHECK(cv::countNonZero(s.mask) == 49);
  const std::string sha = ds.manifest_sha();
  CHECK(sha.size() == 64);
  // Changing a file's content changes the manifest.
  cv::imwrite((tmp.path() / "set" / "masks" / "a3.png").string(), cv::Mat::zeros(12, 20, CV_8UC1));
  CHECK(FolderDataset(tmp.path() / "set").manifest_sha() != sha);
  CHECK(check_folder(tmp.path() / "set", 2).ok());
}

TEST_CASE("folder dataset errors name the file: missing mask, corrupt image, size mismatch", "[data][folder]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "bad";
  write_pairs(dir, 3);
  fs::remove(dir / "masks" / "a1.png");
  std::string msg = message_of([&] { FolderDataset ds(dir); });
  CHECK(msg.find("a1.png") != std::string::npos);
  CHECK(msg.find("no mask") != std::string::npos);

  write_pairs(dir, 3);
  { std::ofstream(dir / "images" / "a2.jpg", std::ios::trunc) << "this is not a jpeg"; }
  FolderDataset ds(dir);
  msg = message_of([&] { ds.get(2); });
  CHECK(msg.find((dir / "images" / "a2.jpg").string()) != std::string::npos);

  cv::imwrite((dir / "masks" / "a0.png").string(), cv::Mat::zeros(5, 5, CV_8UC1));
  msg = message_of([&] { ds.get(0); });
  CHECK(msg.find("a0.png") != std::string::npos);

  fs::remove(dir / "masks" / "a1.png");
  { std::ofstream(dir / "masks" / "orphan.png") << "x"; }
  const CheckReport r = check_folder(dir, 2);
  CHECK_FALSE(r.ok());
  CHECK(r.problems.size() == 4);  // missing mask a1, orphan mask, unreadable a2, size mismatch a0
  std::string all;
  for (const auto& p : r.problems) all += p + "\n";
  CHECK(all.find("missing mask") != std::string::npos);
  CHECK(all.find("unreadable image") != std::string::npos);
  CHECK(all.find("size mismatch") != std::string::npos);
  CHECK(all.find("orphan.png") != std::string::npos);
}

TEST_CASE("catalogue, split files and open_dataset", "[data][folder]") {
  TempDir tmp;
  setenv("SODLAB_DATASETS", (tmp.path() / "no-datasets-file.toml").c_str(), 1);  // the data root only
  write_pairs(tmp.path() / "sod300", 5);
  CHECK(resolve_dataset_dir(tmp.path(), "sod") == tmp.path() / "sod300");
  std::string msg = message_of([&] { resolve_dataset_dir(tmp.path(), "ecsd"); });
  CHECK(msg.find("unknown dataset 'ecsd'") != std::string::npos);
  CHECK(msg.find("did you mean 'ecssd'") != std::string::npos);
  CHECK(message_of([&] { resolve_dataset_dir(tmp.path(), "ecssd"); }).find("ecssd") != std::string::npos);

  fs::create_directories(tmp.path() / "sod300" / "splits");
  { std::ofstream(tmp.path() / "sod300" / "splits" / "test.txt") << "# test split\na3.jpg\n\n  a1 \n"; }
  sodlab::Options o;
  o.set("split", std::string("test"));
  auto ds = open_dataset("sod", tmp.path(), o);
  REQUIRE(ds->size() == 2);
  CHECK(ds->stem(0) == "a3");
  CHECK(ds->stem(1) == "a1");
  CHECK(ds->name() == "sod/test");

  { std::ofstream(tmp.path() / "bad.txt") << "a1\nzz9\n"; }
  msg = message_of([&] { apply_split_file(std::make_shared<FolderDataset>(tmp.path() / "sod300"), tmp.path() / "bad.txt", "x"); });
  CHECK(msg.find("entry 2 'zz9'") != std::string::npos);

  sodlab::Options s;
  s.set("n", std::int64_t{3});
  s.set("sise", std::int64_t{32});
  CHECK(message_of([&] { open_dataset("synthetic", tmp.path(), s); }).find("size") != std::string::npos);
  unsetenv("SODLAB_DATASETS");
}

TEST_CASE("the shared SOD-300 and horses sets open and pass check", "[data][folder][shared]") {
  SODLAB_REQUIRE_SHARED(shared);
  const fs::path root = shared / "data";
  setenv("SODLAB_DATASETS", "/nonexistent/datasets.toml", 1);  // the data root only
  for (const char* name : {"sod", "weizmann-horses"}) {
    FolderDataset ds(resolve_dataset_dir(root, name), name);
    CHECK(ds.size() >= 300);
    const Sample s = ds.get(0);
    CHECK(s.image.size() == s.mask.size());
    CHECK(cv::countNonZero(s.mask) > 0);
  }
  unsetenv("SODLAB_DATASETS");
}
