#include "config/sweep.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "config/schema.h"
#include "config/toml_reader.h"
#include "core/error.h"
#include "core/names.h"

namespace sodlab::config::detail {
namespace {

struct Axis {
  std::string key;                       // "loss.theta"
  std::vector<const toml::node*> values;
  const toml::node* where = nullptr;     // the value list (error positions)
};

// A value as it appears in a point's name: TOML text, strings without quotes.
std::string value_text(const toml::node& v) {
  if (v.is_string()) return *v.value<std::string>();
  if (v.is_floating_point()) return shortest_text(*v.value<double>());
  std::ostringstream os;
  v.visit([&](auto&& x) { os << toml::toml_formatter(x, toml::format_flags::none); });
  std::string t = os.str();
  t.erase(std::remove(t.begin(), t.end(), '\n'), t.end());
  return t;
}

std::vector<Axis> read_axes(const toml::table& sweep, const char* group, const std::string& file) {
  std::vector<Axis> axes;
  const toml::node* g = sweep.get(group);
  if (!g) return axes;
  const std::string path = std::string("sweep.") + group;
  if (!g->is_table())
    fail(g, file, path, std::string("expected a table of key.path = [values], got ") + type_name(*g));
  const auto& allowed = variant_sections();
  for (const auto& key : keys_in_file_order(*g->as_table())) {
    const toml::node* list = g->as_table()->get(key);
    const std::string kp = path + ".\"" + key + "\"";
    const std::string section = key.substr(0, key.find('.'));
    if (key.find('.') == std::string::npos || key.back() == '.' ||
        std::find(allowed.begin(), allowed.end(), section) == allowed.end())
      fail(list, file, kp,
           "a swept key is a config key path under " + join_names(allowed, ", ") + " (e.g. \"loss.theta\")");
    if (!list->is_array() || list->as_array()->empty())
      fail(list, file, kp, "expected a non-empty array of the values to sweep");
    Axis a{key, {}, list};
    std::set<std::string> seen;
    for (const auto& v : *list->as_array()) {
      if (!seen.insert(value_text(v)).second)
        fail(&v, file, kp, "value " + value_text(v) + " is listed twice");
      a.values.push_back(&v);
    }
    axes.push_back(std::move(a));
  }
  return axes;
}

// The one-key-path table { a = { b = value } } for key "a.b".
void set_path(toml::table& t, const std::string& key, const toml::node& value) {
  toml::table* cur = &t;
  std::size_t start = 0;
  for (std::size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    const std::string part = key.substr(start, dot - start);
    toml::node* n = cur->get(part);
    if (!n || !n->is_table()) {
      cur->insert_or_assign(part, toml::table{});
      n = cur->get(part);
    }
    cur = n->as_table();
  }
  value.visit([&](auto&& x) { cur->insert_or_assign(key.substr(start), x); });
}

std::string short_name(const std::string& key, const std::vector<std::string>& all) {
  const std::string last = key.substr(key.rfind('.') + 1);
  for (const auto& other : all)
    if (other != key && other.substr(other.rfind('.') + 1) == last) return key;
  return last;
}

void collect_leaves(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& k : keys_in_file_order(t)) {
    const toml::node* n = t.get(k);
    const std::string p = join_path(prefix, k);
    if (n->is_table()) collect_leaves(*n->as_table(), p, out);
    else out.push_back(p);
  }
}

}  // namespace

std::string shortest_text(double x) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  std::string t = buf;
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";  // still reads as a float
  return t;
}

std::vector<std::string> leaf_paths(const toml::table& overlay) {
  std::vector<std::string> out;
  collect_leaves(overlay, "", out);
  return out;
}

