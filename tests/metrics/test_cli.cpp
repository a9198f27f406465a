// `sodlab eval` end to end: output files, exit codes on bad input.
#include <catch2/catch.hpp>

#include "support/shared_data.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>
#include <sys/wait.h>

namespace fs = std::filesystem;
using sodlab::testing::TempDir;

namespace {

int run(const std::string& args, const fs::path& log) {
  const std::string cmd = sodlab::testing::sodlab_binary().string() + " eval " + args + " > " +
                          log.string() + " 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_png(const fs::path& p, const cv::Mat& m) { REQUIRE(cv::imwrite(p.string(), m)); }

}  // namespace

TEST_CASE("sodlab eval writes JSON, per-image and curve files for a small folder pair") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  fs::create_directories(tmp.path() / "pred");
  fs::create_directories(tmp.path() / "gt");
  cv::Mat gt = cv::Mat::zeros(20, 30, CV_8UC1), pred = cv::Mat::zeros(20, 30, CV_8UC1);
  gt(cv::Rect(5, 5, 10, 8)) = 255;
  pred(cv::Rect(5, 5, 10, 8)) = 255;  // perfect map
  write_png(tmp.path() / "gt" / "a.png", gt);
  write_png(tmp.path() / "pred" / "a.png", pred);
  write_png(tmp.path() / "pred" / "extra.png", pred);  // unmatched: listed, not an error
  const fs::path log = tmp.path() / "log.txt";
  const int rc = run("--pred " + (tmp.path() / "pred").string() + " --gt " + (tmp.path() / "gt").string() +
                         " --json " + (tmp.path() / "r.json").string() + " --per-image " +
                         (tmp.path() / "p.csv").string() + " --curves " + (tmp.path() / "c.csv").string(),
                     log);
  INFO(slurp(log));
  REQUIRE(rc == 0);
  CHECK(slurp(log).find("unmatched prediction") != std::string::npos);
  CHECK(slurp(log).find("pysodmetrics") != std::string::npos);
  std::ifstream in(tmp.path() / "r.json");
  const auto j = nlohmann::json::parse(in);
  CHECK(j["convention"] == "pysodmetrics");
  CHECK(j["n_images"] == 1);
  CHECK(j["dataset"]["MAE"].get<double>() == 0.0);
  CHECK(j["dataset"]["maxF"].get<double>() == Approx(1.0).epsilon(1e-12));
  CHECK(j["dataset"]["wFm"].get<double>() == Approx(1.0).epsilon(1e-12));
  CHECK(j["per_image"]["a"]["AUROC"].get<double>() == 1.0);
  CHECK(j["curves"]["curve_F"].size() == 256);
  CHECK(slurp(tmp.path() / "p.csv").rfind("stem,", 0) == 0);
  CHECK(slurp(tmp.path() / "c.csv").rfind("threshold,", 0) == 0);
}

TEST_CASE("sodlab eval: bad input exits with code 2 and names the file") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path pred = tmp.path() / "pred", gt = tmp.path() / "gt", log = tmp.path() / "log.txt";
  fs::create_directories(pred);
  fs::create_directories(gt);
  write_png(gt / "a.png", cv::Mat::zeros(10, 10, CV_8UC1));
  write_png(pred / "a.png", cv::Mat::zeros(10, 12, CV_8UC1));
  const std::string dirs = "--pred " + pred.string() + " --gt " + gt.string();

  SECTION("size mismatch names both files; --resize accepts it") {
    CHECK(run(dirs, log) == 2);
    CHECK(slurp(log).find("a.png") != std::string::npos);
    CHECK(slurp(log).find("--resize") != std::string::npos);
    CHECK(run(dirs + " --resize", log) == 0);
  }
  SECTION("corrupt file") {
    std::ofstream(pred / "a.png") << "not a png";
    CHECK(run(dirs, log) == 2);
    CHECK(slurp(log).find((pred / "a.png").string()) != std::string::npos);
  }
  SECTION("unknown convention and metric, missing folder, no pairs") {
    CHECK(run(dirs + " --convention matlab", log) == 2);
    CHECK(slurp(log).find("sal_eval_toolbox") != std::string::npos);
    CHECK(run(dirs + " --metrics mae,fbeta", log) == 2);
    CHECK(run("--pred " + (tmp.path() / "nope").string() + " --gt " + gt.string(), log) == 2);
    fs::rename(pred / "a.png", pred / "b.png");
    CHECK(run(dirs + " --resize", log) == 2);
  }
}

