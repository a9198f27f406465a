// Datasets read in place from their archives' layouts: every catalogue name written by
// `data synth --layout` and opened by name through the datasets file, manifests equal to the
// standard layout's, variant spellings, `data check` / `data locate` and their exit-2 cases.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <fstream>

#include "core/error.h"
#include "core/options.h"
#include "data/check.h"
#include "data/datasets_file.h"
#include "data/folder.h"
#include "data/matfile.h"
#include "data/registry.h"
#include "data/splits.h"
#include "data/synth_layout.h"
#include "support/shared_data.h"

#include <sys/wait.h>

using namespace sodlab::data;
namespace fs = std::filesystem;
using sodlab::testing::TempDir;

namespace {

// As support/sodlab_process.h (which needs the store library): `sodlab args…` to `log`, exit code.
int run_sodlab(const std::vector<std::string>& args, const fs::path& log) {
  std::string cmd = sodlab::testing::sodlab_binary().string();
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " > '" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Points $SODLAB_DATASETS at `file` for the test's lifetime.
struct DatasetsFileEnv {
  explicit DatasetsFileEnv(const fs::path& file) { setenv("SODLAB_DATASETS", file.c_str(), 1); }
  ~DatasetsFileEnv() { unsetenv("SODLAB_DATASETS"); }
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const sodlab::InputError& e) {
    return e.what();
  }
  return "";
}

DatasetPtr open_by_name(const std::string& name, const std::string& split = "") {
  sodlab::Options o;
  if (!split.empty()) o.set("split", split);
  return open_dataset(name, "/nonexistent-data-root", o);
}

const DatasetEntry& entry(const std::string& name) { return dataset_registry().at(name); }

void write_png(const fs::path& p, const cv::Mat& m) {
  fs::create_directories(p.parent_path());
  REQUIRE(cv::imwrite(p.string(), m));
}

bool has_binary() { return fs::exists(sodlab::testing::sodlab_binary()); }

}  // namespace

TEST_CASE("every catalogue dataset written in its archive layout opens by name through the datasets file",
          "[data][layouts]") {
  TempDir tmp;
  DatasetsFileEnv env(tmp.path() / "datasets.toml");
  for (const auto& e : dataset_registry().entries()) {
    if (e.folder.empty()) continue;
    INFO("dataset " << e.name);
    const fs::path out = tmp.path() / e.name;
    const SynthLayoutResult r = write_synthetic_layout(e, out, {12, 24, 3}, 2);
    CHECK(r.layout == e.layouts.front().name);
    // The entry names the folder the archive unpacks into (its top folder is found inside).
    write_datasets_file_entry(tmp.path() / "datasets.toml", e.name, out);
    const DatasetLocation loc = locate_dataset("/nonexistent-data-root", e.name);
    CHECK(loc.match.layout->name == e.layouts.front().name);
    CHECK(loc.match.root == r.root);
    CHECK(loc.found_in.find("datasets file") == 0);
    const DatasetPtr all = open_by_name(e.name);
    CHECK(all->size() == 12);
    const Sample s = all->get(0);
    CHECK(s.image.size() == cv::Size(24, 24));
    CHECK(s.image.size() == s.mask.size());
    std::size_t total = 0;
    for (const auto& [split, k] : r.splits) {
      CHECK(open_by_name(e.name, split)->size() == k);
      total += k;
    }
    CHECK(total <= 12);
    const DatasetCheck c = check_dataset(&e, loc.match, 2);
    for (const auto& p : c.problems) INFO("problem: " << p);
    CHECK(c.ok());
    CHECK(c.pairs == 12);
    CHECK(c.splits.size() >= r.splits.size());
  }
}