SweepExpansion expand_sweep(toml::table& doc, const std::string& file, const std::string& profile) {
  SweepExpansion out;
  toml::node* s = doc.get("sweep");
  // Profiles' sweep overlays are taken out whether or not the file has [sweep] (an overlay
  // without a [sweep] to merge into is an error).
  toml::table profile_sweep;
  bool has_profile_sweep = false;
  if (toml::node* ps = doc.get("profiles"); ps && ps->is_table()) {
    for (auto&& [name, p] : *ps->as_table()) {
      if (!p.is_table()) continue;
      toml::node* o = p.as_table()->get("sweep");
      if (!o) continue;
      if (!s)
        fail(o, file, "profiles." + std::string(name.str()) + ".sweep",
             "the file has no [sweep] section for this profile to overlay");
      if (!o->is_table())
        fail(o, file, "profiles." + std::string(name.str()) + ".sweep",
             std::string("expected a table, got ") + type_name(*o));
      if (name.str() == profile) {
        profile_sweep = *o->as_table();
        has_profile_sweep = true;
      }
    }
    for (auto&& [name, p] : *ps->as_table())
      if (p.is_table()) p.as_table()->erase("sweep");
  }
  if (!s) return out;
  if (!s->is_table()) fail(s, file, "sweep", std::string("expected a table, got ") + type_name(*s));
  out.present = true;
  toml::table sweep = *s->as_table();
  doc.erase("sweep");
  if (has_profile_sweep) {  // grid and zip replace the file's (a profile sweeps fewer values)
    for (const char* k : {"grid", "zip"})
      if (profile_sweep.get(k)) sweep.erase(k);
    deep_merge(sweep, std::move(profile_sweep));
  }
  {
    TableReader r(sweep, "sweep", file);
    r.node("grid");
    r.node("zip");
    const auto seeds = r.integer_list("seeds", {});
    r.finish();
    if (!seeds.empty()) {
      std::set<std::int64_t> unique(seeds.begin(), seeds.end());
      if (unique.size() != seeds.size()) fail(sweep.get("seeds"), file, "sweep.seeds", "a seed is listed twice");
      toml::array a;
      for (auto v : seeds) a.push_back(v);
      toml::table over;
      over.insert("train", toml::table{{"seeds", a}});
      deep_merge(doc, std::move(over));
    }
  }
  const std::vector<Axis> grid = read_axes(sweep, "grid", file);
  const std::vector<Axis> zip = read_axes(sweep, "zip", file);
  std::vector<std::string> keys;
  for (const auto& a : grid) keys.push_back(a.key);
  for (const auto& a : zip) {
    if (std::find(keys.begin(), keys.end(), a.key) != keys.end())
      fail(a.where, file, "sweep.zip.\"" + a.key + "\"", "the key is also in sweep.grid");
    if (a.values.size() != zip.front().values.size())
      fail(a.where, file, "sweep.zip.\"" + a.key + "\"",
           "zipped lists advance together and need one length: " + std::to_string(a.values.size()) +
               " values here, " + std::to_string(zip.front().values.size()) + " in \"" + zip.front().key + "\"");
    keys.push_back(a.key);
  }
  out.keys = keys;

  // The file's own variants (in file order), each swept; "" = the base config.
  toml::table variants;
  std::vector<std::string> base_names;
  if (toml::node* v = doc.get("variants")) {
    if (!v->is_table()) fail(v, file, "variants", std::string("expected a table, got ") + type_name(*v));
    variants = *v->as_table();
    base_names = keys_in_file_order(variants);
  }
  if (keys.empty()) {  // the sweep is the file's variants
    out.names = base_names;
    return out;
  }
  if (base_names.empty()) base_names.push_back("");

  // Points: grid combinations (first key outermost) × zip rows.
  std::vector<std::vector<const toml::node*>> points{{}};
  for (const auto& a : grid) {
    std::vector<std::vector<const toml::node*>> next;
    for (const auto& p : points)
      for (const toml::node* v : a.values) {
        next.push_back(p);
        next.back().push_back(v);
      }
    points = std::move(next);
  }
  if (!zip.empty()) {
    std::vector<std::vector<const toml::node*>> next;
    for (const auto& p : points)
      for (std::size_t i = 0; i < zip.front().values.size(); ++i) {
        next.push_back(p);
        for (const auto& a : zip) next.back().push_back(a.values[i]);
      }
    points = std::move(next);
  }

  toml::table expanded;
  for (const auto& base : base_names) {
    for (const auto& p : points) {
      std::string name;
      toml::table overlay;
      if (!base.empty()) {
        const toml::node* b = variants.get(base);
        if (!b->is_table()) fail(b, file, "variants." + base, std::string("expected a table, got ") + type_name(*b));
        overlay = *b->as_table();
      }
      for (std::size_t k = 0; k < keys.size(); ++k) {
        name += (k ? "," : "") + short_name(keys[k], keys) + "=" + value_text(*p[k]);
        toml::table point;
        set_path(point, keys[k], *p[k]);
        deep_merge(overlay, std::move(point));
      }
      if (!base.empty()) name = base + "/" + name;
      if (variants.get(name) && name != base)
        fail(variants.get(name), file, "variants." + name, "a sweep point has this name");
      expanded.insert_or_assign(name, std::move(overlay));
      out.names.push_back(name);
    }
  }
  doc.insert_or_assign("variants", std::move(expanded));
  return out;
}

}  // namespace sodlab::config::detail
