#include "metrics/image_metrics.h"

#include "core/error.h"
#include "metrics/camouflage_degree.h"
#include "metrics/context_measure.h"
#include "metrics/hce.h"
#include "metrics/multiscale_iou.h"
#include "metrics/pixel_passes.h"
#include "metrics/weighted_fmeasure.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace sodlab::metrics {
namespace {

// cv::LUT on one thread: OpenCV splits large images over its own pool, whose idle workers then
// spin beside the evaluator's (binary_masks.h).
void apply_lut(const cv::Mat& in, const std::uint8_t* lut, cv::Mat& out) {
  out.create(in.size(), CV_8UC1);
  for (int r = 0; r < in.rows; ++r) {
    const std::uint8_t* a = in.ptr<std::uint8_t>(r);
    std::uint8_t* o = out.ptr<std::uint8_t>(r);
    for (int c = 0; c < in.cols; ++c) o[c] = lut[a[c]];
  }
}


constexpr double kEps = 2.220446049250313e-16;  // MATLAB eps = np.spacing(1)
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kBeta2 = 0.3;

using Hist = ValueHistogram;

// Whether a selected family reads the class histograms (class_histograms): every family but those
// that read the pixels through the normalised value table alone. A family missing from that list
// only costs the histogram pass.
bool needs_class_histograms(const MetricSelection& sel) {
  static const std::set<std::string> pixels_only = [] {
    std::set<std::string> names{"wfm", "hce", "cm", "ccm"};
    for (const auto& family : size_invariance_families()) names.insert(family.name);
    return names;
  }();
  for (const auto& family : sel.families())
    if (!pixels_only.count(family)) return true;
  return false;
}

double enhanced(double a, double b) {
  const double align = 2 * (a * b) / (a * a + b * b + kEps);
  return (align + 1) * (align + 1) / 4;
}

// PySOD / toolbox F: (1+β²)·P·R / (β²·P + R); 0 when the numerator is 0.
double fmeasure(double p, double r) {
  const double num = (1 + kBeta2) * p * r;
  return num == 0 ? 0.0 : num / (kBeta2 * p + r);
}

// S-measure object term s(x) = 2μ/(μ²+1+σ+eps) over the pixels counted in h with values val[v];
// σ = std with ddof = 1 (0 for a single pixel).
double s_object(const Hist& h, const std::array<double, 256>& val) {
  std::int64_t n = 0;
  double sum = 0;
  for (int v = 0; v < 256; ++v)
    if (h[v]) n += h[v], sum += h[v] * val[v];
  const double mu = sum / n;
  double ss = 0;
  for (int v = 0; v < 256; ++v)
    if (h[v]) ss += h[v] * (val[v] - mu) * (val[v] - mu);
  const double sigma = n > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  return 2 * mu / (mu * mu + 1 + sigma + kEps);
}

// S-measure region ssim of one quadrant: a = foreground counts, b = background counts per value.
// An empty quadrant gives NaN (mean of nothing), as in PySOD and MATLAB.
double ssim(const Hist& a, const Hist& b, const std::array<double, 256>& p) {
  std::int64_t na = 0, nb = 0;
  double sx = 0;
  for (int v = 0; v < 256; ++v) {
    na += a[v];
    nb += b[v];
    sx += (a[v] + b[v]) * p[v];
  }
  const double n = static_cast<double>(na + nb);
  const double x = sx / n, y = na / n;
  double vx = 0, vxy = 0;
  for (int v = 0; v < 256; ++v) {
    if (!a[v] && !b[v]) continue;
    const double d = p[v] - x;
    vx += (a[v] + b[v]) * d * d;
    vxy += a[v] * d * (1 - y) + b[v] * d * (0 - y);
  }
  const double vy = na * (1 - y) * (1 - y) + nb * y * y;
  const double denom = n - 1 + kEps;
  const double sigma_x = vx / denom, sigma_y = vy / denom, sigma_xy = vxy / denom;
  const double alpha = 4 * x * y * sigma_xy;
  const double beta = (x * x + y * y) * (sigma_x + sigma_y);
  if (alpha != 0) return alpha / (beta + kEps);  // also NaN for an empty quadrant
  if (beta == 0) return 1.0;
  return 0.0;
}

}  // namespace

