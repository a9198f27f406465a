// What two runs differ in: their resolved configs key by key, and their provenance.
//
// flatten_toml: every leaf of a TOML document as "a.b.c" → its value as TOML text (strings
// quoted); an array of tables by index ("train.stages[1].lr"), any other array as one value.
// config_difference: the keys whose values differ (a key only one side has: the other "" =
// absent), sorted. provenance_difference: the runs' code_version, code_dirty, host, cpu, threads,
// device, libtorch and opencv (keys "provenance.<field>") that differ. InputError for a config
// text that is not TOML, naming `label`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace sodlab::report {

struct KeyDifference {
  std::string key, a, b;  // "" = absent on that side
};

std::map<std::string, std::string> flatten_toml(const std::string& text, const std::string& label);
std::vector<KeyDifference> config_difference(const std::string& a_toml, const std::string& b_toml,
                                             const std::string& a_label, const std::string& b_label);
std::vector<KeyDifference> provenance_difference(const store::RunRecord& a, const store::RunRecord& b);

}  // namespace sodlab::report
