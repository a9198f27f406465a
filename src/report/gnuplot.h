// Rendering a Figure with gnuplot (Debian's gnuplot-nox), run as a subprocess.
//
// render() writes <dir>/<name>.dat (the data, one block per line and per set of marks, with
// comments saying which) and <dir>/<name>.gp (the script, relative paths only: `cd <dir>;
// gnuplot <name>.gp` re-renders it after restyling), then runs gnuplot in <dir>, which writes the
// image to a temporary file renamed to <dir>/<name>.<format> only when gnuplot succeeded: a
// failed render leaves no image (and replaces none). PNG output (pngcairo) is byte-identical
// from run to run for the same figure. gnuplot missing from PATH or failing: RuntimeFailure with
// what it printed.
#pragma once

#include <string>

#include "report/figure.h"

namespace sodlab::report {

struct Rendered {
  std::string image, script, data;  // paths written
};

// `format`: png | svg | pdf (InputError otherwise).
Rendered render(const Figure& figure, const std::string& dir, const std::string& name, const std::string& format);

// Writes <dir>/<name>.dat and <dir>/<name>.gp with these texts and runs gnuplot on them exactly as
// render() does (the script writes to the variable OUT). What render() and map figures share.
Rendered render_texts(const std::string& dir, const std::string& name, const std::string& format,
                      const std::string& data, const std::string& script);
// "set terminal ..." for png (pngcairo), svg or pdf (pdfcairo) at a size in pixels (InputError
// for another format).
std::string terminal_line(const std::string& format, int width, int height);

// A gnuplot double-quoted string (quotes and backslashes escaped, line breaks as \n).
std::string gnuplot_quoted(const std::string& s);

// The two texts render() writes (for tests and for tools that run gnuplot themselves).
std::string gnuplot_data(const Figure& figure);
std::string gnuplot_script(const Figure& figure, const std::string& name, const std::string& format);

}  // namespace sodlab::report
