// The confusion-matrix family on hand-computed cases: empty GT, full GT, a one-pixel object, a
// constant map, pooled vs per-sample binary counts, and --no-normalize.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "metrics/confusion_metrics.h"
#include "metrics/evaluator.h"
#include "metrics/image_metrics.h"

#include <map>
#include <string>

using namespace sodlab::metrics;

namespace {

cv::Mat u8(int rows, int cols, std::initializer_list<int> v) {
  cv::Mat m(rows, cols, CV_8UC1);
  auto it = v.begin();
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m.at<std::uint8_t>(r, c) = static_cast<std::uint8_t>(*it++);
  return m;
}

const MetricSelection kConfusion = MetricSelection::parse("confusion");

// Checks the eleven members under `prefix` ("adp", "sample_bi") against `want` (member → value).
void check_members(const std::map<std::string, double>& values, const std::string& prefix,
                   const std::map<std::string, double>& want) {
  REQUIRE(want.size() == kConfusionMembers);
  for (const auto& [member, value] : want) {
    INFO(prefix << member);
    CHECK(values.at(prefix + member) == Approx(value).epsilon(1e-14).margin(1e-15));
  }
}

double member(const char* name, const Confusion& c) {
  for (const auto& m : confusion_members())
    if (std::string(m.name) == name) return m.value(c);
  FAIL("no member " << name);
  return 0;
}

}  // namespace

TEST_CASE("confusion members: formulas and x/0 = 0 on raw counts") {
  const Confusion c{3, 1, 4, 2};  // N = 10
  CHECK(member("pre", c) == 0.75);
  CHECK(member("rec", c) == 0.6);
  CHECK(member("fpr", c) == 0.2);
  CHECK(member("iou", c) == 0.5);
  CHECK(member("dice", c) == Approx(6.0 / 9).epsilon(1e-15));
  CHECK(member("spec", c) == 0.8);
  CHECK(member("ber", c) == Approx(1 - 0.5 * (0.6 + 0.8)).epsilon(1e-15));
  CHECK(member("oa", c) == 0.7);
  // p_e = (4·5 + 6·7)/100 = 0.62; κ = (0.7 − 0.62)/(1 − 0.62)
  CHECK(member("kappa", c) == Approx(0.08 / 0.38).epsilon(1e-13));
  CHECK(member("fm", c) == Approx(1.3 * 0.75 * 0.6 / (0.3 * 0.75 + 0.6)).epsilon(1e-15));
  CHECK(member("f1", c) == Approx(2 * 0.75 * 0.6 / 1.35).epsilon(1e-15));
  const Confusion none{0, 0, 0, 0};  // every denominator 0: every ratio 0, ber 1
  for (const auto& m : confusion_members()) CHECK(m.value(none) == (std::string(m.name) == "ber" ? 1.0 : 0.0));
  // κ on pooled counts beyond 2^31 pixels per class (products need 128 bits).
  const Confusion big{3'000'000'000LL, 1'000'000'000LL, 4'000'000'000LL, 2'000'000'000LL};
  CHECK(member("kappa", big) == Approx(0.08 / 0.38).epsilon(1e-13));
}

TEST_CASE("confusion family: empty GT") {
  // 2x2, no foreground; the map's one 255 pixel is the only prediction at the adaptive threshold
  // (2·0.25 = 0.5) and at > 0.5: TP 0, FP 1, TN 3, FN 0.
  const auto e = evaluate_image(u8(2, 2, {0, 255, 0, 0}), u8(2, 2, {0, 0, 0, 0}), Convention::pysodmetrics, kConfusion);
  const std::map<std::string, double> want{
      {"fm", 0}, {"f1", 0}, {"pre", 0}, {"rec", 0}, {"fpr", 0.25}, {"iou", 0}, {"dice", 0},
      {"spec", 0.75}, {"ber", 1 - 0.5 * 0.75}, {"oa", 0.75},
      {"kappa", (0.75 - 9.0 / 16) / (1 - 9.0 / 16)}};  // p_e = (1·0 + 3·3)/16
  check_members(e.values, "adp", want);
  check_members(e.values, "sample_bi", want);
  // Threshold 0 predicts everything: FP 4, TN 0 → fpr 1, spec 0, ber 1, oa 0, κ 0.
  const auto& members = confusion_members();
  for (int i = 0; i < kConfusionMembers; ++i) {
    const std::string name = members[i].name;
    const double at0 = name == "fpr" || name == "ber" ? 1.0 : 0.0;
    INFO(name);
    CHECK(e.confusion.curves[i][0] == at0);
    CHECK(e.confusion.curves[i][255] == Approx(want.at(name)).epsilon(1e-14).margin(1e-15));
  }
}

