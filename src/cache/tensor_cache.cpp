#include "cache/tensor_cache.h"

#include <H5Cpp.h>

#include <algorithm>
#include <map>

#include "cache/entry_file.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace sodlab::cache {
namespace {

using detail::hdf5_mutex;
using detail::read_string_attr;
using detail::write_string_attr;

constexpr std::size_t kChunkBytes = std::size_t{4} << 20;  // at most 4 MiB per chunk

// IEEE 754 binary16, as h5py defines it (sign bit 15, exponent 10..14, mantissa 0..9, bias 15).
H5::FloatType half_type() {
  H5::FloatType t(H5::PredType::IEEE_F32LE);
  t.setFields(15, 10, 5, 0, 10);
  t.setSize(2);
  t.setEbias(15);
  return t;
}

struct DtypeInfo {
  const char* name;
  torch::ScalarType scalar;
};
const std::vector<DtypeInfo>& dtypes() {
  static const std::vector<DtypeInfo> d{{"float16", torch::kHalf}, {"float32", torch::kFloat},
                                        {"float64", torch::kDouble}, {"int64", torch::kLong},
                                        {"int32", torch::kInt},      {"uint8", torch::kByte},
                                        {"bool", torch::kBool}};
  return d;
}
const char* dtype_name(torch::ScalarType t) {
  for (const auto& d : dtypes())
    if (d.scalar == t) return d.name;
  return nullptr;
}
std::optional<torch::ScalarType> dtype_of(const std::string& name) {
  for (const auto& d : dtypes())
    if (name == d.name) return d.scalar;
  return std::nullopt;
}
// The file type and the (identical: no conversion) memory type of a dtype.
H5::DataType h5_type(torch::ScalarType t) {
  switch (t) {
    case torch::kHalf: return half_type();
    case torch::kFloat: return H5::PredType::NATIVE_FLOAT;
    case torch::kDouble: return H5::PredType::NATIVE_DOUBLE;
    case torch::kLong: return H5::PredType::NATIVE_INT64;
    case torch::kInt: return H5::PredType::NATIVE_INT32;
    default: return H5::PredType::NATIVE_UINT8;  // uint8, bool (one byte, 0/1)
  }
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = s.find('\n', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void check_tensors(const NamedTensors& tensors) {
  if (tensors.empty()) throw InputError("tensor cache: an entry needs at least one tensor");
  std::map<std::string, int> seen;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name.find_first_of("/.\n") != std::string::npos || seen[name]++)
      throw InputError("tensor cache: tensor name '" + name + "' is empty, repeated or contains '/', '.' or a newline");
    if (!t.defined() || t.dim() < 1 || t.numel() == 0 || !t.device().is_cpu() || !dtype_name(t.scalar_type()))
      throw InputError("tensor cache: tensor '" + name +
                       "' must be a non-empty CPU tensor of rank >= 1 (float16/32/64, int64/32, uint8 or bool)");
  }
}

// Reads one entry in full; nullopt with `why` when it fails. Caller holds the HDF5 mutex.
std::optional<NamedTensors> read_entry(const fs::path& path, const std::string& key, std::string& why) {
  try {
    H5::Exception::dontPrint();
    H5::H5File file(path.string(), H5F_ACC_RDONLY);
    H5::Group root = file.openGroup("/");
    if (!root.attrExists("names") || !root.attrExists("key")) {
      why = "not a tensor-cache entry (no names / key attribute)";
      return std::nullopt;
    }
    if (read_string_attr(root, "key") != key) {
      why = "stored key differs from its file name";
      return std::nullopt;
    }
    NamedTensors out;
    for (const auto& name : split_lines(read_string_attr(root, "names"))) {
      H5::DataSet ds = file.openDataSet(name);
      const auto dtype = dtype_of(read_string_attr(ds, "dtype"));
      if (!dtype) {
        why = "tensor '" + name + "' has an unknown dtype";
        return std::nullopt;
      }
      H5::DataSpace space = ds.getSpace();
      std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
      space.getSimpleExtentDims(dims.data());
      std::vector<std::int64_t> shape(dims.begin(), dims.end());
      torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(*dtype));
      ds.read(t.data_ptr(), h5_type(*dtype));  // Fletcher-32 of every chunk checked here
      out.emplace_back(name, std::move(t));
    }
    return out;
  } catch (const H5::Exception& e) {
    why = e.getDetailMsg().empty() ? "unreadable" : e.getDetailMsg();
    return std::nullopt;
  }
}

}  // namespace

