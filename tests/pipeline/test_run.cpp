// End to end: `sodlab run` on the smoke profile of Kolkin Table 4 writes the expected rows; a run
// killed with SIGKILL mid-training resumes and ends with the metrics of an uninterrupted run; two
// processes writing one database lose nothing; bad data stops with exit 2 and a consistent store.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/query.h"
#include "store/results_store.h"
#include "support/shared_data.h"
#include "support/sodlab_process.h"

namespace fs = std::filesystem;
using sodlab::testing::sodlab_binary;
using sodlab::testing::TempDir;
using sodlab::testing::count;
using sodlab::testing::read_file;
using sodlab::testing::run_sodlab;
using sodlab::testing::spawn_sodlab;

namespace {

const fs::path kTable4 = fs::path(SODLAB_SOURCE_DIR) / "experiments/kolkin2017/table4.toml";

// metric → value of every completed run's dataset results, keyed "variant/metric".
std::map<std::string, double> results_by_variant(const fs::path& db) {
  auto r = sodlab::store::query_readonly(
      db.string(),
      "SELECT runs.variant || '/' || results.metric, results.value FROM results JOIN runs USING "
      "(run_id) WHERE runs.status = 'completed'");
  std::map<std::string, double> out;
  for (const auto& row : r.rows)
    if (std::holds_alternative<double>(row[1]))
      out[std::get<std::string>(row[0])] = std::get<double>(row[1]);
  return out;
}

std::vector<std::string> smoke_args(const fs::path& dir, const std::string& variant) {
  return {"run", kTable4.string(), "--profile", "smoke", "--variant", variant,
          "--db", (dir / "results.db").string(), "--runs-dir", (dir / "runs").string(),
          "--threads", "1"};
}

// Sends `sig` to `pid` as soon as `db` holds `epochs` epoch rows; waits for the process to end.
// Returns whether the signal was sent, and the wait status.
std::pair<bool, int> signal_after_epochs(pid_t pid, const fs::path& db, int epochs, int sig) {
  bool sent = false;
  for (int i = 0; i < 3000 && !sent; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::error_code ec;
    if (!fs::exists(db, ec)) continue;
    try {
      if (count(db, "SELECT count(*) FROM epochs") >= epochs) {
        kill(pid, sig);
        sent = true;
      }
    } catch (...) {  // the database may still be being created
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {sent, status};
}

}  // namespace

TEST_CASE("smoke run records runs, epochs, results, curves and timings", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  auto args = smoke_args(dir.path(), "proposed");
  args.insert(args.end(), {"--set", "eval.save_predictions=true", "--cache-dir",
                           (dir.path() / "cache").string()});
  REQUIRE(run_sodlab(args, dir.path() / "log") == 0);
  INFO(read_file(dir.path() / "log"));
  CHECK(count(db, "SELECT count(*) FROM artifacts WHERE kind = 'predictions:synthetic:none'") == 1);
  std::size_t cached = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "cache" / "predictions"))
    cached += e.path().extension() == ".h5";
  CHECK(cached == 8);  // one 8-bit map per test image
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 1);
  CHECK(count(db, "SELECT count(*) FROM epochs") == 7);  // 2 + 1 + 4 epochs over three stages
  CHECK(count(db, "SELECT count(*) FROM results WHERE metric IN ('AUROC','wFm','MAE','maxF')") == 4);
  CHECK(count(db, "SELECT count(*) FROM per_image WHERE metric = 'wFm'") == 8);
  CHECK(count(db, "SELECT count(*) FROM curves WHERE curve = 'F'") >= 256);
  CHECK(count(db, "SELECT count(*) FROM timings WHERE phase LIKE 'inference.%'") == 1);
  // Every option of the loss is recorded with the value used, defaults included.
  CHECK(count(db, "SELECT count(*) FROM runs WHERE config_toml LIKE '%[loss]%use_A = true%'") == 1);

  // Running it again reuses the completed run; the table prints our value beside the paper's.
  REQUIRE(run_sodlab(args, dir.path() / "log2") == 0);
  CHECK(read_file(dir.path() / "log2").find("already trained") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM runs") == 1);
  REQUIRE(run_sodlab({"table", kTable4.string(), "--profile", "smoke", "--db", db.string(), "--threads",
                      "1", "--set", "eval.save_predictions=true"},
                     dir.path() / "table") == 0);
  const std::string table = read_file(dir.path() / "table");
  CHECK(table.find("0.988") != std::string::npos);  // published AUROC of the proposed loss
  CHECK(table.find("n=1") != std::string::npos);
}

