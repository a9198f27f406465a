#include "train/device.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

// LibTorch 2.4 replaced the per-device autocast setters by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SODLAB_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace sodlab::train {
namespace {

std::string cuda_absent() {
  if (!torch::cuda::is_available())
    return std::string("this LibTorch (") + TORCH_VERSION +
           ") sees no CUDA device (built without CUDA, or no GPU / driver visible)";
  return std::to_string(torch::cuda::device_count()) + " CUDA device(s) visible";
}

bool autocast_enabled(bool cuda) {
#ifdef SODLAB_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast(bool cuda, bool enabled, at::ScalarType dtype) {
#ifdef SODLAB_AUTOCAST_BY_DEVICE_TYPE
  const at::DeviceType type = cuda ? at::kCUDA : at::kCPU;
  at::autocast::set_autocast_dtype(type, dtype);
  at::autocast::set_autocast_enabled(type, enabled);
#else
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

at::ScalarType autocast_dtype(bool cuda) {
#ifdef SODLAB_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

}  // namespace

std::string resolve_device(const std::string& requested, const std::string& where) {
  if (requested == "auto") return torch::cuda::is_available() ? "cuda:0" : "cpu";
  if (requested == "cpu") return "cpu";
  if (requested == "cuda" || requested.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (requested != "cuda") {
      const std::string digits = requested.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4)
        throw InputError(where + " = '" + requested + "': expected cuda:N with N a device index");
      index = std::stoi(digits);
    }
    if (!torch::cuda::is_available())
      throw InputError(where + " = '" + requested + "': " + cuda_absent() + "; use cpu or auto");
    if (index >= static_cast<int>(torch::cuda::device_count()))
      throw InputError(where + " = '" + requested + "': " + cuda_absent() + " (indices from 0)");
    return "cuda:" + std::to_string(index);
  }
  throw InputError(where + " = '" + requested + "': expected auto, cpu, cuda or cuda:N");
}

std::string device_kind(const std::string& resolved) { return resolved.rfind("cuda", 0) == 0 ? "cuda" : "cpu"; }

Precision parse_precision(const std::string& name, const std::string& device, const std::string& where) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp16") {
    if (device_kind(device) != "cuda")
      throw InputError(where + " = 'fp16' needs a CUDA device (the device is " + device +
                       "); on a CPU use bf16 (autocast to bfloat16)");
    return Precision::fp16;
  }
  throw InputError(where + " = '" + name + "': expected fp32, bf16 or fp16");
}

std::optional<std::int64_t> cuda_memory_in_use(const std::string& device) {
  if (device_kind(device) != "cuda") return std::nullopt;
  // int cudaMemGetInfo(size_t* free, size_t* total): looked up, not linked (a CPU build has no CUDA).
  using MemGetInfo = int (*)(std::size_t*, std::size_t*);
  const auto get = reinterpret_cast<MemGetInfo>(dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
  std::size_t free = 0, total = 0;
  if (!get || get(&free, &total) != 0) return std::nullopt;
  return static_cast<std::int64_t>(total - free);
}

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    const bool avx512 = flags.count("avx512bw") && flags.count("avx512vl") && flags.count("avx512dq");
    return avx512 && (flags.count("avx512_bf16") || flags.count("amx_bf16"));
  }
  return false;
}

std::string precision_name(Precision p) {
  return p == Precision::bf16 ? "bf16" : p == Precision::fp16 ? "fp16" : "fp32";
}

AutocastGuard::AutocastGuard(Precision precision, const torch::Device& device) {
  if (precision == Precision::fp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  was_enabled_ = autocast_enabled(cuda_);
  was_dtype_ = autocast_dtype(cuda_);
  set_autocast(cuda_, true, precision == Precision::bf16 ? at::kBFloat16 : at::kHalf);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Leaving the outermost autocast region frees the cast copies of the weights.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(cuda_, was_enabled_, was_dtype_);
}

LossScaler::LossScaler(bool enabled, double initial, int growth_interval)
    : enabled_(enabled), scale_(enabled ? initial : 1.0), growth_interval_(growth_interval) {}

bool LossScaler::unscale_and_check(const std::vector<torch::Tensor>& params) {
  if (!enabled_) return true;
  bool finite = true;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.mutable_grad();
    g.div_(scale_);
    if (finite && !torch::isfinite(g).all().item<bool>()) finite = false;
  }
  if (!finite) {
    scale_ /= 2;
    good_steps_ = 0;
    ++skipped_;
    return false;
  }
  if (++good_steps_ >= growth_interval_) scale_ *= 2, good_steps_ = 0;
  return true;
}

}  // namespace sodlab::train
