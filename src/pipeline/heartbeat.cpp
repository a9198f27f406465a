#include "pipeline/heartbeat.h"

#include "core/log.h"

namespace sodlab::pipeline {

Heartbeat::Heartbeat(store::ResultsStore& store, std::string run_id, std::chrono::seconds every)
    : store_(store), run_id_(std::move(run_id)), every_(every), thread_([this] { loop(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Heartbeat::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!cv_.wait_for(lock, every_, [this] { return stop_; })) {
    try {
      store_.heartbeat(run_id_);
    } catch (const std::exception& e) {
      log::warn(std::string("heartbeat: ") + e.what());
    }
  }
}

}  // namespace sodlab::pipeline
