#include "cache/map_cache.h"

#include <algorithm>

#include <H5Cpp.h>

#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace sodlab::cache {
namespace {

std::mutex& h5_mutex() {
  static std::mutex m;
  return m;
}

std::string bytes_sha(const cv::Mat& m) {
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  return sha256_hex(std::string(reinterpret_cast<const char*>(c.data), c.total() * c.elemSize()));
}

void check_key(const std::string& key) {
  if (key.size() != 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw InputError("cache key must be 64 lower-case hex digits, got '" + key + "'");
}

std::string read_string_attr(const H5::DataSet& ds, const char* name) {
  H5::Attribute a = ds.openAttribute(name);
  H5::StrType t = a.getStrType();
  std::string s;
  a.read(t, s);
  return s;
}

void write_string_attr(H5::DataSet& ds, const char* name, const std::string& value) {
  H5::StrType t(H5::PredType::C_S1, value.size());
  H5::Attribute a = ds.createAttribute(name, t, H5::DataSpace(H5S_SCALAR));
  a.write(t, value);
}

// Reads and verifies one entry file; nullopt (with `why`) when it fails.
std::optional<cv::Mat> read_entry(const fs::path& path, const std::string& key, std::string& why) {
  try {
    H5::Exception::dontPrint();
    H5::H5File file(path.string(), H5F_ACC_RDONLY);
    H5::DataSet ds = file.openDataSet("map");
    H5::DataSpace space = ds.getSpace();
    if (space.getSimpleExtentNdims() != 2) {
      why = "not a 2-D map";
      return std::nullopt;
    }
    hsize_t dims[2];
    space.getSimpleExtentDims(dims);
    const bool is_float = ds.getTypeClass() == H5T_FLOAT;
    cv::Mat m(static_cast<int>(dims[0]), static_cast<int>(dims[1]), is_float ? CV_32FC1 : CV_8UC1);
    ds.read(m.data, is_float ? H5::PredType::NATIVE_FLOAT : H5::PredType::NATIVE_UINT8);
    if (read_string_attr(ds, "key") != key) {
      why = "stored key differs from its file name";
      return std::nullopt;
    }
    if (read_string_attr(ds, "sha256") != bytes_sha(m)) {
      why = "checksum mismatch";
      return std::nullopt;
    }
    return m;
  } catch (const H5::Exception& e) {
    why = e.getDetailMsg();
    return std::nullopt;
  }
}

}  // namespace

std::string make_key(const std::vector<std::string>& parts) {
  Sha256 h;
  for (const auto& p : parts) {
    h.update(std::to_string(p.size()) + ":");
    h.update(p);
  }
  return h.hex();
}

std::string prediction_key(const std::string& run_id, const std::string& dataset_manifest,
                           const std::string& stem, const std::string& distortion) {
  return make_key({"prediction", run_id, dataset_manifest, stem, distortion});
}

std::string gt_map_key(const std::string& mask_sha256, const std::string& map_name,
                       const std::string& params) {
  return make_key({"gt", mask_sha256, map_name, params});
}

MapCache::MapCache(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec || !fs::is_directory(root_))
    throw InputError("cannot create cache folder " + root_.string() + ": " + ec.message());
}

fs::path MapCache::path_of(const std::string& key) const {
  check_key(key);
  return root_ / key.substr(0, 2) / (key + ".h5");
}

void MapCache::put(const std::string& key, const cv::Mat& map, const std::string& ref) {
  if (map.empty() || (map.type() != CV_8UC1 && map.type() != CV_32FC1))
    throw InputError("cache: only non-empty CV_8UC1 or CV_32FC1 maps can be stored");
  const fs::path final_path = path_of(key);
  fs::create_directories(final_path.parent_path());
  std::ostringstream suffix;
  suffix << ".tmp" << std::hash<std::thread::id>{}(std::this_thread::get_id()) << "-" << std::random_device{}();
  const fs::path tmp = final_path.string() + suffix.str();
  const cv::Mat m = map.isContinuous() ? map : map.clone();
  {
    std::lock_guard<std::mutex> lock(h5_mutex());
    try {
      H5::Exception::dontPrint();
      H5::H5File file(tmp.string(), H5F_ACC_TRUNC);
      hsize_t dims[2] = {static_cast<hsize_t>(m.rows), static_cast<hsize_t>(m.cols)};
      H5::DataSpace space(2, dims);
      const bool is_float = m.type() == CV_32FC1;
      H5::DSetCreatPropList props;
      props.setChunk(2, dims);
      props.setDeflate(4);
      H5::DataSet ds = file.createDataSet(
          "map", is_float ? H5::PredType::IEEE_F32LE : H5::PredType::STD_U8LE, space, props);
      ds.write(m.data, is_float ? H5::PredType::NATIVE_FLOAT : H5::PredType::NATIVE_UINT8);
      write_string_attr(ds, "key", key);
      write_string_attr(ds, "sha256", bytes_sha(m));
      if (!ref.empty()) write_string_attr(ds, "ref", ref);
    } catch (const H5::Exception& e) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw RuntimeFailure("cannot write cache entry " + tmp.string() + ": " + e.getDetailMsg());
    }
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) throw RuntimeFailure("cannot rename " + tmp.string() + " to " + final_path.string() + ": " + ec.message());
}

std::optional<cv::Mat> MapCache::get(const std::string& key) const {
  const fs::path path = path_of(key);
  if (!fs::exists(path)) return std::nullopt;
  std::string why;
  std::optional<cv::Mat> m;
  {
    std::lock_guard<std::mutex> lock(h5_mutex());
    m = read_entry(path, key, why);
  }
  if (!m) {
    log::warn("cache entry " + path.string() + " failed verification (" + why + "); removed");
    std::error_code ec;
    fs::remove(path, ec);
  }
  return m;
}

bool MapCache::contains(const std::string& key) const { return fs::exists(path_of(key)); }

CacheStats MapCache::stats() const {
  CacheStats s;
  for (const auto& e : fs::recursive_directory_iterator(root_))
    if (e.is_regular_file() && e.path().extension() == ".h5") ++s.entries, s.bytes += e.file_size();
  return s;
}

std::vector<std::string> MapCache::verify(bool remove) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root_))
    if (e.is_regular_file() && e.path().extension() == ".h5") files.push_back(e.path());
  std::vector<std::string> bad;
  for (const auto& p : files) {
    std::string why;
    std::optional<cv::Mat> m;
    {
      std::lock_guard<std::mutex> lock(h5_mutex());
      m = read_entry(p, p.stem().string(), why);
    }
    if (!m) {
      bad.push_back(p.string() + ": " + why);
      if (remove) fs::remove(p);
    }
  }
  return bad;
}

std::vector<CacheEntry> MapCache::entries() const {
  std::vector<CacheEntry> out;
  for (const auto& e : fs::recursive_directory_iterator(root_))
    if (e.is_regular_file() && e.path().extension() == ".h5") out.push_back({e.path(), e.path().stem().string(), "", e.file_size()});
  std::sort(out.begin(), out.end(), [](const CacheEntry& a, const CacheEntry& b) { return a.path < b.path; });
  std::lock_guard<std::mutex> lock(h5_mutex());
  for (auto& entry : out) {
    try {
      H5::Exception::dontPrint();
      H5::H5File file(entry.path.string(), H5F_ACC_RDONLY);
      H5::DataSet ds = file.openDataSet("map");
      if (ds.attrExists("ref")) entry.ref = read_string_attr(ds, "ref");
    } catch (const H5::Exception&) {
      entry.readable = false;
    }
  }
  return out;
}

}  // namespace sodlab::cache
