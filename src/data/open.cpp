#include "data/open.h"

#include "core/error.h"
#include "data/folder.h"
#include "data/splits.h"
#include "data/synthetic.h"

namespace fs = std::filesystem;

namespace sodlab::data {

DatasetPtr open_dataset(const std::string& name, const fs::path& data_root, Options& options) {
  if (options.context() == "options") options.set_context("dataset '" + name + "'");
  if (name == "synthetic") {
    SyntheticSpec spec;
    spec.n = static_cast<int>(options.get_int("n", spec.n, 1));
    spec.size = static_cast<int>(options.get_int("size", spec.size, 16, 4096));
    spec.seed = static_cast<std::uint64_t>(options.get_int("seed", 0, 0));
    options.reject_unknown();
    return std::make_shared<SyntheticDataset>(spec);
  }
  const std::string split = options.get_string("split", "");
  options.reject_unknown();
  fs::path dir;
  std::string ds_name = name;
  if (name.find('/') != std::string::npos || name.rfind('.', 0) == 0) {
    dir = name;
    ds_name = fs::path(name).filename().string();
    if (!fs::is_directory(dir)) throw InputError("dataset folder " + name + " does not exist");
  } else {
    dir = resolve_dataset_dir(data_root, name);
  }
  DatasetPtr ds = std::make_shared<FolderDataset>(dir, ds_name);
  if (split.empty() || split == "all") return ds;
  const fs::path file = fs::is_regular_file(split) ? fs::path(split) : resolve_split_file(dir, split);
  return apply_split_file(ds, file, split);
}

}  // namespace sodlab::data
