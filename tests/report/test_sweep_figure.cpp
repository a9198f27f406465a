// The sweep figure (issue 28 §3): every point's parameters against the headline metric, failed,
// missing, collapsed and identical points marked, not hidden; the PNG exists and decodes.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.h"
#include "metrics/gray_image_reader.h"
#include "report/sweep_figure.h"
#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/tiny_experiment.h"

using namespace sodlab;

namespace {

void add_run(store::ResultsStore& s, const std::string& id, const std::string& variant, double wfm, double auroc,
             const std::string& status = store::kStatusCompleted) {
  store::RunRecord r;
  r.run_id = id;
  r.experiment = "ablations/demo";
  r.variant = variant;
  r.profile = "smoke";
  r.config_toml = "x";
  s.begin_run(r);
  s.add_results({{id, "synthetic", "none", "wFm", "pysodmetrics", wfm},
                 {id, "synthetic", "none", "AUROC", "pysodmetrics", auroc}});
  s.set_status(id, status);
}

int blocks(const std::string& text) {  // polylines: point comment lines
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.rfind("# point ", 0) == 0;
  return n;
}

}  // namespace

TEST_CASE("sweep figure: statuses, means, marginals, and a PNG that decodes", "[report][sweep]") {
  sodlab::testing::TempDir dir;
  store::ResultsStore db((dir.path() / "r.db").string());
  // Six points of theta × kernel: two seeds each where run.
  add_run(db, "a1", "p1", 0.30, 0.80);
  add_run(db, "a2", "p1", 0.34, 0.82);
  add_run(db, "b1", "p2", 0.40, 0.85);
  add_run(db, "c1", "p3", 0.20, 0.50);            // constant maps
  add_run(db, "d1", "p4", 0.0, 0.0, store::kStatusFailed);
  add_run(db, "e1", "p5", 0.40, 0.85);            // the same results as p2, run for run
  // p6: planned, never run.
  report::SweepFigureRequest r;
  r.title = "demo sweep";
  r.keys = {"loss.theta", "loss.kernel"};
  r.points = {{"p1", {"5", "gaussian"}, {"a1", "a2"}}, {"p2", {"9", "gaussian"}, {"b1"}},
              {"p3", {"13", "box"}, {"c1"}},          {"p4", {"5", "box"}, {"d1"}},
              {"p5", {"13", "gaussian"}, {"e1"}},     {"p6", {"9", "box"}, {"f1"}}};
  r.metric = {"synthetic", "none", "wFm", "pysodmetrics"};
  r.metric_label = "F^w";
  const report::SweepFigure f = report::build_sweep_figure(r, db);
  REQUIRE(f.points.size() == 6);
  CHECK(f.points[0].status == "ok");
  CHECK(*f.points[0].metric == Approx(0.32));
  CHECK(f.points[0].completed == 2);
  CHECK(f.points[1].status == "ok");
  CHECK(f.points[2].status.rfind("collapsed", 0) == 0);
  CHECK(f.points[3].status == "failed");
  CHECK_FALSE(f.points[3].metric);
  CHECK(f.points[4].status == "identical to p2");
  CHECK(f.points[5].status == "missing");

  const std::string data = report::sweep_figure_data(f);
  INFO(data);
  CHECK(blocks(data) == 6);  // every point drawn
  CHECK(data.find("# point p4: failed") != std::string::npos);
  CHECK(data.find("# point p6: missing") != std::string::npos);
  // Marginal of loss.theta over the ok points: theta 5 → p1 (0.32), theta 9 → p2 (0.40).
  CHECK(data.find("5 0.32 0\n9 0.4 0\n") != std::string::npos);
  // Text axis: "gaussian" and "box" evenly spaced, the marginal at indices 0 (gaussian).
  CHECK(data.find("# loss.kernel: value, mean and sample std over the points with it\n0 ") != std::string::npos);
  const std::string gp = report::sweep_figure_script(f, "demo", "png");
  CHECK(gp.find("title 'failed / missing'") != std::string::npos);
  CHECK(gp.find("title 'collapsed / identical'") != std::string::npos);
  CHECK(gp.find("\"no value\" at 3,-0.1 ") != std::string::npos);  // below the metric axis (axis 3)
  CHECK(gp.find("set palette negative") == std::string::npos);  // higher is better

  CHECK_THROWS_AS(report::build_sweep_figure(report::SweepFigureRequest{}, db), InputError);

  if (std::system("gnuplot --version > /dev/null 2>&1") != 0) SODLAB_SKIP("gnuplot is not installed");
  const auto out = report::render_sweep_figure(f, (dir.path() / "plots").string(), "demo-sweep", "png");
  const cv::Mat png = metrics::read_gray(out.image);
  CHECK(png.cols == 1000);
  CHECK(png.rows == 420 + 300);  // the parallel coordinates and one row of two marginal panels
  CHECK(std::filesystem::exists(out.script));
  CHECK(std::filesystem::exists(out.data));
}

