// Figures: the data each kind draws from a small hand-made store (means over runs, marks,
// ranges), and gnuplot rendering: image, script and data written, PNG bytes stable across
// renders, and a missing or failing gnuplot gives a clear error and leaves no image.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "report/figure.h"
#include "report/gnuplot.h"
#include "store/results_store.h"
#include "support/shared_data.h"

namespace fs = std::filesystem;
using namespace sodlab;

namespace {

// Two folds of "a" (curves P = 1 - t, R = t ... offset by fold) and one of "b", on dataset "sod";
// adpF at three AWGN levels; two stages of epochs.
void fill(store::ResultsStore& db) {
  auto add = [&](const std::string& id, const std::string& variant, int fold, double offset) {
    store::RunRecord r;
    r.run_id = id;
    r.experiment = "demo/fig";
    r.variant = variant;
    r.fold = fold;
    r.config_toml = "x";
    db.begin_run(r);
    std::vector<store::CurvePoint> c;
    for (int t = 0; t <= 255; t += 51) {
      const double x = t / 255.0;
      c.push_back({id, "sod", "none", "P", t, x, 1.0 - x * 0.5 + offset});
      c.push_back({id, "sod", "none", "R", t, x, 1.0 - x});
      c.push_back({id, "sod", "none", "F", t, x, 0.5 + 0.2 * x * (1 - x) + offset});
      if (variant == "a") {  // IoU, Dice, TPR and FPR for "a" only
        c.push_back({id, "sod", "none", "confusion_iou", t, x, 0.4 + 0.3 * x * (1 - x) + offset});
        c.push_back({id, "sod", "none", "confusion_dice", t, x, 0.6 + 0.2 * x * (1 - x) + offset});
        c.push_back({id, "sod", "none", "TPR", t, x, 1.0 - x * x});
        c.push_back({id, "sod", "none", "FPR", t, x, (1.0 - x) * (1.0 - x) * (1 - offset)});
      }
    }
    db.add_curves(c);
    db.add_results({{id, "sod", "none", "adpP", "pysodmetrics", 0.8 + offset},
                    {id, "sod", "none", "adpR", "pysodmetrics", 0.6},
                    {id, "sod", "none", "adpF", "pysodmetrics", 0.7 + offset},
                    {id, "sod", "awgn_s10", "adpF", "pysodmetrics", 0.6 + offset},
                    {id, "sod", "awgn_s50", "adpF", "pysodmetrics", 0.4 + offset},
                    {id, "sod", "awgn_U5-50", "adpF", "pysodmetrics", 0.5},
                    {id, "sod", "none", "AUROC_curve256", "pysodmetrics", 0.8 + offset}});
    db.add_epoch({id, "s1", 1, 0.9, std::nullopt, 1e-3, 1.0});
    db.add_epoch({id, "s1", 2, 0.8, std::nullopt, 1e-3, 1.0});
    db.add_epoch({id, "s2", 1, 0.7, 0.75, 1e-4, 1.0});
    db.set_status(id, store::kStatusCompleted);
  };
  add("a0", "a", 0, 0.0);
  add("a1", "a", 1, 0.1);
  add("b0", "b", 0, -0.2);
}

report::FigureRequest request(const std::string& kind) {
  report::FigureRequest r;
  r.kind = kind;
  r.title = "demo/fig: " + kind;
  r.runs = {{"a", "a0", {"sod"}}, {"a", "a1", {"sod"}}, {"b", "b0", {"sod"}}, {"a", "missing", {"sod"}}};
  r.labels = {{"a", "Method A"}, {"b", "Method B"}};
  return r;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool have_gnuplot() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("figures: each kind draws the means over runs, with marks and fitted ranges", "[report][plot]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  fill(db);
  const report::Figure pr = report::build_figure(request("pr"), db);
  REQUIRE(pr.panels.size() == 1);
  const report::Panel& p = pr.panels[0];
  REQUIRE(p.series.size() == 2);
  CHECK(p.series[0].label == "Method A (mean of 2 runs)");
  CHECK(p.series[1].label == "Method B");
  REQUIRE(p.series[0].xy.size() == 6);
  // t = 0: R = 1, P = mean(1, 1.1) = 1.05.
  CHECK(p.series[0].xy[0].first == Approx(1.0));
  CHECK(p.series[0].xy[0].second == Approx(1.05));
  // Marks: the max of the mean F curve (at t = 102 or 153, F = 0.548 + 0.05) and adaptive (0.6, 0.85).
  REQUIRE(p.series[0].marks.size() == 2);
  CHECK(p.series[0].marks[1].label == "adaptive");
  CHECK(p.series[0].marks[1].x == Approx(0.6));
  CHECK(p.series[0].marks[1].y == Approx(0.85));
  CHECK(p.series[0].marks[0].label.rfind("max F 0.59", 0) == 0);
  // Ranges fit the data: y from 0.3 (b at t = 255: 1 - 0.5 - 0.2) to 1.05 (a at t = 0), with a margin.
  CHECK(p.ymin < 0.3);
  CHECK(p.ymin > 0.2);
  CHECK(p.ymax > 1.05);
  CHECK(p.ymax < 1.1);

  const report::Figure f = report::build_figure(request("fmeasure"), db);
  CHECK(f.panels[0].xlabel == "threshold");
  CHECK(f.panels[0].series[0].xy.back().first == Approx(1.0));

  const report::Figure d = report::build_figure(request("distortion"), db);
  REQUIRE(d.panels[0].series.size() == 2);
  const auto& a = d.panels[0].series[0].xy;  // none → σ 0; the random strength has no level
  REQUIRE(a.size() == 3);
  CHECK(a[0].first == 0);
  CHECK(a[0].second == Approx(0.75));
  CHECK(a[1].first == 10);
  CHECK(a[2].first == 50);
  CHECK(a[2].second == Approx(0.45));

  const report::Figure t = report::build_figure(request("training"), db);
  REQUIRE(t.panels.size() == 2);  // one per variant
  CHECK(t.panels[0].vlines == std::vector<double>{2.5});  // stage s2 starts at epoch 3
  // Per run: train loss, and the validation loss where recorded (dashed).
  REQUIRE(t.panels[0].series.size() == 4);
  CHECK(t.panels[0].series[1].dashed);
  CHECK(t.panels[0].series[1].xy.size() == 1);

  // Nothing to draw names what is missing.
  try {
    report::build_figure(request("emeasure"), db);
    FAIL("E curves drawn from nothing");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("metric family em") != std::string::npos);
  }
  CHECK_THROWS_AS(report::build_figure(request("nosuch"), db), InputError);
  report::FigureRequest none = request("pr");
  none.runs = {{"a", "missing", {"sod"}}};
  CHECK_THROWS_AS(report::build_figure(none, db), InputError);
}

TEST_CASE("figures: IoU, Dice and ROC curves (PySODEvalToolkit --mode iou|dice, ROC), variants without them left out",
          "[report][plot]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  fill(db);
  for (const std::string kind : {"iou", "dice"}) {
    INFO(kind);
    const report::Figure f = report::build_figure(request(kind), db);
    REQUIRE(f.panels.size() == 1);
    const report::Panel& p = f.panels[0];
    CHECK(p.xlabel == "threshold");
    CHECK(p.ylabel == (kind == "iou" ? "IoU" : "Dice"));
    REQUIRE(p.series.size() == 1);  // "b" has no such curve: left out and listed
    CHECK(p.series[0].label == "Method A (mean of 2 runs)");
    REQUIRE(f.missing.size() == 1);
    CHECK(f.missing[0].rfind("Method B on sod: no confusion_", 0) == 0);
    REQUIRE(p.series[0].xy.size() == 6);
    CHECK(p.series[0].xy[0].first == 0);
    CHECK(p.series[0].xy[0].second == Approx(kind == "iou" ? 0.45 : 0.65));  // t = 0: mean of offsets 0, 0.1
    CHECK(p.series[0].xy.back().first == Approx(1.0));
    REQUIRE(p.series[0].marks.size() == 1);  // the max: at t = 102 or 153, x(1 - x) = 0.24
    CHECK(p.series[0].marks[0].y == Approx(kind == "iou" ? 0.45 + 0.3 * 0.24 : 0.65 + 0.2 * 0.24));
    CHECK(p.ymax > p.series[0].marks[0].y);
  }
  const report::Figure roc = report::build_figure(request("roc"), db);
  REQUIRE(roc.panels.size() == 1);
  const report::Panel& p = roc.panels[0];
  CHECK(p.xlabel == "false positive rate");
  CHECK(p.ylabel == "true positive rate");
  REQUIRE(p.series.size() == 1);
  CHECK(p.series[0].label == "Method A (mean of 2 runs), AUC 0.850");  // the mean AUROC_curve256
  const auto& xy = p.series[0].xy;
  REQUIRE(xy.size() == 6);
  CHECK(std::is_sorted(xy.begin(), xy.end()));  // ascending FPR
  CHECK(xy.front().first == Approx(0.0));       // t = 255: FPR 0, TPR 0
  CHECK(xy.front().second == Approx(0.0));
  CHECK(xy.back().first == Approx(0.95));       // t = 0: FPR mean(1, 0.9), TPR 1
  CHECK(xy.back().second == Approx(1.0));
  // The IoU curve of family iou stands in where the confusion-matrix one is missing.
  sodlab::testing::TempDir other;
  store::ResultsStore db2((other.path() / "r.db").string());
  store::RunRecord r;
  r.run_id = "c0", r.experiment = "demo/fig", r.variant = "a", r.fold = 0, r.config_toml = "x";
  db2.begin_run(r);
  db2.add_curves({{"c0", "sod", "none", "IoU", 0, 0.0, 0.3}, {"c0", "sod", "none", "IoU", 255, 1.0, 0.2}});
  db2.set_status("c0", store::kStatusCompleted);
  report::FigureRequest q = request("iou");
  q.runs = {{"a", "c0", {"sod"}}};
  const report::Figure f = report::build_figure(q, db2);
  REQUIRE(f.panels.size() == 1);
  CHECK(f.panels[0].series[0].xy == std::vector<std::pair<double, double>>{{0.0, 0.3}, {1.0, 0.2}});
  CHECK_THROWS_AS(report::build_figure(request("roc"), db2), InputError);  // none of its runs there
}

TEST_CASE("figures: gnuplot renders PNG, SVG and PDF, keeps script and data, PNG bytes stable", "[report][plot]") {
  if (!have_gnuplot()) SODLAB_SKIP("gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)");
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  fill(db);
  const report::Figure pr = report::build_figure(request("pr"), db);
  const fs::path out = dir.path() / "plots";
  const report::Rendered r = report::render(pr, out.string(), "demo-pr", "png");
  CHECK(r.image == (out / "demo-pr.png").string());
  CHECK(fs::file_size(r.image) > 1000);
  CHECK(read(r.image).substr(1, 3) == "PNG");
  const std::string script = read(r.script);
  CHECK(script.find("\"demo-pr.dat\" index 0") != std::string::npos);  // relative: re-renderable
  CHECK(script.find(out.string()) == std::string::npos);
  CHECK(read(r.data).find("mark 'adaptive' of 'Method A (mean of 2 runs)'") != std::string::npos);
  const std::string first = read(r.image);
  report::render(pr, out.string(), "demo-pr", "png");
  CHECK(read(r.image) == first);
  CHECK_FALSE(fs::exists(out / "demo-pr.png.tmp"));
  // Re-running the kept script (as a user who restyled it would) writes the same image.
  REQUIRE(std::system(("cd '" + out.string() + "' && gnuplot demo-pr.gp 2>/dev/null").c_str()) == 0);
  CHECK(read(r.image) == first);
  for (const std::string format : {"svg", "pdf"}) {
    const report::Rendered v = report::render(pr, out.string(), "demo-pr", format);
    CHECK(fs::file_size(v.image) > 1000);
  }
  CHECK_THROWS_AS(report::render(pr, out.string(), "demo-pr", "gif"), InputError);
}

TEST_CASE("figures: gnuplot missing or failing is a clear error and leaves no image", "[report][plot]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  fill(db);
  const report::Figure f = report::build_figure(request("distortion"), db);
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  const fs::path bin = dir.path() / "bin";
  fs::create_directories(bin);
  setenv("PATH", bin.c_str(), 1);  // no gnuplot here
  try {
    report::render(f, (dir.path() / "a").string(), "fig", "png");
    FAIL("rendered without gnuplot");
  } catch (const RuntimeFailure& e) {
    CHECK(std::string(e.what()).find("gnuplot not found") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir.path() / "a" / "fig.png"));
  CHECK(fs::exists(dir.path() / "a" / "fig.gp"));  // kept, to render by hand
  // A gnuplot that fails: its message in the error, no image, an earlier image kept.
  std::ofstream(bin / "gnuplot") << "#!/bin/sh\necho 'line 3: unknown terminal' >&2\nexit 1\n";
  chmod((bin / "gnuplot").c_str(), 0755);
  std::ofstream(dir.path() / "a" / "fig.png") << "earlier";
  try {
    report::render(f, (dir.path() / "a").string(), "fig", "png");
    FAIL("a failing gnuplot rendered");
  } catch (const RuntimeFailure& e) {
    CHECK(std::string(e.what()).find("unknown terminal") != std::string::npos);
  }
  setenv("PATH", old_path.c_str(), 1);
  CHECK(read(dir.path() / "a" / "fig.png") == "earlier");
  CHECK_FALSE(fs::exists(dir.path() / "a" / "fig.png.tmp"));
}