TEST_CASE("sodlab eval --synthetic runs without external data and is thread-count independent") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path log = tmp.path() / "log.txt";
  REQUIRE(run("--synthetic 12 --threads 1 --json " + (tmp.path() / "a.json").string(), log) == 0);
  REQUIRE(run("--synthetic 12 --threads 3 --json " + (tmp.path() / "b.json").string(), log) == 0);
  std::ifstream a(tmp.path() / "a.json"), b(tmp.path() / "b.json");
  const auto ja = nlohmann::json::parse(a), jb = nlohmann::json::parse(b);
  CHECK(ja["dataset"] == jb["dataset"]);
  CHECK(ja["curves"] == jb["curves"]);
  CHECK(ja["n_images"] == 12);
}

TEST_CASE("sodlab eval stops OpenBLAS's idle thread instead of letting it spin") {
  // OpenCV core loads OpenBLAS, whose worker thread would spin in sched_yield for the whole run
  // (thousands of calls), taking CPU from the evaluator; runners/main.cpp shuts it down. Counted
  // with strace when it is installed and allowed to trace.
  if (!fs::exists(sodlab::testing::sodlab_binary()) || std::system("strace -V > /dev/null 2>&1") != 0) {
    SODLAB_SKIP("sodlab binary or strace not available");
  }
  TempDir tmp;
  const fs::path counts = tmp.path() / "strace.txt";
  const std::string cmd = "strace -f -c -e trace=sched_yield -o " + counts.string() + " " +
                          sodlab::testing::sodlab_binary().string() + " eval --synthetic 60 --threads 1 > " +
                          (tmp.path() / "log.txt").string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(counts)) {
    SODLAB_SKIP("strace could not trace sodlab here");
  }
  // strace -c: "% time  seconds  usecs/call  calls  errors  syscall"; no row when never called.
  long yields = 0;
  std::istringstream table(slurp(counts));
  for (std::string line; std::getline(table, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
    if (f.size() >= 5 && f.back() == "sched_yield") yields = std::stol(f[3]);
  }
  // Left spinning it yields about 6,000 times in this run; stopped in main(), up to ~100 times
  // (while the other libraries load, before main runs).
  INFO(slurp(counts));
  CHECK(yields < 1000);
}

