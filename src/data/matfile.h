// A minimal MAT-file (level 5, MATLAB v5–v7) reader and writer for lists of names, such as
// HKU-IS's official testImgSet.mat: a cell array of strings or a char matrix (one name per row),
// zlib-compressed elements (v7's default) included. Little-endian files only; v7.3 files (HDF5)
// and other variable classes are InputError naming the file with a one-line conversion.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sodlab::data {

// The strings of the first variable holding a cell array of strings or a char matrix (rows
// right-trimmed), in MATLAB's (column-major) order.
std::vector<std::string> read_mat_strings(const std::filesystem::path& path);

// A MAT-file with one variable `name`: an N×1 cell array of `strings` (ASCII), its matrix element
// zlib-compressed when `compress` (as MATLAB's save writes it) or stored plain.
std::string mat_strings_file(const std::string& name, const std::vector<std::string>& strings, bool compress);

}  // namespace sodlab::data
