// In-process tests of src/pipeline: plan (validation before anything runs, content identity,
// shared runs across experiment files), the config → spec adapter, and the table defect: a
// paper table shows exactly the runs its experiment plans.
#include <algorithm>
#include <cstdlib>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>

#include <toml++/toml.h>

#include "core/error.h"
#include "pipeline/execute.h"
#include "pipeline/plan.h"
#include "pipeline/specs.h"  // includes LibTorch, whose glog defines CHECK: Catch2 must come after
#include "report/paper_table.h"
#include "store/results_store.h"
#include "train/spec.h"

#include <catch2/catch.hpp>

#include "support/shared_data.h"
#include "support/tiny_experiment.h"

namespace fs = std::filesystem;
using namespace sodlab;
using sodlab::testing::TempDir;

namespace {

// A tiny experiment (support/tiny_experiment.h) with two variants and a table.
std::string experiment_text(const std::string& name, const std::string& extra_variants = "") {
  return sodlab::testing::tiny_experiment(name, R"({ dataset = "synthetic", n = 8, size = 64, seed = 1 })",
                                          R"({ dataset = "synthetic", n = 4, size = 64, seed = 2 })") +
         "\n[variants.proposed]\n[variants.ce]\nloss = { name = \"ce\" }\n" + extra_variants + R"toml(
[table]
columns = [{ dataset = "synthetic", metric = "MAE", better = "lower" }]
[[table.rows]]
variant = "proposed"
label = "Proposed"
published = [0.5]
)toml";
}

// 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// "<dir>/<file>:<line of needle>:" — the position an error about that line starts with.
std::string position(const fs::path& dir, const std::string& file, const std::string& text,
                     const std::string& needle) {
  return (dir / file).string() + ":" + std::to_string(line_of(text, needle)) + ":";
}

fs::path write(const fs::path& dir, const std::string& file, const std::string& text) {
  const fs::path p = dir / file;
  std::ofstream(p) << text;
  return p;
}

pipeline::PlanRequest request(const fs::path& file, std::vector<std::string> sets = {}) {
  pipeline::PlanRequest r;
  r.experiment = file.string();
  r.sets = std::move(sets);
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

double table_mae(const pipeline::Plan& plan, store::ResultsStore& db, int* planned = nullptr) {
  std::vector<report::TableRun> runs;
  for (const auto& r : plan.runs) runs.push_back({r.spec.variant, r.run_id});
  const auto& ex = plan.experiment;
  const report::PaperTable t = report::build_table(ex.table, ex.info.name, "", "", runs, db);
  if (planned) *planned = t.rows.at(0).planned;
  return t.rows.at(0).cells.at(0).n ? t.rows.at(0).cells.at(0).mean : -1;
}

}  // namespace

TEST_CASE("plan: every component of every run is validated before anything runs", "[pipeline][plan]") {
  TempDir dir;
  // (file, last variant, the text the error's line holds, what the message says)
  const std::vector<std::array<std::string, 4>> cases{
      {"a.toml", "[variants.last]\nloss = { name = \"af_fbeta_w\", thetta = 3 }\n", "thetta",
       "(variant 'last'): loss 'af_fbeta_w': unknown option 'thetta' (did you mean 'theta'?)"},
      {"b.toml", "[variants.m]\nmodel.name = \"szm\"\n", "szm", "unknown model 'szm' (did you mean 'szn'?)"},
      {"c.toml", "[variants.e]\neval.metrics = [\"mae\", \"wfn\"]\n", "wfn",
       "unknown metric family 'wfn' (did you mean 'wfm'?)"},
      {"c2.toml", "[variants.e2]\neval.metrics = [\"mae\", \"ccm\"]\n", "ccm",
       "metric family 'ccm' needs the RGB images"},
      {"d.toml", "[variants.g]\ndata.augmentation = { name = \"szn\", p_aply = 0.1 }\n", "p_aply",
       "did you mean 'p_apply'"},
      {"e.toml", "[variants.d]\ndata.test = [{ dataset = \"ecsd\" }]\n", "ecsd",
       "unknown dataset 'ecsd' (did you mean 'ecssd'?)"},
  };
  for (const auto& [file, variant, needle, says] : cases) {
    const std::string text = experiment_text("demo/t", variant);
    const std::string msg = error_of(request(write(dir.path(), file, text)));
    INFO(msg);
    CHECK(msg.find(position(dir.path(), file, text, needle)) == 0);  // file:line:column
    CHECK(msg.find(says) != std::string::npos);
  }

  std::string msg = error_of(request(write(dir.path(), "f.toml", experiment_text("demo/t", "[variants.c]\neval.convention = \"pysod\"\n"))));
  CHECK(msg.find("unknown metric convention 'pysod'") != std::string::npos);
  CHECK(msg.find("(variant 'c')") != std::string::npos);

  // The table's columns name what the planned runs record: a typo is an error, not a "–".
  std::string table_typo = experiment_text("demo/t");
  table_typo.replace(table_typo.find("metric = \"MAE\""), 14, "metric = \"MEA\"");
  msg = error_of(request(write(dir.path(), "g.toml", table_typo)));
  CHECK(msg.find(position(dir.path(), "g.toml", table_typo, "MEA")) == 0);
  CHECK(msg.find("unknown metric 'MEA' (did you mean 'MAE'?)") != std::string::npos);
  std::string table_set = experiment_text("demo/t");
  const std::string column = "dataset = \"synthetic\", metric";
  table_set.replace(table_set.find(column), 21, "dataset = \"msra-bb\"");
  msg = error_of(request(write(dir.path(), "h.toml", table_set)));
  CHECK(msg.find("unknown dataset 'msra-bb' (did you mean 'msra-b'?)") != std::string::npos);
  // A real dataset that this profile does not evaluate is allowed (its cells show "–").
  std::string other_set = experiment_text("demo/t");
  other_set.replace(other_set.find(column), 21, "dataset = \"msra-b\"");
  CHECK(error_of(request(write(dir.path(), "i.toml", other_set))).empty());
}

