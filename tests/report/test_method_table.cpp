// Method comparison tables (ranks, marks, partial coverage) and LaTeX text of labels.
#include <catch2/catch.hpp>

#include "report/latex.h"
#include "report/method_table.h"

using namespace sodlab::report;

TEST_CASE("method table: top three per column, ties share a rank, MAE lower is better") {
  MethodTable t;
  t.methods = {"A", "B", "C", "D"};
  t.datasets = {"sod"};
  t.metrics = {"MAE", "maxF"};
  t.lower_is_better = {"MAE"};  // as sodlab eval fills it from the metric registry
  t.values = {{{"A", "sod", "MAE"}, 0.10},  {{"B", "sod", "MAE"}, 0.05},  {{"C", "sod", "MAE"}, 0.1002},
              {{"D", "sod", "MAE"}, 0.20},  {{"A", "sod", "maxF"}, 0.9}, {{"B", "sod", "maxF"}, 0.8},
              {{"C", "sod", "maxF"}, 0.7}};
  CHECK(column_ranks(t, "sod", "MAE") == std::vector<int>{2, 1, 2, 4});  // 0.100 and 0.100 tie when printed
  CHECK(column_ranks(t, "sod", "maxF") == std::vector<int>{1, 2, 3, 0});  // D has none
  t.partial[{"D", "sod"}] = "5 of 9 masks";
  const std::string md = render_methods_markdown(t);
  INFO(md);
  CHECK(md.find("| A | _0.100_ | **0.900** |") != std::string::npos);
  CHECK(md.find("| B | **0.050** | _0.800_ |") != std::string::npos);
  CHECK(md.find("| C | _0.100_ | <u>0.700</u> |") != std::string::npos);
  CHECK(md.find("| D | 0.200† | – |") != std::string::npos);
  CHECK(md.find("† D on sod: evaluated on 5 of 9 masks only") != std::string::npos);
  const std::string tex = render_methods_latex(t);
  CHECK(tex.find("B & \\textbf{0.050} & \\underline{0.800}") != std::string::npos);
  CHECK(tex.find("\\cmidrule(lr){2-3}") != std::string::npos);
}

TEST_CASE("latex_text: sub/superscript words in math mode, everything else escaped") {
  CHECK(latex_text("F_1^w") == "$F_1^w$");
  CHECK(latex_text("AF_β^w loss") == "$AF_\\beta^w$ loss");
  CHECK(latex_text("F_{0.3}") == "$F_{0.3}$");
  CHECK(latex_text("J_max") == "J\\_max");
  CHECK(latex_text("awgn_U5-50") == "awgn\\_U5-50");
  CHECK(latex_text("β² = 0.3, 50%") == "$\\beta$$^2$ = 0.3, 50\\%");
  CHECK(latex_text("F1w msra-b→sod") == "F1w msra-b$\\to$sod");
  CHECK(latex_text("max |g| #1 & $x") == "max \\textbar{}g\\textbar{} \\#1 \\& \\$x");
}