TEST_CASE("archive names: MSRA-B stems and split lists, HKU-IS's MAT test list, DUTS nesting", "[data][layouts]") {
  TempDir tmp;
  write_synthetic_layout(entry("msra-b"), tmp.path() / "m", {10, 16, 1}, 2);
  const fs::path m = tmp.path() / "m" / "MSRA-B";
  CHECK(fs::exists(m / "0_0_100.jpg"));
  CHECK(fs::exists(m / "0_0_100.png"));
  CHECK(read_file(m / "train_cvpr2013.txt").rfind("0_0_100.png\n", 0) == 0);
  CHECK(read_split_file(m / "train_cvpr2013.txt").size() == 5);
  CHECK(read_split_file(m / "valid_cvpr2013.txt").size() == 1);
  CHECK(read_split_file(m / "test_cvpr2013.txt").size() == 4);

  write_synthetic_layout(entry("hku-is"), tmp.path() / "h", {9, 16, 1}, 2);
  const fs::path mat = tmp.path() / "h" / "HKU-IS" / "testImgSet.mat";
  REQUIRE(fs::exists(mat));
  const auto names = read_mat_strings(mat);
  REQUIRE(names.size() == 3);  // round(9 × 1447 / 4447)
  CHECK(names[0] == "0004.png");
  CHECK(fs::exists(tmp.path() / "h" / "HKU-IS" / "imgs" / "0004.png"));
  CHECK(fs::exists(tmp.path() / "h" / "HKU-IS" / "gt" / "0004.png"));

  write_synthetic_layout(entry("duts-te"), tmp.path() / "d", {3, 16, 1}, 2);
  CHECK(fs::exists(tmp.path() / "d" / "DUTS-TE" / "DUTS-TE-Image" / "ILSVRC2012_test_00000003.jpg"));
  CHECK(fs::exists(tmp.path() / "d" / "DUTS-TE" / "DUTS-TE-Mask" / "ILSVRC2012_test_00000003.png"));
  write_synthetic_layout(entry("pascal-s"), tmp.path() / "p", {3, 16, 1}, 2);
  CHECK(fs::exists(tmp.path() / "p" / "datasets" / "imgs" / "pascal" / "1.jpg"));
  CHECK(fs::exists(tmp.path() / "p" / "datasets" / "masks" / "pascal" / "1.png"));

  CHECK(message_of([&] { synth_split_sizes(entry("dist9"), 5); }).find("too small") != std::string::npos);
}

TEST_CASE("MAT-file lists: compressed and plain cell arrays, v7.3 and corrupt files refused", "[data][layouts]") {
  TempDir tmp;
  const std::vector<std::string> names = {"0004.png", "0005.png", "a_long_name_0100.png"};
  for (bool compress : {true, false}) {
    const fs::path p = tmp.path() / (compress ? "z.mat" : "plain.mat");
    std::ofstream(p, std::ios::binary) << mat_strings_file("testImgSet", names, compress);
    CHECK(read_mat_strings(p) == names);
    CHECK(read_split_file(p) == std::vector<std::string>{"0004", "0005", "a_long_name_0100"});
  }
  std::string v73 = "MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00";
  v73.resize(128, ' ');
  std::ofstream(tmp.path() / "v73.mat", std::ios::binary) << v73;
  std::string msg = message_of([&] { read_mat_strings(tmp.path() / "v73.mat"); });
  CHECK(msg.find("v7.3") != std::string::npos);
  CHECK(msg.find("python3 -c") != std::string::npos);
  std::string z = mat_strings_file("testImgSet", names, true);
  z[140] = static_cast<char>(z[140] ^ 0x55);
  z.resize(z.size() - 6);
  std::ofstream(tmp.path() / "bad.mat", std::ios::binary) << z;
  msg = message_of([&] { read_mat_strings(tmp.path() / "bad.mat"); });
  CHECK(msg.find(tmp.path().string() + "/bad.mat") != std::string::npos);
}

