// `sodlab data list|check|locate|synth`: the dataset catalogue and where each set is, dataset
// checks, the datasets file, synthetic sets on disk (standard or an archive layout).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>

#include "command.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/timer.h"
#include "core/output_files.h"
#include "data/check.h"
#include "data/datasets_file.h"
#include "data/folder.h"
#include "data/registry.h"
#include "data/synth_layout.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;
using namespace sodlab;

namespace {

std::string default_data_root() {
  const char* env = std::getenv("SODLAB_DATA_ROOT");
  return env && *env ? env : "../shared/data";
}

// Where each catalogue dataset was found (datasets file or data root), its layout and pairs.
int cmd_list(const std::string& root) {
  const fs::path file = data::datasets_file_path();
  data::read_datasets_file(file);  // a malformed file is exit 2 here, not one "broken" per name
  std::cout << "data root: " << root << "\ndatasets file: " << file.string()
            << (fs::exists(file) ? "" : " (absent)") << "\n";
  std::cout << std::left << std::setw(19) << "name" << std::setw(14) << "layout" << std::setw(8) << "pairs"
            << std::setw(10) << "published" << "found in\n";
  std::vector<std::string> errors;
  for (const auto& e : data::dataset_registry().entries()) {
    if (e.folder.empty()) {  // generated
      std::cout << std::setw(19) << e.name << std::setw(14) << "(built-in)" << std::setw(8) << "any"
                << std::setw(10) << "-" << e.summary << "\n";
      continue;
    }
    std::string layout = "-", pairs = "-", where = "not found (sodlab data locate " + e.name + " PATH)";
    try {
      const data::DatasetLocation loc = data::locate_dataset(root, e.name);
      layout = loc.match.layout->name;
      where = loc.found_in + ": " + loc.match.root.string();
      pairs = std::to_string(data::pair_folder(data::folder_spec(loc.match)).pairs.size());
    } catch (const InputError& err) {
      const std::string what = err.what();
      if (what.find("not found:") == std::string::npos) {
        layout = "broken";  // `sodlab data check NAME` tells why
        errors.push_back(e.name + ": " + what);
      }
    }
    std::cout << std::setw(19) << e.name << std::setw(14) << layout << std::setw(8) << pairs << std::setw(10)
              << (e.published ? std::to_string(e.published) : "-") << where << "\n";
  }
  for (const auto& err : errors) std::cout << "broken: " << err << "\n";
  return 0;
}

int cmd_check(const std::string& target, const std::string& as, const std::string& root, int threads) {
  const data::DatasetEntry* entry = nullptr;
  std::optional<data::LayoutMatch> match;
  std::string found_in;
  if (!as.empty()) {
    entry = data::find_dataset_entry(as);
    if (!entry || entry->folder.empty())
      throw InputError(unknown_name_message("dataset", as, data::dataset_registry().names()) + " (--as)");
  }
  if (const data::DatasetEntry* e = data::find_dataset_entry(target); e && !fs::is_directory(target)) {
    const data::DatasetLocation loc = data::locate_dataset(root, target);
    entry = e;
    match = loc.match;
    found_in = loc.found_in;
  } else if (!fs::is_directory(target)) {
    throw InputError(unknown_name_message("dataset", target, data::dataset_registry().names(), "",
                                          ", or a path to a dataset folder"));
  } else if (entry) {
    match = data::recognise_dataset(*entry, target);
  } else if (auto id = data::identify_folder(target)) {
    entry = id->entry;
    match = id->match;
  } else {
    throw InputError("dataset folder " + target + ": no known layout found; expected the standard layout or "
                     "an archive layout (sodlab data list; --as NAME names the dataset):" +
                     data::describe_layouts({data::standard_layout()}));
  }
  Timer t;
  const data::DatasetCheck r = data::check_dataset(entry, *match, threads);
  std::cout << match->root.string() << (entry ? " (" + entry->name + ")" : "") << ": layout "
            << match->layout->name << (found_in.empty() ? "" : ", from the " + found_in) << "\n";
  std::cout << "  images " << match->images.string() << ", masks " << match->masks.string() << "\n";
  std::cout << "  " << r.images << " images, " << r.masks << " masks, " << r.pairs << " pairs"
            << (r.published ? " (published: " + std::to_string(r.published) + ")" : "") << ", checked in "
            << std::fixed << std::setprecision(1) << t.seconds() << " s\n";
  for (const auto& s : r.splits)
    std::cout << "  split " << s.split << ": "
              << (s.file.empty() ? std::string("no list") : std::to_string(s.size) + " (" + s.file.string() + ")")
              << (s.published ? ", published " + std::to_string(s.published) : "")
              << (s.missing ? ", " + std::to_string(s.missing) + " without a pair" : "") << "\n";
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& p : r.problems) std::cout << "problem: " << p << "\n";
  if (r.ok()) {
    std::cout << "ok" << (r.warnings.empty() ? "" : " (with warnings)") << "\n";
    return 0;
  }
  std::cout << r.problems.size() << " problem(s) in " << match->root.string() << "\n";
  return static_cast<int>(ExitCode::bad_input);
}

