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
};

CommandRegistration registration{
    "merge", "Merge shard databases (e.g. of Slurm array tasks) into the results store",
    [](CLI::App& app) {
      auto a = std::make_shared<MergeArgs>();
      app.add_option("shards", a->shards, "Shard databases to merge")->required();
      app.add_option("--into", a->into, "Results database to merge into (default $SODLAB_DB or results/results.db)");
      return [a] {
        namespace fs = std::filesystem;
        std::error_code ec;
        for (const auto& s : a->shards) {
          if (!fs::is_regular_file(s, ec)) throw InputError(s + ": no such shard database");
          if (fs::exists(a->into, ec) && fs::equivalent(s, a->into, ec))
            throw InputError(s + ": is the database merged into (--into " + a->into + ")");
        }
        store::ResultsStore db(a->into);
        int total = 0;
        for (const auto& s : a->shards) {
          const int copied = db.merge_from(s);
          total += copied;
          std::cerr << s << ": " << copied << " run(s) copied\n";
        }
        std::cerr << "merged " << a->shards.size() << " shard(s) into " << a->into << ": " << total
                  << " run(s) copied (the others were there already)\n";
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
