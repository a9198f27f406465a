// SHA-256 (OpenSSL) for run ids, cache keys and artifact checksums.
#pragma once

#include <string>

namespace sodlab {

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(const std::string& bytes);
// Lower-case hex SHA-256 of a file's content; throws InputError naming the file if unreadable.
std::string sha256_file_hex(const std::string& path);

// Incremental hashing for manifests.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex();  // finishes the hash

 private:
  void* ctx_;
};

}  // namespace sodlab