TEST_CASE("device (--device) and train.precision: recorded, part of the run id, bad ones refused before anything runs", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  // CUDA asked for where LibTorch sees none (this machine; on a GPU machine the run goes there).
  auto cuda = smoke_args(dir.path(), "proposed");
  cuda.insert(cuda.end(), {"--device", "cuda"});
  const int rc = run_sodlab(cuda, dir.path() / "cuda.log");
  const std::string cuda_log = read_file(dir.path() / "cuda.log");
  if (cuda_log.find("no CUDA device") != std::string::npos) {
    CHECK(rc == 2);
    CHECK(cuda_log.find("--device = 'cuda'") != std::string::npos);
    CHECK((!fs::exists(db) || count(db, "SELECT count(*) FROM runs") == 0));  // nothing recorded
  } else {
    CHECK(rc == 0);
    CHECK(count(db, "SELECT count(*) FROM runs WHERE device LIKE 'cuda:%' AND status = 'completed'") == 1);
  }
  auto fp16 = smoke_args(dir.path(), "proposed");
  fp16.insert(fp16.end(), {"--device", "cpu", "--set", "train.precision=fp16"});
  CHECK(run_sodlab(fp16, dir.path() / "fp16.log") == 2);
  CHECK(read_file(dir.path() / "fp16.log").find("needs a CUDA device") != std::string::npos);
  auto bad = smoke_args(dir.path(), "proposed");
  bad.insert(bad.end(), {"--set", "train.device=tpu"});
  CHECK(run_sodlab(bad, dir.path() / "bad.log") == 2);
  CHECK(read_file(dir.path() / "bad.log").find("train.device") != std::string::npos);

  // fp32 and bf16 on the CPU: two runs, the device and precision recorded.
  auto fp32 = smoke_args(dir.path(), "proposed");
  fp32.insert(fp32.end(), {"--device", "cpu"});
  REQUIRE(run_sodlab(fp32, dir.path() / "fp32.log") == 0);
  auto bf16 = fp32;
  bf16.insert(bf16.end(), {"--set", "train.precision=bf16"});
  REQUIRE(run_sodlab(bf16, dir.path() / "bf16.log") == 0);
  INFO(read_file(dir.path() / "bf16.log"));
  CHECK(count(db, "SELECT count(*) FROM runs WHERE device = 'cpu' AND status = 'completed'") == 2);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE config_toml LIKE '%precision = \"bf16\"%'") == 1);
  CHECK(count(db, "SELECT count(*) FROM timings WHERE phase LIKE 'train.%' AND device = 'cpu'") == 14);
  CHECK(count(db, "SELECT count(DISTINCT value) FROM results WHERE metric = 'wFm'") == 2);
}

