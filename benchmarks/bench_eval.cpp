// `make bench-eval`, per family: evaluate_image with one metric family selected, on the published
// DSS maps of SOD-300 and their masks (../shared, or SODLAB_SHARED_DIR), one thread, CPU time per
// image, beside the reference measured in the same run: decoding the same map and mask PNGs
// (read_gray, what `sodlab eval` decodes with). Printed at the end as a table: ms per image, that
// time in units of one pair's decoding, and the ratio to PySODMetrics 1.6.2's per-image time:
// - measured in this run when SODLAB_BENCH_PYSOD names the JSON that
//   benchmarks/python/time_pysod_families.py wrote just before (`make bench-eval PYSOD=DIR`):
//   each family then runs on the same first N images PySODMetrics was timed on;
// - and, for the families issue 26 quotes, against the figures (measured on its machine).
// A family's time includes the passes every selection makes (the binary GT, the map's value range;
// the class histograms only where the family reads them: pixel_passes.h). ccm decodes nothing extra:
// its photographs are decoded before timing; without the JSON it runs on the first
// SODLAB_BENCH_CCM_IMAGES images (default 30; ~15 ms each) instead of all 300. Each family first
// evaluates the first image once, untimed (the thread's buffers, as in `sodlab eval` after its first).
#include <benchmark/benchmark.h>

#include "metrics/convention.h"
#include "metrics/folder_eval.h"
#include "metrics/gray_image_reader.h"
#include "metrics/image_metrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace sodlab::metrics;
namespace fs = std::filesystem;

