#include "robustness/jacobian.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/error.h"
#include "data/random.h"
#include "data/transforms.h"

namespace sodlab::robustness {
namespace {

namespace F = torch::nn::functional;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<std::string> kOutputs{"probability", "saliency"};
const std::vector<std::string> kDirections{"gaussian", "awgn", "jpeg"};

// The shortest decimal text that reads back as `v` ("1", "0.5", "25").
std::string shortest(double v) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Eval mode for the lifetime of the guard; the previous mode is restored.
class EvalMode {
 public:
  explicit EvalMode(models::SegmentationModel& m) : model_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalMode() { model_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  models::SegmentationModel& model_;
  bool was_training_;
};

torch::Device device_of(models::SegmentationModel& m) {
  const auto params = m.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

// The image resized bilinearly to size² (8-bit), as train::predict_batch does.
cv::Mat resized(const cv::Mat& rgb, int size, std::size_t index) {
  if (rgb.empty() || rgb.type() != CV_8UC3)
    throw InputError("jacobian: image " + std::to_string(index) + " is not 8-bit RGB");
  cv::Mat r;
  cv::resize(rgb, r, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  return r;
}

// 3×H×W float (values 0..255) of an 8-bit RGB image, on the CPU.
torch::Tensor to_chw(const cv::Mat& u8) {
  cv::Mat f;
  u8.convertTo(f, CV_32FC3);
  return torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
}

// N×3×S×S input of images [begin, end).
torch::Tensor inputs(const std::vector<cv::Mat>& rgb, std::size_t begin, std::size_t end, int size) {
  std::vector<torch::Tensor> x;
  for (std::size_t i = begin; i < end; ++i) x.push_back(to_chw(resized(rgb[i], size, i)));
  return torch::stack(x);
}

torch::Tensor nearest(const torch::Tensor& t, int size) {
  return F::interpolate(t, F::InterpolateFuncOptions().size(std::vector<std::int64_t>{size, size}).mode(torch::kNearest));
}

const torch::Tensor& logits_of(const models::ModelOutput& out) {
  if (!out.logits.defined())
    throw InputError("jacobian: the model has no logits, which paper_code and output = 'probability' need");
  return out.logits;
}

// f: the N×S×S output map of the settings' `output`, nearest-resized to the output size.
torch::Tensor output_map(const models::SegmentationModel& model, const models::ModelOutput& out,
                         const JacobianSettings& s) {
  const int size = s.resolved_output_size();
  if (s.output == "saliency") {
    const torch::Tensor sal = model.saliency(out);
    if (sal.dim() != 4 || sal.size(1) != 1)
      throw RuntimeFailure("jacobian: model saliency has shape " + std::string(c10::str(sal.sizes())) +
                           ", expected N×1×H×W");
    return nearest(sal, size).select(1, 0);
  }
  const torch::Tensor z = nearest(logits_of(out), size);
  if (z.size(1) == 1) return torch::sigmoid(z).select(1, 0);
  if (z.size(1) == 2) return torch::softmax(z, 1).select(1, 1);
  throw InputError("jacobian: output = 'probability' needs 1 or 2 logit channels, the model has " +
                   std::to_string(z.size(1)));
}

GradientStats stats_of(const torch::Tensor& abs_g) {
  const torch::Tensor v = abs_g.flatten().to(torch::kFloat64);
  return {v.max().item<double>(), v.min().item<double>(), v.median().item<double>(), v.mean().item<double>(),
          v.var().item<double>()};
}

// Per-image statistics of |d objective / d x|, batch_size images per backward (the objective sums
// over images, which are independent in eval mode).
std::vector<GradientStats> gradient_stats(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                          const JacobianSettings& s,
                                          const std::function<torch::Tensor(const models::ModelOutput&)>& objective) {
  validate(s);
  EvalMode eval(model);
  torch::AutoGradMode grad_mode(true);  // also under a caller's NoGradGuard
  const torch::Device device = device_of(model);
  std::vector<GradientStats> out;
  for (std::size_t begin = 0; begin < rgb.size(); begin += static_cast<std::size_t>(s.batch_size)) {
    const std::size_t end = std::min(rgb.size(), begin + static_cast<std::size_t>(s.batch_size));
    const torch::Tensor x = inputs(rgb, begin, end, s.input_size).to(device).requires_grad_(true);
    const torch::Tensor g = torch::autograd::grad({objective(model.forward(x))}, {x})[0].abs().to(torch::kCPU);
    for (std::int64_t i = 0; i < g.size(0); ++i) out.push_back(stats_of(g[i]));
  }
  return out;
}

// mc_fd's directions for one image (3×S×S float, CPU); zero awgn/jpeg perturbations are left out.
std::vector<torch::Tensor> directions(const cv::Mat& u8, const std::string& stem, const JacobianSettings& s) {
  const std::int64_t n = 3 * static_cast<std::int64_t>(u8.rows) * u8.cols;
  const int count = s.direction == "jpeg" ? 1 : s.directions;
  std::vector<torch::Tensor> v;
  for (int k = 0; k < count; ++k) {
    const std::uint64_t seed = data::derive_seed(s.seed, "jacobian:" + stem, static_cast<std::uint64_t>(k));
    if (s.direction == "gaussian") {
      torch::Tensor d = torch::empty({3, u8.rows, u8.cols}, torch::kFloat32);
      data::Rng rng(seed);
      float* p = d.data_ptr<float>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.normal());
      v.push_back(d);
      continue;
    }
    const cv::Mat moved = s.direction == "awgn" ? data::add_awgn(u8, s.direction_level, seed)
                                                : data::jpeg_reencode(u8, static_cast<int>(s.direction_level));
    const torch::Tensor d = to_chw(moved) - to_chw(u8);
    const double norm = d.to(torch::kFloat64).norm().item<double>();
    if (norm > 0) v.push_back(d * static_cast<float>(std::sqrt(static_cast<double>(n)) / norm));
  }
  return v;
}

// `sampled`: the directions are random draws (all laws but jpeg).
FdEstimate summarise(const std::vector<double>& sk, bool sampled) {
  if (sk.empty()) return {kNaN, kNaN, kNaN, 0};
  FdEstimate e;
  e.directions = static_cast<int>(sk.size());
  double sum = 0;
  for (double v : sk) sum += v;
  e.fro2 = sum / static_cast<double>(sk.size());
  e.fro = std::sqrt(e.fro2);
  if (!sampled) {
    e.fro2_se = 0;
  } else if (sk.size() < 2) {
    e.fro2_se = kNaN;
  } else {
    double ss = 0;
    for (double v : sk) ss += (v - e.fro2) * (v - e.fro2);
    e.fro2_se = std::sqrt(ss / static_cast<double>(sk.size() - 1) / static_cast<double>(sk.size()));
  }
  return e;
}

std::vector<MetricValues> gradient_metrics(const std::vector<GradientStats>& stats) {
  std::vector<MetricValues> out;
  for (const auto& g : stats) out.push_back(metric_values(g));
  return out;
}

void check_stems(const std::vector<cv::Mat>& rgb, const std::vector<std::string>& stems) {
  if (stems.size() != rgb.size())
    throw InputError("jacobian: " + std::to_string(stems.size()) + " stems for " + std::to_string(rgb.size()) +
                     " images");
}

}  // namespace

std::string JacobianSettings::label(const std::string& estimator) const {
  estimator_registry().at(estimator);  // unknown name → InputError
  std::string l = estimator + "/in" + std::to_string(input_size) + "/out" + std::to_string(resolved_output_size());
  if (estimator == "paper_code") return l;
  l += "/" + output;
  if (estimator == "salient_sum") return l;
  if (direction == "jpeg") return l + "/h" + shortest(step) + "/jpeg_q" + std::to_string(static_cast<int>(direction_level));
  l += "/K" + std::to_string(directions) + "/h" + shortest(step) + "/";
  l += direction == "awgn" ? "awgn_s" + shortest(direction_level) : direction;
  return l + "/seed" + std::to_string(seed);
}

void validate(const JacobianSettings& s, const std::string& context) {
  auto fail = [&](const std::string& key, const std::string& value, const std::string& rule) {
    throw InputError(context + ": option '" + key + "' = " + value + " " + rule);
  };
  if (s.input_size < 2) fail("input_size", std::to_string(s.input_size), "must be >= 2");
  if (s.output_size < 0) fail("output_size", std::to_string(s.output_size), "must be >= 0 (0 = input_size / 2)");
  if (std::find(kOutputs.begin(), kOutputs.end(), s.output) == kOutputs.end())
    fail("output", "'" + s.output + "'", "is not one of {" + join_names(kOutputs) + "}");
  if (s.directions < 2) fail("directions", std::to_string(s.directions), "must be >= 2");
  if (!(s.step > 0) || !std::isfinite(s.step)) fail("step", shortest(s.step), "must be finite and > 0");
  if (std::find(kDirections.begin(), kDirections.end(), s.direction) == kDirections.end())
    fail("direction", "'" + s.direction + "'", "is not one of {" + join_names(kDirections) + "}");
  if (s.direction == "awgn" && (!(s.direction_level > 0) || !std::isfinite(s.direction_level)))
    fail("direction_level", shortest(s.direction_level), "must be a finite σ > 0 for direction 'awgn'");
  if (s.direction == "jpeg" &&
      (s.direction_level != std::floor(s.direction_level) || s.direction_level < 1 || s.direction_level > 100))
    fail("direction_level", shortest(s.direction_level), "must be an integer quality in [1, 100] for direction 'jpeg'");
  if (s.batch_size < 1) fail("batch_size", std::to_string(s.batch_size), "must be >= 1");
}

JacobianSettings read_jacobian_settings(Options& opts) {
  constexpr std::int64_t kMaxSize = 1 << 14, kMaxCount = 1 << 20;
  JacobianSettings s;
  s.input_size = static_cast<int>(opts.get_int("input_size", s.input_size, 2, kMaxSize));
  s.output_size = static_cast<int>(opts.get_int("output_size", s.output_size, 0, kMaxSize));
  s.output = opts.get_string("output", s.output, kOutputs);
  s.directions = static_cast<int>(opts.get_int("directions", s.directions, 2, kMaxCount));
  s.step = opts.get_double("step", s.step, 0.0);
  s.direction = opts.get_string("direction", s.direction, kDirections);
  s.direction_level = s.direction == "jpeg"
                          ? static_cast<double>(opts.get_int("direction_level", 25, 1, 100))
                          : opts.get_double("direction_level", s.direction_level, 0.0);
  s.seed = static_cast<std::uint64_t>(opts.get_int("seed", 0, 0));
  s.batch_size = static_cast<int>(opts.get_int("batch_size", s.batch_size, 1, kMaxCount));
  validate(s, opts.context());
  return s;
}

std::vector<GradientStats> paper_code(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                      const JacobianSettings& s) {
  const int size = s.resolved_output_size();
  return gradient_stats(model, rgb, s, [size](const models::ModelOutput& out) {
    return torch::softmax(nearest(logits_of(out), size), 1).sum();
  });
}

std::vector<GradientStats> salient_sum(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                       const JacobianSettings& s) {
  return gradient_stats(model, rgb, s,
                        [&](const models::ModelOutput& out) { return output_map(model, out, s).sum(); });
}

std::vector<FdEstimate> mc_fd(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                              const std::vector<std::string>& stems, const JacobianSettings& s) {
  validate(s);
  check_stems(rgb, stems);
  EvalMode eval(model);
  torch::NoGradGuard no_grad;
  const torch::Device device = device_of(model);
  const std::size_t pairs_per_pass = static_cast<std::size_t>(std::max(1, s.batch_size / 2));
  const auto h = static_cast<float>(s.step);
  std::vector<FdEstimate> out;
  for (std::size_t i = 0; i < rgb.size(); ++i) {
    const cv::Mat u8 = resized(rgb[i], s.input_size, i);
    const torch::Tensor x = to_chw(u8);
    const std::vector<torch::Tensor> v = directions(u8, stems[i], s);
    std::vector<double> sk;
    for (std::size_t begin = 0; begin < v.size(); begin += pairs_per_pass) {
      const std::size_t end = std::min(v.size(), begin + pairs_per_pass);
      std::vector<torch::Tensor> rows;
      for (std::size_t k = begin; k < end; ++k) rows.push_back(x + h * v[k]);
      for (std::size_t k = begin; k < end; ++k) rows.push_back(x - h * v[k]);
      const torch::Tensor f = output_map(model, model.forward(torch::stack(rows).to(device)), s)
                                  .to(torch::kCPU, torch::kFloat64);
      const auto m = static_cast<std::int64_t>(end - begin);
      const torch::Tensor d = (f.slice(0, 0, m) - f.slice(0, m)) / (2.0 * s.step);
      const torch::Tensor sums = d.pow(2).flatten(1).sum(1);
      for (std::int64_t k = 0; k < m; ++k) sk.push_back(sums[k].item<double>());
    }
    out.push_back(summarise(sk, s.direction != "jpeg"));
  }
  return out;
}

double exact_jacobian_fro2(models::SegmentationModel& model, const cv::Mat& rgb, const JacobianSettings& s) {
  validate(s);
  EvalMode eval(model);
  torch::AutoGradMode grad_mode(true);
  const torch::Device device = device_of(model);
  const torch::Tensor x1 = to_chw(resized(rgb, s.input_size, 0)).unsqueeze(0);
  const std::int64_t pixels = static_cast<std::int64_t>(s.resolved_output_size()) * s.resolved_output_size();
  double total = 0;
  for (std::int64_t begin = 0; begin < pixels; begin += s.batch_size) {
    const std::int64_t m = std::min<std::int64_t>(s.batch_size, pixels - begin);
    const torch::Tensor x = x1.expand({m, -1, -1, -1}).contiguous().to(device).requires_grad_(true);
    const torch::Tensor f = output_map(model, model.forward(x), s).reshape({m, pixels});
    // Copy b's gradient is row begin + b of J.
    const torch::Tensor rows = torch::arange(begin, begin + m, torch::TensorOptions(torch::kLong).device(f.device()));
    const torch::Tensor objective = f.gather(1, rows.unsqueeze(1)).sum();
    total += torch::autograd::grad({objective}, {x})[0].to(torch::kFloat64).pow(2).sum().item<double>();
  }
  return total;
}

MetricValues metric_values(const GradientStats& g) {
  return {{"J_max", g.max}, {"J_min", g.min}, {"J_median", g.median}, {"J_mean", g.mean}, {"J_var", g.var}};
}

MetricValues metric_values(const FdEstimate& e) {
  return {{"J_fro2", e.fro2}, {"J_fro2_se", e.fro2_se}, {"J_fro", e.fro},
          {"J_directions", static_cast<double>(e.directions)}};
}

const NameRegistry<EstimatorEntry>& estimator_registry() {
  static const std::vector<std::string> gradient{"J_max", "J_min", "J_median", "J_mean", "J_var"};
  static const NameRegistry<EstimatorEntry> registry(
      "jacobian estimator",
      {{"paper_code", "the published Table III script: |d Σ softmax over both channels / dx| (round-off: constant objective)",
        gradient,
        [](models::SegmentationModel& m, const std::vector<cv::Mat>& rgb, const std::vector<std::string>&,
           const JacobianSettings& s) { return gradient_metrics(paper_code(m, rgb, s)); }},
       {"salient_sum", "|d Σ_p f_p / dx|: statistics of the input gradient of the summed salient map", gradient,
        [](models::SegmentationModel& m, const std::vector<cv::Mat>& rgb, const std::vector<std::string>&,
           const JacobianSettings& s) { return gradient_metrics(salient_sum(m, rgb, s)); }},
       {"mc_fd", "Eq. 12 Monte-Carlo central finite differences: ||J||_F² of f, its standard error",
        {"J_fro2", "J_fro2_se", "J_fro", "J_directions"},
        [](models::SegmentationModel& m, const std::vector<cv::Mat>& rgb, const std::vector<std::string>& stems,
           const JacobianSettings& s) {
          std::vector<MetricValues> out;
          for (const auto& e : mc_fd(m, rgb, stems, s)) out.push_back(metric_values(e));
          return out;
        }}});
  return registry;
}

std::vector<std::string> known_estimators() { return estimator_registry().names(); }

}  // namespace sodlab::robustness
