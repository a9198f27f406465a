// One run of the results store as an HTML page of `sodlab report`: provenance (code version,
// host, CPU, threads, device, library versions, times, status and error), the experiment files
// that refer to it, its sweep parameters, per-dataset results (one row per dataset × distortion ×
// convention, one column per metric), epochs (train / validation loss, learning rate, seconds),
// timings, artifacts and the resolved config it ran with.
#pragma once

#include <string>

#include "core/options.h"

namespace sodlab::store {
class ResultsStore;
}

namespace sodlab::report {

// A sweep parameter's value as the sweep file writes it: a double in its shortest exact form
// (0.3, not 0.29999999999999999), anything else as option_value_to_string.
std::string param_text(const OptionValue& value);

// The page's file name inside the report's runs/ folder: "<run_id>.html" (characters other than
// letters, digits, '-', '_' and '.' replaced by '_').
std::string run_page_name(const std::string& run_id);

// The page (html::page, one folder below the index). InputError when the run is not in the store.
std::string run_page(store::ResultsStore& store, const std::string& run_id);

}  // namespace sodlab::report
