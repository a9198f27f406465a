// Holm's step-down correction of p-values for several comparisons (the rows of a table column
// against their reference): the k-th smallest of m p-values becomes
// min(1, max over j <= k of (m - j + 1) p_(j)). NaN p-values (no comparison) stay NaN and do not
// count in m. Same numbers as statsmodels' multipletests(method="holm").
#pragma once

#include <vector>

namespace sodlab::stats {

std::vector<double> holm_adjust(const std::vector<double>& p);

}  // namespace sodlab::stats
