// Eval-only experiments ([eval] runs_of): the runs are another experiment's (same ids, never
// trained here), only how they are evaluated changes; random-strength distortions record each
// image's drawn level; bad files fail with the position and the reason.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "config/experiment.h"
#include "core/error.h"
#include "pipeline/execute.h"
#include "pipeline/plan.h"  // includes LibTorch, whose glog defines CHECK: Catch2 must come after
#include "store/results_store.h"

#include <catch2/catch.hpp>

#include "support/shared_data.h"
#include "support/tiny_experiment.h"

namespace fs = std::filesystem;
using namespace sodlab;
using sodlab::testing::TempDir;

namespace {

// demo/base trains two variants; eval-only files name it.
struct Experiments {
  TempDir dir;
  Experiments() {
    fs::create_directories(dir.path() / "demo");
    write("demo/base", sodlab::testing::tiny_experiment("demo/base",
                                                        R"({ dataset = "synthetic", n = 8, size = 64, seed = 1 })",
                                                        R"({ dataset = "synthetic", n = 4, size = 64, seed = 2 })") +
                           "\n[variants.proposed]\n[variants.ce]\nloss = { name = \"ce\" }\n"
                           "[profiles.smoke]\ntrain.batch_size = 2\n");
    setenv("SODLAB_EXPERIMENTS_DIR", dir.path().c_str(), 1);
  }
  ~Experiments() { unsetenv("SODLAB_EXPERIMENTS_DIR"); }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = dir.path() / (name + ".toml");
    std::ofstream(p) << text;
    return p;
  }
};

const char* kNoisy = R"toml([experiment]
name = "demo/noisy"

[data]
distortions = [{ kind = "none" }, { kind = "awgn", random = "uniform", low = 5, high = 50 },
               { kind = "jpeg", level = 30 }]

[eval]
runs_of = "demo/base"
metrics = ["mae", "fm"]

[profiles.smoke]

[table]
columns = [{ dataset = "synthetic", metric = "adpF", distortion = "awgn_U5-50" }]
[[table.rows]]
variant = "proposed"
label = "Proposed"
)toml";

pipeline::PlanRequest request(const std::string& name, const std::string& profile = "") {
  pipeline::PlanRequest r;
  r.experiment = name;
  r.profile = profile;
  r.threads = 1;
  return r;
}

