#include "train/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/log.h"

namespace sodlab::train {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string hms(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

}  // namespace

Progress::Progress(const std::string& mode, std::int64_t total_steps, int log_every)
    : mode_(mode), total_steps_(total_steps), log_every_(log_every), started_(now()) {
  if (mode_ == "auto") mode_ = isatty(STDERR_FILENO) ? "bar" : "lines";
}

void Progress::step(const std::string& stage, int epoch, int epochs, std::int64_t step,
                    std::int64_t steps, double mean_loss, std::int64_t batch_images) {
  ++done_steps_;
  images_ += static_cast<double>(batch_images);
  const double t = now(), elapsed = t - started_;
  const double ips = elapsed > 0 ? images_ / elapsed : 0;
  const double eta = done_steps_ > 0 ? elapsed / done_steps_ * (total_steps_ - done_steps_) : -1;
  if (mode_ == "bar") {
    if (t - last_draw_ < 0.1 && step != steps) return;
    last_draw_ = t;
    const int width = 24;
    const int fill = steps > 0 ? static_cast<int>(width * step / steps) : width;
    std::fprintf(stderr, "\r%s %d/%d [%s%s] %lld/%lld loss %.4f  %.1f img/s  ETA %s\033[K",
                 stage.c_str(), epoch, epochs, std::string(fill, '#').c_str(),
                 std::string(width - fill, '.').c_str(), static_cast<long long>(step),
                 static_cast<long long>(steps), mean_loss, ips, hms(eta).c_str());
    std::fflush(stderr);
  } else if (mode_ == "lines" && log_every_ > 0 && step % log_every_ == 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s epoch %d/%d step %lld/%lld loss %.5f %.1f img/s ETA %s",
                  stage.c_str(), epoch, epochs, static_cast<long long>(step),
                  static_cast<long long>(steps), mean_loss, ips, hms(eta).c_str());
    log::info(buf);
  }
}

void Progress::end_epoch(const std::string& stage, int epoch, int epochs, double mean_loss,
                         double lr, double seconds, double images_per_second) {
  if (mode_ == "none") return;
  const double elapsed = now() - started_;
  const double eta = done_steps_ > 0 ? elapsed / done_steps_ * (total_steps_ - done_steps_) : -1;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s epoch %d/%d: loss %.5f lr %.3g %.1fs %.1f img/s ETA %s",
                stage.c_str(), epoch, epochs, mean_loss, lr, seconds, images_per_second,
                hms(eta).c_str());
  if (mode_ == "bar") {
    std::fprintf(stderr, "\r%s\033[K\n", buf);
    std::fflush(stderr);
  } else {
    log::info(buf);
  }
}

}  // namespace sodlab::train
