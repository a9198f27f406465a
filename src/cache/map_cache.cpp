#include "cache/map_cache.h"

#include <H5Cpp.h>

#include "cache/entry_file.h"
#include "core/error.h"
#include "core/hash.h"

namespace fs = std::filesystem;

namespace sodlab::cache {
namespace {

using detail::hdf5_mutex;
using detail::read_string_attr;
using detail::write_string_attr;

std::string bytes_sha(const cv::Mat& m) {
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  return sha256_hex(std::string(reinterpret_cast<const char*>(c.data), c.total() * c.elemSize()));
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

fs::path MapCache::path_of(const std::string& key) const { return detail::entry_path(root_, key); }

void MapCache::put(const std::string& key, const cv::Mat& map, const std::string& ref) {
  if (map.empty() || (map.type() != CV_8UC1 && map.type() != CV_32FC1))
    throw InputError("cache: only non-empty CV_8UC1 or CV_32FC1 maps can be stored");
  const fs::path final_path = path_of(key);
  const fs::path tmp = detail::temp_path_for(final_path);
  const cv::Mat m = map.isContinuous() ? map : map.clone();
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
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
  detail::commit_entry(tmp, final_path);
}

std::optional<cv::Mat> MapCache::get(const std::string& key) const {
  return detail::read_verified(path_of(key), key, read_entry);
}

bool MapCache::contains(const std::string& key) const { return fs::exists(path_of(key)); }

CacheStats MapCache::stats() const { return detail::folder_stats(root_); }

std::vector<std::string> MapCache::verify(bool remove) {
  return detail::verify_entries(root_, remove, [](const fs::path& p, const std::string& key, std::string& why) {
    return read_entry(p, key, why).has_value();
  });
}

std::vector<CacheEntry> MapCache::entries() const {
  return detail::list_entries(root_, [](const H5::H5File& file) {
    const H5::DataSet ds = file.openDataSet("map");
    return ds.attrExists("ref") ? read_string_attr(ds, "ref") : std::string();
  });
}

}  // namespace sodlab::cache
