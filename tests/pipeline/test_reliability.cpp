// Nothing recorded is ever wrong or lost (in process): checkpoints are resumed only when the
// store vouches for them, --force never deletes results before a redo has completed, a run
// another process executes is not executed twice, and corrupt test images stop a run before
// it trains.
#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "data/synthetic.h"
#include "pipeline/execute.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

#include <catch2/catch.hpp>

#include "support/shared_data.h"
#include "support/tiny_experiment.h"

namespace fs = std::filesystem;
using namespace sodlab;
using sodlab::testing::TempDir;

namespace {

// A folder dataset (so files can be corrupted) and a two-epoch experiment on it.
struct Fixture {
  TempDir dir;
  fs::path data = dir.path() / "data";
  fs::path file = dir.path() / "exp.toml";
  pipeline::ExecuteOptions options;

  Fixture() {
    const data::SyntheticDataset ds({8, 64, 3});
    fs::create_directories(data / "images");
    fs::create_directories(data / "masks");
    for (std::size_t i = 0; i < ds.size(); ++i) {
      const data::Sample s = ds.get(i);
      cv::Mat bgr;
      cv::cvtColor(s.image, bgr, cv::COLOR_RGB2BGR);
      cv::imwrite((data / "images" / (s.stem + ".png")).string(), bgr);
      cv::imwrite((data / "masks" / (s.stem + ".png")).string(), s.mask);
    }
    const std::string folder = "{ dataset = \"" + data.string() + "\" }";
    std::ofstream(file) << sodlab::testing::tiny_experiment("demo/reliability", folder, folder, "ce", 2);
    options.runs_dir = (dir.path() / "runs").string();
  }
  pipeline::Plan plan() const {
    pipeline::PlanRequest r;
    r.experiment = file.string();
    r.threads = 1;
    return pipeline::plan(r);
  }
  fs::path checkpoint(const std::string& id) const { return fs::path(options.runs_dir) / id / "checkpoint.pt"; }
};

std::map<std::string, double> results_of(store::ResultsStore& db, const std::string& id) {
  std::map<std::string, double> out;
  for (const auto& r : db.results(id)) out[r.dataset + "/" + r.metric] = r.value;
  return out;
}

void flip_bytes_in_middle(const fs::path& p) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  const auto size = fs::file_size(p);
  f.seekp(static_cast<std::streamoff>(size / 2));
  const std::string garbage(64, '\x5a');
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

}  // namespace

TEST_CASE("a checkpoint whose hash differs from the store's record is refused, never resumed", "[pipeline][reliability]") {
  Fixture fx;
  store::ResultsStore db((fx.dir.path() / "r.db").string());
  const pipeline::Plan p = fx.plan();
  const std::string id = p.runs.at(0).run_id;
  pipeline::run_plan(p, &db, fx.options);
  const auto before = results_of(db, id);
  REQUIRE(!before.empty());
  // As if the process had been killed after its last checkpoint: the run is not completed.
  db.set_status(id, store::kStatusInterrupted);
  // The recorded checkpoint resumes (nothing left to train) and evaluates to the same numbers.
  pipeline::run_plan(p, &db, fx.options);
  CHECK(db.find_run(id)->status == store::kStatusCompleted);
  CHECK(results_of(db, id) == before);

  db.set_status(id, store::kStatusInterrupted);
  flip_bytes_in_middle(fx.checkpoint(id));
  try {
    pipeline::run_plan(p, &db, fx.options);
    FAIL("a corrupted checkpoint was resumed");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains(fx.checkpoint(id).string()) && Catch::Contains("--restart"));
  }
  CHECK(db.find_run(id)->status != store::kStatusCompleted);
  // --restart trains from scratch and gives the uninterrupted numbers again.
  fx.options.restart = true;
  pipeline::run_plan(p, &db, fx.options);
  CHECK(db.find_run(id)->status == store::kStatusCompleted);
  CHECK(results_of(db, id) == before);
}