TEST_CASE("a table column takes its metric's direction from the metric registry", "[pipeline][plan][table]") {
  TempDir dir;
  std::string text = experiment_text("demo/t");
  text.replace(text.find(", better = \"lower\""), 18, "");  // MAE, no "better": the registry's lower
  const pipeline::Plan p = pipeline::plan(request(write(dir.path(), "a.toml", text)));
  CHECK_FALSE(p.experiment.table.columns.at(0).higher_is_better);
  // A "better" that contradicts the registry is an error at the column.
  std::string wrong = experiment_text("demo/t");
  wrong.replace(wrong.find("better = \"lower\""), 16, "better = \"higher\"");
  const std::string msg = error_of(request(write(dir.path(), "b.toml", wrong)));
  INFO(msg);
  CHECK(msg.find(position(dir.path(), "b.toml", wrong, "metric = \"MAE\"")) == 0);
  CHECK(msg.find("metric 'MAE' is lower-is-better") != std::string::npos);
}

TEST_CASE("plan: options are resolved with their defaults, and the identity is content", "[pipeline][plan]") {
  TempDir dir;
  const fs::path file = write(dir.path(), "a.toml", experiment_text("demo/t"));
  const pipeline::Plan p = pipeline::plan(request(file));
  REQUIRE(p.runs.size() == 2);
  const auto& proposed = p.runs[0];
  // The BLAS thread count (OpenBLAS's results depend on it) is part of the identity.
  CHECK(pipeline::code_identity().find("blas_threads=1") != std::string::npos);
  setenv("SODLAB_BLAS_THREADS", "2", 1);
  CHECK(pipeline::code_identity().find("blas_threads=2") != std::string::npos);
  CHECK(pipeline::plan(request(file)).runs[0].run_id != proposed.run_id);
  unsetenv("SODLAB_BLAS_THREADS");
  CHECK(pipeline::plan(request(file)).runs[0].run_id == proposed.run_id);
  // Every default is explicit in the recorded config (so a default spelled out is the same run).
  CHECK(proposed.spec.config_toml.find("kernel_norm") != std::string::npos);
  CHECK(proposed.spec.config_toml.find("init_seed = 0") != std::string::npos);  // = the seed
  auto spelled_request =
      request(file, {"loss.theta=9", "model.init_seed=0", "data.augmentation={name=\"none\"}"});
  spelled_request.variants = {"proposed"};
  const pipeline::Plan spelled = pipeline::plan(spelled_request);
  CHECK(spelled.runs[0].run_id == proposed.run_id);
  CHECK(spelled.runs[0].overrides != proposed.overrides);
  // Another value, seed or thread count is another run.
  CHECK(pipeline::plan(request(file, {"loss={name=\"af_fbeta_w\",theta=7}"})).runs[0].run_id != proposed.run_id);
  CHECK(pipeline::plan(request(file, {"train.seeds=[1]"})).runs[0].run_id != proposed.run_id);
  auto two = request(file);
  two.threads = 2;
  CHECK(pipeline::plan(two).runs[0].run_id != proposed.run_id);
}

