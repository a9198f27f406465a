// Internal to src/config: typed, position-aware reading of TOML tables against the schema.
//
// A TableReader wraps one table at a key path. Every getter marks its key as known, checks the
// type and range, and returns the value or the default. finish() rejects every key that was not
// read, naming the closest known key. All errors are InputError "<source>:<line>:<col>: <path>:
// <what>", where <source> is the file (or "--set") the offending value came from.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/options.h"

namespace sodlab::config::detail {

// "<source>:<line>:<col>" of a node (falls back to `fallback_file` when the node has none).
std::string where(const toml::node* node, const std::string& fallback_file);
[[noreturn]] void fail(const toml::node* node, const std::string& fallback_file,
                       const std::string& key_path, const std::string& what);
std::string join_path(const std::string& parent, const std::string& key);
const char* type_name(const toml::node& node);

// Keys of a table in file order (toml::table iterates sorted by name; keys without a position,
// e.g. generated ones, come first, by name).
std::vector<std::string> keys_in_file_order(const toml::table& t);

// Deep merge (moves from `overlay`): tables merge key by key, except that a table whose
// identity key ("name" or "dataset") differs from the base's replaces it; arrays and scalars
// replace. Source positions travel with the moved nodes.
void deep_merge(toml::table& base, toml::table&& overlay);

// Parses "a.b.c=value" into a one-key-path table whose nodes have source "--set"; a value that
// is not valid TOML is taken as a string. InputError when there is no '=' or the key is empty.
toml::table parse_set(const std::string& assignment);

// A TOML scalar → OptionValue (bool, integer, float, string); arrays, tables and date/time
// values are rejected with an InputError at their position.
OptionValue to_option_value(const toml::node& node, const std::string& file,
                            const std::string& key_path);

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::string file);

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  const toml::table& table() const { return table_; }
  std::string key_path(const std::string& key) const { return join_path(path_, key); }

  // The node of a key (marks it known), nullptr when absent.
  const toml::node* node(const std::string& key);
  // Node of a required key; InputError at the table's position when absent.
  const toml::node& required(const std::string& key);

  std::string string(const std::string& key, const std::string& def,
                     const std::vector<std::string>& choices = {});
  std::string required_string(const std::string& key);
  std::int64_t integer(const std::string& key, std::int64_t def,
                       std::optional<std::int64_t> min = std::nullopt,
                       std::optional<std::int64_t> max = std::nullopt);
  double number(const std::string& key, double def, std::optional<double> min = std::nullopt,
                std::optional<double> max = std::nullopt, bool min_exclusive = false);
  bool boolean(const std::string& key, bool def);
  std::vector<std::string> string_list(const std::string& key,
                                       const std::vector<std::string>& def);
  std::vector<std::int64_t> integer_list(const std::string& key,
                                         const std::vector<std::int64_t>& def,
                                         std::optional<std::int64_t> min = std::nullopt,
                                         std::optional<std::int64_t> max = std::nullopt);
  std::vector<double> number_list(const std::string& key, const std::vector<double>& def);
  // Table-valued key: returns nullptr when absent; InputError when not a table.
  const toml::table* subtable(const std::string& key);
  // Array-valued key: nullptr when absent; InputError when not an array.
  const toml::array* array(const std::string& key);

  // Marks every remaining key as read and returns them (for free-form option tables).
  std::vector<std::string> rest();
  // Rejects unknown keys (those never read), naming the closest known key.
  void finish() const;

 private:
  [[noreturn]] void type_error(const toml::node& n, const std::string& key,
                               const char* expected) const;
  const toml::table& table_;
  std::string path_, file_;
  std::set<std::string> known_;
};

}  // namespace sodlab::config::detail
