#include "pipeline/trained_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <optional>

#include "core/error.h"
#include "models/registry.h"
#include "pipeline/lifecycle.h"
#include "train/checkpoint.h"

namespace sodlab::pipeline {
namespace fs = std::filesystem;

std::shared_ptr<models::SegmentationModel> load_final_model(const PlannedRun& run, store::ResultsStore& db,
                                                            const std::string& purpose,
                                                            const std::string& redo_hint,
                                                            const std::string& recorded_id) {
  const std::string id = recorded_id.empty() ? run.run_id : recorded_id;
  std::optional<store::ArtifactRow> checkpoint;
  for (const auto& a : db.artifacts(id))
    if (a.kind == "checkpoint") checkpoint = a;
  if (!checkpoint)
    throw InputError("run " + id + " is completed but the store " + db.path() +
                     " records no checkpoint to " + purpose + " with" + redo_hint);
  std::error_code ec;
  if (!fs::is_regular_file(checkpoint->path, ec))
    throw InputError("run " + id + ": its checkpoint " + checkpoint->path + " is missing, so it cannot " +
                     purpose + redo_hint);
  if (check_recorded_checkpoint(db, id, checkpoint->path, {"checkpoint"}) != CheckpointRecord::matches)
    throw InputError(checkpoint->path + ": checkpoint of run " + id + " does not match the SHA-256 recorded in " +
                     db.path() + redo_hint);
  Options model_options = run.spec.model.options;
  auto model = models::make_model(run.spec.model.name, model_options, models::Weights::skip);
  model->to(torch::Device(run.device));
  train::load_checkpoint_state(checkpoint->path, *model, nullptr);
  model->eval();
  return model;
}

}  // namespace sodlab::pipeline
