// End-to-end: `sodlab table`, `sodlab query`, `sodlab runs` on a store built here.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"

using namespace sodlab;

namespace {

using Output = sodlab::testing::CliOutput;
Output run(const std::string& args) { return sodlab::testing::run_cli(args); }

const std::string kSpec =
    sodlab::testing::tiny_experiment("demo/table1", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                     R"({ dataset = "synthetic", n = 4, size = 64, seed = 5 })", "ce") +
    "seeds = [0, 1]\n" + R"toml(
[variants.a]
[variants.b]
loss = { name = "af_fbeta_w" }
[profiles.smoke]
[table]
columns = [{ dataset = "synthetic", metric = "MAE", better = "lower" }]
[[table.rows]]
variant = "a"
label = "Ours (a)"
published = [0.1]
[[table.rows]]
variant = "b"
label = "Ours (b)"
published = ["-"]
)toml";

}  // namespace

TEST_CASE("cli: sodlab table / query / runs on a small store") {
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string();
  const std::string spec = (dir.path() / "demo.toml").string();
  std::ofstream(spec) << kSpec;
  const std::string common = " --db " + db + " --threads 1";
  // Variant a, two seeds; variant b is planned but never run.
  const auto ran = run("run " + spec + " --profile smoke --variant a --runs-dir " +
                       (dir.path() / "runs").string() + common);
  INFO(ran.text);
  REQUIRE(ran.rc == 0);
  double mae[2];
  {
    store::ResultsStore s(db, store::OpenMode::read_only);
    const auto runs = s.runs();
    REQUIRE(runs.size() == 2);
    for (int k = 0; k < 2; ++k)
      for (const auto& r : s.results(runs[k].run_id))
        if (r.metric == "MAE") mae[runs[k].seed] = r.value;
  }
  const double mean = (mae[0] + mae[1]) / 2;
  auto md = run("table " + spec + common);
  INFO(md.text);
  CHECK(md.rc == 0);
  CHECK(md.text.find("(profile: smoke)") != std::string::npos);  // latest profile by default
  char cell[64];
  std::snprintf(cell, sizeof cell, "| Ours (a) | %.3f ± ", mean);
  CHECK(md.text.find(cell) != std::string::npos);
  CHECK(md.text.find("(n=2) | 0.100 |") != std::string::npos);
  CHECK(md.text.find("| Ours (b) | – (0 of 2 runs) | – |") != std::string::npos);
  // Another thread count, or other overrides, are other runs: none of them is in the store.
  CHECK(run("table " + spec + " --db " + db + " --threads 2").text.find("| Ours (a) | – (0 of 2 runs)") !=
        std::string::npos);
  CHECK(run("table " + spec + common + " --set data.input_size=32").text.find("overrides (--set): data.input_size=32") !=
        std::string::npos);
  const std::string out = (dir.path() / "tables" / "t.csv").string();
  CHECK(run("table " + spec + common + " --profile smoke --format csv --out " + out).rc == 0);
  std::ifstream in(out);
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(csv.find("smoke,Ours (a),a,synthetic,synthetic,MAE,pysodmetrics,none,2,2,") != std::string::npos);
  CHECK(run("table " + spec + common + " --profile smok").rc == 2);
  CHECK(run("table " + spec + common + " --format html").rc == 2);
  CHECK(run("table nowhere/table9 --db " + db).rc == 2);

  auto q = run("query \"SELECT variant, count(*) AS n FROM run_results WHERE metric = 'MAE' GROUP BY variant\" "
               "--format csv --db " + db);
  CHECK(q.rc == 0);
  CHECK(q.text == "variant,n\na,2\n");
  CHECK(run("query \"DELETE FROM runs\" --db " + db).rc == 2);
  CHECK(run("query \"SELECT * FROM nosuch\" --db " + db).rc == 2);
  CHECK(run("query \"SELECT 1\" --db " + (dir.path() / "none.db").string()).rc == 2);
  auto rs = run("runs --where \"seed = 1\" --format json --db " + db);
  CHECK(rs.rc == 0);
  CHECK(rs.text.find("\"seed\": 1") != std::string::npos);
  CHECK(rs.text.find("\"seed\": 0") == std::string::npos);
  CHECK(run("runs --db " + db).text.find("(2 rows)") != std::string::npos);
}

TEST_CASE("cli: sodlab plot draws the runs an experiment's table shows") {
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0)
    SODLAB_SKIP("gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)");
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string();
  const std::string spec = (dir.path() / "demo.toml").string();
  std::ofstream(spec) << kSpec;
  const std::string common = " --db " + db + " --threads 1";
  const std::string plots = (dir.path() / "plots").string();
  // Nothing run yet: bad input, nothing drawn.
  CHECK(run("plot " + spec + " --profile smoke --out-dir " + plots + common).rc == 2);
  REQUIRE(run("run " + spec + " --profile smoke --variant a --runs-dir " + (dir.path() / "runs").string() + common).rc == 0);
  const auto out = run("plot " + spec + " --profile smoke --kind training --out-dir " + plots + common);
  INFO(out.text);
  REQUIRE(out.rc == 0);
  const auto png = std::filesystem::path(plots) / "smoke" / "demo-table1-training.png";
  CHECK(std::filesystem::file_size(png) > 1000);
  CHECK(std::filesystem::exists(std::filesystem::path(plots) / "smoke" / "demo-table1-training.gp"));
  // The runs evaluated mae and auroc only: no P/R/F curves to draw, said so.
  const auto pr = run("plot " + spec + " --profile smoke --kind pr --out-dir " + plots + common);
  CHECK(pr.rc == 2);
  CHECK(pr.text.find("Ours (a) on synthetic: no P curve") != std::string::npos);
  // auroc gives TPR and FPR: the ROC curve is drawn.
  const auto roc = run("plot " + spec + " --profile smoke --kind roc --out-dir " + plots + common);
  INFO(roc.text);
  CHECK(roc.rc == 0);
  CHECK(std::filesystem::file_size(std::filesystem::path(plots) / "smoke" / "demo-table1-roc.png") > 1000);
  const auto bad = run("plot " + spec + " --profile smoke --kind nosuch --out-dir " + plots + common);
  CHECK(bad.rc == 2);
  CHECK(bad.text.find("unknown figure kind 'nosuch'") != std::string::npos);
}