TEST_CASE("sodlab eval compares methods on datasets: folders checked first, coverage, --strict, top three marked") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path root = tmp.path();
  // Two datasets of 3 masks; methods: perfect (the masks), shifted (worse), partial (2 of 3 maps
  // on "b"), each with a folder per dataset.
  for (const std::string d : {"a", "b"}) {
    for (const std::string m : {"perfect", "shifted", "partial"}) fs::create_directories(root / m / d);
    fs::create_directories(root / "gt" / d);
    for (int i = 0; i < 3; ++i) {
      cv::Mat gt = cv::Mat::zeros(24, 24, CV_8UC1), shifted = cv::Mat::zeros(24, 24, CV_8UC1);
      gt(cv::Rect(4 + i, 4, 10, 10)) = 255;
      shifted(cv::Rect(8 + i, 8, 10, 10)) = 200;
      const std::string name = "img" + std::to_string(i) + ".png";
      write_png(root / "gt" / d / name, gt);
      write_png(root / "perfect" / d / name, gt);
      write_png(root / "shifted" / d / name, shifted);
      if (d == "a" || i < 2) write_png(root / "partial" / d / name, shifted);
    }
  }
  const std::string preds = " --pred perfect=" + (root / "perfect").string() + " --pred shifted=" +
                            (root / "shifted").string() + " --pred partial=" + (root / "partial" / "{dataset}").string();
  const std::string gts = " --gt a=" + (root / "gt" / "a").string() + " --gt b=" + (root / "gt" / "b").string();
  const fs::path log = root / "log.txt";
  const int rc = run(preds + gts + " --metrics mae,fm --table " + (root / "t.md").string() + " --json " +
                         (root / "r.json").string(),
                     log);
  const std::string out = slurp(log);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("partial          b                     2 / 1 / 0") != std::string::npos);
  CHECK(out.find("warning: partial on b is evaluated on 2 of 3 masks") != std::string::npos);
  const std::string md = slurp(root / "t.md");
  CHECK(md.find("| Method | a MAE ↓ | a maxF ↑ | a adpF ↑ | b MAE ↓ | b maxF ↑ | b adpF ↑ |") != std::string::npos);
  CHECK(md.find("| perfect | **0.000** | **1.000** | **1.000** | **0.000** |") != std::string::npos);
  CHECK(md.find("† partial on b: evaluated on 2 of 3 masks only") != std::string::npos);
  std::ifstream in(root / "r.json");
  const auto j = nlohmann::json::parse(in);
  CHECK(j["provenance"]["convention"] == "pysodmetrics");
  CHECK(j["provenance"]["beta2"] == 0.3);
  CHECK(j["coverage"]["partial"]["b"]["masks_without_map"] == 1);
  CHECK(j["results"]["perfect"]["a"]["dataset"]["MAE"].get<double>() == 0.0);
  // --strict: a missing map is bad input; every missing folder is named at once.
  CHECK(run(preds + gts + " --strict", log) == 2);
  CHECK(slurp(log).find("partial on b: 1 mask(s) without a map") != std::string::npos);
  CHECK(run(" --pred x=" + (root / "nope").string() + " --pred y=" + (root / "nope2").string() + gts, log) == 2);
  const std::string missing = slurp(log);
  CHECK(missing.find("4 folder(s) not found") != std::string::npos);
  CHECK(missing.find("maps of y on b") != std::string::npos);
  // LaTeX: booktabs, the best in bold.
  REQUIRE(run(preds + gts + " --metrics mae --table " + (root / "t.tex").string(), log) == 0);
  const std::string tex = slurp(root / "t.tex");
  CHECK(tex.find("\\toprule") != std::string::npos);
  CHECK(tex.find("perfect & \\textbf{0.000}") != std::string::npos);
}

TEST_CASE("sodlab eval --plot draws PR, F, E, IoU, Dice and ROC curves, a panel per dataset and a line per method") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) SODLAB_SKIP("sodlab binary not built");
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0)
    SODLAB_SKIP("gnuplot is not installed (scripts/install-deps.sh installs gnuplot-nox)");
  TempDir tmp;
  const fs::path root = tmp.path();
  // Two datasets; a method whose maps are a blurred GT (a graded map: curves that vary with the
  // threshold) and one whose maps are shifted.
  for (const std::string d : {"a", "b"}) {
    for (const std::string m : {"gt", "blur", "shift", "few"}) fs::create_directories(root / m / d);
    for (int i = 0; i < 3; ++i) {
      cv::Mat gt = cv::Mat::zeros(40, 40, CV_8UC1), blur, shift = cv::Mat::zeros(40, 40, CV_8UC1);
      gt(cv::Rect(8 + 2 * i, 10, 16, 14)) = 255;
      cv::GaussianBlur(gt, blur, cv::Size(9, 9), 3);
      shift(cv::Rect(14 + 2 * i, 14, 16, 14)) = 180;
      const std::string name = "img" + std::to_string(i) + ".png";
      write_png(root / "gt" / d / name, gt);
      write_png(root / "blur" / d / name, blur);
      write_png(root / "shift" / d / name, shift);
      if (i == 0) write_png(root / "few" / d / name, blur);  // a method with one map of three
    }
  }
  const std::string args = " --pred blur=" + (root / "blur").string() + " --pred shift=" + (root / "shift").string() +
                           " --pred few=" + (root / "few").string() +
                           " --gt a=" + (root / "gt" / "a").string() + " --gt b=" + (root / "gt" / "b").string();
  const fs::path plots = root / "plots", log = root / "log.txt";
  const int rc = run(args + " --metrics fm,em,auroc,confusion_iou,confusion_dice --plot " + plots.string(), log);
  const std::string out = slurp(log);
  INFO(out);
  REQUIRE(rc == 0);
  const std::vector<std::pair<std::string, std::string>> kinds{
      {"pr", "recall"}, {"fmeasure", "threshold"}, {"emeasure", "threshold"},
      {"iou", "threshold"}, {"dice", "threshold"}, {"roc", "false positive rate"}};
  for (const auto& [kind, xlabel] : kinds) {
    INFO("kind " << kind);
    const fs::path png = plots / ("eval-" + kind + ".png");
    CHECK(out.find("wrote " + png.string()) != std::string::npos);
    const cv::Mat image = cv::imread(png.string(), cv::IMREAD_COLOR);  // decodes
    REQUIRE(!image.empty());
    CHECK(image.cols >= 400);
    CHECK(image.rows >= 300);
    cv::Mat grey;
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    CHECK(cv::countNonZero(grey < 128) > 500);  // axes, text and lines, not a blank page
    const std::string script = slurp(plots / ("eval-" + kind + ".gp"));
    CHECK(script.find(xlabel) != std::string::npos);
    const std::string data = slurp(plots / ("eval-" + kind + ".dat"));
    CHECK(data.find("line 'blur") != std::string::npos);  // a line per method
    CHECK(data.find("line 'shift") != std::string::npos);
  }
  CHECK(slurp(plots / "eval-roc.gp").find("true positive rate") != std::string::npos);
  CHECK(slurp(plots / "eval-dice.gp").find("Dice") != std::string::npos);
  CHECK(slurp(plots / "eval-roc.dat").find("AUC") != std::string::npos);
  CHECK(slurp(plots / "eval-dice.dat").find("line 'few (1 of 3 masks)") != std::string::npos);  // partial: said
  // Metrics without curves draw nothing, and say so; a bad format is bad input.
  fs::remove_all(plots);
  REQUIRE(run(args + " --metrics mae --plot " + plots.string(), log) == 0);
  CHECK(slurp(log).find("--plot: no roc figure") != std::string::npos);
  CHECK_FALSE(fs::exists(plots / "eval-roc.png"));
  CHECK(run(args + " --metrics fm --plot " + plots.string() + " --plot-format gif", log) == 2);
}

