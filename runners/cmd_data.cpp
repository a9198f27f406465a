// `sodlab data list|check|synth`: the dataset catalogue, folder checks, synthetic sets on disk.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "command.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/timer.h"
#include "core/output_files.h"
#include "data/folder.h"
#include "data/registry.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;
using namespace sodlab;

namespace {

std::string default_data_root() {
  const char* env = std::getenv("SODLAB_DATA_ROOT");
  return env && *env ? env : "../shared/data";
}

int cmd_list(const std::string& root) {
  std::cout << "data root: " << root << "\n";
  std::cout << std::left << std::setw(17) << "name" << std::setw(17) << "folder" << std::setw(9)
            << "pairs" << "description\n";
  for (const auto& e : data::dataset_registry().entries()) {
    if (e.folder.empty()) {  // generated
      std::cout << std::setw(17) << e.name << std::setw(17) << "(built-in)" << std::setw(9) << "any"
                << e.summary << "\n";
      continue;
    }
    std::string pairs = "-";
    const fs::path dir = fs::path(root) / e.folder;
    if (fs::is_directory(dir)) {
      try {
        pairs = std::to_string(data::FolderDataset(dir, e.name).size());
      } catch (const InputError&) {
        pairs = "broken";  // `sodlab data check NAME` tells why
      }
    }
    std::cout << std::setw(17) << e.name << std::setw(17) << e.folder << std::setw(9) << pairs
              << e.summary << "\n";
  }
  std::cout << "('-': not present under the data root; 'broken': run sodlab data check NAME)\n";
  return 0;
}

int cmd_check(const std::string& target, const std::string& root, int threads) {
  fs::path dir = target;
  if (!fs::is_directory(dir)) dir = data::resolve_dataset_dir(root, target);
  Timer t;
  const data::CheckReport r = data::check_folder(dir, threads);
  std::cout << dir.string() << ": " << r.images << " images, " << r.masks << " masks, " << r.pairs
            << " pairs checked in " << std::fixed << std::setprecision(1) << t.seconds() << " s\n";
  for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& p : r.problems) std::cout << "problem: " << p << "\n";
  if (r.ok() && r.pairs == 0) {
    std::cout << "problem: no image/mask pairs in " << dir.string() << "\n";
    return static_cast<int>(ExitCode::bad_input);
  }
  if (r.ok()) {
    std::cout << "ok\n";
    return 0;
  }
  std::cout << r.problems.size() << " problem(s)\n";
  return static_cast<int>(ExitCode::bad_input);
}

int cmd_synth(const std::string& out, int n, int size, std::uint64_t seed, int threads) {
  const data::SyntheticDataset ds({n, size, seed});
  output::check_output_folder(out, "--out");
  fs::create_directories(fs::path(out) / "images");
  fs::create_directories(fs::path(out) / "masks");
  Timer t;
  parallel_for(n, resolve_threads(threads), [&](int i) {
    const data::Sample s = ds.get(static_cast<std::size_t>(i));
    cv::Mat bgr;
    cv::cvtColor(s.image, bgr, cv::COLOR_RGB2BGR);
    const fs::path img = fs::path(out) / "images" / (s.stem + ".png");
    const fs::path mask = fs::path(out) / "masks" / (s.stem + ".png");
    for (const auto& [path, mat] : {std::pair<fs::path, const cv::Mat*>{img, &bgr}, {mask, &s.mask}}) {
      std::vector<uchar> png;
      if (!cv::imencode(".png", *mat, png)) throw RuntimeFailure("cannot encode " + path.string() + " as PNG");
      output::write_output_file(path.string(), std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    }
  });
  std::cout << "wrote " << n << " synthetic pairs (" << size << "x" << size << ", seed " << seed
            << ") to " << out << " in " << std::fixed << std::setprecision(2) << t.seconds()
            << " s; manifest " << ds.manifest_sha().substr(0, 16) << "\n";
  return 0;
}

cli::CommandRegistration reg{
    "data", "datasets: list the catalogue, check a folder, write a synthetic set", [](CLI::App& app) {
      auto root = std::make_shared<std::string>(default_data_root());
      auto threads = std::make_shared<int>(0);
      app.add_option("--data-root", *root, "folder holding the datasets (env SODLAB_DATA_ROOT)")
          ->capture_default_str();
      app.add_option("--threads", *threads, "worker threads (default: all cores or SODLAB_THREADS)")->check(CLI::Range(0, kMaxThreads));
      app.require_subcommand(1);
      app.fallthrough();  // --data-root/--threads also accepted after the subcommand
      auto* list = app.add_subcommand("list", "the catalogue of dataset names and which are present");
      auto* check = app.add_subcommand(
          "check", "decode every file of a dataset: missing masks, unreadable files, size "
                   "mismatches (exit 2 if any)");
      auto target = std::make_shared<std::string>();
      check->add_option("dataset", *target, "a folder with images/ + masks/, or a catalogue name")
          ->required();
      auto* synth = app.add_subcommand("synth", "write a synthetic set in the standard layout (PNG)");
      auto out = std::make_shared<std::string>();
      auto n = std::make_shared<int>(64);
      auto size = std::make_shared<int>(128);
      auto seed = std::make_shared<std::uint64_t>(0);
      synth->add_option("--out", *out, "output folder")->required();
      synth->add_option("--n", *n, "number of pairs")->capture_default_str()->check(CLI::Range(1, 10000000));
      synth->add_option("--size", *size, "image side in pixels")->capture_default_str()->check(CLI::Range(16, 4096));
      synth->add_option("--seed", *seed, "generator seed")->capture_default_str();
      return [=, &app]() -> int {
        if (app.got_subcommand(list)) return cmd_list(*root);
        if (app.got_subcommand(check)) return cmd_check(*target, *root, *threads);
        return cmd_synth(*out, *n, *size, *seed, *threads);
      };
    }};

}  // namespace
