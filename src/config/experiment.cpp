// Loading (overlay resolution + validation), expansion and run ids. The schema is schema.cpp.
#include "config/experiment.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/schema.h"
#include "config/sweep.h"
#include "config/toml_reader.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/names.h"
#include "core/output_files.h"

namespace sodlab::config {
namespace {

using detail::fail;

toml::table parse_text(const std::string& text, const std::string& path) {
  try {
    return toml::parse(text, std::string(path));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
}

// Checks that an overlay only touches the allowed sections.
void check_overlay_sections(const toml::table& overlay, const std::string& path,
                            const std::string& file, const std::vector<std::string>& allowed) {
  detail::TableReader r(overlay, path, file);
  for (const auto& s : allowed) r.node(s);
  r.finish();
}

const toml::table* overlay_of(const toml::table& doc, const char* group, const std::string& name,
                              const std::string& file) {
  const toml::node* g = doc.get(group);
  if (!g) return nullptr;
  if (!g->is_table()) fail(g, file, group, std::string("expected a table, got ") + detail::type_name(*g));
  const toml::node* o = g->as_table()->get(name);
  if (!o) return nullptr;
  if (!o->is_table())
    fail(o, file, std::string(group) + "." + name,
         std::string("expected a table, got ") + detail::type_name(*o));
  return o->as_table();
}

// The one overlay chain of every kind of experiment file (ordinary, [study], eval-only):
//   base → [variants.<v>] → [profiles.<p>] → $SODLAB_DATA_ROOT → --set, in that order,
// so a --set always wins over the environment, and the environment over the file. Each kind
// names the sections its overlays may touch and where the data root lives; `check` validates an
// overlay against those sections (eval-only files also restrict the [data] keys).
struct OverlayChain {
  std::vector<std::string> variant_sections, profile_sections, set_sections;
  std::string data_root_section = "data";  // [study] for a study
  std::function<void(const toml::table& overlay, const std::string& path, const std::string& file,
                     const std::vector<std::string>& sections)>
      check = check_overlay_sections;
};

// Applies the chain to `doc` (the base, its variants and profiles tables already taken out).
// A null overlay is skipped; `sets` are the --set assignments that apply to this tree.
void apply_overlays(toml::table& doc, const OverlayChain& chain, const std::string& file,
                    const std::string& variant, toml::table* variant_overlay, const std::string& profile,
                    toml::table* profile_overlay, const std::vector<std::string>& sets) {
  if (variant_overlay) {
    chain.check(*variant_overlay, "variants." + variant, file, chain.variant_sections);
    detail::deep_merge(doc, std::move(*variant_overlay));
  }
  if (profile_overlay) {
    chain.check(*profile_overlay, "profiles." + profile, file, chain.profile_sections);
    detail::deep_merge(doc, std::move(*profile_overlay));
  }
  if (const char* env = std::getenv("SODLAB_DATA_ROOT"); env && *env) {
    const toml::node* section = doc.get(chain.data_root_section);
    if (!section || section->is_table()) {
      toml::table over;
      toml::table inner;
      inner.insert_or_assign("data_root", std::string(env));
      over.insert_or_assign(chain.data_root_section, std::move(inner));
      detail::deep_merge(doc, std::move(over));
    }
  }
  for (const auto& s : sets) {
    toml::table over = detail::parse_set(s);
    chain.check(over, "", "--set", chain.set_sections);
    detail::deep_merge(doc, std::move(over));
  }
}

const OverlayChain& run_chain() {
  static const OverlayChain c = [] {
    OverlayChain c;
    c.variant_sections = detail::variant_sections();
    c.profile_sections = detail::profile_sections();
    c.set_sections = detail::variant_sections();
    c.set_sections.push_back("experiment");
    c.set_sections.push_back("table");
    return c;
  }();
  return c;
}

std::vector<std::string> names_of(const toml::table& doc, const char* group, const std::string& file) {
  const toml::node* g = doc.get(group);
  if (!g) return {};
  if (!g->is_table()) fail(g, file, group, std::string("expected a table, got ") + detail::type_name(*g));
  return detail::keys_in_file_order(*g->as_table());
}

// Resolved tree of one variant (apply_overlays).
toml::table resolve(const std::string& text, const std::string& file, const std::string& variant,
                    const LoadOptions& options) {
  toml::table doc = parse_text(text, file);
  detail::expand_sweep(doc, file, options.profile);
  toml::table variants, profiles;
  if (auto* v = doc.get("variants"); v && v->is_table()) variants = std::move(*v->as_table());
  if (auto* p = doc.get("profiles"); p && p->is_table()) profiles = std::move(*p->as_table());
  doc.erase("variants");
  doc.erase("profiles");
  toml::table* v = nullptr;
  if (!variant.empty())
    if (auto* n = variants.get(variant); n && n->is_table()) v = n->as_table();
  toml::table* p = nullptr;
  if (!options.profile.empty())
    if (auto* n = profiles.get(options.profile); n && n->is_table()) {
      p = n->as_table();
      p->erase("variants");  // which variants the profile runs (load_experiment_text)
    }
  apply_overlays(doc, run_chain(), file, variant, v, options.profile, p, options.sets);
  return doc;
}

// Every variant of the file under `profile`, in order (a [sweep] expanded into its points).
std::vector<std::string> all_variant_names(const std::string& text, const std::string& file,
                                           const std::string& profile) {
  toml::table doc = parse_text(text, file);
  const detail::SweepExpansion sweep = detail::expand_sweep(doc, file, profile);
  return sweep.present ? sweep.names : names_of(doc, "variants", file);
}

// The parameters of a variant: each leaf key path its overlay sets, with the value it resolved to
// (after the profile and --set); arrays and tables as TOML text.
std::vector<std::pair<std::string, OptionValue>> variant_params(const toml::table& overlay,
                                                                const toml::table& resolved,
                                                                const std::string& file) {
  std::vector<std::pair<std::string, OptionValue>> out;
  for (const auto& key : detail::leaf_paths(overlay)) {
    const toml::node* n = resolved.at_path(key).node();
    if (!n) continue;  // replaced wholesale by the profile (another model or loss)
    if (n->is_array() || n->is_table()) {
      std::ostringstream os;
      n->visit([&](auto&& x) { os << toml::toml_formatter(x, toml::format_flags::none); });
      out.emplace_back(key, os.str());
    } else {
      out.emplace_back(key, detail::to_option_value(*n, file, key));
    }
  }
  return out;
}

std::string serialize(const toml::table& t) {
  std::ostringstream os;
  os << toml::toml_formatter(t, toml::format_flags::none) << "\n";
  return os.str();
}

}  // namespace

namespace {

// A [study] file: [experiment], [study], [profiles.<p>] (overlaying study and table), [table].
Experiment load_study(const toml::table& doc, const std::string& text, const std::string& path,
                      const LoadOptions& options) {
  Experiment ex;
  ex.source_path = path;
  ex.profile = options.profile;
  check_overlay_sections(doc, "", path, detail::study_sections());
  ex.profile_names = names_of(doc, "profiles", path);
  if (!options.profile.empty() &&
      std::find(ex.profile_names.begin(), ex.profile_names.end(), options.profile) == ex.profile_names.end())
    throw InputError(path + ": " + unknown_name_message("profile", options.profile, ex.profile_names,
                                                        "profiles in this file"));
  if (!options.variants.empty())
    throw InputError(path + ": a [study] file has no variants to select (its one row is \"ours\")");
  OverlayChain chain;
  chain.profile_sections = detail::study_profile_sections();
  chain.set_sections = {"experiment", "study", "table"};
  chain.data_root_section = "study";
  auto read = [&](const LoadOptions& o, bool keep) {
    toml::table resolved = parse_text(text, path);
    toml::table profiles;
    if (auto* p = resolved.get("profiles"); p && p->is_table()) profiles = std::move(*p->as_table());
    resolved.erase("profiles");
    toml::table* profile = nullptr;
    if (!o.profile.empty())
      if (auto* p = profiles.get(o.profile); p && p->is_table()) profile = p->as_table();
    apply_overlays(resolved, chain, path, "", nullptr, o.profile, profile, o.sets);
    ExperimentInfo info;
    detail::read_experiment_info(resolved, path, info);
    StudySection study = detail::read_study(resolved, path);
    TableSpec table;
    if (const toml::node* t = resolved.get("table")) {
      if (!t->is_table()) fail(t, path, "table", std::string("expected a table, got ") + detail::type_name(*t));
      table = detail::read_table(*t->as_table(), path, {"ours"}, "none");
    }
    if (keep) {
      ex.info = info;
      ex.study = std::move(study);
      ex.table = std::move(table);
    }
  };
  read(options, true);
  for (const auto& other : ex.profile_names) {
    if (other == options.profile) continue;
    LoadOptions o;
    o.profile = other;
    read(o, false);
  }
  ex.variant_names = {"ours"};
  return ex;
}

// An eval-only file ([eval] runs_of): see Experiment::runs_of.
const std::vector<std::string> kEvalOnlySections{"experiment", "data", "eval", "table", "profiles"};

void check_eval_only_overlay(const toml::table& t, const std::string& path, const std::string& file,
                             const std::vector<std::string>& sections) {
  check_overlay_sections(t, path, file, sections);
  if (const toml::node* d = t.get("data")) {
    const std::string p = path.empty() ? "data" : path + ".data";
    if (!d->is_table()) fail(d, file, p, std::string("expected a table, got ") + detail::type_name(*d));
    detail::TableReader r(*d->as_table(), p, file);
    for (const auto& k : detail::evaluation_only_data_keys()) r.node(k);
    try {
      r.finish();
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) +
                       " (an eval-only file, [eval] runs_of, sets only how runs are evaluated: data.test, "
                       "data.distortions, data.batch_size, data.workers)");
    }
  }
}

// Whether a --set override is about evaluation (applies to the eval-only file) or training.
bool is_evaluation_set(const std::string& assignment) {
  const std::string key = assignment.substr(0, assignment.find('='));
  auto starts = [&](const std::string& p) { return key.rfind(p, 0) == 0; };
  if (starts("eval.") || starts("table.") || starts("experiment.")) return true;
  for (const auto& k : detail::evaluation_only_data_keys())
    if (starts("data." + k)) return true;
  return false;
}

Experiment load_eval_only(const toml::table& doc, const std::string& path, const LoadOptions& options,
                          bool validate_other_profiles) {
  check_eval_only_overlay(doc, "", path, kEvalOnlySections);
  Experiment ex;
  ex.source_path = path;
  ex.profile = options.profile;
  ex.profile_names = names_of(doc, "profiles", path);
  if (!options.profile.empty() &&
      std::find(ex.profile_names.begin(), ex.profile_names.end(), options.profile) == ex.profile_names.end())
    throw InputError(path + ": " + unknown_name_message("profile", options.profile, ex.profile_names,
                                                        "profiles in this file"));
  const toml::node* runs_of = doc.at_path("eval.runs_of").node();
  if (!runs_of->is_string()) fail(runs_of, path, "eval.runs_of", "expected the name of an experiment (a string)");
  ex.runs_of = runs_of->value<std::string>().value_or("");
  // This file's tree: base → profile → SODLAB_DATA_ROOT → its --set overrides.
  toml::table own = doc;
  own.erase("profiles");
  own["eval"].as_table()->erase("runs_of");
  LoadOptions ref_options;
  ref_options.profile = options.profile;
  ref_options.variants = options.variants;
  toml::table profile_overlay;
  bool has_profile = false;
  if (!options.profile.empty()) {
    if (const toml::table* p = overlay_of(doc, "profiles", options.profile, path)) {
      profile_overlay = *p;
      has_profile = true;
      if (profile_overlay.get("variants")) {
        detail::TableReader r(profile_overlay, "profiles." + options.profile, path);
        const auto listed = r.string_list("variants", {});
        if (ref_options.variants.empty()) ref_options.variants = listed;
        profile_overlay.erase("variants");
      }
    }
  }
  // --set overrides about evaluation apply to this file's tree; the others to the runs it reads.
  std::vector<std::string> own_sets;
  for (const auto& s : options.sets) (is_evaluation_set(s) ? own_sets : ref_options.sets).push_back(s);
  OverlayChain chain;
  chain.profile_sections = {"experiment", "data", "eval", "table"};
  chain.set_sections = {"experiment", "data", "eval", "table"};
  chain.check = check_eval_only_overlay;
  apply_overlays(own, chain, path, "", nullptr, options.profile, has_profile ? &profile_overlay : nullptr, own_sets);
  Experiment ref;
  std::string ref_text, ref_path;
  try {
    ref_path = resolve_experiment_path(ex.runs_of);
    std::ifstream in(ref_path, std::ios::binary);
    output::protect_file(ref_path, "an experiment file this command reads");
    std::ostringstream os;
    os << in.rdbuf();
    ref_text = os.str();
    ref = load_experiment_text(ref_text, ref_path, ref_options);
  } catch (const InputError& e) {
    throw InputError(detail::where(runs_of, path) + ": eval.runs_of '" + ex.runs_of + "': " + e.what());
  }
  if (ref.is_study() || ref.is_eval_only())
    fail(runs_of, path, "eval.runs_of", "'" + ex.runs_of + "' trains no runs of its own (it is a " +
                                            (ref.is_study() ? "study" : "eval-only file") + ")");
  toml::table table_tree;
  if (const toml::node* t = own.get("table")) {
    if (!t->is_table()) fail(t, path, "table", std::string("expected a table, got ") + detail::type_name(*t));
    table_tree = *t->as_table();
    own.erase("table");
  }
  ex.variant_names = ref.variant_names;
  for (const auto& v : ref.variant_names) {
    toml::table tree = resolve(ref_text, ref_path, v, ref_options);
    tree.erase("table");
    toml::table overlay = own;
    if (auto* e = overlay.get("experiment")) tree.insert_or_assign("experiment", *e);
    overlay.erase("experiment");
    detail::deep_merge(tree, std::move(overlay));
    RunSpec run;
    run.source_path = path;
    run.variant = v;
    run.profile = options.profile;
    detail::read_run_sections(tree, path, run);
    ex.variants.push_back(std::move(run));
  }
  ex.info = ex.variants.front().info;
  std::vector<std::string> ref_variants = all_variant_names(ref_text, ref_path, options.profile);
  if (!table_tree.empty())
    ex.table = detail::read_table(table_tree, path, ref_variants, ex.variants.front().eval.convention);
  if (validate_other_profiles) {
    for (const auto& other : ex.profile_names) {
      if (other == options.profile) continue;
      LoadOptions o;
      o.profile = other;
      load_eval_only(doc, path, o, false);
    }
  }
  return ex;
}

}  // namespace

