#include <catch2/catch.hpp>

#include <cmath>

#include "config/experiment.h"
#include "core/error.h"
#include "report/html.h"
#include "report/paper_table.h"
#include "report/run_page.h"
#include "store/results_store.h"
#include "support/shared_data.h"

using namespace sodlab;

namespace {

const std::string kSpec = R"([experiment]
name = "kolkin2017/table4"
reproduces = "Kolkin et al. 2017, Table 4"
[data]
train = { dataset = "msra-b" }
test = [{ dataset = "msra-b" }]
[model]
name = "szn"
[loss]
name = "cross_entropy"
[[train.stages]]
epochs = 1
[variants.proposed]
loss = { name = "af_fbeta_w" }
[variants.no_A]
loss = { name = "af_fbeta_w", use_A = false }
[profiles.smoke]
table.datasets = { msra-b = "synthetic" }
[table]
title = "Objective function comparison"
columns = [{ dataset = "msra-b", metric = "auroc", label = "AUROC" },
           { dataset = "msra-b", metric = "mae", label = "MAE", better = "lower", digits = 2 }]
[[table.rows]]
variant = "proposed"
label = "Proposed"
published = [0.988, "-"]
[[table.rows]]
variant = "no_A"
label = "Proposed, no A"
published = [0.976, 0.1]
[[table.rows]]
label = "DCL [16]"
published = [0.968, 0.05]
)";

void add_run(store::ResultsStore& s, const std::string& id, const std::string& variant, int seed,
             int fold, double auroc, double mae, const std::string& status = "completed",
             const std::string& dataset = "synthetic", const std::string& profile = "smoke") {
  store::RunRecord r;
  r.run_id = id;
  r.experiment = "kolkin2017/table4";
  r.variant = variant;
  r.profile = profile;
  r.seed = seed;
  r.fold = fold;
  r.config_toml = "x";
  s.begin_run(r);
  s.add_results({{id, dataset, "none", "auroc", "pysodmetrics", auroc},
                 {id, dataset, "none", "mae", "pysodmetrics", mae},
                 {id, dataset, "awgn:0.1", "auroc", "pysodmetrics", 0.0},
                 {id, dataset, "none", "auroc", "sal_eval_toolbox", 0.0}});
  s.set_status(id, status);
}

}  // namespace

TEST_CASE("report: paper table of the planned runs, mean ± std over seeds and folds") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  // proposed plans p1, p2, p3 and p4; p4 failed and p5 is not in the store: "3 of 5 runs".
  // px and p1b (other configs of the same variant: other overrides, another profile) are in the
  // store but not planned, so they never enter the table.
  add_run(db, "p1", "proposed", 1, 0, 0.70, 0.2);
  add_run(db, "p2", "proposed", 2, 0, 0.90, 0.3);
  add_run(db, "p3", "proposed", 1, 1, 0.80, 0.1);
  add_run(db, "p4", "proposed", 3, 0, 0.00, 0.0, "failed");
  add_run(db, "p1b", "proposed", 1, 0, 0.10, 0.5);
  add_run(db, "px", "proposed", 9, 0, 0.0, 0.0, "completed", "synthetic", "small");
  add_run(db, "a1", "no_A", 1, 0, 0.95, 0.25);
  const std::vector<report::TableRun> planned{
      {"proposed", "p1"}, {"proposed", "p2"}, {"proposed", "p3"}, {"proposed", "p4"},
      {"proposed", "p5"}, {"no_A", "a1"}};

  config::LoadOptions o;
  o.profile = "smoke";
  const auto ex = config::load_experiment_text(kSpec, "t.toml", o);
  const auto t = report::build_table(ex.table, ex.info.name, ex.info.reproduces, "smoke", planned, db);
  REQUIRE(t.rows.size() == 3);
  REQUIRE(t.store_datasets == std::vector<std::string>{"synthetic", "synthetic"});
  const auto& p = t.rows[0];
  CHECK(p.runs == 3);
  CHECK(p.planned == 5);
  CHECK(p.cells[0].n == 3);
  // values 0.70, 0.90, 0.80: mean 0.8, sample std 0.1
  CHECK(p.cells[0].mean == Approx(0.8));
  CHECK(p.cells[0].std == Approx(0.1));
  // 0.2, 0.3, 0.1
  CHECK(p.cells[1].mean == Approx(0.2));
  CHECK(p.cells[1].std == Approx(0.1));
  CHECK(*p.cells[0].published == Approx(0.988));
  CHECK(!p.cells[1].published);
  CHECK(t.rows[1].cells[0].n == 1);
  CHECK(t.rows[1].planned == 1);
  CHECK(t.rows[1].cells[0].std == 0);
  CHECK(t.rows[2].runs == 0);
  CHECK(t.rows[2].cells[1].n == 0);

  const std::string md = report::render_markdown(t);
  INFO(md);
  CHECK(md.find("(profile: smoke)") != std::string::npos);
  CHECK(md.find("| Proposed | 0.800 ± 0.100 (3 of 5 runs) | 0.988 | 0.20 ± 0.10 (3 of 5 runs) | – |") !=
        std::string::npos);
  CHECK(md.find("| Proposed, no A | 0.950 (n=1) | 0.976 | 0.25 (n=1) | 0.10 |") != std::string::npos);
  CHECK(md.find("| DCL [16] (published) |  | 0.968 |  | 0.05 |") != std::string::npos);
  CHECK(md.find("our dataset synthetic") != std::string::npos);

  // The HTML shows the same cells (escaped), ours and the paper's apart, published-only rows marked.
  const std::string html = report::html::paper_table(t);
  INFO(html);
  CHECK(html.find("<tr><td>Proposed</td><td class=\"num ours\">0.800 ± 0.100 (3 of 5 runs)</td>"
                  "<td class=\"num paper-value\">0.988</td>") != std::string::npos);
  CHECK(html.find("<tr class=\"published\"><td>DCL [16] (published)</td>") != std::string::npos);
  CHECK(html.find("<li>profile: smoke; ours = mean ± sample std") != std::string::npos);

  const std::string tex = report::render_latex(t);
  CHECK(tex.find("$0.800 \\pm 0.100$ {\\scriptsize (3 of 5)}") != std::string::npos);
  CHECK(tex.find("DCL [16] &  & 0.968") != std::string::npos);

  const std::string csv = report::render_csv(t);
  INFO(csv);
  CHECK(csv.find("smoke,Proposed,proposed,msra-b,synthetic,auroc,pysodmetrics,none,3,5,0.") != std::string::npos);
  CHECK(csv.find(",0.988,1,,") != std::string::npos);  // published, in_profile, no reference
  CHECK(csv.find("smoke,DCL [16],,msra-b,synthetic,mae,pysodmetrics,none,0,0,,,0.05") != std::string::npos);

  // Without the profile's dataset mapping the store has nothing for msra-b.
  const auto base = config::load_experiment_text(kSpec, "t.toml");
  const auto t2 = report::build_table(base.table, base.info.name, "", "smoke", planned, db);
  CHECK(t2.rows[0].cells[0].n == 0);
  CHECK(report::render_markdown(t2).find("| Proposed | – (0 of 5 runs) | 0.988 |") != std::string::npos);

  config::TableSpec empty;
  CHECK_THROWS_AS(report::build_table(empty, "x", "", "smoke", planned, db), InputError);
}

