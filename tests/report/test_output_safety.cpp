// An output never replaces what sodlab did not write there (issue 23 §1, §3): `report --out-dir`
// replaces only a report folder, the store / its side files / inputs are never an output path, a
// figure name stays in its folder, and a full disk is an error with nothing half-written.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"
#include "support/tiny_experiment.h"
#include "support/tmpfs.h"

namespace fs = std::filesystem;
using sodlab::testing::read_file;
using sodlab::testing::run_sodlab;
using sodlab::testing::TempDir;

namespace {

// A results home as `sodlab run` leaves it: the store (one completed run), a checkpoint, a cache
// entry; an experiment file; a synthetic set of masks to evaluate.
struct Home {
  TempDir tmp;
  fs::path dir = tmp.path(), results = dir / "results", db = results / "results.db";
  fs::path checkpoint = results / "runs" / "0123456789abcdef" / "checkpoint.pt";
  fs::path cache_entry = results / "cache" / "predictions" / "01" / "0123.h5";
  fs::path experiment = dir / "tiny.toml", synth = dir / "synth";

  Home() {
    {
      sodlab::store::ResultsStore s(db.string());
      sodlab::store::RunRecord r;
      r.run_id = "0123456789abcdef";
      r.experiment = "tests/safety";
      r.variant = "default";
      r.profile = "smoke";
      r.config_toml = "[run]\n";
      s.begin_run(r);
      s.add_results({{r.run_id, "synthetic", "none", "mae", "pysodmetrics", 0.25}});
      s.set_status(r.run_id, sodlab::store::kStatusCompleted);
    }
    fs::create_directories(checkpoint.parent_path());
    fs::create_directories(cache_entry.parent_path());
    std::ofstream(checkpoint) << "weights";
    std::ofstream(cache_entry) << "maps";
    std::ofstream(experiment) << sodlab::testing::tiny_experiment(
        "tests/safety", R"({ dataset = "synthetic", n = 8, size = 64 })", R"({ dataset = "synthetic", n = 4, size = 64 })");
    fs::create_directories(dir / "no-sweeps");
  }
  // Everything a slip must not destroy, as one string.
  std::string recorded() const { return read_file(db) + "|" + read_file(checkpoint) + "|" + read_file(cache_entry); }
  std::vector<std::string> report(const fs::path& out) const {
    return {"report", "--db", db.string(), "--experiment", experiment.string(), "--ablations-dir",
            (dir / "no-sweeps").string(), "--out-dir", out.string()};
  }
  // Runs sodlab with its output in logs/<log> (never beside the paths under test).
  int sodlab(const std::vector<std::string>& args, const std::string& log) const {
    fs::create_directories(dir / "logs");
    return run_sodlab(args, dir / "logs" / log);
  }
  std::string log(const std::string& name) const { return read_file(dir / "logs" / name); }
};

}  // namespace

TEST_CASE("report --out-dir replaces only a report folder sodlab wrote", "[report][safety]") {
  Home h;
  const std::string recorded = h.recorded();
  // The folder holding the store, checkpoints and caches (the slip that used to delete them all).
  CHECK(h.sodlab(h.report(h.results), "results") == 2);
  CHECK(h.log("results").find("results.db") != std::string::npos);
  CHECK(h.recorded() == recorded);
  // The store file itself, a checkpoint folder, a folder of the user's.
  CHECK(h.sodlab(h.report(h.db), "db") == 2);
  CHECK(h.sodlab(h.report(h.checkpoint.parent_path()), "runs") == 2);
  fs::create_directories(h.dir / "notes");
  std::ofstream(h.dir / "notes" / "todo.txt") << "keep me";
  CHECK(h.sodlab(h.report(h.dir / "notes"), "notes") == 2);
  CHECK(h.log("notes").find("is not a report sodlab wrote") != std::string::npos);
  CHECK(read_file(h.dir / "notes" / "todo.txt") == "keep me");
  CHECK(h.recorded() == recorded);
  // Its own report: written (trailing slash accepted), then replaced whole.
  const fs::path site = h.dir / "site";
  REQUIRE(h.sodlab(h.report(site.string() + "/"), "site1") == 0);
  CHECK(fs::exists(site / ".sodlab-report"));
  CHECK(fs::exists(site / "index.html"));
  std::ofstream(site / "stale.html") << "from an older report";
  // A staging folder left by a killed report (its process is gone) is cleaned up.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const fs::path dead_staging = h.dir / (".site.staging-" + std::to_string(child));
  fs::create_directories(dead_staging / "figures");
  REQUIRE(h.sodlab(h.report(site), "site2") == 0);
  CHECK(fs::exists(site / "index.html"));
  CHECK_FALSE(fs::exists(site / "stale.html"));
  CHECK_FALSE(fs::exists(dead_staging));
  for (const auto& e : fs::directory_iterator(h.dir))
    CHECK(e.path().filename().string().find(".staging-") == std::string::npos);
  // A report folder that holds the store is still not replaced.
  std::ofstream(site / "results.db") << read_file(h.db);
  CHECK(h.sodlab({"report", "--db", (site / "results.db").string(), "--experiment", h.experiment.string(),
                  "--ablations-dir", (h.dir / "no-sweeps").string(), "--out-dir", site.string()},
                 "site3") == 2);
  CHECK(h.log("site3").find("refusing to replace this folder") != std::string::npos);
  CHECK(h.recorded() == recorded);
}

