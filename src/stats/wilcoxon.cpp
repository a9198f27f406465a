#include "stats/wilcoxon.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace sodlab::stats {
namespace {

constexpr int kExactMax = 50;

// P(R+ = k) for k = 0 .. n(n+1)/2 under H0: the number of subsets of {1..n} with sum k over 2^n
// (counts below 2^50 are exact in doubles).
std::vector<double> signed_rank_pmf(int n) {
  const int top = n * (n + 1) / 2;
  std::vector<double> count(top + 1, 0.0);
  count[0] = 1;
  for (int r = 1; r <= n; ++r)
    for (int k = top; k >= r; --k) count[k] += count[k - r];
  const double total = std::ldexp(1.0, n);
  for (double& c : count) c /= total;
  return count;
}

}  // namespace

const char* method_name(WilcoxonResult::Method m) {
  switch (m) {
    case WilcoxonResult::Method::exact: return "exact";
    case WilcoxonResult::Method::normal: return "normal";
    default: return "none";
  }
}

WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& differences) {
  WilcoxonResult res;
  std::vector<double> d;
  for (double x : differences) {
    if (std::isnan(x)) throw InputError("wilcoxon_signed_rank: a difference is NaN");
    if (x == 0) ++res.zeros;
    else d.push_back(x);
  }
  const int n = static_cast<int>(d.size());
  res.n = n;
  if (n == 0) {
    res.p = std::numeric_limits<double>::quiet_NaN();
    return res;
  }
  // Average ranks of |d|.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int i, int j) { return std::fabs(d[i]) < std::fabs(d[j]); });
  std::vector<double> rank(n);
  double tie_term = 0;  // sum over tie groups of t^3 - t
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]])) ++j;
    const double avg = (i + j) / 2.0 + 1;
    for (int k = i; k <= j; ++k) rank[order[k]] = avg;
    const double t = j - i + 1;
    tie_term += t * t * t - t;
    i = j + 1;
  }
  double r_plus = 0, r_minus = 0;
  for (int i = 0; i < n; ++i) (d[i] > 0 ? r_plus : r_minus) += rank[i];
  res.statistic = std::min(r_plus, r_minus);
  if (res.zeros == 0 && tie_term == 0 && n <= kExactMax) {
    res.method = WilcoxonResult::Method::exact;
    const std::vector<double> pmf = signed_rank_pmf(n);
    const int r = static_cast<int>(std::lround(r_plus));
    const int top = static_cast<int>(pmf.size()) - 1;
    if (2 * r == top) {
      res.p = 1;
    } else {
      double less = 0, greater = 0;
      for (int k = 0; k <= r; ++k) less += pmf[k];
      for (int k = r; k <= top; ++k) greater += pmf[k];
      res.p = std::min(1.0, 2 * std::min(less, greater));
    }
    return res;
  }
  res.method = WilcoxonResult::Method::normal;
  const double nn = n;
  const double mean = nn * (nn + 1) / 4;
  const double var = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
  if (var <= 0) {  // cannot happen for n >= 1 (all tied: n(n+1)(2n+1)/24 > (n^3-n)/48)
    res.p = 1;
    return res;
  }
  res.z = (res.statistic - mean) / std::sqrt(var);
  res.p = std::min(1.0, std::erfc(std::fabs(res.z) / std::sqrt(2.0)));
  return res;
}

}  // namespace sodlab::stats