TEST_CASE("report: scientific notation, '|' inside cells, and rows of ours only in the metrics layout") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  add_run(db, "p1", "proposed", 1, 0, 1.2345e-9, 0.2);
  add_run(db, "a1", "no_A", 1, 0, 0.5, 0.25);
  std::string spec = kSpec;
  spec.replace(spec.find("label = \"AUROC\" }"), 17, "label = \"max |g|\", notation = \"sci\", digits = 2 }");
  spec.replace(spec.find("published = [0.976, 0.1]"), 24, "");  // no_A: ours only
  spec.replace(spec.find("title = "), 0, "layout = \"metrics\"\n");
  config::LoadOptions o;
  o.profile = "smoke";
  const auto ex = config::load_experiment_text(spec, "t.toml", o);
  const auto t = report::build_table(ex.table, ex.info.name, "", "smoke", {{"proposed", "p1"}, {"no_A", "a1"}}, db);
  const std::string md = report::render_markdown(t);
  INFO(md);
  // Header: Proposed has published values (ours + paper), no_A none (ours only), DCL (paper only).
  CHECK(md.find("| Dataset, metric | Proposed (ours) | Proposed (paper) | Proposed, no A (ours) | DCL [16] (paper) |") !=
        std::string::npos);
  CHECK(md.find("| max \\|g\\| msra-b→synthetic | 1.23E-09 (n=1) | 9.88E-01 | 5.00E-01 (n=1) | 9.68E-01 |") !=
        std::string::npos);
  CHECK(report::render_latex(t).find("$1.23E-09$") != std::string::npos);
}

TEST_CASE("report: HTML escaping, run page names and parameter values") {
  CHECK(report::html::escape("<a href=\"x\">R&D's</a>") == "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;");
  CHECK(report::run_page_name("eval-0123abcd") == "eval-0123abcd.html");
  CHECK(report::run_page_name("a/b c") == "a_b_c.html");
  CHECK(report::param_text(OptionValue{0.3}) == "0.3");
  CHECK(report::param_text(OptionValue{std::int64_t{9}}) == "9");
  const std::string page = report::html::page("t <1>", "<p>x</p>", "../");
  CHECK(page.find("<title>t &lt;1&gt;</title>") != std::string::npos);
  CHECK(page.find("href=\"../index.html\"") != std::string::npos);
  CHECK(page.find("http") == std::string::npos);  // nothing from elsewhere
}

TEST_CASE("report: a run page shows the run's tags and notes") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  add_run(db, "p1", "proposed", 1, 0, 0.7, 0.2);
  CHECK(report::run_page(db, "p1").find("tags:") == std::string::npos);
  db.add_tags("p1", {"best"});
  db.add_note("p1", "lr <too> high");
  const std::string page = report::run_page(db, "p1");
  CHECK(page.find("tags: <code>best</code>") != std::string::npos);
  CHECK(page.find("<h2>Notes</h2>") != std::string::npos);
  CHECK(page.find("lr &lt;too&gt; high") != std::string::npos);
}
