// Paired statistics in paper tables (issue 28 §1): a reference row, Δ and its interval per cell,
// the † where the interval excludes 0 explained in the notes, every number in the CSV; a
// dataset-level column says why it has none; the reference is checked by the config schema.
#include <catch2/catch.hpp>

#include <cmath>

#include "config/experiment.h"
#include "core/error.h"
#include "report/html.h"
#include "report/paper_table.h"
#include "store/results_store.h"
#include "support/shared_data.h"

using namespace sodlab;

namespace {

const std::string kPairedSpec = R"([experiment]
name = "demo/paired"
[data]
train = { dataset = "synthetic" }
test = [{ dataset = "synthetic" }]
[model]
name = "szn"
[loss]
name = "ce"
[[train.stages]]
epochs = 1
[variants.good]
[variants.same]
[variants.base]
[profiles.smoke]
[table]
reference = "base"
resamples = 500
bootstrap_seed = 3
columns = [{ dataset = "synthetic", metric = "AUROC" },
           { dataset = "synthetic", metric = "MAE", better = "lower" },
           { dataset = "synthetic", metric = "maxF" }]
[[table.rows]]
variant = "good"
label = "Good"
[[table.rows]]
variant = "same"
label = "Same"
[[table.rows]]
variant = "base"
label = "Base"
[[table.rows]]
label = "Published"
published = [0.9, 0.1, 0.8]
)";

// A completed run of `variant` at (fold, seed) with 20 test images: AUROC = base + `shift` (+ a
// small image-dependent wobble, ± `mae_wobble` / 10 alternating), MAE = base ± `mae_wobble` alternating; results = their means
// (so they are means of per-image values); maxF per image ≠ its dataset value (a dataset-level
// metric).
void add_run(store::ResultsStore& s, const std::string& id, const std::string& variant, int fold, int seed,
             double shift, double mae_wobble) {
  store::RunRecord r;
  r.run_id = id;
  r.experiment = "demo/paired";
  r.variant = variant;
  r.profile = "smoke";
  r.fold = fold;
  r.seed = seed;
  r.config_toml = "x";
  s.begin_run(r);
  std::vector<store::PerImageRow> rows;
  double auroc = 0, mae = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string stem = "f" + std::to_string(fold) + "_img" + std::to_string(i);
    const double a = 0.6 + 0.01 * (i % 7) + shift + 0.002 * ((i * 3 + seed) % 5) + (i % 2 ? mae_wobble : -mae_wobble) / 10;
    const double m = 0.2 + 0.005 * (i % 3) + (i % 2 ? mae_wobble : -mae_wobble);
    rows.push_back({id, "synthetic", "none", stem, "AUROC", "pysodmetrics", a});
    rows.push_back({id, "synthetic", "none", stem, "MAE", "pysodmetrics", m});
    rows.push_back({id, "synthetic", "none", stem, "maxF", "pysodmetrics", 0.5 + shift});
    auroc += a / 20;
    mae += m / 20;
  }
  s.add_per_image(rows);
  s.add_results({{id, "synthetic", "none", "AUROC", "pysodmetrics", auroc},
                 {id, "synthetic", "none", "MAE", "pysodmetrics", mae},
                 {id, "synthetic", "none", "maxF", "pysodmetrics", 0.9 + shift}});
  s.set_status(id, store::kStatusCompleted);
}

config::Experiment load(const std::string& text) {
  config::LoadOptions o;
  o.profile = "smoke";
  return config::load_experiment_text(text, "paired.toml", o);
}

}  // namespace

