// The figure of a sweep at a glance (`sodlab plot --kind sweep`, the report's sweep overview):
// every point's parameters against one metric.
//
// Top: parallel coordinates, one axis per swept key and a last axis for the metric, one polyline
// per point coloured by its metric (mean over its completed runs, folds × seeds). Below: for each
// swept key, the metric against the key's values, every point a dot and the mean over the points
// sharing a value (the other keys marginalised) with its min-max bar.
//
// Points are never hidden: a point without a completed run is drawn dashed grey on its key axes
// only; a point whose runs collapsed (every completed run's AUROC within 1e-9 of 0.5, a constant
// or uninformative map) or whose results equal another point's bit for bit (the options it
// differs in did not reach the computation, or training ended on the same output) is drawn dashed
// and circled in red, and named in the figure's note line.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/options.h"
#include "report/gnuplot.h"
#include "report/paper_table.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

struct SweepPoint {
  std::string variant;
  std::vector<OptionValue> values;  // per swept key (SweepSummary::keys order); unset = bool false
  int runs = 0, completed = 0;
  double mean = std::numeric_limits<double>::quiet_NaN();  // the metric over completed runs
  double min = mean, max = mean;
  std::string flag;  // "" | "no completed run" | "collapsed (AUROC 0.5)" | "identical to <variant>"
};

struct SweepSummary {
  std::string title, metric, dataset, convention;
  bool lower_is_better = false;
  std::vector<std::string> keys;    // the params whose values differ between points
  std::vector<SweepPoint> points;   // in plan order
};

struct SweepFigureRequest {
  std::string title;
  std::vector<TableRun> runs;         // the sweep's planned runs (variant = point)
  std::vector<std::string> metrics;   // candidates in order: the first the completed runs hold is drawn
  // The metric registry's direction (metrics/ is not a dependency of report/: the caller asks it).
  std::function<bool(const std::string&)> lower_is_better;
  std::string convention = "pysodmetrics";
};

// Reads the points' parameters and results (first test set, undistorted). InputError: fewer
// than two points, no param that differs between points, or no completed run holding a metric.
SweepSummary summarize_sweep(const SweepFigureRequest& request, store::ResultsStore& store);

// The gnuplot data and script of the figure (kept beside the image by render_texts).
struct GnuplotTexts {
  std::string data, script;
};
GnuplotTexts sweep_figure_texts(const SweepSummary& summary, const std::string& name, const std::string& format);

Rendered render_sweep_figure(const SweepSummary& summary, const std::string& dir, const std::string& name,
                             const std::string& format);

}  // namespace sodlab::report
