// libFuzzer target: experiment files with profile / variant overlays and --set overrides.
//
// Input: the text of an experiment file, optionally followed by a line "#--set" and then one
// `key.path=value` override per line (what `sodlab run --set key.path=value` passes on):
//
//   [experiment]
//   name = "x"
//   ...
//   #--profile smoke        (optional, anywhere before #--set: select this profile)
//   #--variant proposed     (optional, repeatable: restrict to these variants)
//   #--set
//   data.input_size=64
//   model.name=szn
//
// Both directives are TOML comments, so a seed stays a valid experiment file. Without
// "#--profile", the profile is chosen from the input's length: size % (number of profiles + 1),
// 0 = none, k = the k-th profile of [profiles] in file order, so the fuzzer reaches every overlay.
//
// Calls config::load_experiment_text() and, for an accepted file, config::expand(), run_id()
// and refresh_canonical(); the canonical config of every run must parse back as TOML and print
// the same again. sodlab::InputError is the expected outcome of bad input; any other exception
// (caught here, printed, then abort()), a crash, a sanitizer report or a hang is a finding.
#include <toml++/toml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "config/experiment.h"
#include "core/error.h"

namespace {

// More runs than this: expand() is skipped (a 1000-fold × 1000-seed file is legal and asks for
// 10^6 runs; that is slow by request, not a bug).
constexpr std::size_t kMaxRuns = 256;

bool g_verbose = false;  // SODLAB_FUZZ_VERBOSE=1: print each input's outcome (reproducing)

[[noreturn]] void finding(const char* where, const std::string& what) {
  std::fprintf(stderr, "fuzz_experiment: %s: %s\n", where, what.c_str());
  std::fflush(stderr);
  std::abort();
}

struct Input {
  std::string text;                  // the experiment file
  std::vector<std::string> sets;     // --set overrides
  bool has_profile = false;
  std::string profile;
  std::vector<std::string> variants;
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

Input split(const std::string& data) {
  Input in;
  std::size_t pos = 0;
  bool in_sets = false;
  while (pos <= data.size()) {
    std::size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_sets) {
      if (!line.empty()) in.sets.push_back(line);
    } else if (line == "#--set") {
      in_sets = true;
      in.text = data.substr(0, pos);
    } else if (starts_with(line, "#--profile ")) {
      in.has_profile = true;
      in.profile = line.substr(11);
    } else if (starts_with(line, "#--variant ")) {
      in.variants.push_back(line.substr(11));
    }
    if (end == data.size()) break;
    pos = end + 1;
  }
  if (!in_sets) in.text = data;
  return in;
}

// [profiles] keys in file order (as Experiment::profile_names lists them), or none when the
// text is not TOML (load_experiment_text reports that).
std::vector<std::string> profile_names(const std::string& text) {
  std::vector<std::string> out;
  try {
    const toml::table doc = toml::parse(text, std::string("fuzz.toml"));
    const toml::table* profiles = doc["profiles"].as_table();
    if (!profiles) return out;
    std::vector<std::pair<std::pair<toml::source_index, toml::source_index>, std::string>> keyed;
    for (auto&& [k, v] : *profiles) {
      const auto& b = k.source().begin.line ? k.source().begin : v.source().begin;
      keyed.push_back({{b.line, b.column}, std::string(k.str())});
    }
    std::sort(keyed.begin(), keyed.end());
    for (auto& k : keyed) out.push_back(std::move(k.second));
  } catch (const toml::parse_error&) {
  }
  return out;
}

std::string print(const toml::table& t) {
  std::ostringstream os;
  os << toml::toml_formatter(t, toml::format_flags::none) << "\n";
  return os.str();
}

void check_run(sodlab::config::RunSpec& run) {
  // The canonical config is TOML that reads back to the same canonical text.
  toml::table back;
  try {
    back = toml::parse(run.config_toml, std::string("config_toml"));
  } catch (const toml::parse_error& e) {
    finding("canonical config_toml is not valid TOML", std::string(e.description()) + "\n" + run.config_toml);
  }
  const std::string again = print(back);
  if (again != run.config_toml)
    finding("canonical config_toml does not print back the same",
            "first:\n" + run.config_toml + "second:\n" + again);
  const std::string before = run.config_toml;
  sodlab::config::refresh_canonical(run);
  if (run.config_toml != before) finding("refresh_canonical changed an unchanged run", before);
  const std::string id = sodlab::config::run_id(run, "fuzz", "manifest", 1);
  if (id.size() != 16) finding("run_id is not 16 hex digits", id);
}

void fuzz_one(const std::string& data) {
  Input in = split(data);
  sodlab::config::LoadOptions options;
  options.sets = in.sets;
  options.variants = in.variants;
  if (in.has_profile) {
    options.profile = in.profile;
  } else {
    const std::vector<std::string> profiles = profile_names(in.text);
    const std::size_t pick = data.size() % (profiles.size() + 1);
    if (pick > 0) options.profile = profiles[pick - 1];
  }

  const sodlab::config::Experiment ex =
      sodlab::config::load_experiment_text(in.text, "fuzz.toml", options);
  if (ex.variants.empty() || ex.variants.size() != ex.variant_names.size())
    finding("accepted experiment", "has no variants or variant_names disagree");

  std::size_t runs = 0;
  for (const auto& v : ex.variants)
    runs += std::max<std::size_t>(1, v.data.folds > 0 ? v.data.fold_list.size() : 1) * v.train.seeds.size();
  if (runs > kMaxRuns) return;
  std::vector<sodlab::config::RunSpec> expanded = sodlab::config::expand(ex);
  if (expanded.size() != runs)
    finding("expand", std::to_string(expanded.size()) + " runs, expected " + std::to_string(runs));
  for (auto& run : expanded) check_run(run);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The data root of the environment would overlay every file; keep runs independent of it.
  unsetenv("SODLAB_DATA_ROOT");
  const char* v = std::getenv("SODLAB_FUZZ_VERBOSE");
  g_verbose = v && *v && *v != '0';
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  try {
    fuzz_one(input);
    if (g_verbose) std::fprintf(stderr, "accepted\n");
  } catch (const sodlab::InputError& e) {
    // Expected: bad input, reported with file:line:column.
    if (g_verbose) std::fprintf(stderr, "InputError: %s\n", e.what());
    return 0;
  } catch (const std::exception& e) {
    finding((std::string("unexpected exception ") + typeid(e).name()).c_str(), e.what());
  } catch (...) {
    finding("unexpected exception", "(not a std::exception)");
  }
  return 0;
}
