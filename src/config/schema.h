// Internal to src/config: the experiment schema. schema.cpp is the ONE place holding every
// key, default, type and range of an experiment file; each function validates one section of a
// resolved (merged) TOML tree and returns its typed struct. Errors: InputError with position.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "config/experiment.h"

namespace sodlab::config::detail {

// Top-level sections of an experiment file, of a variant overlay and of a profile overlay.
const std::vector<std::string>& top_level_sections();
const std::vector<std::string>& variant_sections();
const std::vector<std::string>& profile_sections();

// Validates the sections experiment, data, model, loss, train, eval of a resolved tree (any
// other top-level key must have been removed) and fills `run` (not seed/fold/config_toml).
void read_run_sections(const toml::table& resolved, const std::string& file, RunSpec& run);

// Validates [table]; `variants` are the names rows may refer to; `default_convention` is the
// resolved eval.convention.
// `columns_optional`: a sweep's table may leave out columns (sweep::sweep_table_spec fills them).
TableSpec read_table(const toml::table& table, const std::string& file,
                     const std::vector<std::string>& variants,
                     const std::string& default_convention, bool columns_optional = false);

// Validates [experiment] of a resolved tree into `info`.
void read_experiment_info(const toml::table& resolved, const std::string& file, ExperimentInfo& info);
// Validates [study] (kind, dataset, data_root; the rest kept as options for the pipeline).
StudySection read_study(const toml::table& resolved, const std::string& file);
// The [data] keys that say how runs are read and evaluated, not what is trained: test,
// distortions, batch_size (evaluation batches), workers (loader threads: batches do not depend
// on them, tests/config "data.workers"), data_root. The one list both config::run_id (kept out of
// the run identity) and eval-only files (the only [data] keys they may set) read.
const std::vector<std::string>& evaluation_only_data_keys();
// Top-level sections of a study file and of its profile overlays.
const std::vector<std::string>& study_sections();
const std::vector<std::string>& study_profile_sections();

// The canonical TOML tree of a run (sorted keys, every default filled).
toml::table canonical_tree(const RunSpec& run);

}  // namespace sodlab::config::detail