double emeasure_from_counts(std::int64_t tp, std::int64_t fp, std::int64_t n_fg, std::int64_t n) {
  const std::int64_t pred_fg = tp + fp, pred_bg = n - pred_fg;
  double sum;
  if (n_fg == 0) {
    sum = static_cast<double>(pred_bg);
  } else if (n_fg == n) {
    sum = static_cast<double>(pred_fg);
  } else {
    const std::int64_t fn = n_fg - tp, tn = pred_bg - fn;
    const double mp = static_cast<double>(pred_fg) / n, mg = static_cast<double>(n_fg) / n;
    const double pf = 1 - mp, pb = 0 - mp, gf = 1 - mg, gb = 0 - mg;
    sum = 0;
    sum += enhanced(pf, gf) * tp;
    sum += enhanced(pf, gb) * fp;
    sum += enhanced(pb, gf) * fn;
    sum += enhanced(pb, gb) * tn;
  }
  return sum / (n - 1 + kEps);
}

double auroc_from_histograms(const Hist& fg, const Hist& bg) {
  std::int64_t n_fg = 0, n_bg = 0;
  for (int v = 0; v < 256; ++v) n_fg += fg[v], n_bg += bg[v];
  if (n_fg == 0 || n_bg == 0) return kNaN;
  // 2·U = Σ_v fg[v]·(2·#bg below v + #bg at v), exact in 128-bit integers.
  __int128 u2 = 0;
  std::int64_t below = 0;
  for (int v = 0; v < 256; ++v) {
    u2 += static_cast<__int128>(fg[v]) * (2 * below + bg[v]);
    below += bg[v];
  }
  return static_cast<double>(u2) / (2.0 * static_cast<double>(n_fg) * static_cast<double>(n_bg));
}

