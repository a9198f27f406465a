// Figures from the results store: what `sodlab plot` draws, as data (rendering: gnuplot.h).
//
// A Figure is panels of lines. build_figure() reads the planned runs of an experiment (the same
// runs its table shows) and makes one panel per dataset with one line per variant, the mean over
// that variant's completed runs (folds × seeds) at each point:
//   pr          precision against recall over the 256 thresholds (curves P, R); marks at the
//               max-F point of the mean F curve and at the adaptive (adpR, adpP) point
//   fmeasure    F against the threshold in [0, 1] (curve F); mark at the max
//   emeasure    E-measure against the threshold (curve E; needs metric family em)
//   distortion  a metric (default adpF) against the strength of one distortion kind (awgn σ or
//               jpeg quality; "none" is σ = 0 / quality 100), MEnet Fig. 9
//   training    one panel per variant, one line per run: training loss per epoch (validation
//               loss dashed where recorded, its lowest epoch marked "best epoch N"), stage
//               boundaries as vertical lines
// Axis ranges fit the data (a 4 % margin). A variant without data is left out of a panel and
// listed in Figure::missing; no data at all is an InputError naming what to run.
#pragma once

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
  std::string kind;                  // pr | fmeasure | emeasure | distortion | training
  std::string title;                 // figure title
  std::vector<TableRun> runs;        // the experiment's planned runs
  std::vector<std::pair<std::string, std::string>> labels;  // variant → legend label (table rows)
  std::string distortion = "none";   // curves of this distortion (pr, fmeasure, emeasure)
  std::string distortion_kind = "awgn";  // distortion: awgn | jpeg
  std::string metric = "adpF";       // distortion: the metric on the y axis
  std::string convention = "pysodmetrics";  // distortion: the results' convention
};

const std::vector<std::string>& figure_kinds();

// InputError for an unknown kind or when the store holds nothing to draw.
Figure build_figure(const FigureRequest& request, store::ResultsStore& store);

}  // namespace sodlab::report
