#include "train/predict.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace sodlab::train {

std::vector<cv::Mat> predict_batch(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                   int width, int height) {
  if (rgb.empty()) return {};
  if (width < 1 || height < 1) throw InputError("predict: input size must be positive");
  const auto n = static_cast<std::int64_t>(rgb.size());
  torch::Tensor input = torch::empty({n, 3, height, width}, torch::kFloat32);
  for (std::int64_t i = 0; i < n; ++i) {
    if (rgb[i].empty() || rgb[i].type() != CV_8UC3) throw InputError("predict: image " + std::to_string(i) + " is not 8-bit RGB");
    cv::Mat r, f;
    cv::resize(rgb[i], r, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    r.convertTo(f, CV_32FC3);
    // HWC → CHW
    torch::Tensor hwc = torch::from_blob(f.data, {height, width, 3}, torch::kFloat32);
    input[i].copy_(hwc.permute({2, 0, 1}));
  }
  const bool was_training = model.is_training();
  model.eval();
  torch::Tensor sal;
  {
    torch::NoGradGuard no_grad;
    const auto param = model.parameters();
    if (!param.empty()) input = input.to(param.front().device());
    sal = model.saliency(model.forward(input)).to(torch::kCPU, torch::kFloat32).contiguous();
  }
  model.train(was_training);
  if (sal.dim() != 4 || sal.size(0) != n || sal.size(1) != 1)
    throw RuntimeFailure("predict: model saliency has shape " + std::string(c10::str(sal.sizes())) +
                         ", expected N×1×H×W");
  std::vector<cv::Mat> out;
  const int h = static_cast<int>(sal.size(2)), w = static_cast<int>(sal.size(3));
  for (std::int64_t i = 0; i < n; ++i) {
    cv::Mat s(h, w, CV_32FC1, sal[i][0].data_ptr<float>());
    cv::Mat back, u8;
    cv::resize(s, back, rgb[i].size(), 0, 0, cv::INTER_LINEAR);
    back.convertTo(u8, CV_8UC1, 255.0);  // rounds and saturates
    out.push_back(u8);
  }
  return out;
}

cv::Mat predict(models::SegmentationModel& model, const cv::Mat& rgb, int width, int height) {
  return predict_batch(model, {rgb}, width, height).front();
}

}  // namespace sodlab::train
