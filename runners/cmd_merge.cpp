// `sodlab merge SHARD.db... [--into DB]`: fold shard databases (one per Slurm array task) into the
// results store. Idempotent: a run already there in the same or a newer state is not copied again.
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> shards;
  std::string into = store::default_db_path();
  std::string prefer;
};

CommandRegistration registration{
    "merge", "Merge shard databases (e.g. of Slurm array tasks) into the results store",
    [](CLI::App& app) {
      auto a = std::make_shared<MergeArgs>();
      app.add_option("shards", a->shards, "Shard databases to merge (only read, never written)")->required();
      app.add_option("--into", a->into, "Results database to merge into (default $SODLAB_DB or results/results.db)");
      app.add_option("--prefer", a->prefer,
                     "store | shard: which copy wins when a run is completed in both with different results "
                     "(default: refuse, exit 2; the choice is recorded in the merges table)");
      app.footer("A run present in both keeps the copy with the better status: completed > interrupted = failed > "
                 "running = queued (timestamps of different hosts decide nothing). A run executing here is left "
                 "alone and reported; merge again once it has ended.");
      return [a] {
        namespace fs = std::filesystem;
        using Prefer = store::ResultsStore::MergePrefer;
        if (!a->prefer.empty() && a->prefer != "store" && a->prefer != "shard")
          throw InputError("--prefer '" + a->prefer + "': expected store or shard");
        const Prefer prefer = a->prefer == "store" ? Prefer::store : a->prefer == "shard" ? Prefer::shard : Prefer::none;
        std::error_code ec;
        for (const auto& s : a->shards) {
          if (!fs::is_regular_file(s, ec)) throw InputError(s + ": no such shard database");
          if (fs::exists(a->into, ec) && fs::equivalent(s, a->into, ec))
            throw InputError(s + ": is the database merged into (--into " + a->into + ")");
        }
        store::ResultsStore db(a->into);
        int copied = 0, kept = 0, settled = 0, deferred = 0;
        for (const auto& s : a->shards) {
          const auto m = db.merge_from(s, prefer);
          copied += m.copied, kept += m.kept, settled += m.settled, deferred += static_cast<int>(m.deferred.size());
          std::cerr << s << ": " << m.copied << " run(s) copied, " << m.kept << " already here"
                    << (m.settled ? ", " + std::to_string(m.settled) + " conflict(s) settled by --prefer " + a->prefer : "")
                    << "\n";
          for (const auto& d : m.deferred)
            std::cerr << "  deferred: run " << d << " is executing here; merge this shard again once it has ended\n";
        }
        std::cerr << "merged " << a->shards.size() << " shard(s) into " << a->into << ": " << copied << " run(s) copied, "
                  << kept << " already there" << (settled ? ", " + std::to_string(settled) + " settled" : "")
                  << (deferred ? ", " + std::to_string(deferred) + " deferred" : "") << "\n";
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
