#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>

#include <toml++/toml.h>

#include "config/experiment.h"
#include "core/error.h"
#include "support/shared_data.h"

using namespace sodlab;
using namespace sodlab::config;

namespace {

// Line numbers matter: tests below point at them.
const std::string kExperiment = R"([experiment]
name = "kolkin2017/table4"
reproduces = "Kolkin et al. 2017, Table 4"

[data]
train = { dataset = "msra-b", split = "train" }
test = [{ dataset = "msra-b", split = "test" }, { dataset = "ecssd" }]
input_size = 224
distortions = [{ kind = "none" }, { kind = "awgn", level = 12.75 }, { kind = "jpeg", level = 50 }]

[model]
name = "szn"
backbone_weights = "vgg16"

[loss]
name = "cross_entropy"
fg_weight = 2.0

[[train.stages]]
epochs = 8
lr = 3e-4
frozen = ["backbone"]

[[train.stages]]
epochs = 4
lr = 1e-4
optimizer = "sgd"
schedule = "multistep"
milestones = [2, 3]

[train]
seeds = [1, 2]

[variants.proposed]
loss = { name = "af_fbeta_w", beta2 = 1.0, theta = 9, phi = 5 }
[variants.no_A]
loss = { name = "af_fbeta_w", use_A = false }
[variants.ce_fg2]
loss.fg_weight = 3.0

[profiles.smoke]
data.train = { dataset = "synthetic", n = 48, size = 64 }
data.test = [{ dataset = "synthetic", n = 16, size = 64, seed = 7 }]
data.input_size = 64
train.stages = [{ epochs = 1, lr = 1e-3 }]
table.datasets = { msra-b = "synthetic" }

[profiles.small]
data.folds = 3
train.seeds = [5]

[table]
title = "Table 4"
columns = [{ dataset = "msra-b", metric = "auroc", label = "AUROC" },
           { dataset = "msra-b", metric = "fbeta_w", label = "F_1^w" }]
[[table.rows]]
variant = "proposed"
label = "Proposed"
published = [0.988, 0.856]
[[table.rows]]
label = "Baseline [8]"
published = [0.97, "-"]
)";

std::string with_line(const std::string& text, int line, const std::string& replacement) {
  std::string out;
  int n = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += (n == line ? replacement : text.substr(start, end - start));
    if (end < text.size()) out += "\n";
    start = end + 1;
    ++n;
  }
  return out;
}

