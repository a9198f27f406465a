// Where and how sodlab writes the files a user asked for: one output-path check and one write.
//
// Protection: what a process reads or owns registers itself here (the results store and its
// -wal/-shm/-journal when opened, the checkpoint and cache folders, a command's inputs). Every
// output path of every command goes through check_output_file / check_output_folder before
// anything is written, and write_output_file checks again: an output is never a protected file
// (same path or same inode), never inside a protected folder, and a folder that replaces its
// contents (the report) never contains anything protected. Refusals are InputError (exit 2)
// naming the option, the path and what it would have destroyed.
//
// Writing: write_output_file writes to "<path>.tmp-<pid>" and renames it into place; every
// write() and close() is checked, so a full disk is a RuntimeFailure ("cannot write F: No space
// left on device", exit 1) with the temporary removed and any earlier file at the path intact,
// never "wrote F" and an empty file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sodlab::output {

// `what` completes "… is <what>": "the results store", "a checkpoint folder", "an input (--gt)".
void protect_file(const std::string& path, const std::string& what);
void protect_folder(const std::string& dir, const std::string& what);
// The results store at `db_path`: the file and its SQLite side files.
void protect_store(const std::string& db_path);

// `option` names where the path came from ("--out", "--json"); "" for a derived path.
void check_output_file(const std::string& path, const std::string& option);
// A folder the command writes files into (created if missing): not a protected file, not inside a
// protected folder. With `replaces_contents`, it must also not contain anything protected.
void check_output_folder(const std::string& dir, const std::string& option, bool replaces_contents = false);
// A user-given file name that must stay inside its folder: no '/', not "", "." or "..".
// InputError naming the option otherwise.
void check_plain_name(const std::string& name, const std::string& option);

// Checks `path` (check_output_file), then writes `bytes` atomically as described above.
void write_output_file(const std::string& path, std::string_view bytes, const std::string& option = "");

// The checked write underneath, for content produced piece by piece (a checkpoint): the file is
// created (truncated) at once; write() never throws and keeps the first error; finish() closes
// and returns that error's errno, or the close's (0: written; otherwise the file is removed).
// Destroyed unfinished, it closes and removes the file.
class CheckedFile {
 public:
  explicit CheckedFile(std::string path);  // RuntimeFailure "cannot create F: <cause>"
  ~CheckedFile();
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;
  void write(const void* data, std::size_t n);
  [[nodiscard]] int finish();

 private:
  std::string path_;
  int fd_ = -1;
  int error_ = 0;  // errno of the first failure
};

// `dir` without trailing slashes ("out/" → "out"; "/" stays "/").
std::string without_trailing_slash(std::string dir);

}  // namespace sodlab::output