TEST_CASE("the same files in an archive layout and in the standard layout have the same manifest", "[data][layouts]") {
  TempDir tmp;
  DatasetsFileEnv env(tmp.path() / "datasets.toml");
  write_synthetic_layout(entry("msra-b"), tmp.path() / "arch", {8, 20, 5}, 2);
  const fs::path src = tmp.path() / "arch" / "MSRA-B", std_dir = tmp.path() / "root" / "msra-b";
  fs::create_directories(std_dir / "images");
  fs::create_directories(std_dir / "masks");
  for (const auto& f : fs::directory_iterator(src)) {
    if (f.path().extension() == ".jpg") fs::copy_file(f.path(), std_dir / "images" / f.path().filename());
    if (f.path().extension() == ".png") fs::copy_file(f.path(), std_dir / "masks" / f.path().filename());
  }
  // The data root holds the standard layout; the datasets file (absent here) is not needed.
  sodlab::Options o;
  const std::string standard = open_dataset("msra-b", tmp.path() / "root", o)->manifest_sha();
  CHECK(locate_dataset(tmp.path() / "root", "msra-b").match.layout->name == "standard");
  CHECK(locate_dataset(tmp.path() / "root", "msra-b").found_in.find("data root") == 0);
  write_datasets_file_entry(tmp.path() / "datasets.toml", "msra-b", tmp.path() / "arch");
  CHECK(open_by_name("msra-b")->manifest_sha() == standard);
  CHECK(FolderDataset(std_dir).manifest_sha() == standard);
  // The data root's folder may be in the archive layout too.
  fs::remove(tmp.path() / "datasets.toml");
  fs::rename(std_dir, tmp.path() / "std");
  fs::rename(src, std_dir);
  CHECK(locate_dataset(tmp.path() / "root", "msra-b").match.layout->name == "drfi");
  CHECK(open_dataset("msra-b", tmp.path() / "root", o)->manifest_sha() == standard);
}

TEST_CASE("layout variants: case, a nested top folder, community folder names, mask suffixes", "[data][layouts]") {
  TempDir tmp;
  DatasetsFileEnv env(tmp.path() / "datasets.toml");
  cv::Mat img(10, 12, CV_8UC3, cv::Scalar(20, 90, 160)), mask = cv::Mat::zeros(10, 12, CV_8UC1);
  mask(cv::Rect(2, 2, 5, 5)) = 255;
  // ECSSD with upper-case folders inside a top folder (ECSSD/IMAGES, ECSSD/Ground_Truth_Mask).
  for (const char* s : {"0001", "0002"}) {
    write_png(tmp.path() / "e" / "ECSSD" / "IMAGES" / (std::string(s) + ".jpg"), img);
    write_png(tmp.path() / "e" / "ECSSD" / "Ground_Truth_Mask" / (std::string(s) + ".png"), mask);
  }
  write_datasets_file_entry(tmp.path() / "datasets.toml", "ecssd", tmp.path() / "e");
  CHECK(open_by_name("ecssd")->size() == 2);
  CHECK(locate_dataset("", "ecssd").match.root == tmp.path() / "e" / "ECSSD");
  // MSRA-B as NLDF/DSS ship it: image/ + annotation/ with the lists beside them.
  for (const char* s : {"0_0_1", "0_0_2", "1_3_9"}) {
    write_png(tmp.path() / "m" / "image" / (std::string(s) + ".jpg"), img);
    write_png(tmp.path() / "m" / "annotation" / (std::string(s) + ".png"), mask);
  }
  std::ofstream(tmp.path() / "m" / "test_cvpr2013.txt") << "0_0_2.png\n1_3_9.png\n";
  write_datasets_file_entry(tmp.path() / "datasets.toml", "msra-b", tmp.path() / "m");
  CHECK(locate_dataset("", "msra-b").match.layout->name == "nldf");
  CHECK(open_by_name("msra-b", "test")->size() == 2);
  // Portraits with masks named <stem>_mask.png (EG1800's GT_png).
  write_png(tmp.path() / "pt" / "EG1800" / "images_data_crop" / "00001.jpg", img);
  write_png(tmp.path() / "pt" / "EG1800" / "GT_png" / "00001_mask.png", mask);
  write_datasets_file_entry(tmp.path() / "datasets.toml", "portraits", tmp.path() / "pt");
  const auto pt = open_by_name("portraits");
  REQUIRE(pt->size() == 1);
  CHECK(pt->stem(0) == "00001");
  // DUTS-TE re-encoded by a redistribution: lower-case folders, .jpg masks, no top folder.
  write_png(tmp.path() / "dt" / "duts-te-image" / "ILSVRC2012_test_00000003.jpg", img);
  write_png(tmp.path() / "dt" / "duts-te-mask" / "ILSVRC2012_test_00000003.jpg", mask);
  write_datasets_file_entry(tmp.path() / "datasets.toml", "duts-te", tmp.path() / "dt");
  CHECK(locate_dataset("", "duts-te").match.layout->name == "duts");
  CHECK(open_by_name("duts-te")->size() == 1);
  // Every entry kept in the file, in order.
  const auto entries = read_datasets_file(tmp.path() / "datasets.toml");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].name == "ecssd");
  CHECK(entries[2].name == "portraits");
  // Replacing an entry keeps its line and the others.
  write_datasets_file_entry(tmp.path() / "datasets.toml", "msra-b", tmp.path() / "m2");
  const auto again = read_datasets_file(tmp.path() / "datasets.toml");
  REQUIRE(again.size() == 4);
  CHECK(again[1].name == "msra-b");
  CHECK(again[1].path == tmp.path() / "m2");
}