Experiment load_experiment_text(const std::string& text, const std::string& path,
                                const LoadOptions& options) {
  {
    const toml::table doc = parse_text(text, path);
    if (doc.get("study")) return load_study(doc, text, path, options);
    if (doc.at_path("eval.runs_of")) return load_eval_only(doc, path, options, true);
  }
  Experiment ex;
  std::vector<std::string> all_variants_;
  ex.source_path = path;
  ex.profile = options.profile;
  toml::table variant_overlays;  // after the sweep's expansion
  {
    toml::table doc = parse_text(text, path);
    check_overlay_sections(doc, "", path, detail::top_level_sections());
    const detail::SweepExpansion sweep = detail::expand_sweep(doc, path, options.profile);
    ex.sweep_keys = sweep.keys;
    ex.sweep = sweep.present;
    const auto all_variants = sweep.present ? sweep.names : names_of(doc, "variants", path);
    if (const toml::node* v = doc.get("variants"); v && v->is_table()) variant_overlays = *v->as_table();
    ex.profile_names = names_of(doc, "profiles", path);
    if (!options.profile.empty() &&
        std::find(ex.profile_names.begin(), ex.profile_names.end(), options.profile) ==
            ex.profile_names.end()) {
      throw InputError(path + ": " + unknown_name_message("profile", options.profile,
                                                          ex.profile_names, "profiles in this file"));
    }
    for (const auto& v : options.variants) {
      if (std::find(all_variants.begin(), all_variants.end(), v) == all_variants.end()) {
        throw InputError(path + ": " + unknown_name_message("variant", v, all_variants,
                                                            "variants in this file"));
      }
    }
    // profiles.<p>.variants = [...]: the variants that profile runs (default all).
    std::vector<std::string> profile_variants;
    if (!options.profile.empty()) {
      const toml::table* p = overlay_of(doc, "profiles", options.profile, path);
      if (p && p->get("variants")) {
        detail::TableReader r(*p, "profiles." + options.profile, path);
        profile_variants = r.string_list("variants", {});
        for (const auto& v : profile_variants)
          if (std::find(all_variants.begin(), all_variants.end(), v) == all_variants.end())
            fail(r.node("variants"), path, "profiles." + options.profile + ".variants",
                 unknown_name_message("variant", v, all_variants, "variants in this file"));
      }
    }
    for (const auto& v : all_variants) {
      overlay_of(doc, "variants", v, path);  // type check
      const bool in_profile = profile_variants.empty() ||
                              std::find(profile_variants.begin(), profile_variants.end(), v) != profile_variants.end();
      const bool asked = options.variants.empty() ||
                         std::find(options.variants.begin(), options.variants.end(), v) != options.variants.end();
      if (in_profile && asked) ex.variant_names.push_back(v);
    }
    if (!all_variants.empty() && ex.variant_names.empty())
      throw InputError(path + ": profile '" + options.profile + "' runs none of the selected variants");
    for (const auto& p : ex.profile_names) overlay_of(doc, "profiles", p, path);
    if (all_variants.empty()) ex.variant_names.push_back("");
    all_variants_ = all_variants;
  }
  for (const auto& v : ex.variant_names) {
    toml::table resolved = resolve(text, path, v, options);
    toml::table table_tree;
    const toml::node* table = resolved.get("table");
    if (table && !table->is_table())
      fail(table, path, "table", std::string("expected a table, got ") + detail::type_name(*table));
    const bool has_table = table != nullptr;
    if (has_table) table_tree = std::move(*resolved.get("table")->as_table());
    resolved.erase("table");
    RunSpec run;
    run.source_path = path;
    run.variant = v;
    run.profile = options.profile;
    if (const toml::node* o = variant_overlays.get(v); o && o->is_table())
      run.params = variant_params(*o->as_table(), resolved, path);
    detail::read_run_sections(resolved, path, run);
    // The table does not depend on the variant; rows may name any variant of the file.
    if (has_table && ex.variants.empty())
      ex.table = detail::read_table(table_tree, path, all_variants_, run.eval.convention, ex.sweep);
    ex.variants.push_back(std::move(run));
  }
  ex.info = ex.variants.front().info;
  // Profiles not selected are validated too, as the file has them (without the --set overrides,
  // which were meant for the selected one): a typo in [profiles.paper] is found on a smoke run.
  for (const auto& other : ex.profile_names) {
    if (other == options.profile) continue;
    LoadOptions o = options;
    o.profile = other;
    o.sets.clear();
    const std::vector<std::string> names = ex.sweep ? all_variant_names(text, path, other) : ex.variant_names;
    for (const auto& v : names) {
      toml::table resolved = resolve(text, path, v, o);
      resolved.erase("table");
      RunSpec probe;
      probe.source_path = path;
      detail::read_run_sections(resolved, path, probe);
    }
  }
  return ex;
}