TEST_CASE("confusion family: full GT") {
  // 2x2, all foreground; stretched map 0, 1, 128/255, 64/255. Adaptive threshold 2·mean = 0.876:
  // TP 1, FN 3. Map > 0.5: TP 2 (1 and 128/255), FN 2. No background: fpr = spec = 0 (x/0).
  const auto e = evaluate_image(u8(2, 2, {0, 255, 128, 64}), u8(2, 2, {255, 255, 255, 255}),
                                Convention::pysodmetrics, kConfusion);
  check_members(e.values, "adp",
                {{"fm", 1.3 * 0.25 / (0.3 + 0.25)}, {"f1", 0.5 / 1.25}, {"pre", 1}, {"rec", 0.25}, {"fpr", 0},
                 {"iou", 0.25}, {"dice", 0.4}, {"spec", 0}, {"ber", 1 - 0.5 * 0.25}, {"oa", 0.25},
                 {"kappa", (0.25 - 7.0 / 16) / (1 - 7.0 / 16)}});  // p_e = (1·4 + 3·1)/16
  check_members(e.values, "sample_bi",
                {{"fm", 1.3 * 0.5 / (0.3 + 0.5)}, {"f1", 1.0 / 1.5}, {"pre", 1}, {"rec", 0.5}, {"fpr", 0},
                 {"iou", 0.5}, {"dice", 4.0 / 6}, {"spec", 0}, {"ber", 0.75}, {"oa", 0.5},
                 {"kappa", -1}});  // p_e = (2·4 + 2·2)/16 = 0.75, (0.5 − 0.75)/0.25
}

TEST_CASE("confusion family: one-pixel object found exactly") {
  // 3x3, the centre is the object; the map has it at 255 and a corner at 64 (64/255 < the
  // adaptive threshold 2·(1 + 64/255)/9 = 0.278, and < 0.5): TP 1, TN 8 — perfect.
  const auto e = evaluate_image(u8(3, 3, {64, 0, 0, 0, 255, 0, 0, 0, 0}), u8(3, 3, {0, 0, 0, 0, 255, 0, 0, 0, 0}),
                                Convention::pysodmetrics, kConfusion);
  const std::map<std::string, double> perfect{{"fm", 1}, {"f1", 1},   {"pre", 1}, {"rec", 1},
                                              {"fpr", 0}, {"iou", 1}, {"dice", 1}, {"spec", 1},
                                              {"ber", 0}, {"oa", 1},  {"kappa", 1}};
  check_members(e.values, "adp", perfect);
  check_members(e.values, "sample_bi", perfect);
}

TEST_CASE("confusion family: constant map (no stretch, adaptive threshold clamped to 1)") {
  // Constant 128: the map stays 128/255, the threshold min(2·0.502, 1) = 1 predicts nothing
  // (TN 2, FN 2), and > 0.5 predicts everything (TP 2, FP 2).
  const auto e = evaluate_image(u8(1, 4, {128, 128, 128, 128}), u8(1, 4, {255, 255, 0, 0}),
                                Convention::pysodmetrics, kConfusion);
  check_members(e.values, "adp",
                {{"fm", 0}, {"f1", 0}, {"pre", 0}, {"rec", 0}, {"fpr", 0}, {"iou", 0}, {"dice", 0}, {"spec", 1},
                 {"ber", 0.5}, {"oa", 0.5}, {"kappa", 0}});
  check_members(e.values, "sample_bi",
                {{"fm", 1.3 * 0.5 / (0.15 + 1)}, {"f1", 1.0 / 1.5}, {"pre", 0.5}, {"rec", 1}, {"fpr", 1},
                 {"iou", 0.5}, {"dice", 4.0 / 6}, {"spec", 0}, {"ber", 0.5}, {"oa", 0.5}, {"kappa", 0}});
}

