// End-to-end: `sodlab table`, `sodlab query`, `sodlab runs` on a store built here.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "store/results_store.h"
#include "support/shared_data.h"

using namespace sodlab;

namespace {

struct Output {
  int rc = -1;
  std::string text;
};

Output run(const std::string& args) {
  const std::string cmd = sodlab::testing::sodlab_binary().string() + " " + args + " 2>&1";
  Output o;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.text.append(buf.data(), n);
  const int status = ::pclose(p);
  o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

const char* kSpec = R"toml([experiment]
name = "demo/table1"
[data]
train = { dataset = "synthetic", n = 8 }
test = [{ dataset = "synthetic", n = 4 }]
[model]
name = "szn"
[loss]
name = "cross_entropy"
[[train.stages]]
epochs = 1
[variants.a]
[variants.b]
loss = { name = "af_fbeta_w" }
[profiles.smoke]
[table]
columns = [{ dataset = "synthetic", metric = "mae", better = "lower" }]
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
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) {
    WARN("skipped: sodlab binary not built");
    return;
  }
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string();
  const std::string spec = (dir.path() / "demo.toml").string();
  std::ofstream(spec) << kSpec;
  {
    store::ResultsStore s(db);
    int k = 0;
    for (double v : {0.25, 0.75}) {
      store::RunRecord r;
      r.run_id = "r" + std::to_string(k);
      r.experiment = "demo/table1";
      r.variant = "a";
      r.profile = "smoke";
      r.seed = k++;
      r.config_toml = "x";
      s.begin_run(r);
      s.add_results({{r.run_id, "synthetic", "none", "mae", "pysodmetrics", v}});
      s.set_status(r.run_id, store::kStatusCompleted);
    }
  }
  auto md = run("table " + spec + " --db " + db);
  CHECK(md.rc == 0);
  CHECK(md.text.find("(profile: smoke)") != std::string::npos);  // latest profile by default
  CHECK(md.text.find("| Ours (a) | 0.500 ± 0.354 (n=2) | 0.100 |") != std::string::npos);
  CHECK(md.text.find("| Ours (b) | – | – |") != std::string::npos);
  const std::string out = (dir.path() / "tables" / "t.csv").string();
  CHECK(run("table " + spec + " --db " + db + " --profile smoke --format csv --out " + out).rc == 0);
  std::ifstream in(out);
  std::string csv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(csv.find("smoke,Ours (a),a,synthetic,synthetic,mae,pysodmetrics,none,2,0.5,") != std::string::npos);
  CHECK(run("table " + spec + " --db " + db + " --profile smok").rc == 2);
  CHECK(run("table " + spec + " --db " + db + " --format html").rc == 2);
  CHECK(run("table nowhere/table9 --db " + db).rc == 2);

  auto q = run("query \"SELECT variant, count(*) AS n, avg(value) AS mean FROM run_results GROUP BY variant\" "
               "--format csv --db " + db);
  CHECK(q.rc == 0);
  CHECK(q.text == "variant,n,mean\na,2,0.5\n");
  CHECK(run("query \"DELETE FROM runs\" --db " + db).rc == 2);
  CHECK(run("query \"SELECT * FROM nosuch\" --db " + db).rc == 2);
  CHECK(run("query \"SELECT 1\" --db " + (dir.path() / "none.db").string()).rc == 2);
  auto rs = run("runs --where \"seed = 1\" --format json --db " + db);
  CHECK(rs.rc == 0);
  CHECK(rs.text.find("\"run_id\": \"r1\"") != std::string::npos);
  CHECK(rs.text.find("\"run_id\": \"r0\"") == std::string::npos);
  CHECK(run("runs --db " + db).text.find("(2 rows)") != std::string::npos);
}
