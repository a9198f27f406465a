#include "report/config_diff.h"

#include <toml++/toml.h>

#include <charconv>
#include <set>
#include <sstream>

#include "core/error.h"

namespace sodlab::report {
namespace {

std::string value_text(const toml::node& n);

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string value_text(const toml::node& n) {
  if (const auto* s = n.as_string()) return quoted(s->get());
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* f = n.as_floating_point()) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof(buf), f->get()).ptr);
  }
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* a = n.as_array()) {
    std::string s = "[";
    for (std::size_t i = 0; i < a->size(); ++i) s += (i ? ", " : "") + value_text(*a->get(i));
    return s + "]";
  }
  if (const auto* t = n.as_table()) {
    std::string s = "{";
    bool first = true;
    for (auto&& [k, v] : *t) {
      s += std::string(first ? " " : ", ") + std::string(k.str()) + " = " + value_text(v);
      first = false;
    }
    return s + (first ? "}" : " }");
  }
  std::ostringstream os;  // dates and times
  n.visit([&](auto&& x) { os << x; });
  return os.str();
}

void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      flatten(*sub, key, out);
    } else if (const auto* a = v.as_array(); a && !a->empty() && a->is_array_of_tables()) {
      for (std::size_t i = 0; i < a->size(); ++i) flatten(*a->get(i)->as_table(), key + "[" + std::to_string(i) + "]", out);
    } else {
      out[key] = value_text(v);
    }
  }
}

}  // namespace

std::map<std::string, std::string> flatten_toml(const std::string& text, const std::string& label) {
  std::map<std::string, std::string> out;
  try {
    flatten(toml::parse(text), "", out);
  } catch (const toml::parse_error& e) {
    throw InputError(label + ": its stored config is not TOML: " + std::string(e.description()));
  }
  return out;
}

std::vector<KeyDifference> config_difference(const std::string& a_toml, const std::string& b_toml,
                                             const std::string& a_label, const std::string& b_label) {
  const auto a = flatten_toml(a_toml, a_label), b = flatten_toml(b_toml, b_label);
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<KeyDifference> out;
  for (const auto& k : keys) {
    const auto ia = a.find(k), ib = b.find(k);
    const std::string va = ia == a.end() ? "" : ia->second, vb = ib == b.end() ? "" : ib->second;
    if (ia == a.end() || ib == b.end() || va != vb) out.push_back({k, va, vb});
  }
  return out;
}

std::vector<KeyDifference> provenance_difference(const store::RunRecord& a, const store::RunRecord& b) {
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> fields{
      {"code_version", {a.code_version, b.code_version}},
      {"code_dirty", {a.code_dirty ? "true" : "false", b.code_dirty ? "true" : "false"}},
      {"host", {a.host, b.host}},
      {"cpu", {a.cpu, b.cpu}},
      {"threads", {std::to_string(a.threads), std::to_string(b.threads)}},
      {"device", {a.device, b.device}},
      {"libtorch", {a.libtorch, b.libtorch}},
      {"opencv", {a.opencv, b.opencv}},
  };
  std::vector<KeyDifference> out;
  for (const auto& [name, v] : fields)
    if (v.first != v.second) out.push_back({"provenance." + name, v.first, v.second});
  return out;
}

}  // namespace sodlab::report
