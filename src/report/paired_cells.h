// Paired statistics of a paper table's rows against their reference row (src/stats).
//
// For each row with a reference (TableSpec::reference_of) and each results column: the completed
// runs of the row and of the reference are matched by (fold, seed); in each pair the images
// both have a finite per-image value of the column's (dataset, distortion, metric, convention)
// are the units (× the column's scale). stats::compare_paired gives Δ = row − reference (mean
// over images), its percentile bootstrap interval (spec.resamples, spec.bootstrap_seed) and the
// Wilcoxon p; p-values are Holm-adjusted over the rows of each column.
//
// A column has no statistics when its metric is not a mean of per-image values: a run's
// per-image values must average (finite ones) to its stored dataset value, else (maxF of the
// mean F curve, curve AUCs, timings) `unpaired_why` says so; the per-image curves such a metric
// would need (stats::paired_bootstrap_dataset) are not stored.
#pragma once

#include <vector>

#include "config/table_spec.h"
#include "report/paper_table.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

// Fills Cell::paired / paired_runs / is_reference, Row::reference and the table's paired fields.
void add_paired_statistics(PaperTable& t, const config::TableSpec& spec, const std::vector<TableRun>& runs,
                           store::ResultsStore& store);

}  // namespace sodlab::report
