// Experiment files: TOML → typed, validated structs, and their expansion into runs.
//
// An experiment file (experiments/<paper>/<table>.toml) has the sections [experiment], [data],
// [model], [loss], [train] (+ [[train.stages]]), [eval], [variants.<name>], [sweep] (a grid of
// overrides, each point a variant: config/sweep.h), [profiles.<name>] and [table]. Every key is checked against the schema (src/config/schema.cpp, the ONE place that
// holds defaults and ranges). Errors are InputError with "file:line:column: key.path: what"
// and, for unknown keys, the closest known key.
//
// Resolution of one run's configuration, each step a deep merge of TOML tables (tables merge
// key by key; arrays and scalars replace; a table whose identity key — `name` for model/loss,
// `dataset` for a dataset — differs from the one it overlays replaces it wholesale):
//   base file → [variants.<v>] → [profiles.<p>] → --set overrides → SODLAB_DATA_ROOT.
// A profile may list the variants it runs: [profiles.small] variants = ["a", "b"] (default all).
// Precedence for data.data_root: --set > env SODLAB_DATA_ROOT > file > default "../shared/data".
// Positions (line:column) in errors are those of the file or "--set" the value came from.
//
// expand() turns variants × seeds × folds into RunSpecs; every RunSpec carries all sections
// typed (the orchestration never touches TOML) and `config_toml`, the canonical resolved config
// of that run (keys sorted, defaults filled), which is what run_id() hashes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/stage.h"
#include "config/table_spec.h"
#include "core/options.h"