TEST_CASE("sodlab eval --config: prefix/suffix rules, per-dataset folders, the same numbers, --db records runs") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path root = tmp.path();
  for (const char* d : {"gt/a", "gt/b", "plain/a", "plain/b", "named/a", "named/b", "perfect/a", "elsewhere"})
    fs::create_directories(root / d);
  for (int i = 0; i < 3; ++i) {
    cv::Mat gt = cv::Mat::zeros(24, 24, CV_8UC1), shifted = cv::Mat::zeros(24, 24, CV_8UC1);
    gt(cv::Rect(4 + i, 4, 10, 10)) = 255;
    shifted(cv::Rect(7 + i, 6, 10, 10)) = 180;
    const std::string img = "img" + std::to_string(i);
    write_png(root / "gt/a" / (img + ".png"), gt);
    write_png(root / "gt/b" / ("gt_" + img + ".png"), gt);  // dataset b's masks carry a prefix
    write_png(root / "plain/a" / (img + ".png"), shifted);
    write_png(root / "plain/b" / (img + ".png"), shifted);
    write_png(root / "named/a" / ("m_" + img + "_sal.png"), shifted);
    write_png(root / "named/b" / ("m_" + img + "_sal.png"), shifted);
    write_png(root / "perfect/a" / (img + ".png"), gt);
    write_png(root / "elsewhere" / ("gt_" + img + ".png"), gt);
  }
  write_png(root / "named/a" / "notes.png", cv::Mat::zeros(24, 24, CV_8UC1));  // not a map of this method
  std::ofstream(root / "eval.toml") << R"([datasets.a]
masks = "gt/a"

[datasets.b]
masks = "gt/b"
prefix = "gt_"

[methods.named]
maps = "named/{dataset}"
prefix = "m_"
suffix = "_sal"

