// Training progress display: a redrawn bar (stage, epoch, loss, images/s, ETA) when stderr is a
// terminal, plain log lines otherwise (one per epoch, or every `log_every` steps).
#pragma once

#include <cstdint>
#include <string>

namespace sodlab::train {

class Progress {
 public:
  // mode: auto | bar | lines | none. total_steps: steps left in this fit() call (for the ETA).
  Progress(const std::string& mode, std::int64_t total_steps, int log_every);
  // After each step: stage name, stage-local epoch (1-based) of `epochs`, step (1-based) of `steps`.
  void step(const std::string& stage, int epoch, int epochs, std::int64_t step, std::int64_t steps,
            double mean_loss, std::int64_t batch_images);
  void end_epoch(const std::string& stage, int epoch, int epochs, double mean_loss, double lr,
                 double seconds, double images_per_second);

 private:
  std::string mode_;
  std::int64_t total_steps_, done_steps_ = 0;
  int log_every_;
  double started_;         // seconds since epoch at construction
  double images_ = 0;
  double last_draw_ = 0;
};

}  // namespace sodlab::train
