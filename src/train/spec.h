// Training protocol as plain structs; a stage is config/stage.h's (plain data, no TOML).
//
// A run is a list of stages trained one after the other; each stage has its own optimiser (fresh
// state at the stage start), learning-rate schedule and frozen parameter groups. Kolkin §5.1:
// Adam 3e-4 × 8 epochs, 1e-4 × 4 epochs (backbone frozen in both), 1e-5 × 14 epochs (all trained).
// MEnet (reference-formulas A.4): SGD momentum 0.9, lr 0.1, weight decay 1e-8, multistep γ = 0.1 at
// iterations 60k, 90k, 100k.
#pragma once

#include "config/stage.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sodlab::train {

// A stage's keys and defaults are defined once, in config/stage.h.
using StageSpec = config::Stage;

struct TrainSpec {
  std::vector<StageSpec> stages;
  int batch_size = 8;
  std::uint64_t seed = 0;          // root seed: data order, augmentation, torch RNG per epoch
  std::string checkpoint_dir;      // empty: no checkpoints (and no resume)
  int threads = 0;                 // LibTorch intra-op threads; <= 0: resolve_threads(0)
  std::string device = "cpu";      // resolved: "cpu" | "cuda:N" (train/device.h resolve_device)
  std::string precision = "fp32";  // fp32 | bf16 | fp16 (train/device.h)
  // Caches (train/feature_cache.h, train/target_cache.h); an empty folder = that cache off.
  std::string feature_cache_dir;          // backbone activations of frozen stages
  std::string feature_cache = "off";      // off | fp16 | fp32: what they are stored as (changes the
                                          // values trained on unless fp32: in the fingerprint)
  std::string target_cache_dir;           // the loss's mask-only maps (never changes a value)
  std::string target_identity;            // the loss name and options prepare() depends on
  std::string cache_ref;                  // the run the entries are written for
  std::string progress = "auto";   // auto (bar on a terminal, lines otherwise) | bar | lines | none
  int log_every = 0;               // lines mode: a line every N steps (0: once per epoch)
};

// InputError naming the stage and field for invalid values (epochs < 0, lr <= 0, unknown
// optimizer/schedule/unit, unsorted milestones, no stages, batch_size < 1).
void validate(const TrainSpec& spec);

// Learning rate of `stage` at stage-local iteration `iter` (0-based) in stage-local epoch
// `epoch` (0-based).
double learning_rate(const StageSpec& stage, std::int64_t iter, int epoch);

// A canonical one-line description of everything that changes the trained weights (stages,
// batch size, seed); stored in checkpoints so a resume with a different protocol is refused.
std::string fingerprint(const TrainSpec& spec);

}  // namespace sodlab::train