std::string error_of(const pipeline::PlanRequest& r) {
  try {
    pipeline::plan(r);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("eval-only: the runs of the named experiment, with this file's evaluation", "[pipeline][eval-only]") {
  Experiments ex;
  ex.write("demo/noisy", kNoisy);
  for (const std::string profile : {"", "smoke"}) {
    CAPTURE(profile);
    const pipeline::Plan base = pipeline::plan(request("demo/base", profile));
    const pipeline::Plan noisy = pipeline::plan(request("demo/noisy", profile));
    CHECK(noisy.experiment.is_eval_only());
    CHECK(noisy.experiment.runs_of == "demo/base");
    REQUIRE(noisy.runs.size() == base.runs.size());
    for (std::size_t i = 0; i < base.runs.size(); ++i) {
      CHECK(noisy.runs[i].run_id == base.runs[i].run_id);  // the same trained models
      CHECK(noisy.runs[i].spec.variant == base.runs[i].spec.variant);
      CHECK(noisy.runs[i].spec.experiment == "demo/noisy");
      CHECK(noisy.runs[i].spec.data.distortions.size() == 3);
      CHECK(noisy.runs[i].spec.eval.metrics == std::vector<std::string>{"mae", "fm"});
    }
  }
  // --set of what is trained goes to demo/base (another run id), of evaluation to this file.
  pipeline::PlanRequest r = request("demo/noisy");
  r.sets = {"train.batch_size=2", "eval.metrics=[\"fm\", \"auroc\"]"};
  pipeline::PlanRequest b = request("demo/base");
  b.sets = {"train.batch_size=2"};
  const pipeline::Plan noisy = pipeline::plan(r);
  CHECK(noisy.runs.front().run_id == pipeline::plan(b).runs.front().run_id);
  CHECK(noisy.runs.front().run_id != pipeline::plan(request("demo/base")).runs.front().run_id);
  CHECK(noisy.runs.front().spec.eval.metrics == std::vector<std::string>{"fm", "auroc"});
}

TEST_CASE("eval-only: what a file may not say, and a missing experiment, are errors with positions",
          "[pipeline][eval-only]") {
  Experiments ex;
  std::string with_model = kNoisy;
  with_model += "\n[model]\nname = \"szn\"\n";
  ex.write("demo/a", with_model);
  std::string msg = error_of(request("demo/a"));
  CHECK(msg.find("model") != std::string::npos);
  std::string with_train = kNoisy;
  with_train.replace(with_train.find("[data]\n"), 7, "[data]\ntrain = { dataset = \"sod\" }\n");
  ex.write("demo/b", with_train);
  msg = error_of(request("demo/b"));
  CHECK(msg.find((ex.dir.path() / "demo/b.toml").string()) == 0);
  CHECK(msg.find("train") != std::string::npos);
  CHECK(msg.find("eval-only") != std::string::npos);
  std::string missing = kNoisy;
  missing.replace(missing.find("\"demo/base\""), 11, "\"demo/bsae\"");
  ex.write("demo/c", missing);
  msg = error_of(request("demo/c"));
  CHECK(msg.find((ex.dir.path() / "demo/c.toml").string() + ":9:") == 0);  // eval.runs_of's line
  CHECK(msg.find("demo/bsae") != std::string::npos);
  std::string bad_level = kNoisy;
  bad_level.replace(bad_level.find("low = 5, high = 50"), 18, "low = 50, high = 5");
  ex.write("demo/d", bad_level);
  CHECK(error_of(request("demo/d")).find("must be greater than low") != std::string::npos);
  std::string profile_missing = kNoisy;
  profile_missing += "\n[profiles.paper]\n";  // demo/base has no profile 'paper'
  ex.write("demo/e", profile_missing);
  CHECK(error_of(request("demo/e")).find("paper") != std::string::npos);
}

TEST_CASE("eval-only: never trains, evaluates the trained runs on what they lack, with drawn levels",
          "[pipeline][eval-only]") {
  Experiments ex;
  ex.write("demo/noisy", kNoisy);
  TempDir out;
  store::ResultsStore db((out.path() / "r.db").string());
  pipeline::ExecuteOptions options;
  options.runs_dir = (out.path() / "runs").string();
  const pipeline::Plan noisy = pipeline::plan(request("demo/noisy"));
  try {
    pipeline::run_plan(noisy, &db, options);
    FAIL("an eval-only plan ran without trained runs");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("never trains") != std::string::npos);
    CHECK(m.find("2 of 2") != std::string::npos);
    CHECK(m.find("sodlab run demo/base") != std::string::npos);
  }
  CHECK(db.runs().empty());  // nothing registered, nothing trained
  const pipeline::RunSummary trained = pipeline::run_plan(pipeline::plan(request("demo/base")), &db, options);
  REQUIRE(trained.completed == 2);
  const pipeline::RunSummary s = pipeline::run_plan(noisy, &db, options);
  CHECK(s.completed == 0);
  CHECK(s.evaluated == 2);
  for (const auto& run : noisy.runs) {
    std::set<std::string> distortions;
    for (const auto& r : db.results(run.run_id))
      if (r.metric == "adpF") distortions.insert(r.distortion);
    CHECK(distortions == std::set<std::string>{"none", "awgn_U5-50", "jpeg_q30"});
    int levels = 0;
    for (const auto& p : db.per_image(run.run_id))
      if (p.metric == "distortion_level") {
        CHECK(p.distortion == "awgn_U5-50");
        CHECK(p.value >= 5);
        CHECK(p.value < 50);
        ++levels;
      }
    CHECK(levels == 4);
    CHECK(db.find_run(run.run_id)->experiment == "demo/base");  // registered by what trained it
  }
  // Every variant saw the same noise: the drawn levels depend on the image, not the model.
  auto levels_of = [&](const std::string& id) {
    std::map<std::string, double> m;
    for (const auto& p : db.per_image(id))
      if (p.metric == "distortion_level") m[p.image] = p.value;
    return m;
  };
  CHECK(levels_of(noisy.runs[0].run_id) == levels_of(noisy.runs[1].run_id));
  CHECK(pipeline::run_plan(noisy, &db, options).evaluated == 0);  // nothing left to evaluate
}
