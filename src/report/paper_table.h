// Paper tables: our numbers from the results store beside the paper's published ones.
//
// Columns read results (dataset, distortion, metric, convention) or, with source = "timing",
// the runs' timings (train_hours, train_s_per_epoch, test_s_per_image), × the column's scale.
// Timing cells name the host, device and threads they were measured on, and the paper's column
// its hardware: the two are never presented as comparable. Footnotes (column, row, published
// cell and table notes) are numbered [1], [2], ... in order of appearance.
//
// The runs of a row are exactly the planned runs of its variant (pipeline::plan with the same
// profile and --set overrides as `sodlab run`), by run id: a run made with other overrides or
// another config never enters the table. Of those, the completed ones count; for each column,
// the value of every such run at (dataset, distortion, metric, convention) is collected: the
// cell shows mean ± sample std (n-1 denominator; std omitted when n = 1) and n, or "k of m
// runs" while some planned runs are missing. Published-only rows show only the paper's values.
//
// With a reference row (`[table] reference`, per row `reference`), each cell of a row compared
// with it also holds the paired statistics of report/paired_cells.h (Δ to the reference, its
// bootstrap interval, Wilcoxon p, Holm-adjusted over the rows of the column); renderings print
// Δ and the interval, a † where the interval excludes 0 (explained in the notes), the CSV every
// number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/table_spec.h"
#include "stats/paired.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

struct Cell {
  int n = 0;                        // runs that have this value (0 = not run yet)
  double mean = 0, std = 0;         // std = 0 when n < 2
  std::optional<double> published;  // the paper's value
  std::optional<stats::PairedComparison> paired;  // against the row's reference (paired_cells.h)
  int paired_runs = 0;              // run pairs (same fold and seed) the units came from
  bool is_reference = false;        // the row is another row's reference in this column
};

struct Row {
  std::string label, variant;       // variant "" = published-only
  int runs = 0;                     // completed runs counted for this row
  int planned = 0;                  // runs the experiment plans for this row
  std::vector<Cell> cells;          // one per column
  std::string reference;            // variant this row is compared with ("" = none)
  bool best = false;                // rank_rows: the best row of the ranked column
};

// One planned run of the experiment: its variant, run id and the datasets it evaluates (a
// column on a dataset no planned run evaluates prints "not run in this profile"; when no run
// lists datasets, every column counts as run).
struct TableRun {
  std::string variant, run_id;
  std::vector<std::string> datasets;
};

struct PaperTable {
  std::string experiment, reproduces, title, caption, profile;
  std::vector<config::TableColumn> columns;
  std::vector<std::string> store_datasets;  // dataset looked up per column
  std::vector<bool> in_profile;             // per column: some planned run evaluates its dataset
  std::vector<std::string> timing_hosts;    // where our timing cells were measured
  std::vector<std::string> notes;           // [table] notes
  std::string layout = "methods";           // markdown: a row per method, or per column ("metrics")
  std::vector<std::string> row_notes;       // per row ("" = none)
  std::vector<std::vector<std::string>> published_notes;  // per row, per column
  std::vector<Row> rows;
  std::string overrides;            // the --set overrides the table was planned with ("" = none)
  // Paired statistics (paired_cells.h): whether any row has a reference, the bootstrap settings,
  // and per column why it has none ("" = it has them, or no reference).
  bool paired = false;
  int resamples = 0;
  std::uint64_t bootstrap_seed = 0;
  std::vector<std::string> unpaired_why;
  int ranked_by = -1;               // rank_rows: the column the rows are sorted by (-1 = file order)
};

// Builds the table of the planned `runs` (InputError if the spec has no columns).
PaperTable build_table(const config::TableSpec& spec, const std::string& experiment,
                       const std::string& reproduces, const std::string& profile,
                       const std::vector<TableRun>& runs, store::ResultsStore& store);

// Sorts the rows of ours by the first results column any of them has a value in, best first by
// the column's direction (rows without a value, then published-only rows, keep their order after
// them), and marks the first as best (labelled "(best)", a note names the column); `sodlab table
// --sort`, a sweep's points by its headline metric. Row notes travel with their rows.
void rank_rows(PaperTable& t);

// The table as rendered text, shared by the Markdown and HTML renderings: a heading, a header
// row and body rows of cell texts (footnote markers included, nothing escaped), then the note
// lines (profile, overrides, column definitions, timing hosts, numbered footnotes).
struct GridCell {
  enum class Kind { label, ours, paper };
  std::string text;
  Kind kind = Kind::label;
};
struct TableGrid {
  std::string heading, reproduces, caption;
  std::vector<GridCell> header;
  std::vector<std::vector<GridCell>> rows;
  std::vector<std::string> notes;
};
TableGrid layout_table(const PaperTable& t);

// Cell text: "0.912 ± 0.004 (n=5)", "0.912 (n=1)", "0.912 ± 0.004 (2 of 3 runs)" while planned
// runs are missing, "– (0 of 3 runs)" when none ran; published beside.
std::string render_markdown(const PaperTable& t);
std::string render_latex(const PaperTable& t);
// Long format, one line per row × column: profile,row,variant,dataset,store_dataset,metric,
// convention,distortion,n,planned,mean,std,published,in_profile, then the paired statistics:
// reference,units,images,run_pairs,difference,ci_low,ci_high,level,p_wilcoxon,p_holm,test,
// resamples,bootstrap_seed,significant (empty fields when absent; full precision).
std::string render_csv(const PaperTable& t);

}  // namespace sodlab::report
