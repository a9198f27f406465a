// The single-threaded mask operations equal OpenCV's (cv::erode / cv::dilate with the 3x3 cross
// and the default border, cv::connectedComponentsWithStats) on random masks of awkward sizes.
#include <catch2/catch.hpp>

#include "metrics/binary_masks.h"

#include <opencv2/imgproc.hpp>

#include <random>
#include <set>

using namespace sodlab::metrics;

TEST_CASE("binary masks: erode, dilate and components equal OpenCV's") {
  std::mt19937 rng(3);
  const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
  for (auto [rows, cols] : {std::pair{1, 1}, {1, 7}, {6, 1}, {2, 2}, {13, 17}, {64, 48}, {120, 90}}) {
    for (int density : {2, 5, 50}) {
      cv::Mat mask(rows, cols, CV_8UC1);
      for (int i = 0; i < rows * cols; ++i) mask.data[i] = rng() % 100 < static_cast<unsigned>(density) * 2 ? 0 : 255;
      if (density == 2) cv::dilate(mask, mask, cross);  // blobs as well as noise
      INFO(rows << "x" << cols << " density " << density);
      for (int it : {1, 2, 5}) {
        cv::Mat e, d;
        cv::erode(mask, e, cross, cv::Point(-1, -1), it);
        cv::dilate(mask, d, cross, cv::Point(-1, -1), it);
        CHECK(cv::countNonZero(erode_cross(mask, it) != e) == 0);
        CHECK(cv::countNonZero(dilate_cross(mask, it) != d) == 0);
      }
      for (int connectivity : {4, 8}) {
        cv::Mat labels, stats, centroids;
        const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, connectivity, CV_32S);
        const Components ours = label_components(mask, connectivity);
        REQUIRE(ours.count == n);
        // The same partition (labels may be numbered differently): each of ours maps to one of theirs.
        std::set<std::pair<int, int>> pairs;
        for (int i = 0; i < rows * cols; ++i) pairs.insert({ours.labels.at<int>(i), labels.at<int>(i)});
        CHECK(static_cast<int>(pairs.size()) == n - (cv::countNonZero(mask) == rows * cols ? 1 : 0));
        // Numbered in the raster order of each component's first pixel.
        int seen = 0;
        for (int i = 0; i < rows * cols; ++i) {
          const int l = ours.labels.at<int>(i);
          REQUIRE(l <= seen + 1);
          seen = std::max(seen, l);
        }
        CHECK(seen == n - 1);
        std::multiset<std::tuple<int, int, int, int, int>> a, b;
        for (int l = 1; l < n; ++l) {
          a.insert({ours.area[l], ours.box[l].x, ours.box[l].y, ours.box[l].width, ours.box[l].height});
          b.insert({stats.at<int>(l, cv::CC_STAT_AREA), stats.at<int>(l, cv::CC_STAT_LEFT), stats.at<int>(l, cv::CC_STAT_TOP),
                    stats.at<int>(l, cv::CC_STAT_WIDTH), stats.at<int>(l, cv::CC_STAT_HEIGHT)});
        }
        CHECK(a == b);
      }
    }
  }
}