namespace {

struct Family {
  const char* name;        // registry family or group (MetricSelection::parse)
  double pysod_ms;         // PySODMetrics per image as issue 26 quotes it (0: the issue states none)
  double target;           // the target ratio to PySODMetrics (0: none)
};

// Issue 26, "Speed": PySODMetrics per image on 300x400-ish SOD maps, one core.
const Family kFamilies[] = {
    {"mae", 0, 0},
    {"fm", 0, 0},
    {"sm", 0, 0},
    {"em", 0, 0},
    {"confusion", 0, 20},
    {"wfm", 85, 20},
    {"si_mae", 45, 20},
    {"si_fm", 45, 20},
    {"size_invariance", 0, 20},
    {"cm", 54, 20},
    {"ccm", 900, 20},
    {"hce", 88, 100},
    {"msiou", 6300, 100},
};

// PySODMetrics measured in this run (time_pysod_families.py's JSON), if SODLAB_BENCH_PYSOD names it.
struct PysodTimes {
  std::string version;
  double decode_ms = 0;  // cv2.imread of both PNGs
  std::map<std::string, std::pair<double, std::size_t>> families;  // family -> (ms per image, images)
};

const PysodTimes& pysod_times() {
  static const PysodTimes t = [] {
    PysodTimes out;
    const char* path = std::getenv("SODLAB_BENCH_PYSOD");
    if (!path || !*path) return out;
    std::ifstream in(path);
    if (!in) {
      std::fprintf(stderr, "bench_eval: SODLAB_BENCH_PYSOD=%s cannot be read\n", path);
      std::exit(2);
    }
    try {
      const nlohmann::json j = nlohmann::json::parse(in);
      out.version = j.at("pysod_version").get<std::string>();
      out.decode_ms = j.at("decode_ms").get<double>();
      for (const auto& [family, f] : j.at("families").items())
        out.families[family] = {f.at("ms").get<double>(), f.at("images").get<std::size_t>()};
    } catch (const nlohmann::json::exception& e) {  // not what time_pysod_families.py writes
      std::fprintf(stderr, "bench_eval: SODLAB_BENCH_PYSOD=%s: %s\n", path, e.what());
      std::exit(2);
    }
    return out;
  }();
  return t;
}

struct Data {
  std::vector<fs::path> pred_files, gt_files;
  std::vector<cv::Mat> preds, gts, rgbs;  // rgbs: the first ccm_images photographs
};

const Data& data() {
  static const Data d = [] {
    Data out;
    const char* env = std::getenv("SODLAB_SHARED_DIR");
    const fs::path shared = env ? fs::path(env) : fs::path(SODLAB_SOURCE_DIR) / ".." / "shared";
    const fs::path preds = shared / "fixtures" / "sod300-published-maps" / "DSS";
    const fs::path gts = shared / "data" / "sod300" / "masks", images = shared / "data" / "sod300" / "images";
    std::error_code ec;
    if (!fs::is_directory(preds, ec) || !fs::is_directory(gts, ec)) return out;
    const FolderPairs pairs = match_folders(preds, gts);
    out.pred_files = pairs.preds, out.gt_files = pairs.gts;
    const char* n_env = std::getenv("SODLAB_BENCH_CCM_IMAGES");
    const auto timed_ccm = pysod_times().families.find("ccm");
    const std::size_t n_ccm = timed_ccm != pysod_times().families.end() ? timed_ccm->second.second
                              : n_env                                   ? std::strtoul(n_env, nullptr, 10)
                                                                        : 30;
    for (std::size_t i = 0; i < pairs.stems.size(); ++i) {
      out.preds.push_back(read_gray(pairs.preds[i]));
      out.gts.push_back(read_gray(pairs.gts[i]));
      if (i < n_ccm && fs::exists(images / (pairs.stems[i] + ".jpg")))
        out.rgbs.push_back(read_rgb(images / (pairs.stems[i] + ".jpg")));
    }
    return out;
  }();
  return d;
}

void set_per_image(benchmark::State& state, std::size_t images) {
  state.counters["s_per_image"] = benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(images),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_DecodePair(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state)
    for (std::size_t i = 0; i < d.pred_files.size(); ++i) {
      benchmark::DoNotOptimize(read_gray(d.pred_files[i]));
      benchmark::DoNotOptimize(read_gray(d.gt_files[i]));
    }
  set_per_image(state, d.pred_files.size());
}

void BM_Family(benchmark::State& state, std::string family) {
  const Data& d = data();
  const MetricSelection sel = MetricSelection::parse(family);
  const bool ccm = family == "ccm";
  std::size_t n = ccm ? d.rgbs.size() : d.preds.size();
  const auto timed = pysod_times().families.find(family);  // the images PySODMetrics was timed on
  if (timed != pysod_times().families.end()) n = std::min(n, timed->second.second);
  benchmark::DoNotOptimize(
      evaluate_image(d.preds[0], d.gts[0], Convention::pysodmetrics, sel, true, ccm ? d.rgbs[0] : cv::Mat()));
  for (auto _ : state)
    for (std::size_t i = 0; i < n; ++i)
      benchmark::DoNotOptimize(
          evaluate_image(d.preds[i], d.gts[i], Convention::pysodmetrics, sel, true, ccm ? d.rgbs[i] : cv::Mat()));
  set_per_image(state, n);
}

// The console output as usual, then one table of every family against the decoding reference.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  SummaryReporter() : ConsoleReporter(OO_Tabular) {}  // no colour codes: readable in logs
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const auto it = r.counters.find("s_per_image");
      std::string name = r.benchmark_name();
      name = name.substr(0, name.find("/min_time"));
      if (it != r.counters.end()) seconds_[name] = it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto dec = seconds_.find("BM_DecodePair");
    if (dec == seconds_.end()) return;
    const double decode_ms = dec->second * 1e3;
    const PysodTimes& measured = pysod_times();
    std::printf("\nbench-eval: DSS maps of SOD-300, one thread, CPU time per image (this run)\n");
    std::printf("reference: decoding the map and mask PNGs of one image = %.3f ms (read_gray)\n", decode_ms);
    if (measured.families.empty())
      std::printf("PySODMetrics: not measured (make bench-eval PYSOD=<checkout> measures it in this run); the\n"
                  "issue's figures are constants measured on the issue's machine\n\n");
    else
      std::printf("PySODMetrics %s measured in this run on one core, on the same images (decoding with cv2.imread:\n"
                  "%.3f ms); the issue's figures are constants measured on the issue's machine\n\n",
                  measured.version.c_str(), measured.decode_ms);
    std::printf("%-16s %6s %9s %8s | %10s %8s | %10s %8s | %7s %9s %6s\n", "family", "images", "ms/image",
                "x decode", "PySOD ms", "x faster", "issue ms", "x faster", "target", "vs PySOD", "vs issue");
    for (const Family& f : kFamilies) {
      const auto it = seconds_.find(std::string("BM_Family/") + f.name);
      if (it == seconds_.end()) continue;
      const double ms = it->second * 1e3;
      const auto m = measured.families.find(f.name);
      const std::size_t images = m != measured.families.end() ? m->second.second
                                 : std::string(f.name) == "ccm" ? data().rgbs.size()
                                                                 : data().preds.size();
      std::printf("%-16s %6zu %9.3f %8.2f | ", f.name, images, ms, ms / decode_ms);
      // The target against each reference: "met", "BELOW", or "-" (no such reference or target).
      auto verdict = [&](double reference_ms) {
        return f.target <= 0 || reference_ms <= 0 ? "-" : reference_ms / ms >= f.target ? "met" : "BELOW";
      };
      const double measured_ms = m != measured.families.end() ? m->second.first : 0;
      if (measured_ms > 0)
        std::printf("%10.2f %7.0fx | ", measured_ms, measured_ms / ms);
      else
        std::printf("%10s %8s | ", "-", "-");
      if (f.pysod_ms > 0)
        std::printf("%10.0f %7.0fx | ", f.pysod_ms, f.pysod_ms / ms);
      else
        std::printf("%10s %8s | ", "-", "-");
      if (f.target > 0)
        std::printf("%6.0fx %9s %6s\n", f.target, verdict(measured_ms), verdict(f.pysod_ms));
      else
        std::printf("%7s\n", "-");
    }
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  keep_freed_memory_for_reuse();  // as `sodlab eval` does
  pysod_times();  // a bad SODLAB_BENCH_PYSOD fails before anything is measured
  if (data().preds.empty()) {
    std::fprintf(stderr, "bench_eval: DSS fixture not found (set SODLAB_SHARED_DIR); nothing to measure\n");
    return 0;
  }
  benchmark::RegisterBenchmark("BM_DecodePair", BM_DecodePair)->Unit(benchmark::kMillisecond)->MinTime(1.0);
  for (const Family& f : kFamilies) {
    if (std::string(f.name) == "ccm" && data().rgbs.empty()) continue;
    benchmark::RegisterBenchmark((std::string("BM_Family/") + f.name).c_str(), BM_Family, std::string(f.name))
        ->Unit(benchmark::kMillisecond)
        ->MinTime(1.0);
  }
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
