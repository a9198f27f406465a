// Conformance of every registered metric family (iterates the registry: a new family must add
// its hand-computed values below, or this test fails): evaluated alone on a perfect prediction,
// it produces exactly the dataset keys the registry says, with the values a hand computation
// gives. (Curve means such as meanF are checked against PySODMetrics in test_fixtures.cpp.)
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "metrics/confusion_metrics.h"
#include "metrics/convention.h"
#include "metrics/evaluator.h"

using namespace sodlab::metrics;

TEST_CASE("conformance: every metric family on a perfect 4x4 prediction", "[metrics][conformance]") {
  // 4 of 16 pixels salient; the prediction equals the mask.
  cv::Mat gt(4, 4, CV_8UC1, cv::Scalar(0));
  gt(cv::Rect(1, 1, 2, 2)) = 255;
  // Hand-computed: no error (MAE 0); every F, IoU and AUROC is 1 (the adaptive threshold 2·mean
  // = 0.5 separates the two values); weighted F and S-measure are 1; the E-measure of a perfect
  // map is N/(N−1) = 16/15 under PySODMetrics' (N−1) normalisation.
  // Thresholds: the largest one reaching the maximum, 255 (every t >= 1 separates 0 from 255).
  const double e = 16.0 / 15;
  std::map<std::string, double> expected{
      {"MAE", 0.0}, {"maxF", 1.0}, {"adpF", 1.0}, {"adpP", 1.0}, {"adpR", 1.0},
      {"maxF_threshold", 1.0}, {"maxF_of_mean_F", 1.0}, {"maxF_of_mean_PR", 1.0},
      {"mean_of_per_image_maxF", 1.0}, {"wFm", 1.0}, {"Sm", 1.0}, {"maxEm", e}, {"adpEm", e},
      {"maxEm_threshold", 1.0}, {"mean_of_per_image_maxEm", e}, {"AUROC", 1.0},
      {"AUROC_n_valid", 1}, {"AUROC_curve256", 1.0}, {"maxIoU", 1.0}, {"IoU_at_maxF", 1.0},
      {"mIoU50", 1.0}, {"HCE", 0.0}};
  // Means over the 256 thresholds (t = 0 predicts everything) and keys that need another family.
  std::set<std::string> from_curves{"meanF", "meanEm", "meanIoU", "meanF_of_mean_F",
                                    "meanF_of_mean_PR"};
  // HCE: no false positive or negative, and the GT skeleton lies inside the TP: nothing to correct.
  // Confusion matrix: adaptive (threshold 0.5), > 0.5 and pooled counts are TP 4, FP 0, TN 12,
  // FN 0: perfect (fpr and ber 0, the rest 1; κ: p_e = (4·4 + 12·12)/16² = 0.625, (1 − p_e)/(1 − p_e)).
  // The curve's maximum is that too, except where threshold 0 (everything predicted: TP 4, FP 12)
  // is larger: fpr 1, ber 1 − (1 + 0)/2 = 0.5. auc_pr: recall is 1 at every threshold, so the
  // area under P(R) has zero width; auc_roc: FPR 0 at t >= 1 and 1 at t = 0, recall 1: area 1.
  const std::map<std::string, std::pair<double, double>> perfect_and_max{
      {"fm", {1, 1}}, {"f1", {1, 1}}, {"pre", {1, 1}}, {"rec", {1, 1}}, {"fpr", {0, 1}}, {"iou", {1, 1}},
      {"dice", {1, 1}}, {"spec", {1, 1}}, {"ber", {0, 0.5}}, {"oa", {1, 1}}, {"kappa", {1, 1}}};
  for (const auto& m : confusion_members()) {
    const auto [perfect, max] = perfect_and_max.at(m.name);
    expected["adp" + std::string(m.name)] = perfect;
    expected["sample_bi" + std::string(m.name)] = perfect;
    expected["overall_bi" + std::string(m.name)] = perfect;
    expected["max" + std::string(m.name)] = max;
    from_curves.insert("mean" + std::string(m.name));
    // Size invariance: the one target (the 2x2 block, under 50 pixels but the largest) is
    // evaluated with the map and GT kept inside its box: the same counts as the whole image.
    expected["si_sample_adp" + std::string(m.name)] = perfect;
    expected["si_sample_bi" + std::string(m.name)] = perfect;
    expected["si_overall_bi" + std::string(m.name)] = perfect;
    expected["si_sample_max" + std::string(m.name)] = max;
    expected["si_overall_max" + std::string(m.name)] = max;
    from_curves.insert("si_sample_mean" + std::string(m.name));
    from_curves.insert("si_overall_mean" + std::string(m.name));
  }
  // SI-MAE: no error in the box nor outside it; nothing skipped.
  expected["si_mae"] = expected["si_mae_nanmean"] = expected["si_mae_n_nan"] = expected["si_n_skipped"] = 0.0;
  expected["si_sample_auc_pr"] = expected["si_overall_auc_pr"] = 0.0;
  expected["si_sample_auc_roc"] = expected["si_overall_auc_roc"] = 1.0;
  expected["auc_pr"] = 0.0;
  expected["auc_roc"] = 1.0;
  // MSIoU: the prediction's edges are the GT's at the adaptive threshold, at > 0.5 and at every
  // t in 1..255, so each grid's ratio is (n + 1)/(n + 1) = 1; meanmsiou also averages t = 0 (all)
  // and t = 256 (nothing).
  // Context-measure of a perfect map: not 1 (the kernel spreads the 2x2 block), see below.
  from_curves.insert("cm");
  from_curves.insert("ccm");  // a 4x4 image has no 7x7 patch: cd 0, ccm = cm with β² 1.2
  expected["adpmsiou"] = expected["sample_bimsiou"] = expected["maxmsiou"] = 1.0;
  from_curves.insert("meanmsiou");
  const std::set<std::string> needs_other{"IoU_at_maxF"};  // iou with fm
  std::set<std::string> seen;  // every key once, defined, in one family
  for (const auto& family : metric_family_registry().entries())
    for (const auto& key : family.keys) {
      INFO("key " << key.name);
      CHECK(seen.insert(key.name).second);
      CHECK(!key.definition.empty());
      CHECK(find_metric_key(key.name) == &key);
    }
  CHECK(metric_direction("MAE") == Better::lower);
  CHECK(metric_direction("a paper's own column") == Better::higher);
  for (const auto& family : metric_family_registry().entries()) {
    INFO("metric family " << family.name);
    CHECK(!family.summary.empty());
    const MetricSelection only = MetricSelection::from_names({family.name});
    CHECK(only.to_string() == family.name);
    Evaluator ev(Convention::pysodmetrics, only);
    const cv::Mat photo(4, 4, CV_8UC3, cv::Scalar(90, 120, 60));  // for the families that need one
    ev.add("a", gt, gt, family.needs_images ? photo : cv::Mat());
    CHECK(MetricSelection().has(family.name) == !family.needs_images);  // "all": no images needed
    const EvaluationResult r = ev.result();
    for (const auto& k : family.keys) {
      const std::string& key = k.name;
      INFO("key " << key);
      if (needs_other.count(key)) continue;
      REQUIRE(r.dataset.count(key) == 1);
      if (from_curves.count(key)) continue;
      REQUIRE(expected.count(key) == 1);  // add the hand-computed value of a new key above
      CHECK(r.dataset.at(key) == Approx(expected.at(key)).epsilon(1e-12).margin(1e-15));
    }
    // Nothing of another family is computed.
    for (const auto& other : metric_family_registry().entries())
      if (other.name != family.name)
        for (const auto& key : other.keys) CHECK(r.dataset.count(key.name) == 0);
  }
  CHECK_THROWS_AS(MetricSelection::from_names({"wfn"}), sodlab::InputError);
  // A group selects each of its families, and only those.
  const MetricSelection group = MetricSelection::parse("mae,confusion");
  for (const auto& family : metric_family_registry().entries())
    CHECK(group.has(family.name) == (family.name == "mae" || family.group == "confusion"));
  // "all" with other names keeps them: "all,ccm" is every map-and-mask family plus ccm (the order
  // does not matter), "all" alone leaves ccm out.
  for (const char* list : {"all,ccm", "ccm,all"}) {
    const MetricSelection all_ccm = MetricSelection::parse(list);
    for (const auto& family : metric_family_registry().entries()) CHECK(all_ccm.has(family.name));
  }
  CHECK_FALSE(MetricSelection::parse("all").has("ccm"));
  CHECK(MetricSelection::parse("all").has("hce"));
  // --list-metrics names every family and key.
  const std::string listing = describe_metric_families();
  for (const auto& family : metric_family_registry().entries()) {
    CHECK(listing.find("\n" + family.name) != std::string::npos);
    for (const auto& key : family.keys) CHECK(listing.find(" " + key.name + " ") != std::string::npos);
  }
  // Lower is better for MAE, SI-MAE, HCE, BER and FPR in every mode: the registry says it once,
  // and sodlab eval --table, paper tables and sweep tables read it.
  for (const char* key : {"MAE", "si_mae", "si_mae_nanmean", "HCE", "adpber", "maxber", "sample_biber",
                          "si_sample_meanber", "si_overall_biber", "meanfpr", "si_sample_adpfpr", "si_overall_maxfpr"})
    CHECK(metric_direction(key) == Better::lower);
  for (const char* key : {"maxmsiou", "si_sample_maxfm", "si_overall_auc_pr", "sample_bidice"})
    CHECK(metric_direction(key) == Better::higher);
  CHECK(metric_direction("overall_biber") == Better::lower);
  CHECK(metric_direction("adpfpr") == Better::lower);
  CHECK(metric_direction("meankappa") == Better::higher);

  // With every family, the evaluator produces exactly the registry's keys, each as hand-computed.
  Evaluator all(Convention::pysodmetrics);
  all.add("a", gt, gt);
  const EvaluationResult r = all.result();
  std::set<std::string> produced, listed;
  for (const auto& [key, value] : r.dataset) {
    produced.insert(key);
    if (!from_curves.count(key)) {
      INFO("key " << key);
      CHECK(value == Approx(expected.at(key)).epsilon(1e-12).margin(1e-15));
    }
  }
  for (const auto& key : metric_names()) listed.insert(key);
  listed.erase("n_images");  // added by the pipeline
  CHECK(produced == listed);
}
