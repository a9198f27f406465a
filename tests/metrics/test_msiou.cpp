// MSIoU: the one-pass curve (interval unions, nested box-counting grids) against a direct
// computation per threshold on random small maps of awkward sizes, and hand cases. The fixture
// test (test_pysod_all.cpp) checks it against PySODMetrics on real maps.
#include <catch2/catch.hpp>

#include "metrics/evaluator.h"
#include "metrics/multiscale_iou.h"

#include <random>
#include <vector>

using namespace sodlab::metrics;

namespace {

// Straight from the definition: scipy's Sobel on the binary map (zero outside; an edge where
// either response is non-zero), box-counting with zero padding at the top and left. Counts stay
// below 2048, where PySODMetrics' float16 sums are exact (the GT's noise is kept sparse for that).
std::vector<std::uint8_t> edges(const std::vector<std::uint8_t>& m, int rows, int cols) {
  auto at = [&](int r, int c) { return r < 0 || c < 0 || r >= rows || c >= cols ? 0 : int(m[r * cols + c]); };
  std::vector<std::uint8_t> e(m.size());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      int sx = 0, sy = 0;
      for (int d = -1; d <= 1; ++d) {
        const int s = d == 0 ? 2 : 1;
        sx += s * (at(r + 1, c + d) - at(r - 1, c + d));
        sy += s * (at(r + d, c + 1) - at(r + d, c - 1));
      }
      e[r * cols + c] = sx != 0 || sy != 0;
    }
  return e;
}

double naive_msiou(const std::vector<std::uint8_t>& pred, const std::vector<std::uint8_t>& gt, int rows, int cols) {
  const auto pe = edges(pred, rows, cols), ge = edges(gt, rows, cols);
  std::vector<double> ratios;
  for (int cell = 1; cell <= 512; cell *= 2) {
    const int pr = (cell - rows % cell) % cell, pc = (cell - cols % cell) % cell;
    const int gr = (rows + pr) / cell, gc = (cols + pc) / cell;
    std::vector<std::uint8_t> sp(gr * gc, 0), sg(gr * gc, 0);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int i = (r + pr) / cell * gc + (c + pc) / cell;
        sp[i] |= pe[r * cols + c];
        sg[i] |= ge[r * cols + c];
      }
    long both = 0, g = 0;
    for (int i = 0; i < gr * gc; ++i) both += sp[i] && sg[i], g += sg[i];
    ratios.push_back(double(both + 1) / double(g + 1));
  }
  double area = 0;
  for (int i = 0; i + 1 < 10; ++i) area += (ratios[i] + ratios[i + 1]) / 2 / 9;
  return area;
}

}  // namespace

TEST_CASE("MSIoU: the one-pass curve equals the direct computation at every threshold") {
  std::mt19937 rng(7);
  const std::pair<int, int> sizes[] = {{1, 1}, {1, 9}, {7, 1}, {5, 6}, {17, 33}, {40, 23}, {64, 64}, {70, 130}};
  for (auto [rows, cols] : sizes) {
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<std::uint8_t> bins(rows * cols), gt(rows * cols);
      const int levels = trial == 0 ? 3 : 256;  // few values (wide intervals) or many
      for (int i = 0; i < rows * cols; ++i) {
        bins[i] = static_cast<std::uint8_t>(rng() % levels * (256 / levels));
        gt[i] = (i / cols > rows / 3 && i % cols > cols / 4) != (rng() % 97 == 0);  // a block, noisy
      }
      const MsiouCurve curve = msiou_curve(bins.data(), gt.data(), rows, cols);
      for (int t = 0; t <= 256; ++t) {
        std::vector<std::uint8_t> m(bins.size());
        for (std::size_t i = 0; i < m.size(); ++i) m[i] = bins[i] >= t;
        INFO(rows << "x" << cols << " trial " << trial << " t " << t);
        REQUIRE(curve[t] == Approx(naive_msiou(m, gt, rows, cols)).margin(1e-14));
        // Bit for bit the binary map's own value (the evaluator reads adpmsiou and
        // sample_bimsiou off the curve where their maps are thresholds of it).
        REQUIRE(curve[t] == msiou_binary(m.data(), gt.data(), rows, cols));
      }
      // Two nested binary maps in one pass (the evaluator's adaptive and > 0.5 maps): each the
      // same value, bit for bit, as on its own.
      std::vector<std::uint8_t> nested(bins.size()), larger(bins.size()), smaller(bins.size());
      for (std::size_t i = 0; i < bins.size(); ++i) {
        larger[i] = bins[i] >= 60, smaller[i] = bins[i] >= 200;
        nested[i] = static_cast<std::uint8_t>(larger[i] + smaller[i]);
      }
      const std::vector<double> both = msiou_of_thresholds(nested.data(), gt.data(), rows, cols, {1, 2});
      REQUIRE(both.size() == 2);
      CHECK(both[0] == msiou_binary(larger.data(), gt.data(), rows, cols));
      CHECK(both[1] == msiou_binary(smaller.data(), gt.data(), rows, cols));
    }
  }
}

TEST_CASE("MSIoU: hand cases (perfect, empty GT, constant map, only the GT's cells count)") {
  const int rows = 20, cols = 30;
  std::vector<std::uint8_t> gt(rows * cols, 0), none(rows * cols, 0);
  for (int r = 5; r < 15; ++r)
    for (int c = 8; c < 20; ++c) gt[r * cols + c] = 1;
  CHECK(msiou_binary(gt.data(), gt.data(), rows, cols) == Approx(1).margin(1e-15));
  // Empty GT: no GT cells, every ratio (0 + 1) / (0 + 1), whatever is predicted.
  CHECK(msiou_binary(none.data(), none.data(), rows, cols) == Approx(1).margin(1e-15));
  CHECK(msiou_binary(gt.data(), none.data(), rows, cols) == Approx(1).margin(1e-15));
  // Nothing predicted against a GT with edges: below 1 (only the coarsest grids overlap nothing
  // either; every ratio is 1 / (GT cells + 1)).
  const double empty_pred = msiou_binary(none.data(), gt.data(), rows, cols);
  CHECK(empty_pred < 0.6);
  // A constant map: thresholds up to its value predict everything (edges on the image border
  // only), those above it nothing.
  std::vector<std::uint8_t> constant(rows * cols, 77), all(rows * cols, 1);
  const MsiouCurve c = msiou_curve(constant.data(), gt.data(), rows, cols);
  const double everything = msiou_binary(all.data(), gt.data(), rows, cols);
  CHECK(c[0] == everything);
  CHECK(c[77] == everything);
  CHECK(c[78] == empty_pred);
  CHECK(c[256] == empty_pred);
  // Through the evaluator: the map 255 on the block is perfect at every mode.
  cv::Mat gt_u8(rows, cols, CV_8UC1), pred_u8(rows, cols, CV_8UC1);
  for (int i = 0; i < rows * cols; ++i) gt_u8.data[i] = pred_u8.data[i] = gt[i] ? 255 : 0;
  Evaluator ev(Convention::pysodmetrics, MetricSelection::parse("msiou"));
  ev.add("a", pred_u8, gt_u8);
  const auto r = ev.result();
  CHECK(r.dataset.at("adpmsiou") == Approx(1).margin(1e-15));
  CHECK(r.dataset.at("sample_bimsiou") == Approx(1).margin(1e-15));
  CHECK(r.dataset.at("maxmsiou") == Approx(1).margin(1e-15));
  CHECK(r.dataset.at("meanmsiou") < 1);  // t = 0 predicts everything, t = 256 nothing
  CHECK(r.per_image.at("a").count("adpmsiou") == 1);
}
