// Wilcoxon signed-rank test of paired differences (two-sided), as scipy.stats.wilcoxon(d) with
// its defaults (zero_method="wilcox", correction=False, method="auto"), with one deliberate
// difference:
// - zero differences are dropped ("wilcox"); n = the non-zero differences;
// - |d| ranked with average ranks for ties; T = min(R+, R-);
// - exact null distribution of R+ (all 2^n sign patterns, by counting) when there are no zeros,
//   no ties and n <= 50 (scipy's rule): p = min(1, 2 min(P(R+ <= r), P(R+ >= r))), 1 at the centre;
// - otherwise the normal approximation: z = (T - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24 - sum(t^3-t)/48)
//   over tie groups of size t, no continuity correction, p = 2 (1 - Phi(|z|)).
// Difference: scipy 1.10 keeps the exact method when n <= 50 and |d| has ties, truncating the
// non-integer rank sum (a known defect); with ties we use the normal approximation (what
// scipy's method="approx" gives).
// Ties are exact equality of doubles, as in scipy.
#pragma once

#include <vector>

namespace sodlab::stats {

struct WilcoxonResult {
  enum class Method { none, exact, normal };
  int n = 0;          // non-zero differences used
  int zeros = 0;      // zero differences dropped
  double statistic = 0;  // T = min(R+, R-)
  double z = 0;       // the normal approximation's z (0 for exact / none)
  double p = 1;       // two-sided; NaN when n = 0 (Method::none)
  Method method = Method::none;
};

// NaN differences are an InputError (drop unmatched units before).
WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& differences);

const char* method_name(WilcoxonResult::Method m);  // "none", "exact", "normal"

}  // namespace sodlab::stats
