// `sodlab predict RUN_ID|EXPERIMENT ... --out DIR`: the saliency maps of a trained run as 8-bit
// PNGs, one per image, at the image's original size, named <stem>.png (what `sodlab eval`,
// PySODEvalToolkit and benchmark submissions read).
//
// The maps are the ones the run's evaluation scores: the model's test-time map (model.saliency:
// MEnet's metric map where the run's model options ask for it), the image resized to the run's
// input size, the map resized back bilinearly and rounded (train/predict.h), in batches of the
// run's data.batch_size with its intra-op threads, so `sodlab eval` of the PNGs reproduces the
// results the store holds for the run (tests/pipeline/test_predict.cpp).
#include <ATen/Parallel.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

#include "command.h"
#include "core/blas_threads.h"
#include "core/error.h"
#include "core/output_files.h"
#include "core/threads.h"
#include "core/timer.h"
#include "data/folder.h"
#include "data/registry.h"
#include "pipeline/trained_model.h"
#include "run_selection.h"
#include "train/predict.h"

namespace fs = std::filesystem;

namespace sodlab::cli {
namespace {

struct PredictArgs {
  RunSelector selector;
  std::string variant;
  int fold = -1;
  std::int64_t seed = -1;
  std::string db = store::default_db_path();
  std::string test_set, dataset, split, images, list, out;
};

// One input image: its stem (the output's name) and how to read it (RGB CV_8UC3).
struct Input {
  std::string stem;
  std::string source;  // the file, or "<dataset> #i", for messages
  std::function<cv::Mat()> read;
};

void add_input(std::vector<Input>& inputs, std::map<std::string, std::string>& seen, Input in) {
  if (auto [it, fresh] = seen.emplace(in.stem, in.source); !fresh)
    throw InputError(in.source + " and " + it->second + " have the same stem '" + in.stem +
                     "': their maps would both be " + in.stem + ".png");
  inputs.push_back(std::move(in));
}

void add_file(std::vector<Input>& inputs, std::map<std::string, std::string>& seen, const fs::path& file) {
  add_input(inputs, seen, {file.stem().string(), file.string(), [file] { return data::read_image(file); }});
}

void add_dataset(std::vector<Input>& inputs, std::map<std::string, std::string>& seen, const data::DatasetPtr& ds) {
  for (std::size_t i = 0; i < ds->size(); ++i)
    add_input(inputs, seen, {ds->stem(i), ds->name() + " image " + ds->stem(i), [ds, i] { return ds->get(i).image; }});
}

std::vector<Input> collect_inputs(const PredictArgs& a, const pipeline::PlannedRun& run) {
  std::vector<Input> inputs;
  std::map<std::string, std::string> seen;
  if (!a.test_set.empty()) {
    std::vector<std::string> labels;
    for (const auto& set : run.data.tests) {
      labels.push_back(set.label);
      if (set.label == a.test_set) add_dataset(inputs, seen, set.dataset);
    }
    if (inputs.empty() && std::find(labels.begin(), labels.end(), a.test_set) == labels.end())
      throw InputError("--test-set " + a.test_set + ": the run's test sets are " + join_names(labels));
  } else if (!a.dataset.empty()) {
    Options options;
    if (!a.split.empty()) options.set("split", a.split);
    add_dataset(inputs, seen, data::open_dataset(a.dataset, run.spec.data.data_root, options));
  } else if (!a.images.empty()) {
    if (!fs::is_directory(a.images)) throw InputError("--images " + a.images + ": not a folder");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(a.images))
      if (e.is_regular_file() && data::is_image_file(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add_file(inputs, seen, f);
    if (inputs.empty()) throw InputError("--images " + a.images + ": no .jpg, .jpeg, .png or .bmp file in it");
  } else {
    std::ifstream in(a.list);
    if (!in) throw InputError("--list " + a.list + ": cannot read it");
    const fs::path base = fs::path(a.list).parent_path();
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const fs::path file = fs::path(line).is_absolute() ? fs::path(line) : base / line;
      if (!fs::is_regular_file(file))
        throw InputError(a.list + ":" + std::to_string(n) + ": " + file.string() + " is not a file");
      add_file(inputs, seen, file);
    }
    if (inputs.empty()) throw InputError("--list " + a.list + ": it names no image");
  }
  return inputs;
}

int predict(PredictArgs& a) {
  if (!a.variant.empty()) a.selector.request.variants = {a.variant};
  if (a.fold >= 0) a.selector.fold = a.fold;
  if (a.seed >= 0) a.selector.seed = a.seed;
  output::check_output_folder(a.out, "--out");
  if (!a.images.empty()) output::protect_folder(a.images, "an input of this prediction (--images)");
  store::ResultsStore db(a.db, store::OpenMode::read_only);
  const SelectedRun selected = select_run(a.selector, db);
  const pipeline::PlannedRun& run = selected.run();
  const std::vector<Input> inputs = collect_inputs(a, run);
  auto model = pipeline::load_final_model(run, db, "predict maps", "; `sodlab run --force` retrains it",
                                          selected.recorded_id);
  at::set_num_threads(run.threads);
  use_one_thread_pool();
  fs::create_directories(a.out);
  const int size = run.spec.data.input_size;
  const std::size_t batch = static_cast<std::size_t>(std::max(1, run.spec.data.batch_size));
  const int workers = resolve_threads(run.spec.data.workers);
  Timer total;
  double inference = 0;
  for (std::size_t first = 0; first < inputs.size(); first += batch) {
    const std::size_t count = std::min(batch, inputs.size() - first);
    std::vector<cv::Mat> images(count);
    parallel_for(static_cast<int>(count), workers, [&](int i) { images[i] = inputs[first + i].read(); });
    Timer t;
    const std::vector<cv::Mat> maps = train::predict_batch(*model, images, size, size);
    inference += t.seconds();
    parallel_for(static_cast<int>(count), workers, [&](int i) {
      std::vector<uchar> png;
      const std::string path = (fs::path(a.out) / (inputs[first + i].stem + ".png")).string();
      if (!cv::imencode(".png", maps[i], png)) throw RuntimeFailure("cannot encode the map of " + path);
      output::write_output_file(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()), "--out");
    });
  }
  std::cout << "wrote " << inputs.size() << " maps of run " << selected.recorded_id << " (" << run.spec.experiment
            << (run.spec.variant.empty() ? "" : ", variant " + run.spec.variant) << ") to " << a.out << " in " << std::fixed << std::setprecision(1)
            << total.seconds() << " s (" << std::setprecision(1)
            << 1e3 * inference / static_cast<double>(inputs.size()) << " ms/image inference, " << run.device << ")\n";
  return 0;
}

CommandRegistration registration{
    "predict", "Write a trained run's saliency maps as 8-bit PNGs (<stem>.png at each image's size)",
    [](CLI::App& app) {
      auto a = std::make_shared<PredictArgs>();
      app.add_option("run", a->selector.target, "A run id in the store, or an experiment (file or name)")->required();
      app.add_option("--profile,-p", a->selector.request.profile, "The experiment's profile (with an experiment)");
      app.add_option("--set,-s", a->selector.request.sets, "The run's --set overrides (with an experiment; repeatable)");
      app.add_option("--variant", a->variant, "The variant (with an experiment)");
      app.add_option("--fold", a->fold, "The fold (with an experiment run in k folds)")->check(CLI::NonNegativeNumber);
      app.add_option("--seed", a->seed, "The seed (with an experiment of several seeds)")->check(CLI::NonNegativeNumber);
      app.add_option("--threads", a->selector.request.threads, "The intra-op threads the run was trained with (part of its id)")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--device", a->selector.request.device, "The device the run was trained on (part of its id)");
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      auto* sources = app.add_option_group("images", "what to predict (exactly one)");
      sources->add_option("--test-set", a->test_set, "One of the run's test sets, as it evaluated it (a k-fold run: its held-out fold)");
      sources->add_option("--dataset", a->dataset, "A catalogue dataset or a dataset folder (with --split)");
      sources->add_option("--images", a->images, "Every .jpg/.jpeg/.png/.bmp image in a folder");
      sources->add_option("--list", a->list, "A file with one image path per line (relative to the file's folder)");
      sources->require_option(1);
      app.add_option("--split", a->split, "A split of --dataset (train, test, ... or a split file)");
      app.add_option("--out", a->out, "Output folder of the maps (<stem>.png)")->required();
      return [a] { return predict(*a); };
    }};

}  // namespace
}  // namespace sodlab::cli
