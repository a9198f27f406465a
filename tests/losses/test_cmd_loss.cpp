// End-to-end: `sodlab loss` on PNG files (needs the built `sodlab` binary).
#include "loss_test_util.h"

#include <catch2/catch.hpp>

#include "losses/registry.h"
#include "support/shared_data.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <sys/wait.h>

using namespace sodlab;
namespace fs = std::filesystem;

namespace {

// Runs the command, returns {exit code, stdout}.
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("sodlab loss: value, JSON options, maps and bad input", "[losses][cli]") {
  const auto bin = sodlab::testing::sodlab_binary();
  REQUIRE(fs::exists(bin));
  sodlab::testing::TempDir dir;
  cv::Mat gt(20, 24, CV_8UC1, cv::Scalar(0)), pred(20, 24, CV_8UC1);
  gt(cv::Rect(6, 5, 10, 8)).setTo(255);
  cv::randu(pred, 0, 256);
  const auto gp = (dir.path() / "gt.png").string(), pp = (dir.path() / "pred.png").string();
  cv::imwrite(gp, gt);
  cv::imwrite(pp, pred);
  const auto maps = dir.path() / "maps";
  auto [rc, out] = run(bin.string() + " loss --name af_fbeta_w --set theta=3 --pred " + pp +
                       " --gt " + gp + " --json --maps " + maps.string());
  REQUIRE(rc == 0);
  auto j = nlohmann::json::parse(out);
  CHECK(j["name"] == "af_fbeta_w");
  CHECK(j["options"]["theta"] == 3);
  CHECK(j["options"]["sigma"] == 0.75);
  CHECK(j["options"].size() == 14);
  for (const char* m : {"E", "E_A", "B", "E_w"}) CHECK(fs::exists(maps / (std::string(m) + ".png")));
  // Same value through the library on the same 8-bit inputs.
  cv::Mat pd;
  pred.convertTo(pd, CV_64F, 1.0 / 255);
  auto p = torch::from_blob(pd.data, {1, 1, 20, 24}, torch::kDouble).clamp(1e-7, 1 - 1e-7);
  cv::Mat gd;
  gt.convertTo(gd, CV_64F, 1.0 / 255);
  auto y = torch::from_blob(gd.data, {1, 1, 20, 24}, torch::kDouble).clone();
  Options o;
  o.set_from_assignment("theta=3");
  auto l = losses::make_loss("af_fbeta_w", o);
  const double expect = l->forward(torch::log(p / (1 - p)), l->prepare(y)).item<double>();
  CHECK(j["loss"].get<double>() == Approx(expect).epsilon(1e-12));
  // Bad input: exit code 2.
  CHECK(run(bin.string() + " loss --name af_fbeta_w --set thetta=3 --pred " + pp + " --gt " + gp).first == 2);
  CHECK(run(bin.string() + " loss --name nope --pred " + pp + " --gt " + gp).first == 2);
  CHECK(run(bin.string() + " loss --name ce --pred " + pp + " --gt " + gp + ".missing").first == 2);
  cv::imwrite((dir.path() / "small.png").string(), gt(cv::Rect(0, 0, 10, 10)));
  CHECK(run(bin.string() + " loss --name ce --pred " + pp + " --gt " + (dir.path() / "small.png").string()).first == 2);
  CHECK(run(bin.string() + " loss --name menet --pred " + pp + " --gt " + gp).first == 2);
  CHECK(run(bin.string() + " loss --pred " + pp).first == 2);  // --name and --gt missing
  // --list: every registered loss with its summary.
  const auto list = run(bin.string() + " loss --list");
  CHECK(list.first == 0);
  for (const auto& e : losses::loss_registry().entries()) CHECK(list.second.find(e.name + " ") != std::string::npos);
}

TEST_CASE("sodlab loss --figure: Kolkin Fig. 3 panels on one scale, script kept, bytes stable", "[losses][cli]") {
  const auto bin = sodlab::testing::sodlab_binary();
  REQUIRE(fs::exists(bin));
  sodlab::testing::TempDir dir;
  cv::Mat gt(30, 40, CV_8UC1, cv::Scalar(0)), pred(30, 40, CV_8UC1), photo(30, 40, CV_8UC3);
  gt(cv::Rect(10, 8, 15, 12)).setTo(255);
  cv::randu(pred, 0, 256);
  cv::randu(photo, 0, 256);
  const auto gp = (dir.path() / "gt.png").string(), pp = (dir.path() / "pred.png").string(),
             ip = (dir.path() / "photo.jpg").string();
  cv::imwrite(gp, gt);
  cv::imwrite(pp, pred);
  cv::imwrite(ip, photo);
  const auto fig = dir.path() / "fig" / "loss_maps.png";
  const std::string cmd = bin.string() + " loss --name af_fbeta_w --pred " + pp + " --gt " + gp + " --image " + ip +
                          " --figure " + fig.string() + " --json";
  auto [rc, out] = run(cmd);
  REQUIRE(rc == 0);
  CHECK(nlohmann::json::parse(out)["figure"] == fig.string());
  REQUIRE(fs::exists(fig));
  const auto script = fig.parent_path() / "loss_maps.gp", data = fig.parent_path() / "loss_maps.dat";
  REQUIRE(fs::exists(script));
  REQUIRE(fs::exists(data));
  std::ifstream s(script);
  const std::string gp_text((std::istreambuf_iterator<char>(s)), {});
  // Seven panels in the paper's order, one colour bar, one range for every map.
  std::size_t at = 0;
  for (const char* title : {"\"image\"", "\"GT\"", "\"prediction\"", "\"E\"", "\"E_A\"", "\"B\"", "\"E_w\""}) {
    at = gp_text.find(std::string("set title ") + title, at);
    CHECK(at != std::string::npos);
  }
  CHECK(std::count(gp_text.begin(), gp_text.end(), '\n') > 20);
  // One range for every map: B reaches 2 beyond phi (the default squared_truncated distance).
  CHECK(gp_text.find("set cbrange [0:2]") != std::string::npos);
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  const std::string first = bytes(fig);
  REQUIRE(run(cmd).first == 0);
  CHECK(bytes(fig) == first);  // byte-identical re-render
  // A photograph of another size is bad input.
  cv::imwrite(ip, cv::Mat(10, 10, CV_8UC3, cv::Scalar(1, 2, 3)));
  CHECK(run(cmd).first == 2);
}
