#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/shared_data.h"

namespace {
std::pair<int, std::string> run(const std::string& args) {
  const std::string cmd = sodlab::testing::sodlab_binary().string() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}
}  // namespace

TEST_CASE("sodlab models: list, JSON summary and bad options", "[cli]") {
  auto [rc, list] = run("models");
  REQUIRE(rc == 0);
  CHECK(list.find("menet_ce_plain") != std::string::npos);
  auto [rc2, out] = run("models menet --set width=4 --set blocks=1 --set global_kernel=2 --input 64 --repeats 1 --json");
  REQUIRE(rc2 == 0);
  auto j = nlohmann::json::parse(out);
  CHECK(j["name"] == "menet");
  CHECK(j["options"]["width"] == 4);
  CHECK(j["output_shapes"]["logits"] == std::vector<int>{1, 2, 64, 64});
  CHECK(j["output_shapes"]["features"] == std::vector<int>{1, 16, 64, 64});
  CHECK(j["parameters"].get<std::int64_t>() == j["trainable"].get<std::int64_t>());
  CHECK(j["forward_ms_per_image"].get<double>() > 0);
  auto [rc3, err] = run("models menet --set widht=4");
  CHECK(rc3 == 2);
  CHECK(err.find("width") != std::string::npos);
  // A summary of SZN needs no pretrained weights, even where none can be found.
  const char* home = std::getenv("HOME");
  const std::string old_home = home ? home : "";
  ::setenv("HOME", "/nonexistent", 1);  // no ~/.keras/models: the default "vgg16" cannot resolve
  auto [rc4, szn] = run("models szn --set width_divisor=16 --set fc_layers=false --input 64 --repeats 1 --json");
  ::setenv("HOME", old_home.c_str(), 1);
  INFO(szn);
  CHECK(rc4 == 0);
  CHECK(szn.find("\"backbone_weights\": \"vgg16\"") != std::string::npos);
}