TEST_CASE("confusion family: overall_bi pools the counts, sample_bi averages the images") {
  Evaluator ev(Convention::pysodmetrics, kConfusion);
  ev.add("a", u8(2, 2, {0, 255, 0, 0}), u8(2, 2, {0, 0, 0, 0}));              // TP 0, FP 1, TN 3, FN 0
  ev.add("b", u8(2, 2, {0, 255, 128, 64}), u8(2, 2, {255, 255, 255, 255}));  // TP 2, FP 0, TN 0, FN 2
  const auto r = ev.result();
  // Pooled: TP 2, FP 1, TN 3, FN 2.
  CHECK(r.dataset.at("overall_bipre") == Approx(2.0 / 3).epsilon(1e-15));
  CHECK(r.dataset.at("overall_birec") == 0.5);
  CHECK(r.dataset.at("overall_biiou") == 0.4);
  CHECK(r.dataset.at("overall_bioa") == 0.625);
  CHECK(r.dataset.at("sample_bipre") == 0.5);   // (0 + 1) / 2
  CHECK(r.dataset.at("sample_birec") == 0.25);  // (0 + 0.5) / 2
  // Dynamic: the dataset curve is the mean of the images' curves; max/mean are over it.
  const auto& curve = r.curves.at("curve_confusion_rec");
  REQUIRE(curve.size() == 256);
  CHECK(curve[0] == 0.5);  // image a: recall 0/0 = 0; image b: 1
  double mx = 0, sum = 0;
  for (double v : curve) mx = std::max(mx, v), sum += v;
  CHECK(r.dataset.at("maxrec") == mx);
  CHECK(r.dataset.at("meanrec") == Approx(sum / 256).epsilon(1e-15));
}

TEST_CASE("no-normalize: the map is v/255 without the min-max stretch, for every family") {
  // Map 0, 51, 102, 204 (max 204): stretched 0, .25, .5, 1; raw 0, .2, .4, .8. GT: last two.
  const cv::Mat pred = u8(1, 4, {0, 51, 102, 204}), gt = u8(1, 4, {0, 0, 255, 255});
  const auto stretched = evaluate_image(pred, gt, Convention::pysodmetrics, {}, true);
  const auto raw = evaluate_image(pred, gt, Convention::pysodmetrics, {}, false);
  CHECK(stretched.values.at("MAE") == Approx((0.25 + 0.5) / 4).epsilon(1e-14));
  CHECK(raw.values.at("MAE") == Approx((0.2 + 0.6 + 0.2) / 4).epsilon(1e-14));
  // Quantised bins follow the raw map: 204 → bin 204 (stretched: 255).
  CHECK(raw.tp[204] == 1);
  CHECK(raw.tp[205] == 0);
  CHECK(stretched.tp[255] == 1);
  // A map that spans 0..255 is the same either way.
  const cv::Mat full = u8(1, 4, {0, 51, 102, 255});
  const auto a = evaluate_image(full, gt, Convention::pysodmetrics, {}, true);
  const auto b = evaluate_image(full, gt, Convention::pysodmetrics, {}, false);
  for (const auto& [key, value] : a.values) {
    INFO(key);
    if (std::isnan(value)) CHECK(std::isnan(b.values.at(key)));
    else CHECK(b.values.at(key) == value);
  }
  // Recorded with the result; refused under the toolbox convention.
  Evaluator ev(Convention::pysodmetrics, MetricSelection::parse("mae"), false);
  ev.add("x", pred, gt);
  CHECK_FALSE(ev.result().normalize);
  CHECK(ev.result().dataset.at("MAE") == raw.values.at("MAE"));
  CHECK_THROWS_AS(Evaluator(Convention::sal_eval_toolbox, {}, false), sodlab::InputError);
  CHECK_THROWS_AS(evaluate_image(pred, gt, Convention::sal_eval_toolbox, {}, false), sodlab::InputError);
}