TEST_CASE("sodlab cache info, verify and gc on the prediction cache of a run", "[pipeline][cache]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db", cache = dir.path() / "cache";
  auto args = smoke_args(dir.path(), "proposed");
  args.insert(args.end(), {"--set", "eval.save_predictions=true", "--cache-dir", cache.string()});
  REQUIRE(run_sodlab(args, dir.path() / "log") == 0);
  const std::vector<std::string> where{"--cache-dir", cache.string()};
  auto cache_cmd = [&](std::vector<std::string> a, const std::string& log, bool with_db = true) {
    a.insert(a.begin(), "cache");
    a.insert(a.end(), where.begin(), where.end());
    if (with_db) a.insert(a.end(), {"--db", db.string()});
    return run_sodlab(a, dir.path() / log);
  };
  REQUIRE(cache_cmd({"info"}, "info.log") == 0);
  const std::string info = read_file(dir.path() / "info.log");
  INFO(info);
  // 8 entries of one run, all of a completed run of the store.
  CHECK(info.find("predictions            8") != std::string::npos);
  CHECK(info.find("       1             8             0") != std::string::npos);

  // A corrupted entry: verify names it and exits 1; --remove deletes it.
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(cache))
    if (e.path().extension() == ".h5") victim = e.path();
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-40, std::ios::end);
    const std::string junk(32, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  CHECK(cache_cmd({"verify"}, "verify.log", false) == 1);
  CHECK(read_file(dir.path() / "verify.log").find(victim.filename().string()) != std::string::npos);
  CHECK(cache_cmd({"verify", "--remove"}, "verify2.log", false) == 1);
  CHECK_FALSE(fs::exists(victim));
  CHECK(cache_cmd({"verify"}, "verify3.log", false) == 0);

  // gc keeps the entries of the completed run, and removes them for a store that lacks it.
  REQUIRE(cache_cmd({"gc"}, "gc.log") == 0);
  CHECK(read_file(dir.path() / "gc.log").find("removed 0 entries") != std::string::npos);
  const fs::path other = dir.path() / "other.db";
  { sodlab::store::ResultsStore empty(other.string()); }
  std::vector<std::string> gc_other{"cache", "gc", "--cache-dir", cache.string(), "--db", other.string(), "--dry-run"};
  REQUIRE(run_sodlab(gc_other, dir.path() / "gc2.log") == 0);
  CHECK(read_file(dir.path() / "gc2.log").find("would remove 7 entries") != std::string::npos);
  gc_other.pop_back();
  REQUIRE(run_sodlab(gc_other, dir.path() / "gc3.log") == 0);
  std::size_t left = 0;
  for (const auto& e : fs::recursive_directory_iterator(cache)) left += e.path().extension() == ".h5";
  CHECK(left == 0);
  // gc without a store refuses (exit 2) rather than remove everything.
  CHECK(run_sodlab({"cache", "gc", "--cache-dir", cache.string(), "--db", (dir.path() / "none.db").string()},
                   dir.path() / "gc4.log") == 2);
}