std::string error_of(const std::string& text, const LoadOptions& o = {}) {
  try {
    load_experiment_text(text, "exp.toml", o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("experiment loads into typed structs with defaults") {
  const Experiment ex = load_experiment_text(kExperiment, "exp.toml");
  REQUIRE(ex.info.name == "kolkin2017/table4");
  REQUIRE(ex.variant_names == std::vector<std::string>{"proposed", "no_A", "ce_fg2"});
  REQUIRE(ex.profile_names == std::vector<std::string>{"smoke", "small"});
  const RunSpec& p = ex.variants[0];
  CHECK(p.data.data_root == "../shared/data");
  CHECK(p.data.train.dataset == "msra-b");
  CHECK(p.data.train.split == "train");
  REQUIRE(p.data.test.size() == 2);
  CHECK(p.data.test[1].dataset == "ecssd");
  CHECK(p.data.test[1].split == "");
  CHECK(p.data.batch_size == 8);
  CHECK(p.data.folds == 0);
  CHECK(p.data.augmentation.name == "none");
  REQUIRE(p.data.distortions.size() == 3);
  CHECK(p.data.distortions[0].kind == "none");
  CHECK(p.data.distortions[1].kind == "awgn");
  CHECK(p.data.distortions[1].level == 12.75);  // σ on the 0-255 scale
  CHECK(p.data.distortions[2].level == 50);
  CHECK(p.model.name == "szn");
  CHECK(std::get<std::string>(p.model.options.given().at("backbone_weights")) == "vgg16");
  // Variant replaces the loss wholesale (different name): fg_weight of the base is gone.
  CHECK(p.loss.name == "af_fbeta_w");
  CHECK(p.loss.options.given().size() == 3);
  CHECK(std::get<std::int64_t>(p.loss.options.given().at("theta")) == 9);
  CHECK(p.loss.options.context() == "loss 'af_fbeta_w'");
  // Same name: deep-merged.
  const RunSpec& ce = ex.variants[2];
  CHECK(ce.loss.name == "cross_entropy");
  CHECK(std::get<double>(ce.loss.options.given().at("fg_weight")) == 3.0);
  REQUIRE(p.train.stages.size() == 2);
  CHECK(p.train.stages[0].name == "stage1");
  CHECK(p.train.stages[0].epochs == 8);
  CHECK(p.train.stages[0].lr == Approx(3e-4));
  CHECK(p.train.stages[0].optimizer == "adam");
  CHECK(p.train.stages[0].betas[1] == Approx(0.999));
  CHECK(p.train.stages[0].frozen == std::vector<std::string>{"backbone"});
  CHECK(p.train.stages[1].optimizer == "sgd");
  CHECK(p.train.stages[1].momentum == Approx(0.9));
  CHECK(p.train.stages[1].milestones == std::vector<std::int64_t>{2, 3});
  CHECK(p.train.stages[1].milestone_unit == "epoch");
  CHECK(!p.train.stages[1].nesterov);
  CHECK(p.train.stages[0].eps == 1e-8);
  CHECK(p.train.seeds == std::vector<std::int64_t>{1, 2});
  CHECK(p.eval.convention == "pysodmetrics");
  CHECK(p.eval.metrics == std::vector<std::string>{"all"});  // names: checked by pipeline::plan
  // Table.
  REQUIRE(ex.table.columns.size() == 2);
  CHECK(ex.table.columns[0].convention == "pysodmetrics");
  CHECK(ex.table.columns[1].label == "F_1^w");
  REQUIRE(ex.table.rows.size() == 2);
  CHECK(ex.table.rows[0].variant == "proposed");
  CHECK(*ex.table.rows[0].published[1] == Approx(0.856));
  CHECK(ex.table.rows[1].variant.empty());
  CHECK(!ex.table.rows[1].published[1]);
  CHECK(ex.table.store_dataset(ex.table.columns[0]) == "msra-b");
}

TEST_CASE("profiles overlay the base, the run records the profile") {
  LoadOptions o;
  o.profile = "smoke";
  const Experiment ex = load_experiment_text(kExperiment, "exp.toml", o);
  const RunSpec& p = ex.variants[0];
  CHECK(p.profile == "smoke");
  CHECK(p.data.train.dataset == "synthetic");
  CHECK(p.data.train.split == "");  // identity changed → replaced, not merged
  CHECK(std::get<std::int64_t>(p.data.train.options.given().at("n")) == 48);
  REQUIRE(p.data.test.size() == 1);  // arrays replace
  CHECK(p.data.input_size == 64);
  REQUIRE(p.train.stages.size() == 1);
  CHECK(p.train.stages[0].epochs == 1);
  CHECK(p.loss.name == "af_fbeta_w");  // the variant still applies
  CHECK(ex.table.store_dataset(ex.table.columns[0]) == "synthetic");
  CHECK(error_of(kExperiment, LoadOptions{"smok", {}, {}}).find("did you mean 'smoke'") !=
        std::string::npos);
}

TEST_CASE("overrides with --set: TOML values, bare strings, applied after profiles") {
  LoadOptions o;
  o.profile = "smoke";
  o.sets = {"data.input_size=96", "model.name=menet", "train.seeds=[3,4,5]",
            "loss.use_A=true", "data.data_root = \"/data\""};
  const Experiment ex = load_experiment_text(kExperiment, "exp.toml", o);
  const RunSpec& p = ex.variants[1];  // no_A
  CHECK(p.data.input_size == 96);
  CHECK(p.model.name == "menet");
  CHECK(p.model.options.given().empty());  // name changed → replaced
  CHECK(p.train.seeds == std::vector<std::int64_t>{3, 4, 5});
  CHECK(std::get<bool>(p.loss.options.given().at("use_A")) == true);
  CHECK(p.data.data_root == "/data");
  // An unknown key given by --set names --set as its source.
  const std::string e = error_of(kExperiment, LoadOptions{"", {"data.input_sise=3"}, {}});
  CHECK(e.find("--set:1:6: data.input_sise: unknown key (did you mean 'data.input_size'?)") !=
        std::string::npos);
  CHECK(error_of(kExperiment, LoadOptions{"", {"noequals"}, {}}).find("expected key.path=value") !=
        std::string::npos);
}

TEST_CASE("SODLAB_DATA_ROOT overrides the file, --set overrides the environment") {
  ::setenv("SODLAB_DATA_ROOT", "/env/data", 1);
  CHECK(load_experiment_text(kExperiment, "exp.toml").variants[0].data.data_root == "/env/data");
  CHECK(load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {"data.data_root='/x'"}, {}})
            .variants[0]
            .data.data_root == "/x");
  ::unsetenv("SODLAB_DATA_ROOT");
}

TEST_CASE("unknown keys are errors with line:column and the closest key") {
  // Line 8 is "input_size = 224" in [data].
  CHECK(error_of(with_line(kExperiment, 8, "imput_size = 224")) ==
        "exp.toml:8:1: data.imput_size: unknown key (did you mean 'data.input_size'?); known keys "
        "here: augmentation, augmentation_pool, batch_size, data_root, distortions, fold_list, folds, input_size, "
        "test, train, validation, workers");
  // In a stage (line 21 is "frozen = ...").
  CHECK(error_of(with_line(kExperiment, 22, "frozn = [\"backbone\"]"))
            .rfind("exp.toml:22:1: train.stages[0].frozn: unknown key (did you mean "
                   "'train.stages[0].frozen'?)",
                   0) == 0);
  // A top-level section.
  CHECK(error_of(kExperiment + "[evall]\nmetrics = []\n").find("evall: unknown key (did you mean 'eval'?)") !=
        std::string::npos);
  // Inside a variant overlay: position from the variant's line.
  CHECK(error_of(with_line(kExperiment, 35, "los = { name = \"x\" }"))
            .rfind("exp.toml:35:1: variants.proposed.los: unknown key (did you mean "
                   "'variants.proposed.loss'?)",
                   0) == 0);
  // Inside a profile, the position is that of the profile line even after merging.
  CHECK(error_of(with_line(kExperiment, 44, "data.inputsize = 64"), LoadOptions{"smoke", {}, {}})
            .rfind("exp.toml:44:6: data.inputsize: unknown key (did you mean 'data.input_size'?)", 0) ==
        0);
  // Table column.
  CHECK(error_of(with_line(kExperiment, 54, "columns = [{ dataset = \"msra-b\", metrik = \"auroc\" },"))
            .find("table.columns[0]") != std::string::npos);
  // A profile that is not selected is validated all the same.
  CHECK(error_of(with_line(kExperiment, 44, "data.inputsize = 64"))
            .rfind("exp.toml:44:6: data.inputsize: unknown key (did you mean 'data.input_size'?)", 0) ==
        0);
  // Values that slip through otherwise: an infinite learning rate, a line break inside --set.
  CHECK(error_of(with_line(kExperiment, 21, "lr = inf")).find("inf is out of range") != std::string::npos);
  CHECK(error_of(kExperiment, LoadOptions{"", {"train.seeds=[1]\nexperiment.name=\"x\""}, {}})
            .find("contains a line break") != std::string::npos);
}

TEST_CASE("wrong types and out-of-range values are errors with line:column") {
  CHECK(error_of(with_line(kExperiment, 8, "input_size = \"224\"")) ==
        "exp.toml:8:14: data.input_size: expected an integer, got string");
  CHECK(error_of(with_line(kExperiment, 8, "input_size = 0")) ==
        "exp.toml:8:14: data.input_size: 0 is out of range (must be in [8, 8192])");
  CHECK(error_of(with_line(kExperiment, 21, "lr = -1.0")) ==
        "exp.toml:21:6: train.stages[0].lr: -1 is out of range (must be > 0)");
  CHECK(error_of(with_line(kExperiment, 27, "optimizer = \"sgdd\"")) ==
        "exp.toml:27:13: train.stages[1].optimizer: 'sgdd' is not one of 'adam', 'sgd' (did you "
        "mean 'sgd'?)");
  CHECK(error_of(with_line(kExperiment, 29, "milestones = [2, 9]")) ==
        "exp.toml:29:18: train.stages[1].milestones[1]: 9 is out of range (must be >= 1 and <= 4)");
  CHECK(error_of(with_line(kExperiment, 9, "distortions = [{ kind = \"jpeg\", level = 101 }]"))
            .rfind("exp.toml:9:41: data.distortions[0].level: 101 is out of range", 0) == 0);
  CHECK(error_of(with_line(kExperiment, 13, "backbone_weights = [1, 2]")) ==
        "exp.toml:13:20: model.backbone_weights: expected a boolean, integer, float or string "
        "option, got array");
  CHECK(error_of(with_line(kExperiment, 2, "name = 3")) ==
        "exp.toml:2:8: experiment.name: expected a string, got integer");
  CHECK(error_of(with_line(kExperiment, 6, "")).rfind("exp.toml:5:1: data.train: required key is missing",
                                                       0) == 0);
  CHECK(error_of(with_line(kExperiment, 59, "published = [0.988]"))
            .find("has 1 values but the table has 2 columns") != std::string::npos);
  CHECK(error_of(with_line(kExperiment, 57, "variant = \"proposd\""))
            .find("did you mean 'proposed'") != std::string::npos);
  CHECK(error_of("[experiment\nname=1").rfind("exp.toml:1:12: TOML syntax error", 0) == 0);
  CHECK(error_of(kExperiment + "\n[eval]\nmetrics = []\n").find("eval.metrics: needs at least one") !=
        std::string::npos);
  // Duplicate stage names would overwrite each other's epoch rows; duplicate seeds are one run.
  CHECK(error_of(with_line(kExperiment, 25, "name = \"stage1\"\nepochs = 4"))
            .find("duplicate stage name 'stage1'") != std::string::npos);
  CHECK(error_of(with_line(kExperiment, 32, "seeds = [1, 1]")).find("seed 1 is listed twice") !=
        std::string::npos);
  CHECK(error_of(kExperiment + "\n[variants.x]\ndata.augmentation = 3\n")
            .find("data.augmentation: expected a name") != std::string::npos);
  CHECK(error_of(kExperiment + "\n[eval]\nconvention = 3\n").find("eval.convention: expected a string") !=
        std::string::npos);  // the name itself is checked by pipeline::plan (metrics registry)
}

TEST_CASE("variants x seeds x folds expansion") {
  {
    const auto runs = expand(load_experiment_text(kExperiment, "exp.toml"));
    REQUIRE(runs.size() == 3 * 2);
    CHECK(runs[0].variant == "proposed");
    CHECK(runs[0].seed == 1);
    CHECK(runs[1].seed == 2);
    CHECK(runs[0].fold == -1);
    CHECK(runs[5].variant == "ce_fg2");
    CHECK(runs[1].train.seeds == std::vector<std::int64_t>{2});
  }
  {
    LoadOptions o{"small", {"train.seeds=[1,2]"}, {"no_A", "proposed"}};
    const auto runs = expand(load_experiment_text(kExperiment, "exp.toml", o));
    REQUIRE(runs.size() == 2 * 3 * 2);
    std::set<std::tuple<std::string, int, std::int64_t>> seen;
    for (const auto& r : runs) {
      CHECK(r.profile == "small");
      CHECK(r.data.fold_list == std::vector<int>{r.fold});
      seen.insert({r.variant, r.fold, r.seed});
    }
    CHECK(seen.size() == runs.size());
    CHECK(runs.front().variant == "proposed");  // file order, not selection order
    CHECK(runs[2].fold == 1);
  }
  {
    LoadOptions o{"small", {"data.fold_list=[2]"}, {"proposed"}};
    const auto runs = expand(load_experiment_text(kExperiment, "exp.toml", o));
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].fold == 2);
    CHECK(error_of(kExperiment, LoadOptions{"small", {"data.fold_list=[3]"}, {}})
              .find("data.fold_list[0]: 3 is out of range") != std::string::npos);
  }
  CHECK(error_of(kExperiment, LoadOptions{"", {}, {"no_a"}}).find("did you mean 'no_A'") !=
        std::string::npos);
}

