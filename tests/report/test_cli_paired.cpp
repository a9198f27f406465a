// End-to-end on the smoke profile (issue 28 §1 and §4): `sodlab table` with a reference row marks
// Δ, the interval and † and says that one run per row is a comparison over images; bad references
// exit 2 naming the key; `sodlab runs tag|note` and `--tag` never change what a run is.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"

using namespace sodlab;

namespace {

using Output = sodlab::testing::CliOutput;
Output sodlab_cli(const std::string& args) { return sodlab::testing::run_cli(args); }

const std::string kTable = R"toml(
[table]
reference = "a"
resamples = 300
columns = [{ dataset = "synthetic", metric = "MAE", better = "lower" },
           { dataset = "synthetic", metric = "AUROC" }]
[[table.rows]]
variant = "a"
label = "CE"
[[table.rows]]
variant = "b"
label = "AF"
)toml";

std::string experiment(const std::string& table) {
  return sodlab::testing::tiny_experiment("demo/paired", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                          R"({ dataset = "synthetic", n = 12, size = 64, seed = 5 })", "ce") +
         "seeds = [0]\n[variants.a]\n[variants.b]\nloss = { name = \"af_fbeta_w\" }\n[profiles.smoke]\n" + table;
}

// The CSV line of `row` and `metric`, split at commas (no field here holds a comma).
std::vector<std::string> csv_fields(const std::string& csv, const std::string& row, const std::string& metric) {
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    if (line.find("," + row + ",") == std::string::npos || line.find("," + metric + ",") == std::string::npos) continue;
    std::vector<std::string> f;
    std::string field;
    std::istringstream ls(line);
    while (std::getline(ls, field, ',')) f.push_back(field);
    if (!line.empty() && line.back() == ',') f.push_back("");
    return f;
  }
  FAIL("no CSV line for " << row << " " << metric);
  return {};
}

}  // namespace

