// Internal to src/cache: what every HDF5 cache kind shares about its entry files.
//
// An entry lives in ROOT/<kk>/<key>.h5 (kk = the key's first two hex digits). It is written under
// a unique temporary name beside its final path and renamed into place (commit_entry), so a crash
// never leaves a half-written file under a valid name. Every HDF5 call of the process is
// serialised by hdf5_mutex(): Debian's HDF5 is built without thread safety.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/map_cache.h"  // CacheEntry

namespace sodlab::cache::detail {

std::mutex& hdf5_mutex();
// InputError unless `key` is 64 lower-case hex digits.
void check_key(const std::string& key);
std::filesystem::path entry_path(const std::filesystem::path& root, const std::string& key);
// A fresh temporary name beside `final_path` (its folder created).
std::filesystem::path temp_path_for(const std::filesystem::path& final_path);
// Renames `tmp` onto `final_path`; RuntimeFailure naming both when it cannot.
void commit_entry(const std::filesystem::path& tmp, const std::filesystem::path& final_path);
// Every *.h5 file under `root`, in path order.
std::vector<std::filesystem::path> entry_files(const std::filesystem::path& root);
// Their number and total size (the files are not opened).
CacheStats folder_stats(const std::filesystem::path& root);

// Logs that the entry at `path` failed verification (`why`) and removes it: it is a miss now.
void discard_entry(const std::filesystem::path& path, const std::string& why);

// The entry of `key` at `path` read by `read(path, key, why)` (→ std::optional<T>) under the HDF5
// mutex; nullopt when there is none, and when it fails (discarded: logged and removed).
template <typename Read>
auto read_verified(const std::filesystem::path& path, const std::string& key, Read&& read)
    -> decltype(read(path, key, std::declval<std::string&>())) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  std::string why;
  decltype(read(path, key, why)) value;
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    value = read(path, key, why);
  }
  if (!value) discard_entry(path, why);
  return value;
}

// Reads every entry under `root` with `read(path, key, why)` (false: the entry failed, `why` says
// why), holding the HDF5 mutex; returns "path: why" for each failure, removing it when `remove`.
std::vector<std::string> verify_entries(
    const std::filesystem::path& root, bool remove,
    const std::function<bool(const std::filesystem::path&, const std::string&, std::string&)>& read);
// Every entry under `root` with its size, and its "ref" attribute found by `ref_of` on the open
// file ("" = none; an HDF5 exception marks the entry unreadable).
std::vector<CacheEntry> list_entries(const std::filesystem::path& root,
                                     const std::function<std::string(const H5::H5File&)>& ref_of);

std::string read_string_attr(const H5::H5Object& object, const char* name);
void write_string_attr(H5::H5Object& object, const char* name, const std::string& value);

}  // namespace sodlab::cache::detail