TEST_CASE("canonical config is deterministic and complete") {
  const auto a = expand(load_experiment_text(kExperiment, "exp.toml"));
  // Same content written differently (key order, inline vs dotted) → same canonical text.
  std::string reordered = kExperiment;
  reordered = with_line(reordered, 12, "backbone_weights = \"vgg16\"");
  reordered = with_line(reordered, 13, "name = \"szn\"");
  const auto b = expand(load_experiment_text(reordered, "other.toml"));
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].config_toml == b[i].config_toml);
  const std::string& c = a[0].config_toml;
  CHECK(c.find("[run]") != std::string::npos);
  CHECK(c.find("variant = \"proposed\"") != std::string::npos);
  CHECK(c.find("convention = \"pysodmetrics\"") != std::string::npos);  // defaults filled
  CHECK(c.find("theta = 9") != std::string::npos);
  CHECK(c.find("[variants") == std::string::npos);
  // The canonical text is itself a valid experiment-shaped TOML document.
  CHECK_NOTHROW(toml::parse(c));
}

TEST_CASE("run_id: same config → same id, any change → new id") {
  const auto runs = expand(load_experiment_text(kExperiment, "exp.toml"));
  const std::string id = run_id(runs[0], "v1", "m1", 1);
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(run_id(expand(load_experiment_text(kExperiment, "exp.toml"))[0], "v1", "m1", 1) == id);
  CHECK(run_id(runs[0], "v2", "m1", 1) != id);
  CHECK(run_id(runs[0], "v1", "m2", 1) != id);
  CHECK(run_id(runs[1], "v1", "m1", 1) != id);  // other seed
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(run_id(r, "v1", "m1", 1));
  CHECK(ids.size() == runs.size());
  const auto lr = expand(load_experiment_text(with_line(kExperiment, 21, "lr = 2e-4"), "exp.toml"));
  CHECK(run_id(lr[0], "v1", "m1", 1) != id);
  const auto th = expand(load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {"loss.theta=8"}, {}}));
  CHECK(run_id(th[0], "v1", "m1", 1) != id);
  // Where the data lives is not part of the identity.
  const auto root = expand(load_experiment_text(kExperiment, "exp.toml",
                                                LoadOptions{"", {"data.data_root='/elsewhere'"}, {}}));
  CHECK(root[0].config_toml != runs[0].config_toml);
  CHECK(run_id(root[0], "v1", "m1", 1) == id);
  // Results differ across thread counts: so do the ids.
  CHECK(run_id(runs[0], "v1", "m1", 2) != id);
  // The experiment's name and the variant's name are not what a run is: a copy of the file
  // under another name, asking for the same thing, plans the same run.
  std::string renamed = kExperiment;
  renamed.replace(renamed.find("kolkin2017/table4"), 17, "kolkin2017/table1");
  const auto other = expand(load_experiment_text(renamed, "other.toml"));
  CHECK(other[0].config_toml != runs[0].config_toml);
  CHECK(run_id(other[0], "v1", "m1", 1) == id);
}

