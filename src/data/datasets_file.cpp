#include "data/datasets_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/output_files.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError("cannot read datasets file " + file.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace

fs::path datasets_file_path() {
  if (const char* env = std::getenv("SODLAB_DATASETS"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return fs::path(xdg) / "sodlab" / "datasets.toml";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".config" / "sodlab" / "datasets.toml";
}

std::vector<DatasetsFileEntry> read_datasets_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  const std::string text = slurp(file);
  toml::table t;
  try {
    t = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw InputError("datasets file " + file.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) + ": " + std::string(e.description()) +
                     " (expected lines name = \"/path\")");
  }
  std::vector<DatasetsFileEntry> out;
  for (const auto& [key, node] : t) {
    const int line = static_cast<int>(node.source().begin.line);
    const std::string where = "datasets file " + file.string() + ":" + std::to_string(line) + ": key '" +
                              std::string(key.str()) + "'";
    const auto* s = node.as_string();
    if (!s) throw InputError(where + " must be a path string (name = \"/path/to/dataset\")");
    if (s->get().empty()) throw InputError(where + " is an empty path");
    fs::path p = s->get();
    if (p.is_relative()) p = fs::absolute(file).parent_path() / p;
    out.push_back({std::string(key.str()), p.lexically_normal(), line});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  return out;
}

void write_datasets_file_entry(const fs::path& file, const std::string& name, const fs::path& path) {
  const auto entries = read_datasets_file(file);
  std::vector<std::string> lines;
  if (fs::exists(file)) {
    std::istringstream in(slurp(file));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  const std::string entry = name + " = " + toml_string(path.string());
  bool replaced = false;
  for (const auto& e : entries)
    if (e.name == name && e.line >= 1 && static_cast<std::size_t>(e.line) <= lines.size()) {
      lines[static_cast<std::size_t>(e.line - 1)] = entry;
      replaced = true;
    }
  if (!replaced) lines.push_back(entry);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  if (!file.parent_path().empty()) fs::create_directories(file.parent_path());
  output::write_output_file(file.string(), text, "the datasets file");
}

}  // namespace sodlab::data
