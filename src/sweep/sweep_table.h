// The table of a sweep: one row per point, mean ± std over its folds and seeds.
//
// A sweep file without [table] (or whose [table] has columns but no rows) gets one row per point
// (variant, in point order) and, without columns, one column per test set × distortion × metric
// family the runs evaluate: the family's headline metric (MAE, maxF, wFm, Sm, maxEm, AUROC,
// meanIoU, mIoU50; MAE lower is better).
//
// Points whose runs gave bit-identical results (every stored metric of every run, fold by fold
// and seed by seed, all runs completed, different run ids) are named in a note under the table:
// the options they differ in may not reach the computation, or training collapsed to the same
// output (seen on the small profile: two AF_beta^w points with beta^2 = 0.3 both ended on a
// constant map).
#pragma once

#include <string>
#include <vector>

#include "config/table_spec.h"
#include "pipeline/plan.h"
#include "store/results_store.h"

namespace sodlab::sweep {

// The experiment's [table] completed as above (unchanged when it has rows). A `table.reference`
// (paired statistics of every point against it) must name a point: InputError listing them.
config::TableSpec sweep_table_spec(const pipeline::Plan& plan);

// "Points a, b gave bit-identical results ..." for each group of two or more such points.
std::vector<std::string> identical_point_notes(const pipeline::Plan& plan, store::ResultsStore& store);

// "Points ... collapsed: AUROC 0.5 on every run (constant maps)" when some point's every
// completed run has an AUROC of 0.5 (on any test set); empty otherwise.
std::vector<std::string> collapsed_point_notes(const pipeline::Plan& plan, store::ResultsStore& store);

}  // namespace sodlab::sweep
