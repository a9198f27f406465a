// Where a run computes (train.device / --device) and in what precision (train.precision).
//
// Devices: "auto" (the first CUDA device when LibTorch sees one, else the CPU), "cpu", "cuda"
// (= cuda:0), "cuda:N". resolve_device() checks the request against this build and machine: CUDA
// asked for where LibTorch has no CUDA or sees no GPU, or an index past the last GPU, is an
// InputError (exit 2) saying what is there, raised at planning, before anything is recorded.
//
// Precision: "fp32" (default; exact and deterministic on the CPU), "bf16" (autocast to bfloat16:
// CPU or CUDA), "fp16" (autocast to float16 with a dynamic loss scale: CUDA only). Under autocast
// only the model's forward runs in the low precision; the loss is computed in fp32 on fp32 logits,
// and weights, optimiser state and checkpoints stay fp32.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sodlab::train {

// InputError naming `where` (e.g. "--device" or "train.device") for an unknown or unavailable
// device. Returns "cpu" or "cuda:N".
std::string resolve_device(const std::string& requested, const std::string& where);

// "cpu" or "cuda": what a run's results depend on (part of its identity), not which GPU.
std::string device_kind(const std::string& resolved);

enum class Precision { fp32, bf16, fp16 };

// InputError naming `where` for anything but fp32 | bf16 | fp16, or fp16 on a CPU device.
Precision parse_precision(const std::string& name, const std::string& device, const std::string& where);
std::string precision_name(Precision p);

// Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX in /proc/cpuinfo's flags, and
// the AVX-512 BW/VL/DQ that oneDNN's bf16 kernels need). Without it, LibTorch 1.13 runs bf16
// convolutions through its reference kernels, many times slower than fp32.
bool cpu_has_native_bf16();

// Memory in use on a CUDA device (total minus free, cudaMemGetInfo of the CUDA runtime LibTorch
// loaded, for the current device): after a step it covers what LibTorch's caching allocator
// reserved at the step's peak, since the allocator keeps its blocks. nullopt for the CPU or where
// the runtime is not loaded.
std::optional<std::int64_t> cuda_memory_in_use(const std::string& device);

// Autocast for the lifetime of the guard (fp32: does nothing). Not nestable with another guard.
class AutocastGuard {
 public:
  AutocastGuard(Precision precision, const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

// Dynamic loss scaling for fp16 (the algorithm of torch.cuda.amp.GradScaler): the loss is
// multiplied by scale() before backward; unscale_and_check() divides the gradients by it and says
// whether they are all finite. A step with an inf/NaN gradient is skipped and the scale halved;
// after `growth_interval` finite steps in a row the scale doubles. Disabled (scale 1, every step
// taken) for fp32 and bf16.
class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initial = 65536.0, int growth_interval = 2000);
  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  // After backward on loss × scale(): unscales the gradients of `params` in place; true = step.
  bool unscale_and_check(const std::vector<torch::Tensor>& params);
  int skipped_steps() const { return skipped_; }

 private:
  bool enabled_;
  double scale_;
  int growth_interval_, good_steps_ = 0, skipped_ = 0;
};

}  // namespace sodlab::train