TEST_CASE("train.feature_cache: frozen stages from cached features, recorded, verified, resumed after SIGKILL",
          "[pipeline][cache]") {
  TempDir a, b;
  auto args_for = [](const fs::path& dir) {
    auto args = smoke_args(dir, "proposed");
    args.insert(args.end(), {"--set", "train.feature_cache=fp16", "--set", "data.augmentation_pool=2",
                             "--set", "train.target_cache=true", "--cache-dir", (dir / "cache").string()});
    return args;
  };
  REQUIRE(run_sodlab(args_for(a.path()), a.path() / "log") == 0);
  const fs::path db_a = a.path() / "results.db";
  INFO(read_file(a.path() / "log"));
  // Smoke's two frozen stages (squeeze: 2 epochs, squeeze_low_lr: 1) read the cache; 32 images
  // with 2 copies each: epoch 1 computes 32, later epochs hit what earlier ones stored.
  CHECK(count(db_a, "SELECT items FROM timings WHERE phase = 'cache.features.squeeze.epoch1.misses'") == 32);
  CHECK(count(db_a, "SELECT count(*) FROM timings WHERE phase = 'cache.features.squeeze.epoch1.misses' "
                    "AND bytes > 0 AND seconds > 0") == 1);
  CHECK(count(db_a, "SELECT sum(items) FROM timings WHERE phase LIKE 'cache.features.%.hits'") > 32);
  CHECK(count(db_a, "SELECT count(*) FROM timings WHERE phase LIKE 'cache.features.finetune%'") == 0);
  CHECK(count(db_a, "SELECT count(*) FROM timings WHERE phase LIKE 'cache.targets.%.hits'") == 7);
  CHECK(count(db_a, "SELECT count(*) FROM runs WHERE status = 'completed' AND config_toml LIKE "
                    "'%feature_cache = \"fp16\"%' AND config_toml LIKE '%augmentation_pool = 2%'") == 1);
  const fs::path cache_a = a.path() / "cache";
  REQUIRE(run_sodlab({"cache", "verify", "--cache-dir", cache_a.string()}, a.path() / "verify.log") == 0);
  REQUIRE(run_sodlab({"cache", "info", "--cache-dir", cache_a.string(), "--db", db_a.string()}, a.path() / "info.log") == 0);
  CHECK(read_file(a.path() / "info.log").find("features") != std::string::npos);

  // Killed with SIGKILL during training (the cache on, possibly mid-write), then resumed: the
  // metrics of the uninterrupted run, and a cache that verifies.
  const fs::path db_b = b.path() / "results.db";
  const auto [killed, status] = signal_after_epochs(spawn_sodlab(args_for(b.path()), "/dev/null"), db_b, 2, SIGKILL);
  REQUIRE(killed);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(run_sodlab(args_for(b.path()), b.path() / "log") == 0);
  CHECK(read_file(b.path() / "log").find("resumed after") != std::string::npos);
  const auto ra = results_by_variant(db_a), rb = results_by_variant(db_b);
  REQUIRE(!ra.empty());
  CHECK(ra == rb);
  CHECK(run_sodlab({"cache", "verify", "--cache-dir", (b.path() / "cache").string()}, b.path() / "verify.log") == 0);

  // A corrupted features entry: verify names it (exit 1).
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(cache_a / "features"))
    if (e.path().extension() == ".h5") victim = e.path();
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3000);
    const std::string junk(64, '\x5A');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  CHECK(run_sodlab({"cache", "verify", "--cache-dir", cache_a.string()}, a.path() / "verify2.log") == 1);
  CHECK(read_file(a.path() / "verify2.log").find(victim.filename().string()) != std::string::npos);
}

TEST_CASE("train.feature_cache is refused where inputs do not repeat or the model has no prefix", "[pipeline][cache]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  auto args = smoke_args(dir.path(), "proposed");
  args.insert(args.end(), {"--set", "train.feature_cache=fp16"});  // smoke augments (szn), no pool
  CHECK(run_sodlab(args, dir.path() / "log") == 2);
  const std::string log = read_file(dir.path() / "log");
  INFO(log);
  CHECK(log.find("train.feature_cache") != std::string::npos);
  CHECK(log.find("data.augmentation_pool") != std::string::npos);
  const fs::path menet = fs::path(SODLAB_SOURCE_DIR) / "experiments/menet/table4.toml";
  CHECK(run_sodlab({"run", menet.string(), "--profile", "smoke", "--db", db.string(), "--set",
                    "train.feature_cache=fp32", "--set", "data.augmentation=none", "--dry-run"},
                   dir.path() / "log2") == 2);
  CHECK(read_file(dir.path() / "log2").find("has no frozen backbone prefix") != std::string::npos);
  std::error_code ec;
  if (fs::exists(db, ec)) CHECK(count(db, "SELECT count(*) FROM runs") == 0);
}

TEST_CASE("data.validation: a validation loss for every epoch, and the best epoch", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  auto args = smoke_args(dir.path(), "proposed");
  args.insert(args.end(), {"--set", "data.validation=0.25"});
  REQUIRE(run_sodlab(args, dir.path() / "log") == 0);
  const std::string log = read_file(dir.path() / "log");
  INFO(log);
  CHECK(count(db, "SELECT count(*) FROM epochs WHERE val_loss IS NOT NULL") == 7);  // every epoch of 3 stages
  CHECK(count(db, "SELECT count(*) FROM results WHERE dataset = 'validation' AND metric = 'best_epoch' "
                  "AND value BETWEEN 1 AND 7") == 1);
  CHECK(count(db, "SELECT count(*) FROM results WHERE dataset = 'validation' AND metric = 'best_val_loss' AND "
                  "value = (SELECT min(val_loss) FROM epochs)") == 1);
  CHECK(log.find("best validation loss") != std::string::npos);
}

