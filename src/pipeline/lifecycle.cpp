#include "pipeline/lifecycle.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "pipeline/heartbeat.h"
#include "store/provenance.h"
#include "train/interrupted.h"

namespace sodlab::pipeline {

ClaimOutcome claim_for_this_process(store::ResultsStore& db, const store::RunRecord& record,
                                    const store::ClaimPolicy& policy) {
  const store::ClaimResult claim = db.claim_run(record, store::process_owner(), policy);
  if (claim.claimed) return ClaimOutcome::claimed;
  if (claim.status != store::kStatusRunning) {
    log::info("  left: " + claim.status + (claim.owner.empty() ? "" : " by " + claim.owner));
    return ClaimOutcome::left;
  }
  log::info("  skipped: being executed by " + claim.owner + " (heartbeat " +
            std::to_string(static_cast<int>(claim.heartbeat_age_seconds)) + " s ago)");
  return ClaimOutcome::busy;
}

void run_claimed(store::ResultsStore& db, const std::string& run_id, const std::function<void()>& work) {
  Heartbeat heartbeat(db, run_id);
  try {
    work();
    db.set_status(run_id, store::kStatusCompleted);
  } catch (const train::Interrupted& e) {
    db.set_status(run_id, store::kStatusInterrupted, e.what());
    throw;
  } catch (const Error& e) {
    db.set_status(run_id, store::kStatusFailed, e.what());
    throw;
  } catch (const std::exception& e) {
    const std::string message = message_of(e);
    db.set_status(run_id, store::kStatusFailed, message);
    throw RuntimeFailure(message);
  }
}

std::string message_of(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    log::debug(std::string("LibTorch error: ") + e.what());
    return c10->what_without_backtrace();
  }
  return e.what();
}

CheckpointRecord check_recorded_checkpoint(store::ResultsStore& db, const std::string& run_id,
                                           const std::string& path, std::initializer_list<const char*> kinds) {
  std::vector<std::string> recorded;
  for (const auto& a : db.artifacts(run_id))
    if (std::find_if(kinds.begin(), kinds.end(), [&](const char* k) { return a.kind == k; }) != kinds.end())
      recorded.push_back(a.sha256);
  if (recorded.empty()) return CheckpointRecord::unrecorded;
  const std::string sha = sha256_file_hex(path);
  return std::find(recorded.begin(), recorded.end(), sha) != recorded.end() ? CheckpointRecord::matches
                                                                             : CheckpointRecord::differs;
}

}  // namespace sodlab::pipeline
