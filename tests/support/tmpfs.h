// A small tmpfs mounted for one test: a full disk (size = a few KiB) or a read-only mount, for
// real, as CI runs tests as root. mounted() is false where mounting is not allowed (not root, no
// CAP_SYS_ADMIN): the test then says SKIPPED.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace sodlab::testing {

class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  const std::filesystem::path& path() const { return dir_; }
  // New size ("64m") or "ro" / "rw"; true on success.
  bool remount(const std::string& options) {
    unsigned long flags = MS_REMOUNT;
    std::string data;
    if (options == "ro") flags |= MS_RDONLY;
    else if (options != "rw") data = "size=" + options;
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", flags, data.empty() ? nullptr : data.c_str()) == 0;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace sodlab::testing