TEST_CASE("cli: a table with a reference row on the smoke profile, and run tags", "[report][paired][cli]") {
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string();
  const std::string spec = (dir.path() / "paired.toml").string();
  std::ofstream(spec) << experiment(kTable);
  const std::string common = " --db " + db + " --threads 1";
  const auto ran = sodlab_cli("run " + spec + " --profile smoke --runs-dir " + (dir.path() / "runs").string() + common);
  INFO(ran.text);
  REQUIRE(ran.rc == 0);

  const auto md = sodlab_cli("table " + spec + common + " --profile smoke");
  INFO(md.text);
  REQUIRE(md.rc == 0);
  CHECK(md.text.find("(n=1) (reference) |") != std::string::npos);
  CHECK(md.text.find("| AF | ") != std::string::npos);
  CHECK(md.text.find("(n=1) Δ ") != std::string::npos);
  CHECK(md.text.find("Δ = row − reference row (CE) per test image") != std::string::npos);
  CHECK(md.text.find("300 resamples, seed 0); † = the interval excludes 0") != std::string::npos);
  CHECK(md.text.find("one run per row: the paired statistics are over the test images of that run") !=
        std::string::npos);

  const auto csv = sodlab_cli("table " + spec + common + " --profile smoke --format csv");
  REQUIRE(csv.rc == 0);
  INFO(csv.text);
  // Header fields 14.. : reference,units,images,run_pairs,difference,ci_low,ci_high,level,p_wilcoxon,p_holm,
  // test,resamples,bootstrap_seed,significant.
  for (const char* metric : {"MAE", "AUROC"}) {
    const auto f = csv_fields(csv.text, "AF", metric);
    REQUIRE(f.size() == 28);
    CHECK(f[14] == "a");
    CHECK(f[15] == "12");  // 12 test images, one run pair
    CHECK(f[16] == "12");
    CHECK(f[17] == "1");
    const double diff = std::stod(f[18]), lo = std::stod(f[19]), hi = std::stod(f[20]);
    CHECK(lo <= diff);
    CHECK(diff <= hi);
    CHECK(f[21] == "0.95");
    CHECK(!f[22].empty());  // Wilcoxon p
    CHECK(f[25] == "300");
    // The mark is exactly "the interval excludes 0", in the CSV and the Markdown alike.
    const bool significant = lo > 0 || hi < 0;
    CHECK(f[27] == (significant ? "1" : "0"));
    const auto ref = csv_fields(csv.text, "CE", metric);
    CHECK(ref[14].empty());
    CHECK(ref[15].empty());
  }
  const auto af_line = md.text.substr(md.text.find("| AF | "), md.text.find('\n', md.text.find("| AF | ")) - md.text.find("| AF | "));
  const bool any_significant = csv_fields(csv.text, "AF", "MAE")[27] == "1" || csv_fields(csv.text, "AF", "AUROC")[27] == "1";
  CHECK((af_line.find("†") != std::string::npos) == any_significant);
  const auto tex = sodlab_cli("table " + spec + common + " --profile smoke --format tex");
  CHECK(tex.rc == 0);
  CHECK(tex.text.find("ref.)") != std::string::npos);

  // A reference that is not a row's variant: exit 2, naming the file and key.
  const std::string bad = (dir.path() / "bad.toml").string();
  std::string bad_table = kTable;
  bad_table.replace(bad_table.find("reference = \"a\""), 15, "reference = \"c\"");
  std::ofstream(bad) << experiment(bad_table);
  const auto refused = sodlab_cli("table " + bad + common + " --profile smoke");
  CHECK(refused.rc == 2);
  CHECK(refused.text.find("bad.toml:") != std::string::npos);
  CHECK(refused.text.find("table.reference") != std::string::npos);
  const auto refused_set = sodlab_cli("table " + spec + common + " --profile smoke --set table.reference=zz");
  CHECK(refused_set.rc == 2);
  CHECK(refused_set.text.find("table.reference") != std::string::npos);

  // Tags and notes: listed, filtered, and the runs stay the same runs.
  std::string id_a, id_b;
  {
    store::ResultsStore s(db, store::OpenMode::read_only);
    for (const auto& r : s.runs()) (r.variant == "a" ? id_a : id_b) = r.run_id;
  }
  REQUIRE(!id_a.empty());
  CHECK(sodlab_cli("runs tag " + id_a + " baseline paper --db " + db).rc == 0);
  const auto noted = sodlab_cli("runs note " + id_a + " \"plain CE, the reference\" --db " + db);
  CHECK(noted.rc == 0);
  CHECK(noted.text.find("1 note(s)") != std::string::npos);
  const auto listed = sodlab_cli("runs --tag paper --format csv --db " + db);
  INFO(listed.text);
  CHECK(listed.rc == 0);
  CHECK(listed.text.find(id_a) != std::string::npos);
  CHECK(listed.text.find(id_b) == std::string::npos);
  CHECK(listed.text.find("baseline,paper") != std::string::npos);  // quoted CSV field "baseline,paper"
  CHECK(listed.text.find("plain CE, the reference") != std::string::npos);
  const auto unknown = sodlab_cli("runs tag nosuchrun x --db " + db);
  CHECK(unknown.rc == 2);
  CHECK(unknown.text.find("no run 'nosuchrun'") != std::string::npos);
  CHECK(sodlab_cli("runs tag " + id_a + " \"two words\" --db " + db).rc == 2);
  CHECK(sodlab_cli("runs tag " + id_a + " x --db " + (dir.path() / "absent.db").string()).rc == 2);
  CHECK(!std::filesystem::exists(dir.path() / "absent.db"));
  const auto removed = sodlab_cli("runs tag " + id_a + " paper --remove --db " + db);
  CHECK(removed.text.find("removed 1 tag(s); " + id_a + ": tags baseline") != std::string::npos);
  // Tagging changed no run: running again plans the same ids and trains nothing.
  const auto again = sodlab_cli("run " + spec + " --profile smoke --runs-dir " + (dir.path() / "runs").string() + common);
  CHECK(again.rc == 0);
  store::ResultsStore s(db, store::OpenMode::read_only);
  CHECK(s.runs().size() == 2);
  CHECK(s.find_run(id_a)->status == store::kStatusCompleted);
  CHECK(s.tags(id_a) == std::vector<std::string>{"baseline"});
  CHECK(sodlab_cli("table " + spec + common + " --profile smoke").text == md.text);

  // `sodlab merge` carries tags and notes into another store.
  const std::string merged = (dir.path() / "merged.db").string();
  const auto m = sodlab_cli("merge " + db + " --into " + merged);
  INFO(m.text);
  REQUIRE(m.rc == 0);
  store::ResultsStore ms(merged, store::OpenMode::read_only);
  CHECK(ms.tags(id_a) == std::vector<std::string>{"baseline"});
  REQUIRE(ms.notes(id_a).size() == 1);
  CHECK(ms.notes(id_a)[0].text == "plain CE, the reference");
}