[methods.perfect]
maps = "perfect/{dataset}"
[methods.perfect.datasets.b]
maps = "elsewhere"
prefix = "gt_"
)";
  const fs::path log = root / "log.txt";
  const std::string db = (root / "results.db").string();
  const std::string cfg = " --config " + (root / "eval.toml").string() + " --metrics mae,fm,wfm --json " +
                          (root / "c.json").string() + " --db " + db;
  REQUIRE(run(cfg, log) == 0);
  const std::string out = slurp(log);
  INFO(out);
  CHECK(out.find("named            a                     3 / 0 / 1") != std::string::npos);  // notes.png
  CHECK(out.find("recorded named as run eval-") != std::string::npos);
  // The same maps under plain names, through --pred/--gt, give the same numbers.
  REQUIRE(run(" --pred plain=" + (root / "plain/a").string() + " --pred perfect=" + (root / "perfect/a").string() +
                  " --gt a=" + (root / "gt/a").string() + " --metrics mae,fm,wfm --json " + (root / "p.json").string(),
              log) == 0);
  std::ifstream cin(root / "c.json"), pin(root / "p.json");
  const auto c = nlohmann::json::parse(cin), p = nlohmann::json::parse(pin);
  for (const char* metric : {"MAE", "maxF", "wFm", "adpF"})
    CHECK(c["results"]["named"]["a"]["dataset"][metric] == p["results"]["plain"]["a"]["dataset"][metric]);
  CHECK(c["results"]["perfect"]["b"]["dataset"]["MAE"].get<double>() == 0.0);  // found elsewhere, with its prefix
  CHECK(c["results"]["named"]["b"]["dataset"]["MAE"] == c["results"]["named"]["a"]["dataset"]["MAE"]);
  // --db: one completed run per method, its results keyed like a trained run's.
  auto query = [&](const std::string& sql) {
    REQUIRE(std::system((sodlab::testing::sodlab_binary().string() + " query --db " + db + " --format csv \"" + sql +
                         "\" > " + (root / "q.csv").string() + " 2>&1")
                            .c_str()) == 0);
    return slurp(root / "q.csv");
  };
  CHECK(query("SELECT count(*) FROM runs WHERE experiment = 'eval' AND status = 'completed'") == "count(*)\n2\n");
  CHECK(query("SELECT variant, dataset FROM run_results WHERE metric = 'MAE' ORDER BY 1, 2") ==
        "variant,dataset\nnamed,a\nnamed,b\nperfect,a\nperfect,b\n");
  CHECK(query("SELECT count(*) FROM per_image WHERE metric = 'wFm'") == "count(*)\n12\n");
  REQUIRE(run(cfg, log) == 0);  // again: the same runs, rows replaced
  CHECK(query("SELECT count(*) FROM runs") == "count(*)\n2\n");
  CHECK(query("SELECT count(*) FROM per_image WHERE metric = 'wFm'") == "count(*)\n12\n");
  // Thresholds are on the maps' [0, 1] scale.
  const double t = c["results"]["perfect"]["a"]["dataset"]["maxF_threshold"].get<double>();
  CHECK(t >= 0.0);
  CHECK(t <= 1.0);
  // Config errors: file:line:column and the key; a dataset override naming no dataset.
  std::ofstream(root / "bad.toml") << "[datasets.a]\nmasks = \"gt/a\"\n[methods.x]\nmaps = \"named/a\"\nsufix = \"_sal\"\n";
  CHECK(run(" --config " + (root / "bad.toml").string(), log) == 2);
  CHECK(slurp(log).find("bad.toml:5:1: methods.x.sufix: unknown key (did you mean 'methods.x.suffix'?)") != std::string::npos);
  std::ofstream(root / "bad2.toml") << "[datasets.a]\nmasks = \"gt/a\"\n[methods.x]\nmaps = \"named/a\"\n"
                                       "[methods.x.datasets.c]\nmaps = \"y\"\n";
  CHECK(run(" --config " + (root / "bad2.toml").string(), log) == 2);
  CHECK(slurp(log).find("methods.x.datasets.c: unknown dataset 'c'") != std::string::npos);
}