TEST_CASE("exit-2 cases name the file: no layout, broken datasets file, missing split list, entry pointing nowhere",
          "[data][layouts]") {
  TempDir tmp;
  const fs::path file = tmp.path() / "datasets.toml";
  DatasetsFileEnv env(file);
  fs::create_directories(tmp.path() / "empty" / "stuff");
  std::string msg = message_of([&] { recognise_dataset(entry("dut-omron"), tmp.path() / "empty"); });
  CHECK(msg.find("DUT-OMRON-image/") != std::string::npos);
  CHECK(msg.find("pixelwiseGT-new-PNG/") != std::string::npos);
  CHECK(msg.find("images/") != std::string::npos);  // the standard layout is accepted too

  std::ofstream(file) << "# where my datasets are\necssd = \"/data/ECSSD\"\nduts-te = 42\n";
  msg = message_of([&] { open_by_name("ecssd"); });
  CHECK(msg.find(file.string() + ":3") != std::string::npos);
  CHECK(msg.find("duts-te") != std::string::npos);
  std::ofstream(file) << "ecssd = \"/data/ECSSD\nx\n";
  CHECK(message_of([&] { open_by_name("ecssd"); }).find(file.string() + ":1") != std::string::npos);
  std::ofstream(file) << "ecsd = \"/data/ECSSD\"\n";
  msg = message_of([&] { open_by_name("ecssd"); });
  CHECK(msg.find("did you mean 'ecssd'") != std::string::npos);
  std::ofstream(file) << "ecssd = \"" << (tmp.path() / "nowhere").string() << "\"\n";
  msg = message_of([&] { open_by_name("ecssd"); });
  CHECK(msg.find(file.string() + ":1") != std::string::npos);
  CHECK(msg.find("'ecssd'") != std::string::npos);
  CHECK(msg.find((tmp.path() / "nowhere").string()) != std::string::npos);

  // A folder in no known layout, named by the file: file, line, key and what was expected.
  std::ofstream(file) << "\n\ndut-omron = \"empty\"\n";  // relative to the file's folder
  msg = message_of([&] { open_by_name("dut-omron"); });
  CHECK(msg.find(file.string() + ":3: key 'dut-omron'") != std::string::npos);
  CHECK(msg.find((tmp.path() / "empty").string()) != std::string::npos);
  CHECK(msg.find("pixelwiseGT-new-PNG/") != std::string::npos);

  fs::remove(file);
  write_synthetic_layout(entry("msra-b"), tmp.path() / "m", {6, 16, 1}, 2);
  write_datasets_file_entry(file, "msra-b", tmp.path() / "m");
  fs::remove(tmp.path() / "m" / "MSRA-B" / "test_cvpr2013.txt");
  msg = message_of([&] { open_by_name("msra-b", "test"); });
  CHECK(msg.find("test_cvpr2013.txt") != std::string::npos);
  CHECK(msg.find("splits/test.txt") != std::string::npos);
  CHECK(open_by_name("msra-b", "train")->size() == 3);
}

