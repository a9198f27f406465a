// Named options for registry-built components (losses, models, datasets).
//
// A component reads each option once through a typed getter that takes the default; the getter
// records the resolved value, so `resolved()` lists every option with the value actually used
// (defaults included) and can be stored with the run. After reading, the component calls
// `reject_unknown()`: any option that was set but never read is an InputError naming the key
// and the closest known key. Wrong types are InputErrors naming the key and the expected type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sodlab {

using OptionValue = std::variant<bool, std::int64_t, double, std::string>;

// "true"/"false" → bool, integer literal → int64, other number (incl. inf, nan) → double,
// anything else → string (surrounding quotes are stripped).
OptionValue parse_option_value(const std::string& text);
std::string option_value_to_string(const OptionValue& v);

class Options {
 public:
  // `context` names the owner in error messages, e.g. "loss 'af_fbeta_w'".
  explicit Options(std::string context = "options") : context_(std::move(context)) {}

  void set(const std::string& key, OptionValue value);
  // Parses "key=value" (as given to --set); throws InputError when there is no '='.
  void set_from_assignment(const std::string& assignment);
  bool has(const std::string& key) const { return given_.count(key) > 0; }
  // Where `key` was given ("file:line:column"); errors about that key start with it.
  void set_where(const std::string& key, std::string where) { where_[key] = std::move(where); }
  const std::string& context() const { return context_; }
  void set_context(std::string context) { context_ = std::move(context); }

  bool get_bool(const std::string& key, bool def);
  std::int64_t get_int(const std::string& key, std::int64_t def,
                       std::optional<std::int64_t> min = std::nullopt,
                       std::optional<std::int64_t> max = std::nullopt);
  // Accepts integer values too. Range checks are inclusive.
  double get_double(const std::string& key, double def, std::optional<double> min = std::nullopt,
                    std::optional<double> max = std::nullopt);
  // `choices` empty means any string.
  std::string get_string(const std::string& key, const std::string& def,
                         const std::vector<std::string>& choices = {});

  // Throws InputError for options that were given but never read.
  void reject_unknown() const;

  // Every option read so far with its resolved value, sorted by key.
  const std::map<std::string, OptionValue>& resolved() const { return resolved_; }
  const std::map<std::string, OptionValue>& given() const { return given_; }

 private:
  std::string context_;
  std::map<std::string, OptionValue> given_;
  std::map<std::string, OptionValue> resolved_;
  std::map<std::string, std::string> where_;
  std::string at(const std::string& key) const;  // "file:line:column: " or ""
};

// Closest candidate by edit distance (empty if none is reasonably close).
std::string closest_match(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace sodlab