namespace sodlab::config {

struct ExperimentInfo {
  std::string name;         // e.g. "kolkin2017/table4" (required)
  std::string reproduces;   // e.g. "Kolkin et al. 2017, Table 4"
  std::string description;
};

// One dataset reference: { dataset = "sod300", split = "test", ...options }.
struct DatasetSpec {
  std::string dataset;  // catalogue name ("msra-b", "sod300", "synthetic", ...), required
  std::string split;    // split name or split file; "" = the whole set
  Options options;      // every other key (e.g. n, size, seed of the synthetic generator),
                        // context "dataset '<name>'": the data registry reads + reject_unknown()s
  std::string where;    // "file:line:column" of the dataset table, for errors found later
  std::string name;     // `label = "..."`: the name results.dataset records ("" = the catalogue
                        // name), e.g. to tell apart two synthetic test sets of other seeds
  // Name recorded in results.dataset: the label, else the catalogue name.
  const std::string& label() const { return name.empty() ? dataset : name; }
};

// Evaluation-time distortion. kind "none" (level 0), "awgn" (level = σ in [0, 255] on the 0-255
// intensity scale, the scale of data::Distortion), "jpeg" (level = quality, integer 1..100).
// Random strength ({ kind = "awgn", random = "uniform", low = 5, high = 50 }): each image's
// level drawn from U[low, high] (jpeg: integers), seeded per image; the drawn level is stored in
// per_image as metric "distortion_level". The label recorded in results.distortion is
// data::Distortion::label() ("awgn_s10", "jpeg_q50", "awgn_U5-50").
struct Distortion {
  std::string kind;
  double level = 0;
  std::string random;          // "" (fixed level) | "uniform"
  double low = 0, high = 0;    // random only
};

// A registry-built component: model, loss or augmentation. `options` holds every key except
// `name`, with context "model '<name>'" / "loss '<name>'"; the registries validate names and
// options (pipeline::plan, before anything runs); `where` ("file:line:column") places the errors.
struct Component {
  std::string name;
  Options options;
  std::string where;
};

struct DataSection {
  std::string data_root;            // default "../shared/data"
  DatasetSpec train;                // required
  std::vector<DatasetSpec> test;    // required, ≥ 1
  int input_size = 0;               // pixels (square), default 224
  int batch_size = 0;               // evaluation/inference batch size, default 8
  int workers = 0;                  // data loader threads, 0 = core::resolve_threads default
  int folds = 0;                    // k of k-fold cross-validation on the train set; 0 = none
  std::vector<int> fold_list;       // folds to run (0-based); default all 0..k-1
  Component augmentation;           // name "none" (default) | "szn" | "menet" + its options
  int augmentation_pool = 0;        // 0: fresh augmentation each epoch; K: K fixed augmented
                                    // copies per image, one drawn per epoch (data/loader.h)
  std::vector<Distortion> distortions;  // default [{ kind = "none" }]
  // Validation loss per epoch (train/trainer.h), on `validation = 0.1` (that fraction of the
  // training set, after the fold split, held out of training: seeded, the same for every seed) or
  // `validation = { dataset = "msra-b", split = "val" }` (a set of its own). Default none.
  double validation_fraction = 0;   // (0, 0.5]; 0 = not a fraction
  DatasetSpec validation;           // dataset "" = not a dataset
};

// struct Stage: config/stage.h (one definition, shared with the trainer).

struct TrainSection {
  std::vector<Stage> stages;         // required, ≥ 1
  std::vector<std::int64_t> seeds;   // default [0]; each seed is a separate run (no duplicates)
  int batch_size = 0;                // training mini-batch, default 8
  int threads = 0;                   // intra-op threads, 0 = core::resolve_threads default
  std::string device = "auto";       // auto | cpu | cuda | cuda:N (resolved by the pipeline plan;
                                     // --device overrides; not part of the run id, its kind is)
  std::string precision = "fp32";    // fp32 | bf16 | fp16 (autocast, train/device.h)
  std::string feature_cache = "off"; // off | fp16 | fp32: frozen-backbone activations from the
                                     // feature cache, stored as (train/feature_cache.h; in the run id)
  bool target_cache = false;         // the loss's mask maps from the target cache where masks
                                     // repeat (never changes a value: not in the run id; off by
                                     // default: no faster than computing them on this CPU)
  int rehearse = 0;                  // 0: a real run. N > 0: a dress rehearsal of the protocol
                                     // (pipeline/rehearsal.h): N images per test set, one batch of
                                     // training images, one step per stage (in the run id)
};

struct EvalSection {
  std::string convention;             // metric convention name, default "pysodmetrics"
  std::vector<std::string> metrics;   // evaluator metric families (metrics registry), or
                                      // ["all"] (the default)
  std::string metrics_where;          // "file:line:column" of eval.metrics ("" = default)
  bool save_predictions = false;      // keep 8-bit maps in the prediction cache
  // [eval.jacobian]: input-sensitivity estimators run on each clean test set (robustness/
  // jacobian.h validates names and options). estimators = ["paper_code", "salient_sum", "mc_fd"];
  // every other key (input_size, output_size, directions, step, ...) is kept in `jacobian`.
  std::vector<std::string> jacobian_estimators;  // empty = none
  Options jacobian{"eval.jacobian"};
  std::string jacobian_where;                     // "file:line:column" of [eval.jacobian]
};

// One run: one variant × seed × fold under one profile.
struct RunSpec {
  std::string source_path;   // the experiment file
  std::string experiment;    // = info.name
  std::string variant;       // "" when the file has no [variants]
  std::string profile;       // "" when no profile was selected
  std::int64_t seed = 0;
  int fold = -1;             // -1 = no k-fold; else 0..data.folds-1
  ExperimentInfo info;
  DataSection data;
  Component model;
  Component loss;
  TrainSection train;        // train.seeds holds only this run's seed
  EvalSection eval;
  // What its variant sets: each leaf key path of the [variants.<v>] overlay (a sweep point's
  // swept keys among them) with the value it resolved to after the profile and --set; arrays and
  // tables as TOML text. Recorded as the run's queryable parameters (store params).
  std::vector<std::pair<std::string, OptionValue>> params;
  // Canonical resolved config of this run (sorted keys, defaults filled, [run] section with
  // experiment/variant/profile/seed/fold). Deterministic: same inputs → same bytes.
  std::string config_toml;
};

struct LoadOptions {
  std::string profile;                  // "" = no profile overlay; else must exist
  std::vector<std::string> sets;        // "key.path=value", value parsed as TOML (bare words
                                        // that are not TOML are taken as strings)
  std::vector<std::string> variants;    // restrict to these variants; empty = all
};

// [study]: an experiment that trains nothing and computes its results otherwise (timing a
// loss, comparing the per-image results of another experiment's runs). Its table rows name the
// one variant "ours". `kind` and every option are validated by the pipeline (study.h).
//   [study]
//   kind = "loss_timing"                       # or "paired_images"
//   dataset = { dataset = "sod" }              # optional: images to work on
//   images = 15                                # kind-specific options (flat scalars)
struct StudySection {
  std::string kind;         // required
  DatasetSpec dataset;      // dataset "" = none
  std::string data_root;    // default "../shared/data"; env SODLAB_DATA_ROOT overrides
  Options options;          // every other key, context "study '<kind>'", positions kept
  std::string where;        // "file:line:column" of [study]
  std::string canonical;    // the resolved section as canonical TOML (part of the study's id)
};

// A loaded experiment: every variant resolved and validated (fails fast on any error).
struct Experiment {
  std::string source_path;
  std::string profile;
  ExperimentInfo info;
  std::vector<std::string> variant_names;   // selected variants, in file order
  std::vector<std::string> profile_names;   // all profiles defined in the file, in file order
  std::vector<RunSpec> variants;            // one resolved template per variant (seed/fold unset)
  TableSpec table;                          // empty (no columns) if the file has no [table]
  std::optional<StudySection> study;        // set for a [study] file (then `variants` is empty)
  // Eval-only file ([eval] runs_of = "<experiment>"): the runs are that experiment's (its
  // variants, training and profile), this file only says how they are evaluated (data.test,
  // data.distortions, data.batch_size, data.workers, [eval]) and tabulated. Never trains.
  std::string runs_of;                      // "" = trains its own runs
  // [sweep] (config/sweep.h): its points are the variants (variant_names), named by their values
  // ("theta=5,sigma=1.5"); sweep_keys lists the swept key paths.
  bool sweep = false;
  std::vector<std::string> sweep_keys;
  bool is_study() const { return study.has_value(); }
  bool is_eval_only() const { return !runs_of.empty(); }
  bool is_sweep() const { return sweep; }
};

// Reads and validates `path` (InputError on any problem, naming file:line:column and key). An
// eval-only file loads the experiment it names (with the same profile; --set overrides of what
// is trained go to that experiment, those of data.test/distortions/batch_size/workers, [eval],
// [experiment] and [table] to this file) and overlays its evaluation settings on each variant.
Experiment load_experiment(const std::string& path, const LoadOptions& options = {});
// Same, from text (`path` used in messages only). For tests and tools.
Experiment load_experiment_text(const std::string& text, const std::string& path,
                                const LoadOptions& options = {});

// A run's canonical config (RunSpec::config_toml, as the store keeps it) as the text of an
// experiment file that plans that one model again: its [run] section (names, fold and seed) left
// out; the caller restores fold and seed (train.seeds, data.fold_list). InputError if it does not parse.
std::string experiment_text_of_run_config(const std::string& config_toml);

// variants × seeds × folds (folds from data.fold_list, or 0..k-1; none if data.folds == 0),
// in order variant (file order) → fold → seed.
std::vector<RunSpec> expand(const Experiment& experiment);

// Recomputes run.config_toml after its sections changed (e.g. options resolved by a registry).
void refresh_canonical(RunSpec& run);

// Short (16 hex) SHA-256 of what determines a trained model: the canonical config without the
// names of the experiment, variant and profile, without data_root (where the data lives is not
// what it is: the manifest hash covers that) and without what is only evaluated (data.test,
// data.distortions, data.batch_size, [eval]); the seed, the resolved intra-op thread count, the
// code identity and the manifest of the training set (after the k-fold split). Same inputs →
// same id; any change of what is trained → new id; two experiment files training the same
// thing → one id, whose results are keyed by test set, distortion, metric and convention.
std::string run_id(const RunSpec& run, const std::string& code_version,
                   const std::string& train_manifest_sha, int threads);

std::string resolve_experiment_path(const std::string& name_or_path);
// Where experiment names resolve: $SODLAB_EXPERIMENTS_DIR, or "experiments".
std::string experiments_dir();

}  // namespace sodlab::config
