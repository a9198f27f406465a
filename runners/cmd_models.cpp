// `sodlab models`: list the registered models, or build one and print its layer summary,
// parameter counts, output shapes and measured forward time per image (--json for machines).
#include "command.h"

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/blas_threads.h"
#include "core/error.h"
#include "core/options.h"
#include "core/threads.h"
#include "models/registry.h"
#include "train/device.h"

namespace {

using namespace sodlab;

struct ModelsArgs {
  std::string name;
  std::vector<std::string> sets;
  int input = 224, batch = 1, repeats = 3, threads = 0;
  bool json = false;
  std::string trace;  // Chrome trace of the timed forwards ("" = none)
  std::string precision = "fp32";  // fp32 | bf16 (autocast, as train.precision)
};

std::int64_t count(torch::nn::Module& m, bool trainable) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters())
    if (!trainable || p.requires_grad()) n += p.numel();
  return n;
}

nlohmann::json option_json(const OptionValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

int run_models(const ModelsArgs& a) {
  at::set_num_threads(resolve_threads(a.threads));
  use_one_thread_pool();  // as sodlab run: OpenBLAS's own threads would compete with LibTorch's
  if (a.name.empty()) {
    for (const auto& e : models::model_registry().entries())
      std::printf("%-18s %s\n", e.name.c_str(), e.summary.c_str());
    return 0;
  }
  if (a.input < 1 || a.batch < 1 || a.repeats < 1) throw InputError("--input, --batch and --repeats must be ≥ 1");
  Options options;
  for (const auto& s : a.sets) options.set_from_assignment(s);
  // A summary needs no pretrained weights: the layers, shapes and speed are the same without.
  auto model = models::make_model(a.name, options, models::Weights::skip);
  model->eval();
  torch::NoGradGuard guard;
  const train::AutocastGuard autocast(train::parse_precision(a.precision, "cpu", "--precision"), torch::Device(torch::kCPU));
  torch::Tensor x = torch::rand({a.batch, 3, a.input, a.input}) * 255;
  models::ModelOutput out = model->forward(x);  // warm-up (and shapes)
  const auto t0 = std::chrono::steady_clock::now();
  {
    // --trace: every op of the timed forwards, in the Chrome trace format (chrome://tracing,
    // Perfetto); the profiler's overhead is in the time then.
    std::unique_ptr<torch::autograd::profiler::RecordProfile> trace;
    if (!a.trace.empty()) trace = std::make_unique<torch::autograd::profiler::RecordProfile>(a.trace);
    for (int r = 0; r < a.repeats; ++r) out = model->forward(x);
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                    (a.repeats * a.batch);
  nlohmann::json shapes = nlohmann::json::object();
  if (out.logits.defined()) shapes["logits"] = out.logits.sizes().vec();
  if (out.features.defined()) shapes["features"] = out.features.sizes().vec();
  const std::int64_t total = count(*model, false), trainable = count(*model, true);
  if (a.json) {
    nlohmann::json j;
    j["name"] = a.name;
    j["options"] = nlohmann::json::object();
    for (const auto& [k, v] : options.resolved()) j["options"][k] = option_json(v);
    j["parameters"] = total;
    j["trainable"] = trainable;
    j["output_shapes"] = shapes;
    j["forward_ms_per_image"] = ms;
    j["input"] = {a.batch, 3, a.input, a.input};
    j["threads"] = at::get_num_threads();
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("model %s (%s)\n", a.name.c_str(), models::model_registry().at(a.name).summary.c_str());
  std::printf("options:");
  for (const auto& [k, v] : options.resolved()) std::printf(" %s=%s", k.c_str(), option_value_to_string(v).c_str());
  std::printf("\n\n%-28s %-22s %14s\n", "layer", "type", "parameters");
  for (const auto& child : model->named_children())
    std::printf("%-28s %-22s %14lld\n", child.key().c_str(), child.value()->name().c_str(),
                static_cast<long long>(count(*child.value(), false)));
  std::printf("\nparameters: %lld total, %lld trainable\n", static_cast<long long>(total),
              static_cast<long long>(trainable));
  std::printf("input: %d×3×%d×%d; outputs:", a.batch, a.input, a.input);
  for (const auto& [k, v] : shapes.items()) std::printf(" %s %s", k.c_str(), v.dump().c_str());
  std::printf("\nforward: %.1f ms per image (%d threads, mean of %d runs after a warm-up)\n", ms,
              at::get_num_threads(), a.repeats);
  return 0;
}

cli::CommandRegistration reg{"models", "list the models, or summarise one (layers, parameters, shapes, speed)",
                             [](CLI::App& app) {
                               auto a = std::make_shared<ModelsArgs>();
                               app.add_option("name", a->name, "model name (omit to list the models)");
                               app.add_option("--set", a->sets, "model option key=value (repeatable)");
                               app.add_option("--input", a->input, "input height = width (default 224)");
                               app.add_option("--batch", a->batch, "images per forward (default 1)");
                               app.add_option("--repeats", a->repeats, "timed forwards (default 3)");
                               app.add_option("--threads", a->threads, "LibTorch threads (default: all cores)")->check(CLI::Range(0, kMaxThreads));
                               app.add_flag("--json", a->json, "print a JSON object");
                               app.add_option("--precision", a->precision, "fp32 | bf16: the forward under autocast, as train.precision")->capture_default_str();
                               app.add_option("--trace", a->trace, "write a Chrome trace (chrome://tracing) of the timed forwards to this file");
                               return [a] { return run_models(*a); };
                             }};

}  // namespace