TEST_CASE("paired table: Δ, interval, † and Holm against the reference row", "[report][paired]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  std::vector<report::TableRun> planned;
  for (int fold = 0; fold < 2; ++fold)
    for (int seed = 0; seed < 2; ++seed) {
      const std::string k = std::to_string(fold) + std::to_string(seed);
      add_run(db, "g" + k, "good", fold, seed, 0.05, 0.0);
      add_run(db, "s" + k, "same", fold, seed, 0.0, 0.01);
      add_run(db, "b" + k, "base", fold, seed, 0.0, 0.0);
      planned.push_back({"good", "g" + k});
      planned.push_back({"same", "s" + k});
      planned.push_back({"base", "b" + k});
    }
  const auto ex = load(kPairedSpec);
  CHECK(ex.table.reference == "base");
  CHECK(ex.table.resamples == 500);
  CHECK(ex.table.bootstrap_seed == 3);
  const auto t = report::build_table(ex.table, ex.info.name, "", "smoke", planned, db);
  REQUIRE(t.paired);
  const auto& good = t.rows[0].cells[0];
  REQUIRE(good.paired);
  // 2 folds × 20 images, 2 seeds each: 80 units, 40 images, 4 run pairs.
  CHECK(good.paired->units == 80);
  CHECK(good.paired->images == 40);
  CHECK(good.paired_runs == 4);
  CHECK(good.paired->difference == Approx(0.05).margin(1e-12));
  CHECK(good.paired->significant());
  CHECK(good.paired->resamples == 500);
  CHECK(good.paired->wilcoxon.p < 1e-6);
  // "Same": MAE differs by ±0.01 alternately, mean 0: the interval covers 0.
  const auto& same_mae = t.rows[1].cells[1];
  REQUIRE(same_mae.paired);
  CHECK(same_mae.paired->difference == Approx(0.0).margin(1e-12));
  CHECK_FALSE(same_mae.paired->significant());
  // Holm over the two compared rows of a column: the smaller p doubled, the larger kept (>= it).
  const double p0 = t.rows[0].cells[0].paired->wilcoxon.p, p1 = t.rows[1].cells[0].paired->wilcoxon.p;
  REQUIRE(p0 < p1);
  CHECK(t.rows[0].cells[0].paired->p_holm == Approx(2 * p0));
  CHECK(t.rows[1].cells[0].paired->p_holm == Approx(std::max(2 * p0, p1)));
  // The reference row and the published row have none; the reference is marked.
  CHECK_FALSE(t.rows[2].cells[0].paired);
  CHECK(t.rows[2].cells[0].is_reference);
  CHECK_FALSE(t.rows[3].cells[0].paired);
  // maxF's per-image values do not average to its dataset value: no statistics, said why.
  CHECK_FALSE(t.rows[0].cells[2].paired);
  CHECK(t.unpaired_why[2].find("do not average") != std::string::npos);

  const std::string md = report::render_markdown(t);
  INFO(md);
  const auto good_line = md.substr(md.find("| Good |"), md.find('\n', md.find("| Good |")) - md.find("| Good |"));
  CHECK(good_line.find(" ± 0.000 (n=4) Δ +0.050 [+0.0") != std::string::npos);
  CHECK(md.find("]†") != std::string::npos);
  CHECK(md.find(" ± 0.000 (n=4) (reference) |") != std::string::npos);
  CHECK(md.find("Δ = row − reference row (Base)") != std::string::npos);
  CHECK(md.find("500 resamples, seed 3); † = the interval excludes 0") != std::string::npos);
  CHECK(md.find("maxF synthetic: no paired statistics") != std::string::npos);
  CHECK(md.find("one run per row") == std::string::npos);  // 4 run pairs
  // The "Same" MAE cell has Δ but no †.
  const auto same_line = md.substr(md.find("| Same |"), md.find('\n', md.find("| Same |")) - md.find("| Same |"));
  CHECK(same_line.find("(n=4) Δ ") != std::string::npos);
  CHECK(same_line.find(" [-0.00") != std::string::npos);
  CHECK(same_line.find("†") == std::string::npos);

  const std::string csv = report::render_csv(t);
  INFO(csv);
  CHECK(csv.find(",in_profile,reference,units,images,run_pairs,difference,ci_low,ci_high,level,p_wilcoxon,p_holm,test,"
                 "resamples,bootstrap_seed,significant\n") != std::string::npos);
  CHECK(csv.find("smoke,Good,good,synthetic,synthetic,AUROC,pysodmetrics,none,4,4,") != std::string::npos);
  CHECK(csv.find(",1,base,80,40,4,0.05") != std::string::npos);
  CHECK(csv.find(",normal,500,3,1\n") != std::string::npos);  // 40 images with ties: normal approximation

  const std::string tex = report::render_latex(t);
  CHECK(tex.find("^{\\dagger}$") != std::string::npos);
  CHECK(tex.find("ref.)") != std::string::npos);
  CHECK(tex.find("$^{\\dagger}$: the 95\\% paired bootstrap interval") != std::string::npos);
  const std::string html = report::html::paper_table(t);
  CHECK(html.find("]†</td>") != std::string::npos);
  CHECK(html.find("Δ = row − reference row (Base)") != std::string::npos);

  // The same seed gives the same interval; another seed another.
  const auto t2 = report::build_table(ex.table, ex.info.name, "", "smoke", planned, db);
  CHECK(t2.rows[0].cells[0].paired->interval.lo == good.paired->interval.lo);
}

