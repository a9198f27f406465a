// Locating ../shared (fixtures and real data) from tests.
//
// shared_dir() returns SODLAB_SHARED_DIR if set, else <source>/../shared, or nullopt when absent.
// Tests that need it start with SODLAB_REQUIRE_SHARED(dir). A test that cannot run here calls
// SODLAB_SKIP("why"): it prints "SKIPPED: why" and returns; ctest's SKIP_REGULAR_EXPRESSION
// (tests/CMakeLists.txt) then counts it as skipped, never as passed (Catch2 v2 has no skip).
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>

namespace sodlab::testing {

inline std::optional<std::filesystem::path> shared_dir() {
  namespace fs = std::filesystem;
  fs::path p;
  if (const char* env = std::getenv("SODLAB_SHARED_DIR")) p = env;
  else p = fs::path(SODLAB_SOURCE_DIR) / ".." / "shared";
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return std::nullopt;
  return fs::weakly_canonical(p, ec);
}

// Path of the built `sodlab` binary (for end-to-end CLI tests).
inline std::filesystem::path sodlab_binary() {
  return std::filesystem::path(SODLAB_BINARY_DIR) / "sodlab";
}

// A fresh, empty temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    namespace fs = std::filesystem;
    fs::path base = fs::temp_directory_path();
    for (int i = 0;; ++i) {
      path_ = base / ("sodlab-test-" + std::to_string(::getpid()) + "-" + std::to_string(i) + "-" +
                      std::to_string(std::rand()));
      if (fs::create_directories(path_)) break;
    }
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sodlab::testing

#define SODLAB_SKIP(why)           \
  do {                             \
    WARN("SKIPPED: " << why);      \
    return;                        \
  } while (false)

#define SODLAB_REQUIRE_SHARED(var)                                                      \
  const auto var##_opt = ::sodlab::testing::shared_dir();                                \
  if (!var##_opt) SODLAB_SKIP("../shared not found (set SODLAB_SHARED_DIR to the shared folder)"); \
  const std::filesystem::path var = *var##_opt