TEST_CASE("table, eval, plot and loss never write over the store, its side files or their inputs", "[report][safety]") {
  Home h;
  const std::string recorded = h.recorded();
  const std::string db = h.db.string();
  for (const std::string out : {db, db + "-wal", db + "-shm"}) {
    INFO(out);
    CHECK(h.sodlab({"table", h.experiment.string(), "--db", db, "--out", out}, "table") == 2);
    CHECK(h.log("table").find("refusing to write over") != std::string::npos);
  }
  CHECK(h.recorded() == recorded);
  CHECK_FALSE(fs::exists(db + "-wal.tmp"));

  REQUIRE(h.sodlab({"data", "synth", "--out", h.synth.string(), "--n", "2", "--size", "32"}, "synth") == 0);
  const fs::path masks = h.synth / "masks", mask = *fs::directory_iterator(masks);
  const std::string mask_bytes = read_file(mask);
  const std::vector<std::string> eval{"eval", "--pred", masks.string(), "--gt", masks.string()};
  auto with = [&](std::vector<std::string> args, std::vector<std::string> more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  CHECK(h.sodlab(with(eval, {"--json", mask.string()}), "json_input") == 2);  // an input, by path
  const fs::path link = h.dir / "hardlink.png";
  fs::create_hard_link(mask, link);
  CHECK(h.sodlab(with(eval, {"--per-image", link.string()}), "json_link") == 2);  // an input, same inode
  CHECK(h.log("json_link").find("refusing to write over") != std::string::npos);
  CHECK(h.sodlab(with(eval, {"--curves", (masks / "new.csv").string()}), "inside_input") == 2);
  CHECK(h.sodlab(with(eval, {"--db", db, "--json", db}), "json_db") == 2);
  CHECK(read_file(mask) == mask_bytes);
  CHECK(h.sodlab({"plot", h.experiment.string(), "--db", db, "--name", "../../x"}, "plot_name") == 2);
  CHECK(h.log("plot_name").find("plain file name") != std::string::npos);
  CHECK(h.sodlab({"loss", "--name", "cross_entropy", "--pred", mask.string(), "--gt", mask.string(), "--figure",
                  mask.string()},
                 "loss_figure") == 2);
  CHECK(read_file(mask) == mask_bytes);
}

TEST_CASE("eval --json / --table on a full disk: exit 1, the cause named, nothing half-written", "[report][safety]") {
  Home h;
  sodlab::testing::Tmpfs disk(h.dir / "disk", "16k");
  if (!disk.mounted()) SODLAB_SKIP("cannot mount a tmpfs here (" + disk.why_not() + "); needs root");
  REQUIRE(h.sodlab({"data", "synth", "--out", h.synth.string(), "--n", "2", "--size", "32"}, "synth") == 0);
  const fs::path json = disk.path() / "results.json";
  std::ofstream(json) << "{\"earlier\": true}\n";
  {  // fill the disk
    std::ofstream fill(disk.path() / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    for (int i = 0; i < 64 && fill; ++i) fill << block << std::flush;
  }
  const fs::path masks = h.synth / "masks";
  CHECK(h.sodlab({"eval", "--pred", masks.string(), "--gt", masks.string(), "--json", json.string()}, "full") == 1);
  const std::string log = h.log("full");
  INFO(log);
  CHECK(log.find("No space left on device") != std::string::npos);
  CHECK(log.find(json.string()) != std::string::npos);
  CHECK(log.find("wrote " + json.string()) == std::string::npos);
  CHECK(read_file(json) == "{\"earlier\": true}\n");  // the earlier file, whole
  for (const auto& e : fs::directory_iterator(disk.path()))
    CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
  const fs::path table = disk.path() / "table.md";
  CHECK(h.sodlab({"eval", "--pred", "m=" + masks.string(), "--gt", "d=" + masks.string(), "--table", table.string()},
                 "full_table") == 1);
  CHECK_FALSE(fs::exists(table));
}
