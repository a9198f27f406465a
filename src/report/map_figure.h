// Figures of maps side by side (Kolkin Fig. 3: image, GT, prediction, E, E^A, B, E_w), rendered
// with gnuplot like the line figures (gnuplot.h: .dat and .gp kept beside the image, atomic, PNG
// byte-identical from run to run).
//
// Every scalar panel shares one colour scale, [0, the largest value of any of them], with one
// colour bar, so the maps compare by colour; an RGB panel (the photograph) is drawn as it is.
// Panels larger than `max_side` pixels on their long side are reduced (area average) for the
// figure only.
#pragma once

#include <string>
#include <vector>

#include "report/gnuplot.h"

namespace sodlab::report {

struct MapPanel {
  std::string title;
  int rows = 0, cols = 0;
  std::vector<double> values;  // rows × cols, row-major; RGB: rows × cols × 3 (0..255)
  bool rgb = false;
};

struct MapFigure {
  std::string title;
  std::vector<MapPanel> panels;
  std::string scale_label = "value";  // the colour bar's label
  int columns = 4;                     // panels per row
  int max_side = 256;
};

std::string map_figure_data(const MapFigure& figure);
std::string map_figure_script(const MapFigure& figure, const std::string& name, const std::string& format);
// InputError on an empty figure or a panel whose values do not match its size.
Rendered render_maps(const MapFigure& figure, const std::string& dir, const std::string& name,
                     const std::string& format);

}  // namespace sodlab::report
