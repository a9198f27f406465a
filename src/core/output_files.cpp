#include "core/output_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace sodlab::output {
namespace {

namespace fs = std::filesystem;

struct Protected {
  fs::path path;  // absolute, lexically normal
  std::string what;
  bool folder = false;
};

std::mutex g_mutex;
std::vector<Protected> g_protected;

// Absolute and normal, symbolic links of the existing part resolved.
fs::path resolved(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = fs::path(p);
  fs::path canon = fs::weakly_canonical(abs, ec);
  if (ec) canon = abs;
  canon = canon.lexically_normal();
  if (canon.filename().empty() && canon.has_parent_path() && canon != canon.root_path()) canon = canon.parent_path();
  return canon;
}

// `inner` is `outer` or lies below it.
bool within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing "" element
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

bool same_inode(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// A hard link of `file` (nlink > 1) somewhere under `dir`.
bool linked_inside(const fs::path& file, const fs::path& dir) {
  struct stat sf {};
  if (::stat(file.c_str(), &sf) != 0 || sf.st_nlink < 2) return false;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat se {};
    if (::lstat(it->path().c_str(), &se) == 0 && se.st_dev == sf.st_dev && se.st_ino == sf.st_ino) return true;
  }
  return false;
}

// An output at `out` would write over `p` (a protected file: same path or inode) or into it (a
// protected folder; a file output also through a hard link of a file inside it).
bool writes_over(const Protected& p, const fs::path& out, bool file_output) {
  if (!p.folder) return out == p.path || same_inode(out, p.path);
  return within(out, p.path) || (file_output && linked_inside(out, p.path));
}

std::string named(const std::string& option, const std::string& path) {
  return (option.empty() ? "" : option + " ") + path;
}

std::vector<Protected> snapshot() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_protected;
}

}  // namespace

void protect_file(const std::string& path, const std::string& what) {
  if (path.empty()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_protected.push_back({resolved(path), what, false});
}

void protect_folder(const std::string& dir, const std::string& what) {
  if (dir.empty()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_protected.push_back({resolved(dir), what, true});
}

void protect_store(const std::string& db_path) {
  protect_file(db_path, "the results store");
  for (const char* side : {"-wal", "-shm", "-journal"}) protect_file(db_path + side, "a file of the results store");
}

void check_output_file(const std::string& path, const std::string& option) {
  if (path.empty()) throw InputError(named(option, "''") + ": empty output path");
  const fs::path out = resolved(path);
  std::error_code ec;
  if (fs::is_directory(out, ec))
    throw InputError(named(option, path) + ": is a folder, not a file; name a file to write");
  for (const auto& p : snapshot()) {
    if (writes_over(p, out, /*file_output=*/true))
      throw InputError(named(option, path) + ": refusing to write over " +
                       (p.folder ? "a file inside " + p.path.string() + ", which is " + p.what
                                 : p.path.string() + ", which is " + p.what) +
                       "; choose another output path");
  }
}

void check_output_folder(const std::string& dir, const std::string& option, bool replaces_contents) {
  if (dir.empty()) throw InputError(named(option, "''") + ": empty output folder");
  const fs::path out = resolved(dir);
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw InputError(named(option, dir) + ": exists and is not a folder; name a folder to write into");
  for (const auto& p : snapshot()) {
    if (writes_over(p, out, /*file_output=*/false))
      throw InputError(named(option, dir) + ": refusing to write into " + p.path.string() + ", which is " + p.what +
                       "; choose another output folder");
    if (replaces_contents && within(p.path, out))
      throw InputError(named(option, dir) + ": refusing to replace this folder: it holds " + p.path.string() +
                       ", which is " + p.what + "; choose another output folder");
  }
}

void check_plain_name(const std::string& name, const std::string& option) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw InputError(named(option, "'" + name + "'") +
                     ": expected a plain file name (no '/', not '.' or '..'); the file stays in its output folder");
}

void write_output_file(const std::string& path, std::string_view bytes, const std::string& option) {
  check_output_file(path, option);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  CheckedFile file(tmp);
  file.write(bytes.data(), bytes.size());
  if (const int err = file.finish()) throw RuntimeFailure("cannot write " + path + ": " + std::strerror(err));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw RuntimeFailure("cannot write " + path + ": " + std::strerror(err));
  }
}

CheckedFile::CheckedFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RuntimeFailure("cannot create " + path_ + ": " + std::strerror(errno));
}

CheckedFile::~CheckedFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(path_.c_str());
}

void CheckedFile::write(const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  for (std::size_t done = 0; done < n && error_ == 0;) {
    const ssize_t w = ::write(fd_, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) error_ = w < 0 ? errno : ENOSPC;
    else done += static_cast<std::size_t>(w);
  }
}

int CheckedFile::finish() {
  if (::close(fd_) != 0 && error_ == 0) error_ = errno;
  fd_ = -1;
  if (error_ != 0) ::unlink(path_.c_str());
  return error_;
}

std::string without_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace sodlab::output