TEST_CASE("paired table: one run per row works over images and says so, per-row references", "[report][paired]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  add_run(db, "g", "good", -1, 0, 0.05, 0.0);
  add_run(db, "s", "same", -1, 0, 0.0, 0.01);
  add_run(db, "b", "base", -1, 0, 0.0, 0.0);
  const std::vector<report::TableRun> planned{{"good", "g"}, {"same", "s"}, {"base", "b"}};
  std::string spec = kPairedSpec;
  spec.replace(spec.find("resamples = 500\n"), 16, "");
  // "Same" is compared with "Good" instead; no table-wide reference.
  spec.replace(spec.find("reference = \"base\"\n"), 19, "");
  spec.replace(spec.find("label = \"Same\"\n"), 15, "label = \"Same\"\nreference = \"good\"\n");
  const auto ex = load(spec);
  const auto t = report::build_table(ex.table, ex.info.name, "", "smoke", planned, db);
  REQUIRE(t.rows[1].cells[0].paired);
  CHECK(t.rows[1].cells[0].paired->difference == Approx(-0.05).margin(1e-9));
  CHECK(t.rows[1].cells[0].paired->images == 20);
  CHECK_FALSE(t.rows[0].cells[0].paired);  // Good has no reference of its own
  CHECK(t.rows[0].cells[0].is_reference);
  const std::string md = report::render_markdown(t);
  CHECK(md.find("one run per row: the paired statistics are over the test images of that run") != std::string::npos);
  CHECK(t.resamples == 2000);  // the default, recorded
}

TEST_CASE("paired table: the reference is checked by the schema, errors name the key", "[report][paired][config]") {
  std::string bad = kPairedSpec;
  bad.replace(bad.find("reference = \"base\""), 18, "reference = \"bsae\"");
  CHECK_THROWS_AS(load(bad), InputError);
  CHECK_THROWS_WITH(load(bad), Catch::Contains("paired.toml:") && Catch::Contains("table.reference") &&
                                   Catch::Contains("'bsae'") && Catch::Contains("good, same, base"));
  std::string row = kPairedSpec;
  row.replace(row.find("label = \"Same\"\n"), 15, "label = \"Same\"\nreference = \"nope\"\n");
  CHECK_THROWS_WITH(load(row), Catch::Contains("table.rows[1].reference"));
  std::string typo = kPairedSpec;
  typo.replace(typo.find("reference = \"base\""), 18, "referenc = \"base\"");
  CHECK_THROWS_WITH(load(typo), Catch::Contains("referenc") && Catch::Contains("did you mean"));
  std::string resamples = kPairedSpec;
  resamples.replace(resamples.find("resamples = 500"), 15, "resamples = 0");
  CHECK_THROWS_WITH(load(resamples), Catch::Contains("table.resamples"));
  std::string none = kPairedSpec;
  none.replace(none.find("label = \"Good\"\n"), 15, "label = \"Good\"\nreference = \"none\"\n");
  CHECK(load(none).table.reference_of(load(none).table.rows[0]).empty());
}

TEST_CASE("rank_rows: best first by the first metric column's direction, notes travel, best marked", "[report][paired]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  add_run(db, "g", "good", -1, 0, 0.05, 0.0);
  add_run(db, "s", "same", -1, 0, 0.0, 0.01);
  add_run(db, "b", "base", -1, 0, -0.02, 0.0);
  const std::vector<report::TableRun> planned{{"good", "g"}, {"same", "s"}, {"base", "b"}};
  std::string spec = kPairedSpec;
  spec.replace(spec.find("label = \"Same\"\n"), 15, "label = \"Same\"\nnote = \"same note\"\n");
  const auto ex = load(spec);
  auto t = report::build_table(ex.table, ex.info.name, "", "smoke", planned, db);
  // AUROC (higher is better): good 0.05 above base + 0.02, same 0.02 above base.
  std::swap(t.rows[0], t.rows[2]);  // any order in
  std::swap(t.row_notes[0], t.row_notes[2]);
  std::swap(t.published_notes[0], t.published_notes[2]);
  report::rank_rows(t);
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0].label == "Good");
  CHECK(t.rows[0].best);
  CHECK(t.rows[1].label == "Same");
  CHECK(t.row_notes[1] == "same note");
  CHECK(t.rows[2].label == "Base");
  CHECK(t.rows[3].label == "Published");  // published-only rows stay last
  CHECK_FALSE(t.rows[1].best);
  const std::string md = report::render_markdown(t);
  CHECK(md.find("| Good (best) | ") != std::string::npos);
  CHECK(md.find("| Same [1] | ") != std::string::npos);
  CHECK(md.find("rows sorted by AUROC synthetic, best first") != std::string::npos);
  // A lower-is-better first column sorts the other way.
  std::string lower = kPairedSpec;
  lower.replace(lower.find("columns = [{ dataset = \"synthetic\", metric = \"AUROC\" },"), 55,
                "columns = [{ dataset = \"synthetic\", metric = \"AUROC\", better = \"lower\" },");
  auto tl = report::build_table(load(lower).table, ex.info.name, "", "smoke", planned, db);
  report::rank_rows(tl);
  CHECK(tl.rows[0].label == "Base");
}
