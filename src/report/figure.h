// Figures from the results store: what `sodlab plot` draws, as data (rendering: gnuplot.h).
//
// A Figure is panels of lines. build_figure() reads the planned runs of an experiment (the same
// runs its table shows) and makes one panel per dataset with one line per variant, the mean over
// that variant's completed runs (folds × seeds) at each point:
//   pr          precision against recall over the 256 thresholds (curves P, R); marks at the
//               max-F point of the mean F curve and at the adaptive (adpR, adpP) point
//   fmeasure    F against the threshold in [0, 1] (curve F); mark at the max
//   emeasure    E-measure against the threshold (curve E; needs metric family em)
//   iou, dice   IoU / Dice against the threshold (PySODEvalToolkit's --mode iou|dice: PySODMetrics
//               FmeasureV2's dynamic curves confusion_iou, confusion_dice; iou falls back to the
//               curve IoU of family iou); mark at the max
//   roc         true positive rate against false positive rate over the 256 thresholds (curves
//               TPR, FPR of family auroc, else confusion_rec, confusion_fpr), the AUC in the legend
//   distortion  a metric (default adpF) against the strength of one distortion kind (awgn σ or
//               jpeg quality; "none" is σ = 0 / quality 100), MEnet Fig. 9
//   training    one panel per variant, one line per run: training loss per epoch (validation
//               loss dashed where recorded, its lowest epoch marked "best epoch N"), stage
//               boundaries as vertical lines
// Axis ranges fit the data (a 4 % margin). A variant without data is left out of a panel and
// listed in Figure::missing; no data at all is an InputError naming what to run.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "report/paper_table.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

struct Mark {
  std::string label;  // "max F", "adaptive"
  double x = 0, y = 0;
};

struct Series {
  std::string label;                           // legend text
  std::vector<std::pair<double, double>> xy;   // in drawing order
  std::vector<Mark> marks;
  bool dashed = false;
  bool points = false;                         // a point at each (x, y), e.g. measured levels
};

struct Panel {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  std::vector<double> vlines;                  // e.g. stage boundaries
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;  // ranges that fit the data
};

struct Figure {
  std::string title;
  std::vector<Panel> panels;
  std::vector<std::string> missing;  // "<variant> on <dataset>: no <curve> curves" (left out)
};

struct FigureRequest {
  std::string kind;                  // pr | fmeasure | emeasure | iou | dice | roc | distortion | training
  std::string title;                 // figure title
  std::vector<TableRun> runs;        // the experiment's planned runs
  std::vector<std::pair<std::string, std::string>> labels;  // variant → legend label (table rows)
  std::string distortion = "none";   // curves of this distortion (pr, fmeasure, emeasure)
  std::string distortion_kind = "awgn";  // distortion: awgn | jpeg
  std::string metric = "adpF";       // distortion: the metric on the y axis
  std::string convention = "pysodmetrics";  // distortion: the results' convention
};

const std::vector<std::string>& figure_kinds();

// One line of a curve figure from any source (build_figure: the mean over a variant's runs;
// `sodlab eval --plot`: one method's result): curves by the store's names (P, R, F, E, IoU, TPR,
// FPR, confusion_<m>), threshold index 0..255 → value, and dataset results by key (adpP, adpR,
// AUROC_curve256, auc_roc: the pr marks and the roc legend).
struct CurveLine {
  std::string label;          // names the line in the legend and in Figure::missing
  std::string legend_suffix;  // appended in the legend only (" (mean of 2 runs)")
  std::map<std::string, std::map<int, double>> curves;
  std::map<std::string, double> results;
};
struct CurvePanel {
  std::string title;  // the dataset
  std::vector<CurveLine> lines;
};
// The kinds curve_figure draws: pr, fmeasure, emeasure, iou, dice, roc.
const std::vector<std::string>& curve_figure_kinds();
// A figure of one of those kinds: a panel per CurvePanel with a line per CurveLine that has the
// kind's curves (the others listed in Figure::missing), ranges fitted. InputError for another kind.
Figure curve_figure(const std::string& kind, const std::string& title, const std::vector<CurvePanel>& panels);

// InputError for an unknown kind or when the store holds nothing to draw.
Figure build_figure(const FigureRequest& request, store::ResultsStore& store);

}  // namespace sodlab::report