TEST_CASE("a run killed during training resumes and matches an uninterrupted run", "[pipeline]") {
  TempDir a, b;
  const std::vector<std::string> longer = {"--set", "train.stages=[{name=\"s\",epochs=6,lr=1e-3}]"};
  auto args_for = [&](const fs::path& dir) {
    auto args = smoke_args(dir, "no_B");
    args.insert(args.end(), longer.begin(), longer.end());
    return args;
  };
  REQUIRE(run_sodlab(args_for(a.path()), a.path() / "log") == 0);

  // Same run in another store, killed with SIGKILL at a fixed point (core/kill_point.h): right
  // after epoch 2's row is recorded and before its checkpoint is written, so the resume starts
  // from epoch 1's checkpoint and records epoch 2 again.
  const fs::path db_b = b.path() / "results.db";
  ::setenv("SODLAB_KILL_AT", "epoch_recorded:2", 1);
  const int killed = run_sodlab(args_for(b.path()), b.path() / "killed");
  ::unsetenv("SODLAB_KILL_AT");
  REQUIRE(killed == 128 + SIGKILL);  // the shell reports the signal that killed sodlab
  CHECK(count(db_b, "SELECT count(*) FROM runs WHERE status = 'completed'") == 0);
  CHECK(count(db_b, "SELECT count(*) FROM epochs") == 2);

  REQUIRE(run_sodlab(args_for(b.path()), b.path() / "log") == 0);
  CHECK(count(db_b, "SELECT count(*) FROM epochs") == 6);  // every epoch recorded once
  INFO(read_file(b.path() / "log"));
  CHECK(read_file(b.path() / "log").find("resumed after") != std::string::npos);
  const auto ra = results_by_variant(a.path() / "results.db");
  const auto rb = results_by_variant(db_b);
  REQUIRE(!ra.empty());
  CHECK(ra == rb);  // bitwise equal metrics
}

TEST_CASE("SIGTERM stops a run at once: interrupted, checkpoint kept, resumed later", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  auto args = smoke_args(dir.path(), "no_B");
  args.insert(args.end(), {"--set", "train.stages=[{name=\"s\",epochs=30,lr=1e-3}]"});
  const auto [sent, status] =
      signal_after_epochs(spawn_sodlab(args, dir.path() / "log_term"), db, 2, SIGTERM);
  INFO(read_file(dir.path() / "log_term"));
  REQUIRE(sent);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  // Marked at once (not after the heartbeat goes stale), with its epochs and checkpoint kept.
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND ended_at IS NOT NULL") == 1);
  const auto epochs = count(db, "SELECT count(*) FROM epochs");
  CHECK(epochs < 30);
  args = smoke_args(dir.path(), "no_B");
  args.insert(args.end(), {"--set", "train.stages=[{name=\"s\",epochs=30,lr=1e-3}]"});
  REQUIRE(run_sodlab(args, dir.path() / "log_resume") == 0);
  CHECK(read_file(dir.path() / "log_resume").find("resumed after") != std::string::npos);
  CHECK(count(db, "SELECT count(*) FROM epochs") == 30);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 1);
}

TEST_CASE("two processes writing one database at once lose nothing", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int rc = run_sodlab(smoke_args(dir.path(), "ce_fg2"), dir.path() / "log_child");
    _exit(rc);
  }
  const int rc = run_sodlab(smoke_args(dir.path(), "ce_bg2"), dir.path() / "log_parent");
  int status = 0;
  waitpid(pid, &status, 0);
  INFO(read_file(dir.path() / "log_child") + read_file(dir.path() / "log_parent"));
  REQUIRE(rc == 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 2);
  CHECK(count(db, "SELECT count(DISTINCT run_id) FROM epochs") == 2);
  CHECK(count(db, "SELECT count(DISTINCT run_id) FROM results") == 2);
}

