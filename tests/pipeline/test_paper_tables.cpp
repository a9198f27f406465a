// The paper-table experiment files of experiments/: every file validates on every profile (and
// plans with its data on `small` when ../shared/data is here); the smoke profile of every one
// runs end to end, its table prints with the published rows, and runs shared between tables are
// trained once (evaluated on the test sets the other table adds, from their checkpoint).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "config/experiment.h"
#include "core/error.h"
#include "pipeline/execute.h"
#include "pipeline/plan.h"  // includes LibTorch, whose glog defines CHECK: Catch2 must come after
#include "report/figure.h"
#include "report/paper_table.h"
#include "store/results_store.h"

#include <catch2/catch.hpp>

#include "support/shared_data.h"

namespace fs = std::filesystem;
using namespace sodlab;
using sodlab::testing::TempDir;

namespace {

const fs::path kExperiments = fs::path(SODLAB_SOURCE_DIR) / "experiments";

std::vector<std::string> experiment_names() {
  std::vector<std::string> names;
  for (const auto& paper : fs::directory_iterator(kExperiments))
    if (paper.is_directory())
      for (const auto& f : fs::directory_iterator(paper.path()))
        if (f.path().extension() == ".toml")
          names.push_back(paper.path().filename().string() + "/" + f.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

pipeline::PlanRequest request(const std::string& name, const std::string& profile, bool open_data) {
  pipeline::PlanRequest r;
  r.experiment = name;
  r.profile = profile;
  r.threads = 1;
  r.check_weights = false;
  r.open_data = open_data;
  return r;
}

report::PaperTable table_of(const pipeline::Plan& plan, const std::string& profile, store::ResultsStore& db) {
  std::vector<report::TableRun> runs;
  for (const auto& r : plan.runs) {
    report::TableRun run{r.spec.variant, r.run_id, {}};
    for (const auto& t : r.data.tests) run.datasets.push_back(t.label);
    runs.push_back(run);
  }
  if (plan.study) runs.push_back({"ours", plan.study->run_id, plan.study->datasets});
  const auto& ex = plan.experiment;
  return report::build_table(ex.table, ex.info.name, ex.info.reproduces, profile, runs, db);
}

}  // namespace

TEST_CASE("every experiment file validates on every profile, and plans on small with the shared data",
          "[paper-tables]") {
  setenv("SODLAB_EXPERIMENTS_DIR", kExperiments.c_str(), 1);
  const auto names = experiment_names();
  REQUIRE(names.size() >= 9);
  const auto shared = sodlab::testing::shared_dir();
  if (shared) setenv("SODLAB_DATA_ROOT", (*shared / "data").c_str(), 1);
  for (const auto& name : names) {
    const config::Experiment ex = config::load_experiment((kExperiments / (name + ".toml")).string());
    CAPTURE(name);
    for (const std::string profile : {"paper", "small", "smoke"})
      CHECK(std::find(ex.profile_names.begin(), ex.profile_names.end(), profile) != ex.profile_names.end());
    for (const auto& profile : ex.profile_names) {
      CAPTURE(profile);
      CHECK_NOTHROW(pipeline::plan(request(name, profile, false)));  // names and options
    }
    if (shared) CHECK_NOTHROW(pipeline::plan(request(name, "small", true)));  // with the data
  }
  unsetenv("SODLAB_DATA_ROOT");
  if (!shared) SODLAB_SKIP("../shared/data is absent: the small profiles were validated without their data");
}

TEST_CASE("the smoke profile of every paper table runs end to end and trains shared runs once",
          "[paper-tables]") {
  setenv("SODLAB_EXPERIMENTS_DIR", kExperiments.c_str(), 1);
  TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  pipeline::ExecuteOptions options;
  options.runs_dir = (dir.path() / "runs").string();
  options.cache_dir = (dir.path() / "cache").string();
  // Table 4 before Table 1 (so Table 1 finds its runs trained, with fewer test sets and metrics),
  // studies after the runs they read; every file of experiments/ is in the list.
  const std::vector<std::string> order{"kolkin2017/table4", "kolkin2017/table1", "kolkin2017/table2",
                                       "kolkin2017/table3", "kolkin2017/sec5_5", "kolkin2017/fig6",
                                       "menet/table4",      "menet/table1",      "menet/table5",
                                       "menet/table2",      "menet/fig9",        "menet/table3"};
  const auto names = experiment_names();
  CHECK(std::set<std::string>(order.begin(), order.end()) == std::set<std::string>(names.begin(), names.end()));
  std::map<std::string, pipeline::Plan> plans;
  std::set<std::string> distinct;
  int planned = 0, trained = 0;
  for (const auto& name : order) {
    CAPTURE(name);
    pipeline::Plan plan = pipeline::plan(request(name, "smoke", true));
    const pipeline::RunSummary s = pipeline::run_plan(plan, &db, options);
    planned += s.planned;
    trained += s.completed;
    for (const auto& id : s.run_ids) distinct.insert(id);
    const report::PaperTable t = table_of(plan, "smoke", db);
    const std::string md = report::render_markdown(t);
    for (const auto& row : plan.experiment.table.rows) {
      CHECK(md.find(row.label) != std::string::npos);
      if (!row.variant.empty()) {
        const auto it = std::find_if(t.rows.begin(), t.rows.end(), [&](const report::Row& r) { return r.label == row.label; });
        REQUIRE(it != t.rows.end());
        CHECK(it->runs == it->planned);  // every planned run completed
      }
    }
    plans.emplace(name, std::move(plan));
  }
  // Every distinct run was trained exactly once, however many tables plan it.
  CHECK(trained == static_cast<int>(distinct.size()));
  CHECK(planned > trained);
  auto id_of = [&](const std::string& ex, const std::string& variant) {
    for (const auto& r : plans.at(ex).runs)
      if (r.spec.variant == variant) return r.run_id;
    FAIL("no run of " << ex << " / " << variant);
    return std::string();
  };
  CHECK(id_of("kolkin2017/table1", "szn_af") == id_of("kolkin2017/table4", "proposed"));
  CHECK(id_of("kolkin2017/table1", "szn_ce") == id_of("kolkin2017/table4", "szn_ce"));
  CHECK(id_of("menet/table1", "menet") == id_of("menet/table4", "menet"));
  CHECK(id_of("menet/table5", "menet") == id_of("menet/table1", "menet"));
  // Table 4 trained "proposed" on one test set; Table 1 evaluated the other three from its
  // checkpoint, with its metric families (miou), without training again.
  const std::string proposed = id_of("kolkin2017/table4", "proposed");
  std::set<std::string> datasets, metrics;
  for (const auto& r : db.results(proposed)) datasets.insert(r.dataset), metrics.insert(r.metric);
  CHECK(datasets == std::set<std::string>{"synthetic", "synthetic-3", "synthetic-4", "synthetic-5"});
  CHECK(metrics.count("mIoU50") == 1);
  CHECK(db.find_run(proposed)->experiment == "kolkin2017/table4");
  // §5.5 recorded finite positive times and ratios; Fig. 6 counted the smoke test images.
  const auto& timing = *plans.at("kolkin2017/sec5_5").study;
  std::map<std::string, double> t;
  for (const auto& r : db.results(timing.run_id)) t[r.metric] = r.value;
  for (const char* key : {"exact_s_per_image", "af_forward_s_per_image", "af_forward_backward_s_per_image",
                          "wfb_s_per_image", "ratio_exact_to_af_forward", "ratio_exact_to_af_forward_backward"}) {
    CAPTURE(key);
    REQUIRE(t.count(key) == 1);
    CHECK(std::isfinite(t[key]));
    CHECK(t[key] > 0);
  }
  CHECK(t["n_images"] == 2);
  const auto& fig6 = *plans.at("kolkin2017/fig6").study;
  std::map<std::string, double> counts;
  for (const auto& r : db.results(fig6.run_id))
    if (r.metric == "n_images") counts[r.dataset] = r.value;
  CHECK(counts == std::map<std::string, double>{{"synthetic", 8}, {"synthetic-3", 8}, {"synthetic-4", 8}, {"synthetic-5", 8}});
  // MEnet Tables II, III and Fig. 9 evaluate menet/table4's runs without training them: random
  // strengths with each image's drawn level; the paper's Jacobian statistic at round-off, the
  // meaningful ones not.
  for (const char* ex : {"menet/table2", "menet/fig9", "menet/table3"}) {
    CAPTURE(ex);
    CHECK(plans.at(ex).experiment.is_eval_only());
    for (const auto& r : plans.at(ex).runs) CHECK(r.run_id == id_of("menet/table4", r.spec.variant));
  }
  for (const auto& run : plans.at("menet/table3").runs) {
    std::map<std::string, double> j;
    std::set<std::string> distortions;
    for (const auto& r : db.results(run.run_id)) {
      j[r.convention.substr(0, r.convention.find('/')) + ":" + r.metric] = r.value;
      distortions.insert(r.distortion);
    }
    CHECK(distortions.count("awgn_U5-50") == 1);
    CHECK(distortions.count("jpeg_U10-50") == 1);
    CHECK(distortions.count("awgn_s50") == 1);
    REQUIRE(j.count("paper_code:J_max") == 1);
    REQUIRE(j.count("salient_sum:J_max") == 1);
    REQUIRE(j.count("mc_fd:J_fro") == 1);
    CHECK(j["paper_code:J_max"] < 1e-6);
    CHECK(j["salient_sum:J_max"] > 1e3 * j["paper_code:J_max"]);
    CHECK(std::isfinite(j["mc_fd:J_fro"]));
    CHECK(j["mc_fd:J_fro"] > 0);
    int levels = 0;
    for (const auto& p : db.per_image(run.run_id))
      if (p.metric == "distortion_level" && p.distortion == "jpeg_U10-50") {
        CHECK(p.value >= 10);
        CHECK(p.value <= 50);
        ++levels;
      }
    CHECK(levels == 8);
  }
  // Fig. 9's figure: adaptive F at the seven σ of each of the three models.
  {
    report::FigureRequest fr;
    fr.kind = "distortion";
    for (const auto& r : plans.at("menet/fig9").runs) fr.runs.push_back({r.spec.variant, r.run_id, {"synthetic"}});
    const report::Figure fig = report::build_figure(fr, db);
    REQUIRE(fig.panels.size() == 1);
    REQUIRE(fig.panels[0].series.size() == 3);
    for (const auto& s : fig.panels[0].series) CHECK(s.xy.size() == 7);
  }
  // A second pass trains and evaluates nothing.
  for (const auto& name : order) {
    const pipeline::RunSummary s = pipeline::run_plan(plans.at(name), &db, options);
    CHECK(s.completed == 0);
    CHECK(s.evaluated == 0);
  }
}

TEST_CASE("a study reading another experiment's runs fails clearly while they are missing", "[paper-tables]") {
  setenv("SODLAB_EXPERIMENTS_DIR", kExperiments.c_str(), 1);
  TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  pipeline::Plan plan = pipeline::plan(request("kolkin2017/fig6", "smoke", true));
  try {
    pipeline::run_plan(plan, &db, {});
    FAIL("expected InputError");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("kolkin2017/table1") != std::string::npos);
    CHECK(m.find("sodlab run kolkin2017/table1 --profile smoke") != std::string::npos);
  }
  CHECK(db.find_run(plan.study->run_id)->status == store::kStatusFailed);
}