TEST_CASE("experiment names resolve under SODLAB_EXPERIMENTS_DIR") {
  sodlab::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "kolkin2017");
  std::ofstream(dir.path() / "kolkin2017" / "table4.toml") << kExperiment;
  ::setenv("SODLAB_EXPERIMENTS_DIR", dir.path().c_str(), 1);
  const std::string p = resolve_experiment_path("kolkin2017/table4");
  CHECK(p == (dir.path() / "kolkin2017" / "table4.toml").string());
  CHECK(load_experiment(p).info.name == "kolkin2017/table4");
  CHECK_THROWS_AS(resolve_experiment_path("kolkin2017/table9"), InputError);
  ::unsetenv("SODLAB_EXPERIMENTS_DIR");
  CHECK_THROWS_AS(load_experiment((dir.path() / "missing.toml").string()), InputError);
}

// Found by fuzz/fuzz_experiment: a --set value that is neither TOML nor a plain string (a control
// character, invalid UTF-8) escaped as toml::parse_error instead of InputError.
TEST_CASE("set overrides with control characters or invalid UTF-8 are InputErrors") {
  for (const std::string bad : {std::string("model.name=sz\x01n"), std::string("model.name=\xff\xfe"),
                                std::string("experiment.description=a\x7f")}) {
    INFO(bad);
    std::string e;
    CHECK_NOTHROW(e = error_of(kExperiment, LoadOptions{"", {bad}, {}}));
    CHECK(e.rfind("--set '" + bad + "': value is neither TOML nor a plain string", 0) == 0);
  }
}