TEST_CASE("bad data stops with exit 2 and leaves the store consistent", "[pipeline]") {
  TempDir dir;
  const fs::path db = dir.path() / "results.db";
  // A completed run first: it must survive the failures below.
  REQUIRE(run_sodlab(smoke_args(dir.path(), "proposed"), dir.path() / "log0") == 0);

  // A folder dataset with a corrupt image and one with a missing mask.
  const fs::path data = dir.path() / "data";
  REQUIRE(run_sodlab({"data", "synth", "--out", (dir.path() / "synth").string(), "--n", "4",
                      "--size", "32"},
                     dir.path() / "synth.log") == 0);
  fs::create_directories(data);
  for (const char* set : {"corrupt", "missing"})
    fs::copy(dir.path() / "synth", data / set, fs::copy_options::recursive);
  const fs::path first_image = *fs::directory_iterator(data / "corrupt" / "images");
  std::ofstream(first_image, std::ios::trunc) << "not an image";
  const fs::path first_mask = *fs::directory_iterator(data / "missing" / "masks");
  fs::remove(first_mask);

  for (const char* set : {"corrupt", "missing"}) {
    auto args = smoke_args(dir.path(), "no_A");
    const std::string path = (data / set).string();
    args.insert(args.end(), {"--set", "data.train={dataset=\"" + path + "\"}", "--set",
                             "data.test=[{dataset=\"" + path + "\"}]"});
    const fs::path log = dir.path() / (std::string("log_") + set);
    CHECK(run_sodlab(args, log) == 2);
    // Found before training: the test sets are decoded first (the missing mask: at planning).
    CHECK(count(db, "SELECT count(*) FROM epochs WHERE run_id IN (SELECT run_id FROM runs WHERE "
                    "status != 'completed')") == 0);
    const std::string text = read_file(log);
    INFO(text);
    CHECK(text.find(set) != std::string::npos);  // names the offending file's folder
  }
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 1);
  CHECK(count(db, "SELECT count(*) FROM results WHERE run_id IN (SELECT run_id FROM runs WHERE "
                  "status = 'completed')") > 0);
  // Bad arguments and paths: exit 2 with the path named, never a raw error with exit 1.
  const fs::path file = dir.path() / "a_file";
  std::ofstream(file) << "x";
  CHECK(run_sodlab({"data", "synth", "--out", file.string(), "--n", "2"}, dir.path() / "e1") == 2);
  CHECK(read_file(dir.path() / "e1").find(file.string()) != std::string::npos);
  CHECK(run_sodlab({"data", "synth", "--out", (dir.path() / "big").string(), "--n", "2e9"}, dir.path() / "e2") == 2);
  fs::create_directories(dir.path() / "empty" / "images");
  fs::create_directories(dir.path() / "empty" / "masks");
  CHECK(run_sodlab({"data", "check", (dir.path() / "empty").string()}, dir.path() / "e3") == 2);
  fs::create_directory_symlink(dir.path() / "loop", dir.path() / "loop");
  CHECK(run_sodlab({"data", "check", (dir.path() / "loop").string()}, dir.path() / "e4") == 2);
  for (const char* threads : {"100000", "-1"}) {
    auto args = smoke_args(dir.path(), "proposed");
    args.back() = threads;  // --threads is the last argument
    CHECK(run_sodlab(args, dir.path() / "e5") == 2);
  }
  CHECK(count(db, "SELECT count(*) FROM runs WHERE status = 'completed'") == 1);
  const auto check = sodlab::store::query_readonly(db.string(), "PRAGMA integrity_check");
  CHECK(std::get<std::string>(check.rows.at(0).at(0)) == "ok");
}
