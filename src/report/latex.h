// LaTeX text for table labels (paper tables, method comparisons).
//
// latex_text(): a word (between spaces) that is a sub/superscript expression is set in math mode:
// letters, digits and Greek letters where every '_' or '^' is followed by ONE character or a
// {...} group (F_1^w → $F_1^w$, AF_β^w → $AF_\beta^w$, F_{0.3} → $F_{0.3}$). Any other word is
// text: TeX's special characters escaped (J_max → J\_max, awgn_U5-50 → awgn\_U5-50) and the
// Unicode symbols the labels use (β σ θ φ ² ± × → ≤ ≥ –) replaced by LaTeX commands, so the
// output compiles with pdflatex.
#pragma once

#include <string>

namespace sodlab::report {

std::string latex_text(const std::string& text);

}  // namespace sodlab::report
