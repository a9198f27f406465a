// One training stage: every key and its default, defined once. config reads and writes it
// (schema.cpp: read_stage with these defaults, canonical_tree), the trainer runs it
// (train::StageSpec is this struct), and the checkpoint fingerprint hashes it (train/spec.cpp;
// tests/pipeline/test_plan.cpp fails when a key of the canonical config does not reach it).
// Plain data, no TOML or LibTorch: train includes it as report includes table_spec.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sodlab::config {

struct Stage {
  std::string name = "stage";             // config: default "stage<i>" (1-based)
  int epochs = 1;                         // >= 1
  double lr = 1e-3;                       // > 0
  std::string optimizer = "adam";         // adam | sgd
  double momentum = 0.9;                  // sgd
  bool nesterov = false;                  // sgd
  double eps = 1e-8;                      // adam
  double weight_decay = 0;                // both (L2 added to the gradient, as in Caffe and torch.optim)
  std::array<double, 2> betas{0.9, 0.999};  // adam
  std::string schedule = "constant";      // constant | multistep
  std::string milestone_unit = "epoch";   // epoch | iteration (counted from the stage start)
  std::vector<std::int64_t> milestones;   // multistep: lr × gamma^(milestones reached), increasing
  double gamma = 0.1;
  std::vector<std::string> frozen;        // model groups frozen during this stage, e.g. ["backbone"]
};

}  // namespace sodlab::config