TEST_CASE("sodlab eval lists the metric registry, and records no-normalize in its JSON and the store") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  const fs::path log = tmp.path() / "log.txt";
  REQUIRE(run("--list-metrics", log) == 0);
  const std::string listing = slurp(log);
  CHECK(listing.find("confusion_kappa  [group confusion]") != std::string::npos);
  CHECK(listing.find("  overall_biber              lower") != std::string::npos);
  CHECK(listing.find("  MAE                        lower") != std::string::npos);

  // A map that does not span 0..255: the stretch changes MAE, --no-normalize keeps v/255.
  fs::create_directories(tmp.path() / "pred");
  fs::create_directories(tmp.path() / "gt");
  cv::Mat gt = cv::Mat::zeros(10, 10, CV_8UC1), pred = cv::Mat::zeros(10, 10, CV_8UC1);
  gt(cv::Rect(2, 2, 5, 5)) = 255;
  pred(cv::Rect(2, 2, 5, 5)) = 200;
  write_png(tmp.path() / "gt" / "a.png", gt);
  write_png(tmp.path() / "pred" / "a.png", pred);
  const std::string dirs = "--pred " + (tmp.path() / "pred").string() + " --gt " + (tmp.path() / "gt").string();
  REQUIRE(run(dirs + " --metrics mae,confusion --json " + (tmp.path() / "s.json").string(), log) == 0);
  REQUIRE(run(dirs + " --metrics mae,confusion --no-normalize --json " + (tmp.path() / "r.json").string(), log) == 0);
  CHECK(slurp(log).find("--no-normalize") != std::string::npos);
  std::ifstream sin(tmp.path() / "s.json"), rin(tmp.path() / "r.json");
  const auto s = nlohmann::json::parse(sin), r = nlohmann::json::parse(rin);
  CHECK(s["normalize"] == true);
  CHECK(r["normalize"] == false);
  CHECK(r["provenance"]["normalize"] == false);
  CHECK(s["dataset"]["MAE"].get<double>() == 0.0);
  CHECK(r["dataset"]["MAE"].get<double>() == Approx(25 * (55.0 / 255) / 100).epsilon(1e-12));
  CHECK(r["curves"]["curve_confusion_fm"].size() == 256);
  CHECK(run(dirs + " --no-normalize --convention sal_eval_toolbox", log) == 2);

  // The store: results under the convention "pysodmetrics/no-normalize".
  const std::string db = (tmp.path() / "results.db").string();
  REQUIRE(run(dirs + " --metrics mae --no-normalize --db " + db, log) == 0);
  REQUIRE(std::system((sodlab::testing::sodlab_binary().string() + " query --db " + db +
                       " --format csv \"SELECT metric, convention FROM run_results ORDER BY 1\" > " +
                       (tmp.path() / "q.csv").string() + " 2>&1")
                          .c_str()) == 0);
  CHECK(slurp(tmp.path() / "q.csv") == "metric,convention\nMAE,pysodmetrics/no-normalize\n");
}

TEST_CASE("sodlab eval --metrics ccm reads the RGB photographs of --images by stem, and exits 2 without them") {
  if (!fs::exists(sodlab::testing::sodlab_binary())) {
    SODLAB_SKIP("sodlab binary not built");
  }
  TempDir tmp;
  for (const char* d : {"pred", "gt", "img"}) fs::create_directories(tmp.path() / d);
  cv::Mat gt = cv::Mat::zeros(60, 80, CV_8UC1), pred;
  gt(cv::Rect(20, 15, 30, 25)) = 255;
  cv::GaussianBlur(gt, pred, cv::Size(9, 9), 3);
  cv::Mat photo(60, 80, CV_8UC3, cv::Scalar(40, 120, 200));  // BGR on disk
  photo(cv::Rect(20, 15, 30, 25)).setTo(cv::Scalar(60, 110, 190));
  write_png(tmp.path() / "pred" / "a.png", pred);
  write_png(tmp.path() / "gt" / "a.png", gt);
  write_png(tmp.path() / "img" / "a.png", photo);
  const std::string base = "--pred " + (tmp.path() / "pred").string() + " --gt " + (tmp.path() / "gt").string();
  CHECK(run(base + " --metrics ccm", tmp.path() / "log1.txt") == 2);
  CHECK(slurp(tmp.path() / "log1.txt").find("--images DIR") != std::string::npos);
  CHECK(run(base + " --metrics cm,ccm --images " + (tmp.path() / "img").string() + " --json " +
                (tmp.path() / "r.json").string(), tmp.path() / "log2.txt") == 0);
  const auto j = nlohmann::json::parse(slurp(tmp.path() / "r.json"));
  const double ccm = j["dataset"]["ccm"].get<double>();
  CHECK(ccm > 0);
  CHECK(ccm < 1);
  // "all" leaves ccm out: no --images needed.
  CHECK(run(base, tmp.path() / "log3.txt") == 0);
}
