// A sweep at a glance (`sodlab plot --kind sweep`, the report's sweep sections): every point's
// swept parameters against its headline metric.
//
// build_sweep_figure: each point's metric = the mean over its completed runs of the stored value
// of `metric` (a result key); its status: "ok"; "failed" (no completed run, one failed);
// "missing" (no run in the store); "collapsed" (its runs' AUROC on the metric's dataset is 0.5
// on every run: constant maps); "identical to <point>" (its runs' stored results are those of an
// earlier point, run for run: the options may not reach the computation). Only "ok" points colour
// the scale; the others are drawn, marked, never hidden.
//
// The rendering (gnuplot, .gp and .dat kept): on top a parallel-coordinates plot, one polyline
// per point across one axis per swept key and a last axis for the metric (each axis scaled to
// its values' range; text values evenly spaced), coloured by the metric (brighter = better); failed and missing
// points dashed grey with the metric axis at "no value" below it, collapsed / identical points
// dashed red. Below, per swept key, the metric against its values with the other keys
// marginalised: each point as a dot, the mean ± sample std over the "ok" points per value, collapsed and
// identical points circled in red (drawn, left out of the mean).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/gnuplot.h"
#include "report/paired_units.h"

namespace sodlab::report {

struct SweepFigureRequest {
  struct Point {
    std::string variant;
    std::vector<std::string> values;   // per key, as the param prints (numbers parse as numbers)
    std::vector<std::string> run_ids;  // planned runs of the point
  };
  std::string title;
  std::vector<std::string> keys;       // swept key paths
  std::vector<Point> points;
  ResultKey metric;
  std::string metric_label;
  bool higher_is_better = true;
};

struct SweepPoint {
  std::string variant;
  std::vector<std::string> values;
  std::optional<double> metric;
  int runs = 0, completed = 0, failed = 0;
  std::string status = "ok";
};

struct SweepFigure {
  std::string title, metric_label;
  bool higher_is_better = true;
  std::vector<std::string> keys;
  std::vector<SweepPoint> points;
};

// InputError when the request has no keys or no points.
SweepFigure build_sweep_figure(const SweepFigureRequest& request, store::ResultsStore& store);
std::string sweep_figure_data(const SweepFigure& figure);
std::string sweep_figure_script(const SweepFigure& figure, const std::string& name, const std::string& format);
Rendered render_sweep_figure(const SweepFigure& figure, const std::string& dir, const std::string& name,
                             const std::string& format);

}  // namespace sodlab::report
