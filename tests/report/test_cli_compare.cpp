// `sodlab compare` on smoke runs (issue 28 §2): exactly the config keys that differ, the shared
// metrics with paired statistics, wins / losses / ties, the most disagreeing images, the three
// formats, the scatter figure, and exit 2 on what cannot be compared.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"

using namespace sodlab;

namespace {

using Output = sodlab::testing::CliOutput;
Output cli(const std::string& args, bool with_stderr = true) { return sodlab::testing::run_cli(args, with_stderr); }

// An independent oracle of the keys two canonical configs differ in: their lines that are not in
// the other, as "<section>.<key>" (the canonical text is one "key = value" per line under
// "[section]" headers; arrays of tables are not among what these runs differ in).
std::vector<std::string> differing_lines(const std::string& a, const std::string& b) {
  auto keyed = [](const std::string& text) {
    std::set<std::pair<std::string, std::string>> out;
    std::istringstream in(text);
    std::string section;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      if (line[0] == '[') {
        section = line.substr(line.find_first_not_of('['), line.find(']') - line.find_first_not_of('['));
        continue;
      }
      const auto eq = line.find(" = ");
      if (eq == std::string::npos) continue;
      out.insert({section + "." + line.substr(0, eq), line.substr(eq + 3)});
    }
    return out;
  };
  const auto ka = keyed(a), kb = keyed(b);
  std::set<std::string> keys;
  for (const auto& kv : ka)
    if (!kb.count(kv)) keys.insert(kv.first);
  for (const auto& kv : kb)
    if (!ka.count(kv)) keys.insert(kv.first);
  return {keys.begin(), keys.end()};
}

std::vector<std::string> config_keys(const nlohmann::json& j) {
  std::vector<std::string> keys;
  for (const auto& d : j["config"]) keys.push_back(d["key"]);
  for (const auto& d : j["provenance"]) keys.push_back(d["key"]);
  return keys;
}

}  // namespace