TEST_CASE("two experiment files that share a variant train it once", "[pipeline][plan]") {
  TempDir dir;
  const fs::path a = write(dir.path(), "a.toml", experiment_text("demo/table1"));
  const fs::path b = write(dir.path(), "b.toml", experiment_text("demo/table4"));
  const pipeline::Plan pa = pipeline::plan(request(a, {}));
  auto rb = request(b);
  rb.variants = {"proposed"};
  const pipeline::Plan pb = pipeline::plan(rb);
  REQUIRE(pb.runs.size() == 1);
  CHECK(pb.runs[0].run_id == pa.runs[0].run_id);

  store::ResultsStore db((dir.path() / "r.db").string());
  pipeline::ExecuteOptions options;
  options.runs_dir = (dir.path() / "runs").string();
  const auto sa = pipeline::run_plan(pa, &db, options);
  CHECK(sa.completed == 2);
  const auto sb = pipeline::run_plan(pb, &db, options);
  CHECK(sb.completed == 0);
  CHECK(sb.skipped == 1);
  // The store keeps which experiments refer to the run; the table of either file shows it.
  const auto refs = db.run_refs(pa.runs[0].run_id);
  REQUIRE(refs.size() == 2);
  CHECK(((refs[0].experiment == "demo/table1" && refs[1].experiment == "demo/table4") ||
         (refs[1].experiment == "demo/table1" && refs[0].experiment == "demo/table4")));
  CHECK(table_mae(pb, db) == table_mae(pa, db));
  CHECK(table_mae(pb, db) >= 0);
}

TEST_CASE("a table shows exactly the runs its experiment plans, not exploratory overrides", "[pipeline][table]") {
  // The sequence of the defect: the protocol's run, then an exploratory run of the same variant
  // with another input size; the table of the protocol must keep showing the protocol's number,
  // and re-running the protocol must not adopt the exploratory one.
  TempDir dir;
  const fs::path file = write(dir.path(), "a.toml", experiment_text("demo/t"));
  store::ResultsStore db((dir.path() / "r.db").string());
  pipeline::ExecuteOptions options;
  options.runs_dir = (dir.path() / "runs").string();
  auto protocol_request = request(file);
  protocol_request.variants = {"proposed"};
  const pipeline::Plan protocol = pipeline::plan(protocol_request);
  int planned = 0;
  CHECK(table_mae(protocol, db, &planned) == -1);  // nothing run yet: "– (0 of 1 runs)"
  CHECK(planned == 1);
  pipeline::run_plan(protocol, &db, options);
  const double mae = table_mae(protocol, db);
  REQUIRE(mae >= 0);

  auto explore_request = request(file, {"data.input_size=32"});
  explore_request.variants = {"proposed"};
  const pipeline::Plan explore = pipeline::plan(explore_request);
  REQUIRE(explore.runs[0].run_id != protocol.runs[0].run_id);
  pipeline::run_plan(explore, &db, options);
  const double explored = table_mae(explore, db);
  REQUIRE(explored >= 0);
  REQUIRE(explored != mae);

  CHECK(table_mae(protocol, db) == mae);  // the protocol's table is unchanged
  CHECK(table_mae(explore, db) == explored);  // the overrides' own table shows theirs
  const auto again = pipeline::run_plan(protocol, &db, options);
  CHECK(again.skipped == 1);
  // Both runs are in the store, each with the overrides it was made with.
  const auto runs = db.runs();
  REQUIRE(runs.size() == 2);
  for (const auto& r : runs)
    CHECK(r.overrides == (r.run_id == explore.runs[0].run_id ? "data.input_size=32" : ""));
}

TEST_CASE("the config → spec adapter carries every key and converts units once", "[pipeline][specs]") {
  TempDir dir;
  const fs::path file = write(dir.path(), "a.toml", experiment_text("demo/t"));
  const pipeline::Plan p = pipeline::plan(request(
      file, {"train.stages=[{name=\"s\",epochs=3,lr=0.1,optimizer=\"sgd\",nesterov=true,momentum=0.8,"
             "schedule=\"multistep\",milestones=[100,200],milestone_unit=\"iteration\",gamma=0.5}]",
             "data.augmentation={name=\"szn\",p_apply=0.25}",
             "data.distortions=[{kind=\"awgn\",level=10},{kind=\"jpeg\",level=50}]"}));
  const config::RunSpec& run = p.runs[0].spec;
  const train::TrainSpec t = pipeline::train_spec(run, "ckpt", 1);
  REQUIRE(t.stages.size() == 1);
  CHECK(t.stages[0].nesterov);
  CHECK(t.stages[0].momentum == 0.8);
  CHECK(t.stages[0].milestone_unit == "iteration");
  CHECK((t.stages[0].milestones == std::vector<std::int64_t>{100, 200}));
  CHECK(t.stages[0].gamma == 0.5);
  CHECK(t.stages[0].eps == 1e-8);
  CHECK_NOTHROW(train::validate(t));
  const data::LoaderSpec l = pipeline::train_loader_spec(run);
  CHECK(l.augment.kind == "szn");
  CHECK(l.augment.p_apply == 0.25);
  CHECK(run.config_toml.find("p_apply = 0.25") != std::string::npos);  // recorded
  const data::Distortion awgn = pipeline::distortion_spec(run.data.distortions[0]);
  CHECK(awgn.sigma == 10);  // σ on the 0-255 scale, as in the config
  CHECK(awgn.label() == "awgn_s10");
  CHECK(pipeline::distortion_spec(run.data.distortions[1]).quality == 50);
}

