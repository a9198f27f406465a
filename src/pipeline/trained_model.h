// The final model of a completed run, rebuilt from the checkpoint the store records for it.
//
// load_final_model() builds the run's model (its resolved options, no pretrained weights: the
// checkpoint holds every parameter), loads the checkpoint the store records as the run's
// artifact "checkpoint" after checking its SHA-256 against the record, moves it to the run's
// device and puts it in eval mode. `recorded_id` is the run whose checkpoint is read ("" = the
// planned run's id; another id when the code changed since that run was trained, so the planned
// id differs). InputError (exit 2) naming the run and the file when the run records no checkpoint,
// the file is missing or its hash differs; `redo_hint` ends those messages.
#pragma once

#include <memory>
#include <string>

#include "models/model.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

std::shared_ptr<models::SegmentationModel> load_final_model(const PlannedRun& run, store::ResultsStore& db,
                                                            const std::string& purpose,
                                                            const std::string& redo_hint,
                                                            const std::string& recorded_id = "");

}  // namespace sodlab::pipeline
