#include "core/options.h"

#include "core/names.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace sodlab {
namespace {

const char* type_name(const OptionValue& v) {
  switch (v.index()) {
    case 0: return "boolean";
    case 1: return "integer";
    case 2: return "number";
    default: return "string";
  }
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

OptionValue parse_option_value(const std::string& raw) {
  std::string text = raw;
  if (text.size() >= 2 && ((text.front() == '"' && text.back() == '"') ||
                           (text.front() == '\'' && text.back() == '\'')))
    return text.substr(1, text.size() - 2);
  if (text == "true") return true;
  if (text == "false") return false;
  if (!text.empty()) {
    char* end = nullptr;
    errno = 0;
    const long long i = std::strtoll(text.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return static_cast<std::int64_t>(i);
    errno = 0;
    const double d = std::strtod(text.c_str(), &end);
    if (*end == '\0' && errno == 0) return d;
  }
  return text;
}

std::string option_value_to_string(const OptionValue& v) {
  switch (v.index()) {
    case 0: return std::get<bool>(v) ? "true" : "false";
    case 1: return std::to_string(std::get<std::int64_t>(v));
    case 2: {
      std::ostringstream os;
      os.precision(17);
      os << std::get<double>(v);
      return os.str();
    }
    default: return std::get<std::string>(v);
  }
}

void Options::set(const std::string& key, OptionValue value) { given_[key] = std::move(value); }

void Options::set_from_assignment(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(context_ + ": expected key=value, got '" + assignment + "'");
  set(assignment.substr(0, eq), parse_option_value(assignment.substr(eq + 1)));
}

bool Options::get_bool(const std::string& key, bool def) {
  bool v = def;
  if (auto it = given_.find(key); it != given_.end()) {
    if (!std::holds_alternative<bool>(it->second))
      throw InputError(at(key) + context_ + ": option '" + key + "' must be a boolean (true/false), got " +
                       type_name(it->second) + " '" + option_value_to_string(it->second) + "'");
    v = std::get<bool>(it->second);
  }
  resolved_[key] = v;
  return v;
}

std::int64_t Options::get_int(const std::string& key, std::int64_t def,
                              std::optional<std::int64_t> min, std::optional<std::int64_t> max) {
  std::int64_t v = def;
  if (auto it = given_.find(key); it != given_.end()) {
    const OptionValue& g = it->second;
    if (std::holds_alternative<std::int64_t>(g)) {
      v = std::get<std::int64_t>(g);
    } else if (std::holds_alternative<double>(g) &&
               std::get<double>(g) == std::floor(std::get<double>(g)) &&
               std::isfinite(std::get<double>(g))) {
      v = static_cast<std::int64_t>(std::get<double>(g));
    } else {
      throw InputError(at(key) + context_ + ": option '" + key + "' must be an integer, got " +
                       type_name(g) + " '" + option_value_to_string(g) + "'");
    }
  }
  if ((min && v < *min) || (max && v > *max))
    throw InputError(at(key) + context_ + ": option '" + key + "' = " + std::to_string(v) +
                     " is out of range [" + (min ? std::to_string(*min) : "-inf") + ", " +
                     (max ? std::to_string(*max) : "inf") + "]");
  resolved_[key] = v;
  return v;
}

double Options::get_double(const std::string& key, double def, std::optional<double> min,
                           std::optional<double> max) {
  double v = def;
  if (auto it = given_.find(key); it != given_.end()) {
    const OptionValue& g = it->second;
    if (std::holds_alternative<double>(g)) v = std::get<double>(g);
    else if (std::holds_alternative<std::int64_t>(g)) v = static_cast<double>(std::get<std::int64_t>(g));
    else
      throw InputError(at(key) + context_ + ": option '" + key + "' must be a number, got " + type_name(g) +
                       " '" + option_value_to_string(g) + "'");
  }
  // NaN is never an option's value; inf only where the range is open on that side (phi = inf).
  if (std::isnan(v) || (min && v < *min) || (max && v > *max))
    throw InputError(at(key) + context_ + ": option '" + key + "' = " + option_value_to_string(v) +
                     " is out of range [" + (min ? option_value_to_string(*min) : "-inf") + ", " +
                     (max ? option_value_to_string(*max) : "inf") + "]");
  resolved_[key] = v;
  return v;
}

std::string Options::get_string(const std::string& key, const std::string& def,
                                const std::vector<std::string>& choices) {
  std::string v = def;
  if (auto it = given_.find(key); it != given_.end()) {
    if (!std::holds_alternative<std::string>(it->second))
      throw InputError(at(key) + context_ + ": option '" + key + "' must be a string, got " +
                       type_name(it->second) + " '" + option_value_to_string(it->second) + "'");
    v = std::get<std::string>(it->second);
  }
  if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
    throw InputError(at(key) + context_ + ": option '" + key + "' = '" + v + "' is not one of {" +
                     join_names(choices) + "}" + did_you_mean(v, choices));
  }
  resolved_[key] = v;
  return v;
}

std::string Options::at(const std::string& key) const {
  auto it = where_.find(key);
  return it == where_.end() || it->second.empty() ? std::string() : it->second + ": ";
}

void Options::reject_unknown() const {
  std::vector<std::string> known;
  for (const auto& [k, _] : resolved_) known.push_back(k);
  for (const auto& [k, _] : given_) {
    if (resolved_.count(k)) continue;
    throw InputError(at(k) + context_ + ": " + unknown_name_message("option", k, known));
  }
}

std::string closest_match(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(key, c);
    if (d < best_d) best_d = d, best = c;
  }
  const std::size_t limit = std::max<std::size_t>(2, key.size() / 2);
  return best_d <= limit ? best : std::string();
}

}  // namespace sodlab
