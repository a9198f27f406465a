// Training checkpoints: one file holding the full state needed to resume exactly.
//
// Written with torch::serialize archives to PATH.tmp, then renamed over PATH, so a crash leaves
// either the previous checkpoint or the new one, never a partial file. Contents: the spec
// fingerprint, the position (stage index, epochs completed in that stage, global epochs
// completed), the model's parameters and buffers, and the optimiser state.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>

namespace sodlab::train {

struct CheckpointPosition {
  int stage = 0;            // index of the stage the last completed epoch belongs to
  int stage_epochs = 0;     // epochs completed in that stage
  int global_epochs = 0;    // epochs completed over all stages
};

// `before_commit(tmp_path)`, if given, runs after PATH.tmp is complete and before the rename
// (e.g. to record the new file's hash); if it throws, PATH is left as it was.
void save_checkpoint(const std::string& path, const std::string& fingerprint,
                     const CheckpointPosition& pos, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer,
                     const std::function<void(const std::string& tmp_path)>& before_commit = {});

// Reads the header only (fingerprint and position); InputError naming the file if unreadable.
CheckpointPosition read_checkpoint_position(const std::string& path, std::string* fingerprint);

// Restores model parameters/buffers and (when `optimizer` is non-null) the optimiser state.
void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer);

}  // namespace sodlab::train
