// [sweep] → variants: names, order, zip, profiles, seeds, parameters and every error.
#include <catch2/catch.hpp>

#include <string>

#include "config/experiment.h"
#include "core/error.h"
#include "support/tiny_experiment.h"

using sodlab::InputError;
using sodlab::OptionValue;
using sodlab::config::load_experiment_text;
using sodlab::config::LoadOptions;

namespace {

std::string base() {
  return sodlab::testing::tiny_experiment("sweep/test", R"({ dataset = "synthetic", n = 8, size = 64 })",
                                          R"({ dataset = "synthetic", n = 4, size = 64, seed = 2 })");
}

sodlab::config::Experiment load(const std::string& extra, const LoadOptions& o = {}) {
  return load_experiment_text(base() + extra, "sweep.toml", o);
}

std::string error_of(const std::string& extra, const LoadOptions& o = {}) {
  try {
    load(extra, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

OptionValue param(const sodlab::config::RunSpec& run, const std::string& key) {
  for (const auto& [k, v] : run.params)
    if (k == key) return v;
  FAIL("no parameter " << key);
  return {};
}

}  // namespace

TEST_CASE("a grid becomes one variant per combination, first key outermost", "[sweep]") {
  const auto ex = load("\n[sweep]\ngrid = { \"loss.theta\" = [5, 9, 13], \"loss.beta2\" = [0.3, 1.0] }\n");
  REQUIRE(ex.is_sweep());
  CHECK(ex.sweep_keys == std::vector<std::string>{"loss.theta", "loss.beta2"});
  CHECK(ex.variant_names == std::vector<std::string>{"theta=5,beta2=0.3", "theta=5,beta2=1.0", "theta=9,beta2=0.3",
                                                     "theta=9,beta2=1.0", "theta=13,beta2=0.3", "theta=13,beta2=1.0"});
  REQUIRE(ex.variants.size() == 6);
  const auto& p = ex.variants[3];  // theta=9,beta2=1.0
  CHECK(std::get<std::int64_t>(param(p, "loss.theta")) == 9);
  CHECK(std::get<double>(param(p, "loss.beta2")) == 1.0);
  CHECK(p.loss.name == "af_fbeta_w");  // the base loss, with the point's options over it
  const auto runs = sodlab::config::expand(ex);
  REQUIRE(runs.size() == 6);
  CHECK(runs[3].config_toml.find("theta = 9") != std::string::npos);
}

TEST_CASE("zip advances lists together, a shared last key component names the full path", "[sweep]") {
  const auto ex = load(
      "\n[sweep]\ngrid = { \"loss.theta\" = [5, 9] }\nzip = { \"data.input_size\" = [64, 96], "
      "\"model.hidden\" = [8, 16] }\nseeds = [0, 1]\n");
  CHECK(ex.variant_names == std::vector<std::string>{"theta=5,input_size=64,hidden=8", "theta=5,input_size=96,hidden=16",
                                                     "theta=9,input_size=64,hidden=8", "theta=9,input_size=96,hidden=16"});
  CHECK(ex.variants[1].data.input_size == 96);
  CHECK(ex.variants[1].train.seeds == std::vector<std::int64_t>{0, 1});
  CHECK(sodlab::config::expand(ex).size() == 8);  // 4 points × 2 seeds

  const auto same = load("\n[sweep]\ngrid = { \"model.seed\" = [1, 2], \"loss.seed\" = [3] }\n");
  CHECK(same.variant_names.front() == "model.seed=1,loss.seed=3");
}

TEST_CASE("hand-written variants are swept each, a profile's grid replaces the file's", "[sweep]") {
  const std::string extra =
      "\n[variants.ce]\nloss = { name = \"cross_entropy\" }\n[variants.af]\nloss = { name = \"af_fbeta_w\" }\n"
      "[sweep]\ngrid = { \"data.input_size\" = [64, 96] }\n"
      "[profiles.small]\nsweep.grid = { \"train.batch_size\" = [2, 4, 8] }\ndata.input_size = 32\n";
  const auto ex = load(extra);
  CHECK(ex.variant_names == std::vector<std::string>{"ce/input_size=64", "ce/input_size=96", "af/input_size=64",
                                                     "af/input_size=96"});
  CHECK(ex.variants[0].loss.name == "cross_entropy");
  CHECK(std::get<std::string>(param(ex.variants[0], "loss.name")) == "cross_entropy");
  LoadOptions small;
  small.profile = "small";
  const auto s = load(extra, small);
  CHECK(s.variant_names == std::vector<std::string>{"ce/batch_size=2", "ce/batch_size=4", "ce/batch_size=8",
                                                    "af/batch_size=2", "af/batch_size=4", "af/batch_size=8"});
  CHECK(s.variants[1].train.batch_size == 4);
  CHECK(s.variants[1].data.input_size == 32);
  // --variant and a profile's variants list name points.
  LoadOptions one;
  one.variants = {"af/input_size=96"};
  CHECK(load(extra, one).variants.size() == 1);
}

TEST_CASE("a parameter records the value the run resolved to, after the profile", "[sweep]") {
  const std::string extra =
      "\n[sweep]\ngrid = { \"data.input_size\" = [64, 96] }\n[profiles.tiny]\ndata.input_size = 32\n";
  LoadOptions tiny;
  tiny.profile = "tiny";
  const auto ex = load(extra, tiny);
  for (const auto& v : ex.variants) CHECK(std::get<std::int64_t>(param(v, "data.input_size")) == 32);
  // Table-valued overlay leaves arrive as TOML text.
  const auto stages = load(
      "\n[variants.long]\ntrain.stages = [{ name = \"a\", epochs = 2 }]\n");
  CHECK(std::get<std::string>(param(stages.variants[0], "train.stages")).find("epochs = 2") != std::string::npos);
}

TEST_CASE("sweep errors name the file, position and key", "[sweep]") {
  CHECK(error_of("\n[sweep]\ngrid = { \"theta\" = [5] }\n").find("sweep.grid.\"theta\": a swept key is a config key path") !=
        std::string::npos);
  CHECK(error_of("\n[sweep]\ngrid = { \"table.title\" = [\"a\"] }\n").find("under data, model, loss, train, eval") !=
        std::string::npos);
  CHECK(error_of("\n[sweep]\ngrid = { \"loss.theta\" = [] }\n").find("non-empty array") != std::string::npos);
  CHECK(error_of("\n[sweep]\ngrid = { \"loss.theta\" = 5 }\n").find("non-empty array") != std::string::npos);
  CHECK(error_of("\n[sweep]\ngrid = { \"loss.theta\" = [5, 5] }\n").find("value 5 is listed twice") != std::string::npos);
  CHECK(error_of("\n[sweep]\nzip = { \"loss.theta\" = [5, 9], \"loss.phi\" = [1.0] }\n").find("one length") !=
        std::string::npos);
  CHECK(error_of("\n[sweep]\ngrid = { \"loss.theta\" = [5] }\nzip = { \"loss.theta\" = [9] }\n").find("also in sweep.grid") !=
        std::string::npos);
  CHECK(error_of("\n[sweep]\ngird = { \"loss.theta\" = [5] }\n").find("sweep.gird: unknown key") != std::string::npos);
  CHECK(error_of("\n[sweep]\nseeds = [1, 1]\n").find("listed twice") != std::string::npos);
  CHECK(error_of("\n[profiles.small]\nsweep.grid = { \"loss.theta\" = [5] }\n").find("no [sweep] section") !=
        std::string::npos);
  const std::string at = error_of("\n[sweep]\ngrid = { \"loss.theta\" = [5, 5] }\n");
  CHECK(at.rfind("sweep.toml:", 0) == 0);  // file:line:column first
  // A point's option is validated like any option (here by the loss registry, later: the value
  // type reaches the canonical config unchanged).
  CHECK(error_of("\n[sweep]\ngrid = { \"data.input_size\" = [\"big\"] }\n").find("data.input_size") != std::string::npos);
}