TEST_CASE("a checkpoint the store has no record of is ignored, not adopted", "[pipeline][reliability]") {
  Fixture fx;
  const pipeline::Plan p = fx.plan();
  const std::string id = p.runs.at(0).run_id;
  std::map<std::string, double> first;
  {
    store::ResultsStore db((fx.dir.path() / "first.db").string());
    pipeline::run_plan(p, &db, fx.options);
    first = results_of(db, id);
  }
  REQUIRE(fs::exists(fx.checkpoint(id)));
  // A new database beside the old checkpoints: the run trains from scratch, every epoch recorded.
  store::ResultsStore db((fx.dir.path() / "second.db").string());
  const auto s = pipeline::run_plan(p, &db, fx.options);
  CHECK(s.completed == 1);
  CHECK(db.epochs(id).size() == 2);
  CHECK(results_of(db, id) == first);
}

TEST_CASE("force retrains, and replaces the results only once the redo has completed", "[pipeline][reliability]") {
  Fixture fx;
  store::ResultsStore db((fx.dir.path() / "r.db").string());
  const pipeline::Plan p = fx.plan();
  const std::string id = p.runs.at(0).run_id;
  pipeline::run_plan(p, &db, fx.options);
  const auto before = results_of(db, id);
  const std::string ended = db.find_run(id)->ended_at;
  REQUIRE(before.size() > 2);

  // A redo that fails (a test image became unreadable) leaves every recorded row in place and
  // is itself recorded as a failed attempt.
  const fs::path image = *fs::directory_iterator(fx.data / "images");
  const std::string keep = [&] {
    std::ifstream in(image, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::ofstream(image, std::ios::trunc) << "not an image";
  fx.options.force = true;
  CHECK_THROWS_AS(pipeline::run_plan(p, &db, fx.options), InputError);
  CHECK(db.find_run(id)->status == store::kStatusCompleted);
  CHECK(results_of(db, id) == before);
  CHECK(db.epochs(id).size() == 2);
  const auto attempt = db.find_run(id + "~redo");
  REQUIRE(attempt);
  CHECK(attempt->status == store::kStatusFailed);
  CHECK(attempt->attempt_of == id);
  CHECK(attempt->error.find(image.filename().string()) != std::string::npos);
  CHECK(db.epochs(id + "~redo").empty());  // stopped before training: test sets are checked first

  // Restored, the redo retrains from scratch (two epochs, no resume) and replaces the rows.
  std::ofstream(image, std::ios::binary | std::ios::trunc) << keep;
  const auto s = pipeline::run_plan(p, &db, fx.options);
  CHECK(s.completed == 1);
  CHECK(!db.find_run(id + "~redo"));
  const auto run = db.find_run(id);
  CHECK(run->status == store::kStatusCompleted);
  CHECK(run->ended_at > ended);
  CHECK(results_of(db, id) == before);  // deterministic: the same numbers
  CHECK(db.epochs(id).size() == 2);
  CHECK(fs::exists(fx.checkpoint(id)));
}

TEST_CASE("a run another live process is executing is skipped, not executed twice", "[pipeline][reliability]") {
  Fixture fx;
  const std::string path = (fx.dir.path() / "r.db").string();
  store::ResultsStore db(path), other(path);
  const pipeline::Plan p = fx.plan();
  store::RunRecord r;
  r.run_id = p.runs.at(0).run_id;
  r.experiment = "demo/reliability";
  r.config_toml = p.runs.at(0).spec.config_toml;
  REQUIRE(other.claim_run(r, "elsewhere:4242").claimed);
  const auto s = pipeline::run_plan(p, &db, fx.options);
  CHECK(s.completed == 0);
  CHECK(s.busy == 1);
  CHECK(db.epochs(r.run_id).empty());
  CHECK(db.find_run(r.run_id)->owner == "elsewhere:4242");
}
