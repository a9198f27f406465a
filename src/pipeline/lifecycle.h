// The lifecycle of one recorded run, written once for trained runs (execute.h) and studies
// (study.h): claim → heartbeat → status → error text, and the checkpoint check before a
// checkpoint is resumed or evaluated.
#pragma once

#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "store/results_store.h"

namespace sodlab::pipeline {

enum class ClaimOutcome {
  claimed,  // this process executes the run
  busy,     // another live process is executing it (logged)
  left,     // the policy leaves it (completed, or failed in this sweep; logged)
};

// Claims the run for this process (store::ResultsStore::claim_run with process_owner()).
ClaimOutcome claim_for_this_process(store::ResultsStore& db, const store::RunRecord& record,
                                    const store::ClaimPolicy& policy = {});

// Runs `work` for the claimed run `run_id` with a heartbeat, then records how it ended:
// completed; interrupted (train::Interrupted, rethrown); failed with the error's text (any other
// exception, rethrown; one that is not a sodlab::Error as a RuntimeFailure).
void run_claimed(store::ResultsStore& db, const std::string& run_id, const std::function<void()>& work);

// The text of an exception as a run's error (LibTorch's without its C++ backtrace).
std::string message_of(const std::exception& e);

enum class CheckpointRecord { matches, differs, unrecorded };
// Whether the SHA-256 of the checkpoint file at `path` is one the store records for run `run_id`
// as an artifact of one of `kinds` ("checkpoint", "checkpoint:previous").
CheckpointRecord check_recorded_checkpoint(store::ResultsStore& db, const std::string& run_id,
                                           const std::string& path, std::initializer_list<const char*> kinds);

}  // namespace sodlab::pipeline
