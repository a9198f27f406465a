#include "config/toml_reader.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/names.h"

namespace sodlab::config::detail {

std::string where(const toml::node* node, const std::string& fallback_file) {
  if (node) {
    const auto& src = node->source();
    if (src.begin.line > 0) {
      const std::string file = src.path ? *src.path : fallback_file;
      return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
    }
  }
  return fallback_file;
}

void fail(const toml::node* node, const std::string& fallback_file, const std::string& key_path,
          const std::string& what) {
  throw InputError(where(node, fallback_file) + ": " + (key_path.empty() ? "" : key_path + ": ") +
                   what);
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    default: return "date/time";
  }
}

std::vector<std::string> keys_in_file_order(const toml::table& t) {
  std::vector<std::pair<std::pair<toml::source_index, toml::source_index>, std::string>> keyed;
  for (auto&& [k, v] : t) {
    const auto& b = k.source().begin.line ? k.source().begin : v.source().begin;
    keyed.push_back({{b.line, b.column}, std::string(k.str())});
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> out;
  for (auto& k : keyed) out.push_back(k.second);
  return out;
}

namespace {

bool identity_differs(const toml::table& base, const toml::table& overlay) {
  for (const char* id : {"name", "dataset"}) {
    const toml::node* a = base.get(id);
    const toml::node* b = overlay.get(id);
    if (a && b && a->value_or(std::string()) != b->value_or(std::string())) return true;
  }
  return false;
}

}  // namespace

void deep_merge(toml::table& base, toml::table&& overlay) {
  for (auto&& [key, value] : overlay) {
    toml::node* existing = base.get(key.str());
    if (existing && existing->is_table() && value.is_table() &&
        !identity_differs(*existing->as_table(), *value.as_table())) {
      deep_merge(*existing->as_table(), std::move(*value.as_table()));
    } else {
      base.insert_or_assign(key, std::move(value));
    }
  }
}

toml::table parse_set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  std::string key = eq == std::string::npos ? "" : assignment.substr(0, eq);
  key.erase(0, key.find_first_not_of(" \t"));
  key.erase(key.find_last_not_of(" \t") + 1);
  if (eq == std::string::npos || key.empty())
    throw InputError("--set '" + assignment + "': expected key.path=value (value in TOML syntax)");
  std::string value = assignment.substr(eq + 1);
  if (assignment.find_first_of("\n\r") != std::string::npos)
    throw InputError("--set '" + assignment + "': contains a line break (one key.path=value per --set)");
  try {
    return toml::parse(key + " = " + value, std::string("--set"));
  } catch (const toml::parse_error&) {
  }
  // Not TOML: a bare word is a string (e.g. --set model.name=szn).
  toml::table t;
  try {
    toml::table probe = toml::parse(key + " = 0", std::string("--set"));
    (void)probe;
  } catch (const toml::parse_error& e) {
    throw InputError("--set '" + assignment + "': invalid key '" + key + "': " +
                     std::string(e.description()));
  }
  std::string quoted;
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  try {
    return toml::parse(key + " = \"" + quoted + "\"", std::string("--set"));
  } catch (const toml::parse_error& e) {  // e.g. a control character or invalid UTF-8
    throw InputError("--set '" + assignment + "': value is neither TOML nor a plain string: " +
                     std::string(e.description()));
  }
}

OptionValue to_option_value(const toml::node& node, const std::string& file,
                            const std::string& key_path) {
  if (auto v = node.as_boolean()) return v->get();
  if (auto v = node.as_integer()) return static_cast<std::int64_t>(v->get());
  if (auto v = node.as_floating_point()) return v->get();
  if (auto v = node.as_string()) return v->get();
  fail(&node, file, key_path,
       std::string("expected a boolean, integer, float or string option, got ") +
           type_name(node));
}

TableReader::TableReader(const toml::table& table, std::string path, std::string file)
    : table_(table), path_(std::move(path)), file_(std::move(file)) {}

void TableReader::type_error(const toml::node& n, const std::string& key,
                             const char* expected) const {
  fail(&n, file_, key_path(key), std::string("expected ") + expected + ", got " + type_name(n));
}

const toml::node* TableReader::node(const std::string& key) {
  known_.insert(key);
  return table_.get(key);
}

const toml::node& TableReader::required(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) fail(&table_, file_, key_path(key), "required key is missing");
  return *n;
}

std::string TableReader::string(const std::string& key, const std::string& def,
                                const std::vector<std::string>& choices) {
  const toml::node* n = node(key);
  if (!n) return def;
  if (!n->is_string()) type_error(*n, key, "a string");
  std::string v = n->as_string()->get();
  if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
    std::vector<std::string> quoted;
    for (const auto& c : choices) quoted.push_back("'" + c + "'");
    fail(n, file_, key_path(key), "'" + v + "' is not one of " + join_names(quoted) + did_you_mean(v, choices));
  }
  return v;
}

std::string TableReader::required_string(const std::string& key) {
  const toml::node& n = required(key);
  if (!n.is_string()) type_error(n, key, "a string");
  const std::string v = n.as_string()->get();
  if (v.empty()) fail(&n, file_, key_path(key), "must not be empty");
  return v;
}