int cmd_locate(const std::string& name, const std::string& path) {
  const data::DatasetEntry* entry = data::find_dataset_entry(name);
  if (!entry || entry->folder.empty())
    throw InputError(unknown_name_message("dataset", name, data::dataset_registry().names()));
  if (!fs::is_directory(path)) throw InputError("dataset folder " + path + " does not exist");
  const data::LayoutMatch m = data::recognise_dataset(*entry, path);
  const fs::path file = data::datasets_file_path();
  const fs::path abs = fs::absolute(path).lexically_normal();
  data::write_datasets_file_entry(file, entry->name, abs);
  std::cout << entry->name << " = " << abs.string() << " (layout " << m.layout->name << ", "
            << data::pair_folder(data::folder_spec(m)).pairs.size() << " pairs) written to " << file.string() << "\n";
  return 0;
}

int cmd_synth_layout(const std::string& name, const std::string& out, int n, int size, std::uint64_t seed, int threads) {
  const data::DatasetEntry* entry = data::find_dataset_entry(name);
  if (!entry || entry->folder.empty())
    throw InputError(unknown_name_message("dataset", name, data::dataset_registry().names()) + " (--layout)");
  Timer t;
  const data::SynthLayoutResult r = data::write_synthetic_layout(*entry, out, {n, size, seed}, threads);
  std::cout << "wrote " << n << " synthetic pairs (" << size << "x" << size << ", seed " << seed << ") as "
            << entry->name << "'s layout " << r.layout << " to " << r.root.string();
  for (const auto& [split, k] : r.splits) std::cout << (&split == &r.splits.front().first ? "; splits " : ", ") << split << " " << k;
  std::cout << " in " << std::fixed << std::setprecision(2) << t.seconds() << " s\n";
  return 0;
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
    "data", "datasets: list the catalogue and where each is, check one, locate one, write a synthetic set", [](CLI::App& app) {
      auto root = std::make_shared<std::string>(default_data_root());
      auto threads = std::make_shared<int>(0);
      app.add_option("--data-root", *root, "folder holding the datasets (env SODLAB_DATA_ROOT)")
          ->capture_default_str();
      app.add_option("--threads", *threads, "worker threads (default: all cores or SODLAB_THREADS)")->check(CLI::Range(0, kMaxThreads));
      app.require_subcommand(1);
      app.fallthrough();  // --data-root/--threads also accepted after the subcommand
      auto* list = app.add_subcommand("list", "the catalogue of dataset names and which are present");
      auto* check = app.add_subcommand(
          "check", "decode every file of a dataset in its layout: unmatched images and masks, unreadable "
                   "files, size mismatches, split lists against the published sizes (exit 2 if wrong)");
      auto target = std::make_shared<std::string>();
      auto as = std::make_shared<std::string>();
      check->add_option("dataset", *target, "a catalogue name, or a dataset folder (standard or archive layout)")
          ->required();
      check->add_option("--as", *as, "read the folder as this catalogue dataset's layouts");
      auto* locate = app.add_subcommand(
          "locate", "recognise the layout of a dataset at PATH and record NAME = PATH in the datasets file "
                    "($SODLAB_DATASETS, else $XDG_CONFIG_HOME/sodlab/datasets.toml, else ~/.config/sodlab/datasets.toml)");
      auto loc_name = std::make_shared<std::string>();
      auto loc_path = std::make_shared<std::string>();
      locate->add_option("name", *loc_name, "catalogue name")->required();
      locate->add_option("path", *loc_path, "the dataset's folder, as its archive unpacks")->required();
      auto* synth = app.add_subcommand(
          "synth", "write a synthetic set in the standard layout (PNG), or with --layout NAME exactly as NAME's archive");
      auto layout = std::make_shared<std::string>();
      synth->add_option("--layout", *layout, "a catalogue name: its archive's folders, file names and split lists");
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
        if (app.got_subcommand(check)) return cmd_check(*target, *as, *root, *threads);
        if (app.got_subcommand(locate)) return cmd_locate(*loc_name, *loc_path);
        if (!layout->empty()) return cmd_synth_layout(*layout, *out, *n, *size, *seed, *threads);
        return cmd_synth(*out, *n, *size, *seed, *threads);
      };
    }};

}  // namespace