TEST_CASE("dry run builds each model and runs it once, so size errors appear before training", "[pipeline][plan]") {
  TempDir dir;
  const fs::path file = write(dir.path(), "a.toml", experiment_text("demo/t"));
  auto r = request(file, {"model={name=\"menet\",width=4,blocks=1,global_kernel=2}", "loss={name=\"menet\"}",
                          "data.input_size=48"});
  const pipeline::Plan p = pipeline::plan(r);  // names and options are fine
  try {
    pipeline::run_plan(p, nullptr, pipeline::ExecuteOptions{}, /*dry_run=*/true);
    FAIL("a MEnet at 48 px (not a multiple of 32) passed the dry run");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("model 'menet' at input_size 48"));
  }
  r.sets.back() = "data.input_size=64";
  CHECK_NOTHROW(pipeline::run_plan(pipeline::plan(r), nullptr, pipeline::ExecuteOptions{}, true));
}

// Every key a training stage has in the canonical config (config/schema.cpp writes it: the list of
// stage keys) must reach the checkpoint fingerprint through the config → spec adapter, or a
// changed protocol would resume an old checkpoint. A new stage key fails here until it has an
// entry below and changes the fingerprint.
TEST_CASE("every training-stage key of the canonical config reaches the checkpoint fingerprint", "[pipeline][specs]") {
  TempDir dir;
  const fs::path file = write(dir.path(), "a.toml", experiment_text("demo/t"));
  struct Alternatives {
    std::string context, a, b;  // the other keys the stage needs for the key to be valid; two values
  };
  const std::map<std::string, Alternatives> keys{
      {"name", {"", "\"s\"", "\"t\""}},
      {"epochs", {"", "2", "3"}},
      {"lr", {"", "1e-3", "2e-3"}},
      {"optimizer", {"", "\"adam\"", "\"sgd\""}},
      {"momentum", {"optimizer=\"sgd\",", "0.9", "0.5"}},
      {"nesterov", {"optimizer=\"sgd\",", "false", "true"}},
      {"weight_decay", {"", "0.0", "1e-4"}},
      {"eps", {"optimizer=\"adam\",", "1e-8", "1e-7"}},
      {"betas", {"optimizer=\"adam\",", "[0.9, 0.999]", "[0.8, 0.99]"}},
      {"schedule", {"epochs=3,", "\"constant\"", "\"multistep\",milestones=[1]"}},
      {"milestone_unit", {"epochs=3,schedule=\"multistep\",milestones=[1],", "\"epoch\"", "\"iteration\""}},
      {"milestones", {"epochs=3,schedule=\"multistep\",", "[1]", "[2]"}},
      {"gamma", {"epochs=3,schedule=\"multistep\",milestones=[1],", "0.1", "0.5"}},
      {"frozen", {"", "[]", "[\"backbone\"]"}},
  };
  auto fingerprint_with = [&](const std::string& stage) {
    const pipeline::Plan p = pipeline::plan(request(file, {"train.stages=[{" + stage + "}]"}));
    return train::fingerprint(pipeline::train_spec(p.runs[0].spec, "ckpt", 1));
  };
  // The stage keys the canonical config holds.
  const pipeline::Plan base = pipeline::plan(request(file, {}));
  const toml::table canonical = toml::parse(base.runs[0].spec.config_toml);
  const toml::table* stage = canonical.at_path("train.stages[0]").as_table();
  REQUIRE(stage);
  std::size_t checked = 0;
  for (const auto& [key, value] : *stage) {
    const std::string k(key.str());
    INFO("stage key " << k);
    const auto it = keys.find(k);
    if (it == keys.end()) {
      FAIL("a new stage key '" << k << "': give it two values above and make it reach train::fingerprint");
      continue;
    }
    const Alternatives& alt = it->second;
    CHECK(fingerprint_with(alt.context + k + "=" + alt.a) != fingerprint_with(alt.context + k + "=" + alt.b));
    ++checked;
  }
  CHECK(checked == keys.size());  // no entry above names a key the config no longer has
}
