#include "cache/entry_file.h"

#include <algorithm>
#include <random>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace sodlab::cache::detail {

std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

void check_key(const std::string& key) {
  if (key.size() != 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw InputError("cache key must be 64 lower-case hex digits, got '" + key + "'");
}

fs::path entry_path(const fs::path& root, const std::string& key) {
  check_key(key);
  return root / key.substr(0, 2) / (key + ".h5");
}

fs::path temp_path_for(const fs::path& final_path) {
  fs::create_directories(final_path.parent_path());
  std::ostringstream suffix;
  suffix << ".tmp" << std::hash<std::thread::id>{}(std::this_thread::get_id()) << "-" << std::random_device{}();
  return final_path.string() + suffix.str();
}

void commit_entry(const fs::path& tmp, const fs::path& final_path) {
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw RuntimeFailure("cannot rename " + tmp.string() + " to " + final_path.string() + ": " + ec.message());
  }
}

std::vector<fs::path> entry_files(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".h5") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void discard_entry(const fs::path& path, const std::string& why) {
  log::warn("cache entry " + path.string() + " failed verification (" + why + "); removed, to be recomputed");
  std::error_code ec;
  fs::remove(path, ec);
}

std::vector<std::string> verify_entries(
    const fs::path& root, bool remove, const std::function<bool(const fs::path&, const std::string&, std::string&)>& read) {
  std::vector<std::string> bad;
  for (const auto& p : entry_files(root)) {
    std::string why;
    bool ok = false;
    {
      std::lock_guard<std::mutex> lock(hdf5_mutex());
      ok = read(p, p.stem().string(), why);
    }
    if (!ok) {
      bad.push_back(p.string() + ": " + why);
      if (remove) fs::remove(p);
    }
  }
  return bad;
}

std::vector<CacheEntry> list_entries(const fs::path& root, const std::function<std::string(const H5::H5File&)>& ref_of) {
  std::vector<CacheEntry> out;
  for (const auto& p : entry_files(root)) out.push_back({p, p.stem().string(), "", fs::file_size(p)});
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  for (auto& entry : out) {
    try {
      H5::Exception::dontPrint();
      const H5::H5File file(entry.path.string(), H5F_ACC_RDONLY);
      entry.ref = ref_of(file);
    } catch (const H5::Exception&) {
      entry.readable = false;
    }
  }
  return out;
}

CacheStats folder_stats(const fs::path& root) {
  CacheStats s;
  for (const auto& p : entry_files(root)) ++s.entries, s.bytes += fs::file_size(p);
  return s;
}

std::string read_string_attr(const H5::H5Object& object, const char* name) {
  H5::Attribute a = object.openAttribute(name);
  H5::StrType t = a.getStrType();
  std::string s;
  a.read(t, s);
  return s;
}

void write_string_attr(H5::H5Object& object, const char* name, const std::string& value) {
  // A zero-length fixed string is not a valid HDF5 type: store at least one byte's width.
  H5::StrType t(H5::PredType::C_S1, std::max<std::size_t>(value.size(), 1));
  H5::Attribute a = object.createAttribute(name, t, H5::DataSpace(H5S_SCALAR));
  a.write(t, value);
}

}  // namespace sodlab::cache::detail
