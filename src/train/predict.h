// Inference on one image at its original size.
//
// The RGB image (CV_8UC3) is resized bilinearly to width×height, run through the model in eval
// mode without gradients, and the saliency map (model.saliency, [0,1]) is resized bilinearly back
// to the image's size and returned as CV_8UC1 (round(255·s)). The model's train/eval mode is
// restored afterwards.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "models/model.h"

namespace sodlab::train {

cv::Mat predict(models::SegmentationModel& model, const cv::Mat& rgb, int width, int height);

// Batched version: the images may have different sizes; each map has its image's size.
std::vector<cv::Mat> predict_batch(models::SegmentationModel& model, const std::vector<cv::Mat>& rgb,
                                   int width, int height);

}  // namespace sodlab::train
