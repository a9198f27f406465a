// Keeps runs.heartbeat_at of one run fresh from a background thread while the run is alive, so
// a run whose process was killed shows up as interrupted. Stops (and joins) on destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/results_store.h"

namespace sodlab::pipeline {

class Heartbeat {
 public:
  Heartbeat(store::ResultsStore& store, std::string run_id,
            std::chrono::seconds every = std::chrono::seconds(20));
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  void loop();
  store::ResultsStore& store_;
  std::string run_id_;
  std::chrono::seconds every_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sodlab::pipeline
