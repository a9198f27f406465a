#include "core/names.h"

#include "core/options.h"

namespace sodlab {

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string join_names(const std::vector<std::string>& names, const std::string& sep) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : sep) + n;
  return out;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  const std::string near = closest_match(name, candidates);
  return near.empty() ? std::string() : " (did you mean '" + near + "'?)";
}

std::string unknown_name_message(const std::string& kind, const std::string& name,
                                 const std::vector<std::string>& known, const std::string& plural,
                                 const std::string& tail) {
  return "unknown " + kind + " '" + name + "'" + did_you_mean(name, known) + "; known " +
         (plural.empty() ? kind + "s" : plural) + ": " +
         (known.empty() ? std::string("none") : join_names(known)) + tail;
}

}  // namespace sodlab
