#include "config/method_layout.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/toml_reader.h"
#include "core/error.h"
#include "core/names.h"
#include "core/output_files.h"

namespace sodlab::config {
namespace fs = std::filesystem;
namespace {

using detail::fail;
using detail::TableReader;

FolderRule read_rule(TableReader& r, const char* dir_key, const fs::path& base, bool required,
                     const FolderRule& inherit = {}) {
  FolderRule rule = inherit;
  const std::string dir = required ? r.required_string(dir_key) : r.string(dir_key, "");
  if (!dir.empty()) rule.dir = fs::path(dir).is_absolute() ? dir : (base / dir).lexically_normal().string();
  rule.prefix = r.string("prefix", inherit.prefix);
  rule.suffix = r.string("suffix", inherit.suffix);
  return rule;
}

const toml::table& table_at(const toml::node* n, const std::string& file, const std::string& key) {
  if (!n->is_table()) fail(n, file, key, std::string("expected a table, got ") + detail::type_name(*n));
  return *n->as_table();
}

}  // namespace

FolderRule EvalLayout::maps_of(const MethodLayout& m, const std::string& dataset) const {
  FolderRule rule = m.maps;
  const std::string placeholder = "{dataset}";
  if (const auto at = rule.dir.find(placeholder); at != std::string::npos)
    rule.dir.replace(at, placeholder.size(), dataset);
  else if (datasets.size() > 1 && !rule.dir.empty())
    rule.dir = (fs::path(rule.dir) / dataset).string();
  for (const auto& [name, o] : m.per_dataset)  // an override's folder (if given) and affixes win
    if (name == dataset) {
      if (!o.dir.empty()) rule.dir = o.dir;
      rule.prefix = o.prefix;
      rule.suffix = o.suffix;
    }
  return rule;
}

EvalLayout load_eval_layout(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read the evaluation config (does it exist?)");
  output::protect_file(path, "the evaluation config this command reads");
  std::ostringstream os;
  os << in.rdbuf();
  toml::table doc;
  try {
    doc = toml::parse(os.str(), path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
  const fs::path base = fs::absolute(path).parent_path();
  EvalLayout out;
  out.path = path;
  TableReader top(doc, "", path);
  const toml::table* datasets = top.subtable("datasets");
  const toml::table* methods = top.subtable("methods");
  top.finish();
  if (!datasets || datasets->empty()) throw InputError(path + ": no [datasets.<name>] with the masks to evaluate on");
  if (!methods || methods->empty()) throw InputError(path + ": no [methods.<name>] with the maps to evaluate");
  std::vector<std::string> dataset_names;
  for (const auto& name : detail::keys_in_file_order(*datasets)) {
    const std::string key = "datasets." + name;
    TableReader r(table_at(datasets->get(name), path, key), key, path);
    out.datasets.push_back({name, read_rule(r, "masks", base, true)});
    r.finish();
    dataset_names.push_back(name);
  }
  for (const auto& name : detail::keys_in_file_order(*methods)) {
    const std::string key = "methods." + name;
    const toml::table& t = table_at(methods->get(name), path, key);
    TableReader r(t, key, path);
    MethodLayout m;
    m.name = name;
    const toml::table* overrides = r.subtable("datasets");
    m.maps = read_rule(r, "maps", base, false);
    r.finish();
    if (overrides) {
      for (const auto& d : detail::keys_in_file_order(*overrides)) {
        const std::string dkey = key + ".datasets." + d;
        const toml::node* n = overrides->get(d);
        if (std::find(dataset_names.begin(), dataset_names.end(), d) == dataset_names.end())
          fail(n, path, dkey, unknown_name_message("dataset", d, dataset_names, "datasets in this file"));
        TableReader dr(table_at(n, path, dkey), dkey, path);
        FolderRule inherit = m.maps;
        inherit.dir.clear();  // "" = the method's folder for this dataset (maps_of)
        FolderRule rule = read_rule(dr, "maps", base, m.maps.dir.empty(), inherit);
        dr.finish();
        m.per_dataset.emplace_back(d, rule);
      }
    }
    if (m.maps.dir.empty())
      for (const auto& d : dataset_names) {
        bool given = false;
        for (const auto& [o, rule] : m.per_dataset) given |= o == d;
        if (!given)
          fail(&t, path, key, "no `maps` folder, and none for dataset '" + d + "' in [" + key + ".datasets." + d + "]");
      }
    out.methods.push_back(std::move(m));
  }
  return out;
}

}  // namespace sodlab::config