Experiment load_experiment(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read experiment file (does it exist?)");
  output::protect_file(path, "an experiment file this command reads");
  std::ostringstream os;
  os << in.rdbuf();
  return load_experiment_text(os.str(), path, options);
}

std::string experiment_text_of_run_config(const std::string& config_toml) {
  toml::table config = parse_text(config_toml, "a run's stored config");
  config.erase("run");
  std::ostringstream text;
  text << config;
  return text.str();
}

std::vector<RunSpec> expand(const Experiment& experiment) {
  std::vector<RunSpec> runs;
  for (const RunSpec& tmpl : experiment.variants) {
    std::vector<int> folds = tmpl.data.folds > 0 ? tmpl.data.fold_list : std::vector<int>{-1};
    for (int fold : folds) {
      for (std::int64_t seed : tmpl.train.seeds) {
        RunSpec run = tmpl;
        run.fold = fold;
        run.seed = seed;
        run.train.seeds = {seed};
        run.data.fold_list = fold >= 0 ? std::vector<int>{fold} : std::vector<int>{};
        run.config_toml = serialize(detail::canonical_tree(run));
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

void refresh_canonical(RunSpec& run) { run.config_toml = serialize(detail::canonical_tree(run)); }

std::string run_id(const RunSpec& run, const std::string& code_version,
                   const std::string& train_manifest_sha, int threads) {
  toml::table t = detail::canonical_tree(run);
  t.erase("experiment");  // name, reproduces, description: which file asked, not what it is
  if (auto* r = t.get("run"); r && r->is_table()) {
    r->as_table()->erase("experiment");
    r->as_table()->erase("variant");
    r->as_table()->erase("profile");
  }
  // What is evaluated (test sets, distortions, metrics, evaluation batch size) and how data are
  // read (root, loader threads) is not what was trained: a run evaluated by several experiments
  // is one run, its results keyed by test set.
  t.erase("eval");
  if (auto* data = t.get("data"); data && data->is_table()) {
    for (const auto& key : detail::evaluation_only_data_keys()) data->as_table()->erase(key);
  }
  // The thread count enters as resolved below; the device as its kind, in code_version.
  if (auto* train = t.get("train"); train && train->is_table()) {
    train->as_table()->erase("threads");
    train->as_table()->erase("device");
    train->as_table()->erase("target_cache");  // a cache that never changes a value
  }
  const std::string canonical = serialize(t);
  const std::string payload = canonical + "\n#code_version=" + code_version +
                              "\n#train_manifest=" + train_manifest_sha +
                              "\n#seed=" + std::to_string(run.seed) +
                              "\n#threads=" + std::to_string(threads) + "\n";
  return sha256_hex(payload).substr(0, 16);
}

std::string experiments_dir() {
  const char* env = std::getenv("SODLAB_EXPERIMENTS_DIR");
  return env && *env ? env : "experiments";
}

std::string resolve_experiment_path(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool is_file = name_or_path.size() > 5 &&
                       name_or_path.compare(name_or_path.size() - 5, 5, ".toml") == 0;
  if (is_file) {
    if (!fs::is_regular_file(name_or_path, ec))
      throw InputError(name_or_path + ": experiment file not found");
    return name_or_path;
  }
  const fs::path p = fs::path(experiments_dir()) / (name_or_path + ".toml");
  // A name outside experiments/ (ablations/kolkin2017_af_options) is the .toml beside the cwd.
  if (!fs::is_regular_file(p, ec) && fs::is_regular_file(name_or_path + ".toml", ec)) return name_or_path + ".toml";
  if (!fs::is_regular_file(p, ec))
    throw InputError("experiment '" + name_or_path + "': " + p.string() +
                     " not found (run from the repository root or set SODLAB_EXPERIMENTS_DIR)");
  return p.string();
}

}  // namespace sodlab::config
