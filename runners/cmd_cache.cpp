// `sodlab cache info|verify|gc`: the content-addressed HDF5 caches under the cache folder
// (results/cache: one folder per kind: predictions/ written by eval.save_predictions, maps of
// cache/map_cache.h; features/ and targets/ written by training, tensors of cache/tensor_cache.h).
//   info    entries and bytes per kind; with a results store, how many entries belong to runs
//           it holds and how many to none
//   verify  reads every entry (key and checksums); exit 1 naming each entry
//           that fails (--remove deletes them: they become misses, recomputed when next needed)
//   gc      removes the entries no completed or running run of the store refers to (each entry
//           records the run it was written for); --dry-run lists them
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cache/map_cache.h"
#include "cache/tensor_cache.h"
#include "command.h"
#include "core/error.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

namespace fs = std::filesystem;

struct CacheArgs {
  std::string cache_dir = store::default_cache_dir();
  std::string db = store::default_db_path();
  bool remove = false, dry_run = false;
};

// Every kind folder of the cache (sorted); none when the cache folder does not exist.
std::vector<fs::path> kinds(const std::string& cache_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(cache_dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(cache_dir, ec))
    if (e.is_directory()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The entries of one kind folder, whichever of the two entry formats it holds.
std::vector<cache::CacheEntry> entries_of(const fs::path& folder) {
  if (cache::holds_tensor_entries(folder)) return cache::TensorCache(folder).entries();
  return cache::MapCache(folder).entries();
}
std::vector<std::string> verify_folder(const fs::path& folder, bool remove) {
  if (cache::holds_tensor_entries(folder)) return cache::TensorCache(folder).verify(remove);
  return cache::MapCache(folder).verify(remove);
}

std::string mib(std::uint64_t bytes) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return os.str();
}

// Whether `run_id` is a run whose cached maps are worth keeping (completed, or running now).
class Referrers {
 public:
  explicit Referrers(const std::string& db_path) {
    std::error_code ec;
    if (fs::is_regular_file(db_path, ec)) store_ = std::make_unique<store::ResultsStore>(db_path, store::OpenMode::read_only);
  }
  bool available() const { return store_ != nullptr; }
  bool keeps(const std::string& run_id) {
    if (run_id.empty() || !store_) return false;
    auto it = known_.find(run_id);
    if (it != known_.end()) return it->second;
    const auto r = store_->find_run(run_id);
    const bool keep = r && (r->status == store::kStatusCompleted || r->status == store::kStatusRunning);
    return known_.emplace(run_id, keep).first->second;
  }

 private:
  std::unique_ptr<store::ResultsStore> store_;
  std::map<std::string, bool> known_;
};

int info(const CacheArgs& a) {
  const auto folders = kinds(a.cache_dir);
  if (folders.empty()) {
    std::cout << a.cache_dir << ": no cache yet\n";
    return 0;
  }
  Referrers refs(a.db);
  std::cout << "cache " << a.cache_dir << (refs.available() ? ", runs from " + a.db : ", no results store at " + a.db) << "\n";
  std::cout << std::left << std::setw(14) << "kind" << std::right << std::setw(10) << "entries" << std::setw(14) << "size"
            << std::setw(8) << "runs" << std::setw(14) << "of kept runs" << std::setw(14) << "unreferenced" << "\n";
  for (const auto& folder : folders) {
    std::uint64_t bytes = 0, kept = 0, unreferenced = 0;
    std::map<std::string, int> runs;
    const auto entries = entries_of(folder);
    for (const auto& e : entries) {
      bytes += e.bytes;
      if (!e.ref.empty()) ++runs[e.ref];
      if (refs.keeps(e.ref)) ++kept;
      else ++unreferenced;
    }
    std::cout << std::left << std::setw(14) << folder.filename().string() << std::right << std::setw(10) << entries.size()
              << std::setw(14) << mib(bytes) << std::setw(8) << runs.size() << std::setw(14)
              << (refs.available() ? std::to_string(kept) : "?") << std::setw(14)
              << (refs.available() ? std::to_string(unreferenced) : "?") << "\n";
  }
  return 0;
}

int verify(const CacheArgs& a) {
  std::uint64_t checked = 0, failed = 0;
  for (const auto& folder : kinds(a.cache_dir)) {
    checked += cache::MapCache(folder).stats().entries;  // files counted, not opened (either format)
    for (const auto& bad : verify_folder(folder, a.remove)) {
      std::cerr << "bad entry: " << bad << (a.remove ? " (removed)" : "") << "\n";
      ++failed;
    }
  }
  std::cout << "verified " << checked << " entr" << (checked == 1 ? "y" : "ies") << " under " << a.cache_dir << ": "
            << failed << " failed" << (failed && !a.remove ? " (--remove deletes them)" : "") << "\n";
  return failed ? 1 : 0;
}

int gc(const CacheArgs& a) {
  Referrers refs(a.db);
  if (!refs.available())
    throw InputError(a.db + ": no results store, so no run can be said to refer to an entry (pass --db)");
  std::uint64_t removed = 0, freed = 0, kept = 0;
  for (const auto& folder : kinds(a.cache_dir)) {
    for (const auto& e : entries_of(folder)) {
      if (refs.keeps(e.ref)) {
        ++kept;
        continue;
      }
      if (a.dry_run) std::cout << "would remove " << e.path.string() << (e.ref.empty() ? " (no run recorded)" : " (run " + e.ref + ")") << "\n";
      else fs::remove(e.path);
      ++removed;
      freed += e.bytes;
    }
  }
  std::cout << (a.dry_run ? "would remove " : "removed ") << removed << " entr" << (removed == 1 ? "y" : "ies") << " ("
            << mib(freed) << ") that no completed or running run of " << a.db << " refers to; kept " << kept << "\n";
  return 0;
}

CommandRegistration registration{
    "cache", "Inspect, verify or garbage-collect the HDF5 caches (results/cache)",
    [](CLI::App& app) {
      auto a = std::make_shared<CacheArgs>();
      app.require_subcommand(1);
      auto* i = app.add_subcommand("info", "Entries and size per kind, and how many belong to runs of the store");
      auto* v = app.add_subcommand("verify", "Read and check every entry; exit 1 if any fails");
      auto* g = app.add_subcommand("gc", "Remove the entries no completed or running run of the store refers to");
      for (CLI::App* sub : {i, v, g}) {
        sub->add_option("--cache-dir", a->cache_dir, "Cache folder")->capture_default_str();
        if (sub != v) sub->add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      }
      v->add_flag("--remove", a->remove, "Delete the entries that fail");
      g->add_flag("--dry-run", a->dry_run, "List what would be removed");
      return [a, i, v] {
        if (i->parsed()) return info(*a);
        if (v->parsed()) return verify(*a);
        return gc(*a);
      };
    }};

}  // namespace
}  // namespace sodlab::cli
