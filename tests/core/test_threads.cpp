#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

#include "core/hash.h"
#include "core/threads.h"

using namespace sodlab;

TEST_CASE("parallel_for visits every index once and propagates errors", "[core][threads]") {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(1000, 4, [&](int i) { hits[i]++; });
  for (auto& h : hits) CHECK(h.load() == 1);
  CHECK_THROWS_AS(parallel_for(100, 3,
                               [](int i) {
                                 if (i == 42) throw std::logic_error("boom");
                               }),
                  std::logic_error);
  CHECK(resolve_threads(3) == 3);
  CHECK(resolve_threads(0) >= 1);
}

TEST_CASE("sha256 matches the FIPS 180-2 test vector", "[core][hash]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