ImageEvaluation evaluate_image(const cv::Mat& pred, const cv::Mat& gt, Convention conv,
                               const MetricSelection& sel, bool normalize, const cv::Mat& rgb) {
  if (pred.type() != CV_8UC1 || gt.type() != CV_8UC1)
    throw InputError("evaluate_image: prediction and mask must be 8-bit single-channel");
  if (pred.size() != gt.size())
    throw InputError("evaluate_image: prediction is " + std::to_string(pred.cols) + "x" +
                     std::to_string(pred.rows) + " but mask is " + std::to_string(gt.cols) + "x" +
                     std::to_string(gt.rows));
  if (gt.empty()) throw InputError("evaluate_image: empty image");
  const bool pysod = conv == Convention::pysodmetrics;
  if (!normalize && !pysod)
    throw InputError("evaluate_image: normalize = false is defined for the pysodmetrics convention only");
  const int rows = gt.rows, cols = gt.cols;
  const std::int64_t n = static_cast<std::int64_t>(rows) * cols;
  const int gt_cut = pysod ? 129 : 26;  // gt > 128 ; im2double(gt) >= 0.1 ⇔ gt >= 26

  // The binary GT; the class histograms only for the families computed from them
  // (needs_class_histograms).
  thread_local std::vector<std::uint8_t> g;
  g.resize(static_cast<std::size_t>(n));
  const bool histograms = needs_class_histograms(sel);
  const MaskSums mask = binarize_mask(gt, gt_cut, sel.has("sm"), g.data());
  const std::int64_t n_fg = mask.n_fg;
  // Quadrant split (cy, cx) = number of rows / columns in the top-left block.
  int cy = 0, cx = 0;
  const bool need_region = sel.has("sm") && n_fg > 0 && n_fg < n;
  if (need_region) {
    if (pysod) {  // round half to even on the 0-based mean, then +1
      cy = static_cast<int>(std::nearbyint(static_cast<double>(mask.sum_r) / n_fg)) + 1;
      cx = static_cast<int>(std::nearbyint(static_cast<double>(mask.sum_c) / n_fg)) + 1;
    } else {  // MATLAB round (half away from zero) on the 1-based mean
      cy = static_cast<int>(std::round(static_cast<double>(mask.sum_r + n_fg) / n_fg));
      cx = static_cast<int>(std::round(static_cast<double>(mask.sum_c + n_fg) / n_fg));
    }
    cy = std::min(cy, rows);
    cx = std::min(cx, cols);
  }

  // Per-quadrant, per-class histograms of the raw prediction value (index quadrant·2 + class).
  std::array<Hist, 8> qh{};
  if (histograms) qh = class_histograms(pred, g.data(), cy, cx);
  Hist fg{}, bg{};
  for (int v = 0; v < 256; ++v) {
    for (int q = 0; q < 4; ++q) bg[v] += qh[q * 2][v], fg[v] += qh[q * 2 + 1][v];
  }
  int mn = 255, mx = 0;
  if (histograms) {
    for (int v = 0; v < 256; ++v)
      if (fg[v] + bg[v]) mn = std::min(mn, v), mx = std::max(mx, v);
  } else {
    const ValueRange range = value_range(pred);
    mn = range.min, mx = range.max;
  }

  // Normalised value and threshold bin of each raw value.
  std::array<double, 256> p{};
  std::array<int, 256> bin{};
  for (int v = 0; v < 256; ++v) {
    if (pysod) {
      p[v] = mx != mn && normalize ? (v / 255.0 - mn / 255.0) / (mx / 255.0 - mn / 255.0) : v / 255.0;
      const double s = p[v] * 255.0;
      bin[v] = s <= 0 ? 0 : (s >= 255 ? 255 : static_cast<int>(s));  // astype(uint8) truncates
    } else {
      p[v] = mx > 0 ? (v / 255.0) / (mx / 255.0) : 0.0;
      int k = std::min(255, static_cast<int>(p[v] * 255.0));
      while (k < 255 && p[v] >= (k + 1) / 255.0) ++k;  // histc edges (0:255)/255
      while (k > 0 && p[v] < k / 255.0) --k;
      bin[v] = k;
    }
  }

  ImageEvaluation out;
  out.n_pixels = n;
  out.n_fg = n_fg;
  out.all_zero_map = mx == 0;
  auto& val = out.values;

  {  // Threshold counts: tp[t] = # foreground pixels with bin >= t.
    Hist bf{}, bb{};
    for (int v = 0; v < 256; ++v) bf[bin[v]] += fg[v], bb[bin[v]] += bg[v];
    std::int64_t cf = 0, cb = 0;
    for (int t = 255; t >= 0; --t) {
      cf += bf[t];
      cb += bb[t];
      out.tp[t] = cf;
      out.fp[t] = cb;
    }
  }
  const std::int64_t n_bg = n - n_fg;
  const double G = static_cast<double>(n_fg);
  double mean_p = 0;
  for (int v = 0; v < 256; ++v) mean_p += (fg[v] + bg[v]) * p[v];
  mean_p /= static_cast<double>(n);

  if (sel.has("mae")) {
    if (pysod) {
      double s = 0;
      for (int v = 0; v < 256; ++v) s += fg[v] * (1 - p[v]) + bg[v] * p[v];
      val["MAE"] = s / n;
    } else {  // CalMAE: min-max stretch of sMap (NaN for a constant map), logical GT
      const double lo = p[mn], hi = p[mx];
      double sf = 0, sb = 0;
      for (int v = 0; v < 256; ++v) {
        const double m = (p[v] - lo) / (hi - lo);
        if (fg[v]) sf += fg[v] * m;
        if (bg[v]) sb += bg[v] * m;
      }
      if (hi == lo) sf = sb = kNaN;
      val["MAE"] = ((G - sf) + sb) / n;
    }
  }

  // Adaptive threshold min(2·mean, 1) on the normalised float map, >=.
  std::int64_t tpa = 0, fpa = 0;
  const bool confusion = any_confusion(sel);
  if (sel.has("fm") || sel.has("em") || confusion) {
    const double thr = std::min(2 * mean_p, 1.0);
    for (int v = 0; v < 256; ++v)
      if (p[v] >= thr) tpa += fg[v], fpa += bg[v];
  }

  if (sel.has("fm")) {
    double ap = 0, ar = 0, af = 0;
    if (tpa > 0) {
      ap = static_cast<double>(tpa) / (tpa + fpa);
      ar = static_cast<double>(tpa) / n_fg;
      af = (1 + kBeta2) * ap * ar / (kBeta2 * ap + ar);
    }
    val["adpP"] = ap;
    val["adpR"] = ar;
    val["adpF"] = af;
  }

  const bool need_counts = sel.has("fm") || sel.has("em") || sel.has("auroc") || sel.has("iou");
  if (need_counts) {
    for (int t = 0; t < 256; ++t) {
      const double tp = static_cast<double>(out.tp[t]), fp = static_cast<double>(out.fp[t]);
      if (pysod) {
        out.precision[t] = (tp + fp) > 0 ? tp / (tp + fp) : 0.0;
        out.recall[t] = tp / std::max<std::int64_t>(n_fg, 1);
        out.tpr[t] = out.recall[t];
        out.fpr[t] = n_bg > 0 ? fp / n_bg : 0.0;
        out.iou[t] = (G + fp) > 0 ? tp / (G + fp) : 0.0;
        out.hit_rate[t] = out.tpr[t];
        out.false_alarm[t] = out.fpr[t];
      } else {  // MATLAB divisions: 0/0 = NaN (precision NaN is zeroed before summing)
        const double pre = tp / (tp + fp);
        out.precision[t] = std::isnan(pre) ? 0.0 : pre;
        out.recall[t] = tp / G;
        out.tpr[t] = out.recall[t];
        out.fpr[t] = fp / static_cast<double>(n_bg);
        out.iou[t] = tp / (G + fp);
        out.hit_rate[t] = tp / G;
        const double nb = static_cast<double>(n_bg);
        out.false_alarm[t] = 1 - (nb - fp) / nb;
      }
      out.fmeasure[t] = fmeasure(out.precision[t], std::isnan(out.recall[t]) ? 0.0 : out.recall[t]);
      out.emeasure[t] = emeasure_from_counts(out.tp[t], out.fp[t], n_fg, n);
    }
  }
  auto max_mean = [](const Curve& c, double& mx_out, double& mean_out) {
    double m = -std::numeric_limits<double>::infinity(), s = 0;
    for (double x : c) m = std::max(m, x), s += x;
    mx_out = m;
    mean_out = s / 256;
  };
  if (sel.has("fm")) max_mean(out.fmeasure, val["maxF"], val["meanF"]);
  if (sel.has("em")) {
    max_mean(out.emeasure, val["maxEm"], val["meanEm"]);
    val["adpEm"] = emeasure_from_counts(tpa, fpa, n_fg, n);
  }
  if (sel.has("iou")) max_mean(out.iou, val["maxIoU"], val["meanIoU"]);
  if (confusion) {  // adaptive counts from above; binary: the normalised map > 0.5
    std::int64_t tpb = 0, fpb = 0;
    for (int v = 0; v < 256; ++v)
      if (p[v] > 0.5) tpb += fg[v], fpb += bg[v];
    evaluate_confusion(out.tp, out.fp, n_fg, n, {tpa, fpa, n_bg - fpa, n_fg - tpa},
                       {tpb, fpb, n_bg - fpb, n_fg - tpb}, sel, out.confusion, val);
  }
  if (sel.has("miou")) {  // raw map at 0.5: u8 >= 128 (no stretching: a probability of one half)
    std::int64_t inter = 0, pred_fg = 0;
    for (int v = 128; v < 256; ++v) inter += fg[v], pred_fg += fg[v] + bg[v];
    const std::int64_t uni = n_fg + pred_fg - inter;
    val["IoU50"] = uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
  }
  if (sel.has("auroc")) {
    val["AUROC"] = auroc_from_histograms(fg, bg);
    // 256-threshold curve AUC of this image (PySOD test-script style: ascending threshold,
    // stable sort by FPR, trapezoid); for the toolbox, trapz(false alarm, hit rate) descending.
    double auc = 0;
    if (pysod) {
      std::array<int, 256> idx{};
      for (int t = 0; t < 256; ++t) idx[t] = t;
      std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return out.fpr[a] < out.fpr[b]; });
      for (int i = 0; i + 1 < 256; ++i)
        auc += (out.fpr[idx[i + 1]] - out.fpr[idx[i]]) * (out.tpr[idx[i + 1]] + out.tpr[idx[i]]) / 2.0;
    } else {
      for (int t = 255; t > 0; --t)
        auc += (out.false_alarm[t - 1] - out.false_alarm[t]) * (out.hit_rate[t - 1] + out.hit_rate[t]);
      auc /= 2;
    }
    val["AUROC_curve256"] = auc;
  }

  if (sel.has("sm")) {
    double sm;
    if (n_fg == 0) {
      sm = 1 - mean_p;
    } else if (n_fg == n) {
      sm = mean_p;
    } else {
      std::array<double, 256> inv{};
      for (int v = 0; v < 256; ++v) inv[v] = 1 - p[v];
      const double y = G / n;
      const double object = s_object(fg, p) * y + s_object(bg, inv) * (1 - y);
      const double area = static_cast<double>(n);
      const double w_lt = static_cast<double>(static_cast<std::int64_t>(cx) * cy) / area;
      const double w_rt = static_cast<double>(static_cast<std::int64_t>(cy) * (cols - cx)) / area;
      const double w_lb = static_cast<double>(static_cast<std::int64_t>(rows - cy) * cx) / area;
      const double w_rb = 1 - w_lt - w_rt - w_lb;
      const double region = ssim(qh[1], qh[0], p) * w_lt + ssim(qh[3], qh[2], p) * w_rt +
                            ssim(qh[5], qh[4], p) * w_lb + ssim(qh[7], qh[6], p) * w_rb;
      sm = object * 0.5 + region * 0.5;
      if (sm < 0) sm = 0;  // NaN stays NaN (empty quadrant), as in MATLAB
    }
    val["Sm"] = sm;
  }

  if (sel.has("hce")) {  // on the GT by the convention's rule and the normalised map > 0.5
    cv::Mat lut(1, 256, CV_8UC1), binary;
    for (int v = 0; v < 256; ++v) lut.at<std::uint8_t>(v) = p[v] > 0.5 ? 1 : 0;
    apply_lut(pred, lut.ptr<std::uint8_t>(), binary);
    val["HCE"] = human_correction_effort(cv::Mat(rows, cols, CV_8UC1, g.data()), binary);
  }

  if (any_size_invariance(sel)) evaluate_size_invariance(pred, g.data(), p, bin, sel, out.size_invariance, val);

  if (sel.has("cm") || sel.has("ccm")) {  // the normalised map as float64, the convention's GT
    cv::Mat map(rows, cols, CV_64F);
    for (int r = 0; r < rows; ++r) {
      const std::uint8_t* in = pred.ptr<std::uint8_t>(r);
      double* o = map.ptr<double>(r);
      for (int c = 0; c < cols; ++c) o[c] = p[in[c]];
    }
    const cv::Mat gt01(rows, cols, CV_8UC1, g.data());
    if (sel.has("ccm")) {
      if (rgb.empty()) throw InputError("ccm (camouflage Context-measure) needs the RGB image (--images DIR)");
      if (rgb.type() != CV_8UC3 || rgb.size() != gt.size())
        throw InputError("ccm: the image must be 8-bit RGB of the mask's size");
    }
    const ContextSpreads spreads = context_spreads(map, gt01, 6.0);  // shared by cm and ccm (α = 6)
    if (sel.has("cm")) val["cm"] = context_measure(spreads, map, gt01, 1.0);
    if (sel.has("ccm")) val["ccm"] = context_measure(spreads, map, gt01, 1.2, camouflage_degree(rgb, gt01));
  }

  if (sel.has("msiou")) {  // every threshold (bin >= t), the adaptive one and the map > 0.5
    const double thr = std::min(2 * mean_p, 1.0);
    cv::Mat lut(1, 256, CV_8UC1), bins;
    for (int v = 0; v < 256; ++v) lut.at<std::uint8_t>(v) = static_cast<std::uint8_t>(bin[v]);
    apply_lut(pred, lut.ptr<std::uint8_t>(), bins);
    out.msiou = msiou_curve(bins.ptr<std::uint8_t>(), g.data(), rows, cols);
    // The threshold of the curve whose map {bin >= t} is exactly {keep(v)}: where the pixels kept
    // are those of the larger values present, and those values' bins lie above every other
    // present value's (t = 256: nothing kept). -1 where no threshold gives that map.
    auto curve_threshold = [&](auto keep) {
      int t = 256, highest_dropped = -1;
      bool kept_before = false;
      for (int v = 0; v < 256; ++v) {
        if (fg[v] + bg[v] == 0) continue;
        if (keep(v)) {
          if (!kept_before) t = bin[v], kept_before = true;
          if (bin[v] < t) return -1;  // bins not monotone here
        } else {
          if (kept_before) return -1;  // not the larger values
          highest_dropped = std::max(highest_dropped, bin[v]);
        }
      }
      return kept_before && highest_dropped >= t ? -1 : t;
    };
    const int t_adaptive = curve_threshold([&](int v) { return p[v] >= thr; });
    const int t_binary = curve_threshold([&](int v) { return p[v] > 0.5; });
    if (t_adaptive >= 0 && t_binary >= 0) {  // both are maps of the curve (the usual case)
      val["adpmsiou"] = out.msiou[t_adaptive];
      val["sample_bimsiou"] = out.msiou[t_binary];
    } else {
      // The adaptive map (p >= thr) and the binary one (p > 0.5) are superlevel sets of one map,
      // so one holds the other (the adaptive one when thr <= 0.5): as one map of 0, 1 (the larger
      // set only) and 2 (both), thresholds 1 and 2 give both MSIoUs from one box-counting pass.
      cv::Mat nested;
      for (int v = 0; v < 256; ++v) lut.at<std::uint8_t>(v) = static_cast<std::uint8_t>((p[v] >= thr) + (p[v] > 0.5));
      apply_lut(pred, lut.ptr<std::uint8_t>(), nested);
      const std::vector<double> larger_smaller =
          msiou_of_thresholds(nested.ptr<std::uint8_t>(), g.data(), rows, cols, {1, 2});
      const bool adaptive_larger = thr <= 0.5;
      val["adpmsiou"] = larger_smaller[adaptive_larger ? 0 : 1];
      val["sample_bimsiou"] = larger_smaller[adaptive_larger ? 1 : 0];
    }
  }

  if (sel.has("wfm")) {
    std::array<double, 256> e_fg{}, e_bg{};
    for (int v = 0; v < 256; ++v) e_fg[v] = std::fabs(p[v] - 1.0), e_bg[v] = std::fabs(p[v]);
    const cv::Mat dense = pred.isContinuous() ? pred : pred.clone();
    val["wFm"] = weighted_fmeasure_from_lut(dense.ptr<std::uint8_t>(), g.data(), rows, cols, e_fg.data(),
                                            e_bg.data(), 1.0);
  }
  return out;
}

}  // namespace sodlab::metrics