std::int64_t TableReader::integer(const std::string& key, std::int64_t def,
                                  std::optional<std::int64_t> min,
                                  std::optional<std::int64_t> max) {
  const toml::node* n = node(key);
  if (!n) return def;
  if (!n->is_integer()) type_error(*n, key, "an integer");
  const std::int64_t v = n->as_integer()->get();
  if ((min && v < *min) || (max && v > *max)) {
    std::string range = min && max ? "in [" + std::to_string(*min) + ", " + std::to_string(*max) + "]"
                        : min     ? ">= " + std::to_string(*min)
                                  : "<= " + std::to_string(*max);
    fail(n, file_, key_path(key), std::to_string(v) + " is out of range (must be " + range + ")");
  }
  return v;
}

double TableReader::number(const std::string& key, double def, std::optional<double> min,
                           std::optional<double> max, bool min_exclusive) {
  const toml::node* n = node(key);
  if (!n) return def;
  double v;
  if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
  else if (n->is_floating_point()) v = n->as_floating_point()->get();
  else type_error(*n, key, "a number");
  const bool below = min && (min_exclusive ? !(v > *min) : !(v >= *min));
  const bool above = max && !(v <= *max);
  if (below || above || !std::isfinite(v)) {
    std::ostringstream os;
    os << v << " is out of range (must be ";
    if (min) os << (min_exclusive ? "> " : ">= ") << *min;
    if (min && max) os << " and ";
    if (max) os << "<= " << *max;
    if (!min && !max) os << "a number";
    os << ")";
    fail(n, file_, key_path(key), os.str());
  }
  return v;
}

bool TableReader::boolean(const std::string& key, bool def) {
  const toml::node* n = node(key);
  if (!n) return def;
  if (!n->is_boolean()) type_error(*n, key, "a boolean (true or false)");
  return n->as_boolean()->get();
}

std::vector<std::string> TableReader::string_list(const std::string& key,
                                                  const std::vector<std::string>& def) {
  const toml::array* a = array(key);
  if (!a) return def;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_string())
      fail(&e, file_, key_path(key) + "[" + std::to_string(i) + "]",
           std::string("expected a string, got ") + type_name(e));
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::vector<std::int64_t> TableReader::integer_list(const std::string& key,
                                                    const std::vector<std::int64_t>& def,
                                                    std::optional<std::int64_t> min,
                                                    std::optional<std::int64_t> max) {
  const toml::array* a = array(key);
  if (!a) return def;
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    const std::string p = key_path(key) + "[" + std::to_string(i) + "]";
    if (!e.is_integer())
      fail(&e, file_, p, std::string("expected an integer, got ") + type_name(e));
    const std::int64_t v = e.as_integer()->get();
    if ((min && v < *min) || (max && v > *max))
      fail(&e, file_, p,
           std::to_string(v) + " is out of range (must be " +
               (min ? ">= " + std::to_string(*min) : "") + (min && max ? " and " : "") +
               (max ? "<= " + std::to_string(*max) : "") + ")");
    out.push_back(v);
  }
  return out;
}

std::vector<double> TableReader::number_list(const std::string& key,
                                             const std::vector<double>& def) {
  const toml::array* a = array(key);
  if (!a) return def;
  std::vector<double> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (e.is_integer()) out.push_back(static_cast<double>(e.as_integer()->get()));
    else if (e.is_floating_point()) out.push_back(e.as_floating_point()->get());
    else
      fail(&e, file_, key_path(key) + "[" + std::to_string(i) + "]",
           std::string("expected a number, got ") + type_name(e));
  }
  return out;
}

const toml::table* TableReader::subtable(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return nullptr;
  if (!n->is_table()) type_error(*n, key, "a table");
  return n->as_table();
}

const toml::array* TableReader::array(const std::string& key) {
  const toml::node* n = node(key);
  if (!n) return nullptr;
  if (!n->is_array()) type_error(*n, key, "an array");
  return n->as_array();
}

std::vector<std::string> TableReader::rest() {
  std::vector<std::string> out;
  for (auto&& [k, v] : table_) {
    (void)v;
    if (known_.insert(std::string(k.str())).second) out.emplace_back(k.str());
  }
  return out;
}

void TableReader::finish() const {
  const toml::node* first = nullptr;
  std::string first_key;
  for (auto&& [k, v] : table_) {
    if (known_.count(std::string(k.str()))) continue;
    const auto& a = v.source().begin;
    if (!first || (a.line < first->source().begin.line ||
                   (a.line == first->source().begin.line && a.column < first->source().begin.column))) {
      first = &v;
      first_key = std::string(k.str());
    }
  }
  if (!first) return;
  const std::vector<std::string> known(known_.begin(), known_.end());
  const std::string near = closest_match(first_key, known);
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  const toml::key* key = nullptr;
  for (auto&& [k, v] : table_)
    if (&v == first) key = &k;
  std::string pos = where(first, file_);
  if (key && key->source().begin.line > 0)
    pos = (key->source().path ? *key->source().path : file_) + ":" +
          std::to_string(key->source().begin.line) + ":" + std::to_string(key->source().begin.column);
  throw InputError(pos + ": " + key_path(first_key) + ": " +
       "unknown key" + (near.empty() ? std::string() : " (did you mean '" + join_path(path_, near) + "'?)") +
           "; known keys here: " + list);
}

}  // namespace sodlab::config::detail
