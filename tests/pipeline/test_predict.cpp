// `sodlab predict` (issue 25 §4): a trained run's maps as 8-bit PNGs at each image's size, named by
// stem; `sodlab eval` of them reproduces, bit for bit, the results the store holds for the run;
// the run found by experiment + variant or by run id; every way to name the images gives the
// same maps; bad selections and inputs are exit 2.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/query.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"

namespace fs = std::filesystem;
using sodlab::testing::read_file;
using sodlab::testing::run_sodlab;
using sodlab::testing::TempDir;

namespace {

std::string bytes(const fs::path& p) { return read_file(p); }

struct TrainedTiny {
  TempDir dir;
  fs::path file, db, runs;
  TrainedTiny() {
    const fs::path d = dir.path();
    // Test images (80×80) larger than the model input (64): the maps come back at 80×80.
    REQUIRE(run_sodlab({"data", "synth", "--out", (d / "train").string(), "--n", "8", "--size", "64", "--seed", "1"},
                       d / "synth1") == 0);
    REQUIRE(run_sodlab({"data", "synth", "--out", (d / "test").string(), "--n", "5", "--size", "80", "--seed", "2"},
                       d / "synth2") == 0);
    file = d / "tiny.toml";
    std::ofstream(file) << sodlab::testing::tiny_experiment(
                               "tests/predict", "{ dataset = \"" + (d / "train").string() + "\" }",
                               "{ dataset = \"" + (d / "test").string() + "\" }")
                        << "\n[variants.a]\n[variants.b]\nloss = { name = \"ce\" }\n";
    db = d / "results.db";
    runs = d / "runs";
    const int rc = run_sodlab({"run", file.string(), "--db", db.string(), "--runs-dir", runs.string(), "--threads", "1"},
                              d / "run");
    INFO(read_file(d / "run"));
    REQUIRE(rc == 0);
  }
  std::vector<std::string> predict(const std::string& target, std::vector<std::string> more) const {
    std::vector<std::string> args = {"predict", target, "--db", db.string(), "--threads", "1"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
};

}  // namespace

TEST_CASE("predict writes the run's maps at each image's size, and eval of them reproduces the stored results",
          "[pipeline][predict]") {
  TrainedTiny t;
  const fs::path d = t.dir.path(), out = d / "maps";
  const std::string test_label = (d / "test").string();
  const int rc = run_sodlab(t.predict(t.file.string(), {"--variant", "a", "--test-set", test_label, "--out", out.string()}),
                            d / "predict");
  INFO(read_file(d / "predict"));
  REQUIRE(rc == 0);
  for (const auto& e : fs::directory_iterator(d / "test" / "images")) {
    const cv::Mat map = cv::imread((out / (e.path().stem().string() + ".png")).string(), cv::IMREAD_UNCHANGED);
    REQUIRE(!map.empty());
    CHECK(map.type() == CV_8UC1);
    CHECK(map.rows == 80);
    CHECK(map.cols == 80);
  }
  // `sodlab eval` of the PNGs: every dataset value the store holds for the run, exactly.
  REQUIRE(run_sodlab({"eval", "--pred", out.string(), "--gt", (d / "test" / "masks").string(), "--json",
                      (d / "eval.json").string()},
                     d / "eval") == 0);
  const auto json = nlohmann::json::parse(read_file(d / "eval.json"));
  const auto stored = sodlab::store::query_readonly(
      t.db.string(),
      "SELECT r.metric, r.value FROM results r JOIN runs u ON u.run_id = r.run_id WHERE u.variant = 'a' "
      "AND r.metric != 'n_images'");
  REQUIRE(stored.rows.size() >= 4);
  for (const auto& row : stored.rows) {
    const std::string metric = std::get<std::string>(row.at(0));
    INFO(metric);
    REQUIRE(json["dataset"].contains(metric));
    CHECK(json["dataset"][metric].get<double>() == std::get<double>(row.at(1)));
  }
  CHECK(json["n_images"].get<int>() == 5);

  SECTION("by run id, from an image folder and from a list: the same maps") {
    const auto id = sodlab::store::query_readonly(t.db.string(), "SELECT run_id FROM runs WHERE variant = 'a'");
    const std::string run_id = std::get<std::string>(id.rows.at(0).at(0));
    REQUIRE(run_sodlab(t.predict(run_id, {"--images", (d / "test" / "images").string(), "--out", (d / "by_id").string()}),
                       d / "by_id.log") == 0);
    CHECK(read_file(d / "by_id.log").find("other code") == std::string::npos);  // planned again: the same run id
    std::ofstream(d / "test" / "list.txt") << "# two of them\nimages/synth_000001.png\n\n" << (d / "test" / "images" / "synth_000003.png").string() << "\n";
    REQUIRE(run_sodlab(t.predict(t.file.string(), {"--variant", "a", "--list", (d / "test" / "list.txt").string(),
                                                   "--out", (d / "listed").string()}),
                       d / "listed.log") == 0);
    for (const char* stem : {"synth_000001", "synth_000003"}) {
      const std::string png = std::string(stem) + ".png";
      CHECK(bytes(d / "by_id" / png) == bytes(out / png));
      CHECK(bytes(d / "listed" / png) == bytes(out / png));
    }
    CHECK(!fs::exists(d / "listed" / "synth_000000.png"));
  }

  SECTION("exit 2: an ambiguous or unknown selection, an untrained run, a stem twice, the store as output") {
    const auto check_2 = [&](const std::vector<std::string>& args, const std::string& needle) {
      const int code = run_sodlab(args, d / "bad");
      const std::string log = read_file(d / "bad");
      INFO(log);
      CHECK(code == 2);
      CHECK(log.find(needle) != std::string::npos);
    };
    check_2(t.predict(t.file.string(), {"--images", (d / "test" / "images").string(), "--out", (d / "x").string()}),
            "2 runs match");
    check_2(t.predict(t.file.string(), {"--variant", "a", "--test-set", "nope", "--out", (d / "x").string()}),
            "the run's test sets are");
    check_2(t.predict(t.file.string(), {"--variant", "a", "--set", "model.hidden=9", "--images", (d / "test" / "images").string(),
                                        "--out", (d / "x").string()}),
            "sodlab run");
    fs::copy_file(d / "test" / "images" / "synth_000001.png", d / "test" / "images" / "synth_000001.bmp");
    check_2(t.predict(t.file.string(), {"--variant", "a", "--images", (d / "test" / "images").string(), "--out", (d / "x").string()}),
            "same stem");
    fs::remove(d / "test" / "images" / "synth_000001.bmp");
    check_2(t.predict(t.file.string(), {"--variant", "a", "--images", (d / "test" / "images").string(),
                                        "--out", t.db.string()}),
            t.db.string());
  }
}
