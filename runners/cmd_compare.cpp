// `sodlab compare A B [--profile P] [--format md|csv|json] [--figure METRIC] [--top N]
// [--metric M]`: two runs (run ids) or two variants' runs (EXPERIMENT:VARIANT under a profile)
// side by side: the config keys that differ (provenance included), every shared metric with the
// paired statistics over test images (report/run_comparison.h), per-image wins / losses / ties,
// the images where they disagree most; `--figure` draws one metric's per-image scatter (gnuplot,
// script and data kept). Read-only.
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "command.h"
#include "core/error.h"
#include "metrics/convention.h"
#include "report/run_comparison.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct CompareArgs {
  std::string a, b, profile, format = "md", figure, metric, figure_format = "png";
  std::string out_dir = "results/plots/compare";
  int top = 10, resamples = 2000;
  std::uint64_t seed = 0;
  std::string db = store::default_db_path();
};

// A run id in the store, or EXPERIMENT:VARIANT: the completed runs the experiment file refers to
// under the profile (no --set overrides).
report::ComparisonSide resolve(store::ResultsStore& db, const std::string& what, const std::string& profile,
                               const std::string& db_path) {
  report::ComparisonSide side;
  side.label = what;
  if (const auto run = db.find_run(what)) {
    if (run->status != store::kStatusCompleted)
      throw InputError("run " + what + " is " + run->status + ", not completed: nothing to compare");
    side.runs.push_back(*run);
  } else {
    const auto colon = what.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == what.size())
      throw InputError("'" + what + "' is not a run id in " + db_path +
                       " (`sodlab runs` lists them), nor EXPERIMENT:VARIANT (e.g. kolkin2017/table4:proposed)");
    const std::string experiment = what.substr(0, colon), variant = what.substr(colon + 1);
    std::string p = profile;
    if (p.empty()) {
      const auto latest = db.latest_completed_profile(experiment);
      if (!latest) throw InputError(what + ": no completed run of experiment '" + experiment + "' in " + db_path);
      p = *latest;
    }
    std::set<std::string> ids;
    bool variant_known = false;
    for (const auto& ref : db.run_refs_of(experiment, p)) {
      if (ref.variant != variant) continue;
      variant_known = true;
      if (ref.overrides.empty()) ids.insert(ref.run_id);
    }
    if (!variant_known)
      throw InputError(what + ": experiment '" + experiment + "' has no run of variant '" + variant + "' under profile '" +
                       p + "' in " + db_path);
    std::set<std::pair<int, std::int64_t>> seen;
    for (const auto& id : ids) {
      const auto run = db.find_run(id);
      if (!run || run->status != store::kStatusCompleted || !run->attempt_of.empty()) continue;
      if (!seen.insert({run->fold, run->seed}).second)
        throw InputError(what + ": two completed runs for fold " + std::to_string(run->fold) + ", seed " +
                         std::to_string(run->seed) + " (other thread counts or code?); compare run ids instead");
      side.runs.push_back(*run);
    }
    if (side.runs.empty()) throw InputError(what + ": no completed run under profile '" + p + "' in " + db_path);
    side.label = what + " (" + p + ")";
  }
  std::set<std::string> tags;
  for (const auto& r : side.runs) {
    for (const auto& t : db.tags(r.run_id)) tags.insert(t);
    for (const auto& n : db.notes(r.run_id)) side.notes.push_back(r.run_id + ": " + n.text);
  }
  side.tags.assign(tags.begin(), tags.end());
  return side;
}

int direction(const std::string& metric) {
  switch (metrics::metric_direction(metric)) {
    case metrics::Better::higher: return 1;
    case metrics::Better::lower: return -1;
    default: return 0;
  }
}

std::string file_name_part(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

CommandRegistration registration{
    "compare", "Compare two runs (or two variants' runs): config difference, metrics with paired statistics",
    [](CLI::App& app) {
      auto a = std::make_shared<CompareArgs>();
      app.add_option("a", a->a, "Run id, or EXPERIMENT:VARIANT (its completed runs under --profile)")->required();
      app.add_option("b", a->b, "Run id, or EXPERIMENT:VARIANT")->required();
      app.add_option("--profile,-p", a->profile, "Profile of EXPERIMENT:VARIANT (default: the latest completed)");
      app.add_option("--format,-f", a->format, "md | csv | json")->capture_default_str();
      app.add_option("--top", a->top, "Images where A and B disagree most, listed")->capture_default_str();
      app.add_option("--metric,-m", a->metric, "Metric of the disagreement list (default: the first with per-image values)");
      app.add_option("--figure", a->figure, "Draw this metric's per-image scatter (A against B) with gnuplot");
      app.add_option("--figure-format", a->figure_format, "png | svg | pdf")->capture_default_str();
      app.add_option("--out-dir,-o", a->out_dir, "Folder of the figure (with its .gp and .dat)")->capture_default_str();
      app.add_option("--resamples", a->resamples, "Bootstrap resamples")->capture_default_str();
      app.add_option("--seed", a->seed, "Bootstrap seed")->capture_default_str();
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      app.footer("A and B are matched run by run: two run ids are one pair; variants' runs pair by (fold, seed). "
                 "Δ = A − B over the test images both evaluated; † = its 95 % bootstrap interval excludes 0.");
      return [a] {
        if (a->format != "md" && a->format != "csv" && a->format != "json")
          throw InputError("--format '" + a->format + "': expected md, csv or json");
        if (a->top < 0) throw InputError("--top " + std::to_string(a->top) + ": expected a number >= 0");
        if (a->resamples < 1) throw InputError("--resamples " + std::to_string(a->resamples) + ": expected >= 1");
        store::ResultsStore db(a->db, store::OpenMode::read_only);
        auto side_a = resolve(db, a->a, a->profile, a->db);
        auto side_b = resolve(db, a->b, a->profile, a->db);
        report::CompareOptions o;
        o.resamples = a->resamples;
        o.seed = a->seed;
        o.top_n = a->top;
        o.top_metric = a->metric;
        o.direction = direction;
        const report::Comparison c = report::compare_runs(db, std::move(side_a), std::move(side_b), o);
        if (a->format == "md") std::cout << report::render_comparison_markdown(c);
        else if (a->format == "csv") std::cout << report::render_comparison_csv(c);
        else std::cout << report::render_comparison_json(c);
        if (!a->figure.empty()) {
          const std::string name = "compare-" + file_name_part(c.pairs.front().a.run_id) + "-" +
                                   file_name_part(c.pairs.front().b.run_id) + "-" + file_name_part(a->figure);
          const auto r = report::render_comparison_scatter(db, c, a->figure, a->out_dir, name, a->figure_format);
          std::cerr << "wrote " << r.image << " (script " << r.script << ", data " << r.data << ")\n";
        }
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