TEST_CASE("cli: sodlab plot --kind sweep draws a smoke sweep, and refuses a file without [sweep]", "[report][sweep][cli]") {
  if (!std::filesystem::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0) SODLAB_SKIP("gnuplot is not installed");
  sodlab::testing::TempDir dir;
  const std::string db = (dir.path() / "r.db").string(), spec = (dir.path() / "sweep.toml").string();
  std::ofstream(spec) << sodlab::testing::tiny_experiment("ablations/demo_sweep", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                                          R"({ dataset = "synthetic", n = 4, size = 64, seed = 5 })", "ce")
                      << "[sweep]\ngrid = { \"train.batch_size\" = [2, 4], \"data.input_size\" = [32, 64] }\n"
                         "[profiles.smoke]\n";
  const std::string common = " --db " + db + " --threads 1";
  auto sh = [](const std::string& args) {
    return std::system((sodlab::testing::sodlab_binary().string() + " " + args + " > /dev/null 2>&1").c_str());
  };
  REQUIRE(sh("run " + spec + " --profile smoke --runs-dir " + (dir.path() / "runs").string() + common) == 0);
  const std::string plots = (dir.path() / "plots").string();
  REQUIRE(sh("plot " + spec + " --kind sweep --profile smoke --out-dir " + plots + common) == 0);
  const auto png = std::filesystem::path(plots) / "smoke" / "ablations-demo_sweep-sweep.png";
  const cv::Mat image = metrics::read_gray(png);
  CHECK(image.cols == 1000);
  CHECK(image.rows == 720);
  std::ifstream in(std::filesystem::path(plots) / "smoke" / "ablations-demo_sweep-sweep.dat");
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(blocks(data) == 4);  // the four points
  // The sweep table: --sort ranks the points by the headline metric and marks the best; a point
  // as reference gives every other point the paired statistics; a reference that is no point: 2.
  std::string point;
  {
    store::ResultsStore s(db, store::OpenMode::read_only);
    point = s.runs().front().variant;
  }
  const std::string md = (dir.path() / "sweep.md").string();
  REQUIRE(sh("table " + spec + " --profile smoke --sort --set \"table.reference=" + point + "\" --out " + md + common) == 0);
  std::ifstream table_in(md);
  const std::string ranked((std::istreambuf_iterator<char>(table_in)), std::istreambuf_iterator<char>());
  INFO(ranked);
  CHECK(ranked.find(" (best) | ") != std::string::npos);
  CHECK(ranked.find("rows sorted by MAE synthetic, best first") != std::string::npos);
  CHECK(ranked.find("(reference)") != std::string::npos);
  CHECK(ranked.find("Δ = row − reference row (" + point + ")") != std::string::npos);
  CHECK(WEXITSTATUS(sh("table " + spec + " --profile smoke --set table.reference=nopoint" + common)) == 2);
  // --metric picks another metric; a file without [sweep] is refused.
  CHECK(sh("plot " + spec + " --kind sweep --metric AUROC --name by-auroc --profile smoke --out-dir " + plots + common) == 0);
  CHECK(std::filesystem::exists(std::filesystem::path(plots) / "smoke" / "by-auroc.png"));
  const std::string table = (dir.path() / "table.toml").string();
  std::ofstream(table) << sodlab::testing::tiny_experiment("demo/not_a_sweep", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                                           R"({ dataset = "synthetic", n = 4, size = 64, seed = 5 })", "ce")
                       << "[profiles.smoke]\n";
  CHECK(WEXITSTATUS(sh("plot " + table + " --kind sweep --profile smoke --out-dir " + plots + common)) == 2);
}