TensorCache::TensorCache(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec || !fs::is_directory(root_))
    throw InputError("cannot create cache folder " + root_.string() + ": " + ec.message());
}

fs::path TensorCache::path_of(const std::string& key) const { return detail::entry_path(root_, key); }

bool TensorCache::contains(const std::string& key) const { return fs::exists(path_of(key)); }

std::uint64_t TensorCache::put(const std::string& key, const NamedTensors& tensors, const std::string& ref) {
  check_tensors(tensors);
  const fs::path final_path = path_of(key);
  const fs::path tmp = detail::temp_path_for(final_path);
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    try {
      H5::Exception::dontPrint();
      // The 1.10 file format: checksummed object headers and chunk indexes (a corrupted header is
      // detected on open, not only a corrupted chunk on read) and no half-empty v1 B-tree nodes.
      H5::FileAccPropList access;
      access.setLibverBounds(H5F_LIBVER_V110, H5F_LIBVER_LATEST);
      H5::H5File file(tmp.string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
      std::string names;
      for (const auto& [name, tensor] : tensors) {
        const torch::Tensor t = tensor.contiguous();
        std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
        std::vector<hsize_t> chunk = dims;
        const std::size_t slice_bytes = static_cast<std::size_t>(t.numel() / t.size(0)) * t.element_size();
        chunk[0] = std::clamp<hsize_t>(kChunkBytes / std::max<std::size_t>(slice_bytes, 1), 1, dims[0]);
        H5::DSetCreatPropList props;
        props.setChunk(static_cast<int>(chunk.size()), chunk.data());
        props.setFletcher32();
        const H5::DataType type = h5_type(t.scalar_type());
        H5::DataSet ds = file.createDataSet(name, type, H5::DataSpace(static_cast<int>(dims.size()), dims.data()), props);
        ds.write(t.data_ptr(), type);
        write_string_attr(ds, "dtype", dtype_name(t.scalar_type()));
        names += (names.empty() ? "" : "\n") + name;
      }
      H5::Group root = file.openGroup("/");
      write_string_attr(root, "key", key);
      write_string_attr(root, "names", names);
      if (!ref.empty()) write_string_attr(root, "ref", ref);
    } catch (const H5::Exception& e) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw RuntimeFailure("cannot write cache entry " + tmp.string() + ": " + e.getDetailMsg());
    }
  }
  const std::uint64_t bytes = fs::file_size(tmp);
  detail::commit_entry(tmp, final_path);
  return bytes;
}

std::optional<NamedTensors> TensorCache::get(const std::string& key, std::uint64_t* bytes) const {
  const fs::path path = path_of(key);
  std::optional<NamedTensors> t = detail::read_verified(path, key, read_entry);
  if (t && bytes) *bytes = fs::file_size(path);
  return t;
}

CacheStats TensorCache::stats() const { return detail::folder_stats(root_); }

std::vector<std::string> TensorCache::verify(bool remove) {
  return detail::verify_entries(root_, remove, [](const fs::path& p, const std::string& key, std::string& why) {
    return read_entry(p, key, why).has_value();
  });
}

std::vector<CacheEntry> TensorCache::entries() const {
  return detail::list_entries(root_, [](const H5::H5File& file) {
    const H5::Group root = file.openGroup("/");
    return root.attrExists("ref") ? read_string_attr(root, "ref") : std::string();
  });
}

bool holds_tensor_entries(const fs::path& root) {
  const auto files = detail::entry_files(root);
  if (files.empty()) return false;
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  try {
    H5::Exception::dontPrint();
    H5::H5File file(files.front().string(), H5F_ACC_RDONLY);
    return file.openGroup("/").attrExists("names");
  } catch (const H5::Exception&) {
    return false;
  }
}

}  // namespace sodlab::cache
