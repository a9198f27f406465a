// torch (which pulls in glog's CHECK) must come before Catch2 so that CHECK is Catch's.
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "losses/registry.h"
#include "metrics/weighted_fmeasure.h"

#include <opencv2/core.hpp>

using namespace sodlab;
using namespace sodlab::losses;

TEST_CASE("af_fbeta_w with Margolin's settings equals the evaluator's wFm", "[losses][af][wfm]") {
  // error = absolute, edge = nearest_fg, b_distance = euclidean, 7×7 σ = 5 sum-1 kernel, φ = ∞.
  Options o;
  for (const char* s : {"error=absolute", "edge=nearest_fg", "b_distance=euclidean", "theta=3",
                        "sigma=5", "kernel_norm=sum1", "phi=inf", "eps=2.220446049250313e-16"})
    o.set_from_assignment(s);
  auto l = make_loss("af_fbeta_w", o);
  torch::manual_seed(4);
  for (auto [h, w] : std::vector<std::pair<int, int>>{{24, 30}, {40, 33}}) {
    auto mask = torch::zeros({h, w}, torch::kDouble);
    mask.narrow(0, h / 4, h / 2).narrow(1, w / 4, w / 3).fill_(1);
    mask[2][3] = 1;  // a stray foreground pixel
    auto pred = (0.7 * mask + 0.3 * torch::rand({h, w}, torch::kDouble)).clamp(1e-6, 1 - 1e-6);
    cv::Mat p(h, w, CV_64FC1, pred.data_ptr<double>());
    auto m8 = (mask * 255).to(torch::kUInt8).contiguous();
    cv::Mat g(h, w, CV_8UC1, m8.data_ptr<std::uint8_t>());
    const double wfm = metrics::weighted_fmeasure(p, g);
    auto x = sodlab::testing::logit_of(pred).view({1, 1, h, w});
    const double af = 1 - l->forward(x, l->prepare(mask.view({1, 1, h, w}))).item<double>();
    CHECK(wfm > 0.3);
    CHECK(af == Approx(wfm).epsilon(1e-9));
  }
}