TEST_CASE("data check reports layout, pairs, splits against published sizes, and exits 2 on what is wrong",
          "[data][layouts][cli]") {
  if (!has_binary()) SODLAB_SKIP("sodlab binary not built");
  TempDir tmp;
  const fs::path file = tmp.path() / "datasets.toml", log = tmp.path() / "log.txt";
  DatasetsFileEnv env(file);
  std::ofstream(file) << "# my datasets\n";
  REQUIRE(run_sodlab({"data", "synth", "--layout", "msra-b", "--out", (tmp.path() / "m").string(), "--n", "10",
                      "--size", "24", "--threads", "2"}, log) == 0);
  CHECK(read_file(log).find("train 5, val 1, test 4") != std::string::npos);
  REQUIRE(run_sodlab({"data", "locate", "msra-b", (tmp.path() / "m").string()}, log) == 0);
  CHECK(read_file(file).find("# my datasets\nmsra-b = \"" + (tmp.path() / "m").string() + "\"\n") == 0);
  REQUIRE(run_sodlab({"data", "check", "msra-b", "--threads", "2"}, log) == 0);
  std::string out = read_file(log);
  INFO(out);
  CHECK(out.find("layout drfi") != std::string::npos);
  CHECK(out.find("10 images, 10 masks, 10 pairs (published: 5000)") != std::string::npos);
  CHECK(out.find("split train: 5 (") != std::string::npos);
  CHECK(out.find("published 2500") != std::string::npos);
  CHECK(out.find("fine if you hold a subset") != std::string::npos);
  REQUIRE(run_sodlab({"data", "list"}, log) == 0);
  CHECK(read_file(log).find("drfi") != std::string::npos);

  const fs::path root = tmp.path() / "m" / "MSRA-B";
  cv::Mat small = cv::Mat::zeros(5, 5, CV_8UC1);
  write_png(root / "orphan_1.png", small);
  write_png(root / "1_0_101.png", small);  // size mismatch with 1_0_101.jpg
  CHECK(run_sodlab({"data", "check", "msra-b", "--threads", "2"}, log) == 2);
  out = read_file(log);
  CHECK(out.find("mask without image: " + (root / "orphan_1.png").string()) != std::string::npos);
  CHECK(out.find("size mismatch: image " + (root / "1_0_101.jpg").string()) != std::string::npos);
  fs::remove(root / "orphan_1.png");
  fs::remove(root / "0_0_100.jpg");
  fs::remove(root / "0_0_100.png");
  CHECK(run_sodlab({"data", "check", root.string(), "--threads", "2"}, log) == 2);  // by path
  out = read_file(log);
  CHECK(out.find("(msra-b): layout drfi") != std::string::npos);
  CHECK(out.find("entry 1 '0_0_100' has no image/mask pair") != std::string::npos);

  // A folder whose layout several sets share (Imgs/ side by side) is read as the one --as names.
  REQUIRE(run_sodlab({"data", "synth", "--layout", "sod", "--out", (tmp.path() / "s").string(), "--n", "3",
                      "--size", "16"}, log) == 0);
  REQUIRE(run_sodlab({"data", "check", (tmp.path() / "s").string(), "--as", "sod"}, log) == 0);
  CHECK(read_file(log).find("(sod): layout salbenchmark") != std::string::npos);
  CHECK(read_file(log).find("published: 300") != std::string::npos);

  fs::create_directories(tmp.path() / "empty" / "x");
  CHECK(run_sodlab({"data", "locate", "ecssd", (tmp.path() / "empty").string()}, log) == 2);
  CHECK(read_file(log).find("ground_truth_mask/") != std::string::npos);
  std::ofstream(file, std::ios::app) << "ecssd = [1, 2]\n";
  CHECK(run_sodlab({"data", "check", "ecssd"}, log) == 2);
  CHECK(read_file(log).find(file.string() + ":3") != std::string::npos);
}