TEST_CASE("data.validation: a fraction or a dataset, in the canonical config, bad values named") {
  auto with = [&](const std::string& v) {
    return load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {"data.validation=" + v}, {}});
  };
  const auto frac = with("0.1");
  CHECK(frac.variants[0].data.validation_fraction == 0.1);
  const auto runs = expand(frac);
  CHECK(runs[0].config_toml.find("validation = 0.1") != std::string::npos);
  const auto set = with("{ dataset = \"synthetic\", n = 4, size = 32 }");
  CHECK(set.variants[0].data.validation.dataset == "synthetic");
  const auto none = load_experiment_text(kExperiment, "exp.toml");
  CHECK(expand(none)[0].config_toml.find("validation") == std::string::npos);
  CHECK(error_of(kExperiment, LoadOptions{"", {"data.validation=0.7"}, {}}).find("data.validation: a fraction") !=
        std::string::npos);
  CHECK(error_of(kExperiment, LoadOptions{"", {"data.validation=\"val\""}, {}}).find("expected the fraction") !=
        std::string::npos);
}

// One overlay chain for all three kinds of file (issue 24 §2): file → profile → environment →
// --set, so an explicit --set always wins over SODLAB_DATA_ROOT.
TEST_CASE("an explicit --set wins over SODLAB_DATA_ROOT, which wins over the file, for every kind of experiment file") {
  sodlab::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "kolkin2017");
  std::ofstream(dir.path() / "kolkin2017" / "table4.toml") << kExperiment;
  ::setenv("SODLAB_EXPERIMENTS_DIR", dir.path().c_str(), 1);
  ::setenv("SODLAB_DATA_ROOT", "/env/data", 1);
  const std::string study = "[experiment]\nname = \"tests/study\"\n[study]\nkind = \"loss_timing\"\n"
                            "data_root = \"/file/data\"\n";
  const std::string eval_only = "[experiment]\nname = \"tests/eval\"\n[eval]\nruns_of = \"kolkin2017/table4\"\n"
                                "[data]\ndata_root = \"/file/data\"\n";
  // Ordinary.
  CHECK(load_experiment_text(kExperiment, "exp.toml").variants[0].data.data_root == "/env/data");
  CHECK(load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {"data.data_root='/set'"}, {}})
            .variants[0].data.data_root == "/set");
  // Study.
  CHECK(load_experiment_text(study, "study.toml").study->data_root == "/env/data");
  CHECK(load_experiment_text(study, "study.toml", LoadOptions{"", {"study.data_root='/set'"}, {}})
            .study->data_root == "/set");
  // Eval-only.
  CHECK(load_experiment_text(eval_only, "eval.toml").variants[0].data.data_root == "/env/data");
  CHECK(load_experiment_text(eval_only, "eval.toml", LoadOptions{"", {"data.data_root='/set'"}, {}})
            .variants[0].data.data_root == "/set");
  ::unsetenv("SODLAB_DATA_ROOT");
  CHECK(load_experiment_text(study, "study.toml").study->data_root == "/file/data");
  CHECK(load_experiment_text(eval_only, "eval.toml").variants[0].data.data_root == "/file/data");
  ::unsetenv("SODLAB_EXPERIMENTS_DIR");
}

// data.workers: loader threads, which do not change a batch (tests/data/test_loader.cpp "loader
// batches are identical for any worker count"), so one run whatever it is, and an eval-only file
// may set it: both read config::detail::evaluation_only_data_keys().
TEST_CASE("data.workers is not part of the run identity, like every evaluation-only data key") {
  const auto runs = expand(load_experiment_text(kExperiment, "exp.toml"));
  const std::string id = run_id(runs[0], "v1", "m1", 1);
  for (const std::string set : {"data.workers=3", "data.batch_size=7", "data.data_root='/x'",
                                "data.test=[{dataset='ecssd'}]"}) {
    INFO(set);
    const auto other = expand(load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {set}, {}}));
    CHECK(other[0].config_toml != runs[0].config_toml);  // recorded in the run's config
    CHECK(run_id(other[0], "v1", "m1", 1) == id);        // not what was trained
  }
  const auto trained = expand(load_experiment_text(kExperiment, "exp.toml", LoadOptions{"", {"data.input_size=128"}, {}}));
  CHECK(run_id(trained[0], "v1", "m1", 1) != id);
}
