// The user's datasets file: where each catalogue dataset lives on this machine.
//
// TOML, one `name = "/path"` per line (comments allowed): $SODLAB_DATASETS if set, else
// $XDG_CONFIG_HOME/sodlab/datasets.toml, else ~/.config/sodlab/datasets.toml. A relative path is
// relative to the file's folder. An absent file holds no entries. The names are checked against
// the catalogue by the registry (registry.h), which consults this file before the data root.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sodlab::data {

std::filesystem::path datasets_file_path();

struct DatasetsFileEntry {
  std::string name;
  std::filesystem::path path;  // as resolved (absolute when the file's folder is)
  int line = 0;
};

// The entries in file order. InputError "FILE:LINE:COLUMN: ..." for malformed TOML, and naming the
// file, line and key for a value that is not a string or is empty.
std::vector<DatasetsFileEntry> read_datasets_file(const std::filesystem::path& file);

// Sets `name = "path"`: replaces the line of an existing entry, else appends one; every other line
// is kept. Written atomically (core/output_files.h); the file is validated first (read_datasets_file).
void write_datasets_file_entry(const std::filesystem::path& file, const std::string& name,
                               const std::filesystem::path& path);

}  // namespace sodlab::data