TEST_CASE("cli: sodlab compare lists exactly the keys that differ, with paired statistics", "[report][compare][cli]") {
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string();
  const std::string spec = (dir.path() / "compare.toml").string();
  std::ofstream(spec) << sodlab::testing::tiny_experiment("demo/compare", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                                          R"({ dataset = "synthetic", n = 10, size = 64, seed = 5 })", "ce")
                      << "seeds = [0, 1]\n[variants.a]\n[variants.b]\ntrain = { batch_size = 2 }\n[profiles.smoke]\n";
  const std::string common = " --db " + db + " --threads 1";
  const auto ran = cli("run " + spec + " --profile smoke --runs-dir " + (dir.path() / "runs").string() + common);
  INFO(ran.text);
  REQUIRE(ran.rc == 0);
  std::string a0, a1, b0, config_a0, config_a1, config_b0;
  {
    store::ResultsStore s(db, store::OpenMode::read_only);
    REQUIRE(s.runs().size() == 4);
    for (const auto& r : s.runs()) {
      if (r.variant == "a") (r.seed == 0 ? a0 : a1) = r.run_id, (r.seed == 0 ? config_a0 : config_a1) = r.config_toml;
      if (r.variant == "b" && r.seed == 0) b0 = r.run_id, config_b0 = r.config_toml;
    }
  }

  // Two seeds of one variant: the seed (and the model's initialisation seed derived from it).
  const auto seeds = cli("compare " + a0 + " " + a1 + " --format json --db " + db, false);
  INFO(seeds.text);
  REQUIRE(seeds.rc == 0);
  const auto js = nlohmann::json::parse(seeds.text);
  CHECK(config_keys(js) == differing_lines(config_a0, config_a1));
  CHECK(config_keys(js) == std::vector<std::string>{"model.init_seed", "run.seed"});
  CHECK(js["pairs"] == 1);
  const auto ab = nlohmann::json::parse(cli("compare " + a0 + " " + b0 + " --format json --db " + db, false).text);
  CHECK(config_keys(ab) == differing_lines(config_a0, config_b0));

  // Two variants, both seeds: the batch size and the variant name differ, nothing else.
  const auto vs = cli("compare demo/compare:a demo/compare:b --profile smoke --format json --top 3 --db " + db, false);
  INFO(vs.text);
  REQUIRE(vs.rc == 0);
  const auto j = nlohmann::json::parse(vs.text);
  CHECK(config_keys(j) == std::vector<std::string>{"run.variant", "train.batch_size"});
  CHECK(j["config"][1]["a"] == "4");
  CHECK(j["config"][1]["b"] == "2");
  CHECK(j["pairs"] == 2);
  bool mae = false, auroc = false;
  for (const auto& m : j["metrics"]) {
    if (m["metric"] != "MAE" && m["metric"] != "AUROC") continue;
    (m["metric"] == "MAE" ? mae : auroc) = true;
    REQUIRE(!m["paired"].is_null());
    const auto& p = m["paired"];
    CHECK(p["units"] == 20);   // 10 images × 2 seeds
    CHECK(p["images"] == 10);
    CHECK(p["pairs"] == 2);
    CHECK(p["wins"].get<int>() + p["losses"].get<int>() + p["ties"].get<int>() == 10);
    CHECK(p["ci_low"].get<double>() <= p["difference"].get<double>());
    CHECK(p["difference"].get<double>() <= p["ci_high"].get<double>());
    CHECK(m["better"] == (m["metric"] == "MAE" ? "lower" : "higher"));  // from the metric registry
    CHECK(std::abs(p["difference"].get<double>() - (m["a"].get<double>() - m["b"].get<double>())) < 1e-9);
  }
  CHECK(mae);
  CHECK(auroc);
  REQUIRE(j["disagreements"]["images"].size() == 3);
  const auto& top = j["disagreements"]["images"];
  CHECK(std::abs(top[0]["a"].get<double>() - top[0]["b"].get<double>()) >=
        std::abs(top[2]["a"].get<double>() - top[2]["b"].get<double>()));

  REQUIRE(cli("runs tag " + a0 + " best --db " + db).rc == 0);
  const auto md = cli("compare " + a0 + " demo/compare:b --profile smoke --db " + db);
  // A run id against a variant's two runs: paired by (fold, seed), so seed 0 only.
  INFO(md.text);
  REQUIRE(md.rc == 0);
  CHECK(md.text.find("| train.batch_size | 4 | 2 |") != std::string::npos);
  CHECK(md.text.find("tags: best") != std::string::npos);
  CHECK(md.text.find("| MAE synthetic (pysodmetrics) | lower |") != std::string::npos);
  CHECK(md.text.find("one run per side") != std::string::npos);
  const auto csv = cli("compare " + a0 + " " + a1 + " --format csv --db " + db, false);
  CHECK(csv.text.rfind("section,key,a,b\nconfig,model.init_seed,", 0) == 0);
  CHECK(csv.text.find("\nconfig,run.seed,0,1\n\n") != std::string::npos);

  // What cannot be compared: exit 2, saying why.
  const auto unknown = cli("compare nosuchrun " + a0 + " --db " + db);
  CHECK(unknown.rc == 2);
  CHECK(unknown.text.find("'nosuchrun' is not a run id") != std::string::npos);
  const auto variant = cli("compare demo/compare:zz demo/compare:a --profile smoke --db " + db);
  CHECK(variant.rc == 2);
  CHECK(variant.text.find("no run of variant 'zz'") != std::string::npos);
  CHECK(cli("compare " + a0 + " " + a1 + " --format xml --db " + db).rc == 2);
  CHECK(cli("compare " + a0 + " " + a1 + " --metric nosuch --db " + db).rc == 2);
  CHECK(cli("compare " + a0 + " " + a1 + " --db " + (dir.path() / "absent.db").string()).rc == 2);

  if (std::system("gnuplot --version > /dev/null 2>&1") != 0) SODLAB_SKIP("gnuplot is not installed");
  const std::string figs = (dir.path() / "figs").string();
  const auto fig = cli("compare " + a0 + " " + a1 + " --figure MAE --out-dir " + figs + " --db " + db);
  INFO(fig.text);
  REQUIRE(fig.rc == 0);
  const std::string stem = figs + "/compare-" + a0 + "-" + a1 + "-MAE";
  CHECK(std::filesystem::file_size(stem + ".png") > 1000);
  std::ifstream data(stem + ".dat");
  std::string line;
  int lines = 0;
  while (std::getline(data, line)) lines += line.rfind("#", 0) == 0 ? 0 : 1;
  CHECK(lines == 10);  // one point per test image
  CHECK(std::filesystem::exists(stem + ".gp"));
  CHECK(cli("compare " + a0 + " " + a1 + " --figure maxF --out-dir " + figs + " --db " + db).rc == 2);
}
