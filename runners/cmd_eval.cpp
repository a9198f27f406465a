// `sodlab eval`: evaluate folders of saliency maps against folders of masks (or built-in
// synthetic pairs) under a named metric convention.
//
// One method on one dataset (`--pred DIR --gt DIR`) prints the full result and can write JSON,
// per-image and curve files. Several (`--pred NAME=DIR` and `--gt DATASET=DIR`, each repeatable)
// compare methods: every folder is checked first (all missing ones reported at once), coverage
// is printed per method and dataset (maps matched / masks without a map / maps without a mask;
// `--strict` makes a missing map an error), then one table of methods × datasets with the top
// three per column marked (report/method_table.h), to the terminal and to `--table FILE.md|.tex`.
// A method's DIR may hold "{dataset}" (replaced by the dataset's name); with several datasets and
// no placeholder, its maps for dataset D are in DIR/D. `--config FILE.toml` lists the methods and
// datasets instead, with prefix/suffix file-name rules (config/method_layout.h). `--db` records
// each method as a run of the results store, beside trained runs (eval_record.h).
#include "command.h"

#include "code_version.h"
#include "config/method_layout.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/output_files.h"
#include "metrics/folder_eval.h"
#include "metrics/result_io.h"
#include "report/figure.h"
#include "report/gnuplot.h"
#include "report/method_table.h"
#include "eval_record.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace {

using namespace sodlab;
namespace fs = std::filesystem;

struct EvalArgs {
  std::vector<std::string> preds, gts;
  std::string convention = "pysodmetrics", metrics = "all", json, per_image, curves, table;
  std::string config, db, experiment = "eval", images, plot, plot_format = "png";
  int threads = 0, synthetic = 0;
  bool resize = false, decode_only = false, strict = false, no_normalize = false, list_metrics = false;
};

struct Named {
  std::string name, dir;
};

// "NAME=DIR" or "DIR" (named after its last path component).
Named named(const std::string& value) {
  const auto eq = value.find('=');
  if (eq != std::string::npos && eq > 0 && value.substr(0, eq).find('/') == std::string::npos)
    return {value.substr(0, eq), value.substr(eq + 1)};
  fs::path p(value);
  if (p.filename().empty()) p = p.parent_path();
  return {p.filename().string(), value};
}

std::string maps_dir(const Named& method, const std::string& dataset, std::size_t n_datasets) {
  std::string dir = method.dir;
  const std::string placeholder = "{dataset}";
  if (const auto at = dir.find(placeholder); at != std::string::npos) return dir.replace(at, placeholder.size(), dataset);
  return n_datasets > 1 ? (fs::path(dir) / dataset).string() : dir;
}

// One method or dataset of a comparison: its name and, per dataset, where its files are.
struct Source {
  std::string name;
  std::map<std::string, config::FolderRule> by_dataset;
};

nlohmann::json provenance(const EvalArgs& a, const metrics::FolderEvalOptions& o) {
  nlohmann::json p;
  p["sodlab_version"] = build::kCodeVersion;
  p["convention"] = metrics::convention_name(o.convention);
  p["normalize"] = o.normalize;
  p["beta2"] = 0.3;
  p["thresholds"] = 256;
  p["threshold_scale"] = "[0, 1]: threshold t of the 256 is t/255";
  p["metrics"] = a.metrics;
  p["resize"] = a.resize;
  if (!a.images.empty()) p["images"] = fs::absolute(a.images).string();
  p["pred"] = a.preds;
  p["gt"] = a.gts;
  if (!a.config.empty()) p["config"] = fs::absolute(a.config).string();
  return p;
}

void write_text(const std::string& file, const std::string& text) {
  output::write_output_file(file, text);
  std::cerr << "wrote " << file << "\n";
}

// Every output path checked before the evaluation starts (core/output_files.h); the folders it
// reads protected from them.
void check_outputs(const EvalArgs& a) {
  auto fixed_part = [](std::string dir) {  // "maps/{dataset}" → "maps"
    const auto brace = dir.find('{');
    if (brace == std::string::npos) return dir;
    const auto slash = dir.rfind('/', brace);
    return slash == std::string::npos ? std::string(".") : dir.substr(0, slash);
  };
  for (const auto& p : a.preds) output::protect_folder(fixed_part(named(p).dir), "an input of this evaluation (--pred)");
  for (const auto& g : a.gts) output::protect_folder(fixed_part(named(g).dir), "an input of this evaluation (--gt)");
  if (!a.db.empty()) output::protect_store(a.db);
  const std::pair<const std::string*, const char*> outs[] = {
      {&a.json, "--json"}, {&a.per_image, "--per-image"}, {&a.curves, "--curves"}, {&a.table, "--table"}};
  for (const auto& [path, option] : outs)
    if (!path->empty()) output::check_output_file(*path, option);
  if (!a.plot.empty()) {
    output::check_output_folder(a.plot, "--plot");
    if (a.plot_format != "png" && a.plot_format != "svg" && a.plot_format != "pdf")
      throw InputError("--plot-format '" + a.plot_format + "': expected png, svg or pdf");
  }
}

// One method's dataset result as a line of a curve figure: its curves under the store's names
// (the evaluator's keys without "curve_") and its dataset values.
report::CurveLine curve_line(const std::string& label, const metrics::EvaluationResult& r) {
  report::CurveLine line;
  line.label = label;
  for (const auto& [key, ys] : r.curves) {
    const std::string name = key.rfind("curve_", 0) == 0 ? key.substr(6) : key;
    for (std::size_t t = 0; t < ys.size(); ++t) line.curves[name][static_cast<int>(t)] = ys[t];
  }
  line.results = r.dataset;
  return line;
}

// --plot DIR: every curve figure (PR, F, E, IoU, Dice, ROC) the selected metrics give curves for,
// a panel per dataset, a line per method, as DIR/eval-<kind>.<format> with its .gp and .dat.
void plot_curves(const EvalArgs& a, const std::vector<report::CurvePanel>& panels) {
  if (a.plot.empty()) return;
  const std::string convention = a.convention;
  for (const auto& kind : report::curve_figure_kinds()) {
    const report::Figure f =
        report::curve_figure(kind, "sodlab eval (" + convention + "): " + kind, panels);
    if (f.panels.empty()) {
      std::cerr << "--plot: no " << kind << " figure (the selected metrics give no such curve)\n";
      continue;
    }
    const report::Rendered r = report::render(f, a.plot, "eval-" + kind, a.plot_format);
    std::cerr << "wrote " << r.image << "\n";
  }
}

int run_single(const EvalArgs& a, const metrics::FolderEvalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  metrics::EvaluationResult result;
  if (a.synthetic > 0) {
    if (!a.preds.empty() || !a.gts.empty()) throw InputError("--synthetic cannot be combined with --pred/--gt");
    result = metrics::evaluate_synthetic(a.synthetic, options);
  } else {
    const auto pairs = metrics::match_folders(named(a.preds[0]).dir, named(a.gts[0]).dir);
    for (const auto& p : pairs.unmatched_preds) std::cerr << "unmatched prediction (no mask): " << p.string() << "\n";
    for (const auto& p : pairs.unmatched_gts) std::cerr << "unmatched mask (no prediction): " << p.string() << "\n";
    if (a.strict && !pairs.unmatched_gts.empty())
      throw InputError("--strict: " + std::to_string(pairs.unmatched_gts.size()) + " mask(s) have no map, e.g. " +
                       pairs.unmatched_gts.front().string());
    if (a.decode_only) {
      metrics::decode_only(pairs, options.threads);
      const double s = seconds();
      std::printf("decoded %zu pairs (%zu files) in %.4f s with %d threads\n", pairs.stems.size(),
                  2 * pairs.stems.size(), s, resolve_threads(options.threads));
      return 0;
    }
    result = metrics::evaluate_folders(pairs, options);
  }
  const double s = seconds();
  std::cout << metrics::format_table(result);
  std::printf("evaluated %lld images in %.4f s (%.1f images/s, %d threads)\n",
              static_cast<long long>(result.n_images), s, result.n_images / s,
              resolve_threads(options.threads));
  if (!a.json.empty()) {
    nlohmann::json j = metrics::to_json(result);
    j["provenance"] = provenance(a, options);
    write_text(a.json, j.dump(1) + "\n");
  }
  if (!a.per_image.empty()) metrics::write_per_image_csv(result, a.per_image);
  if (!a.curves.empty()) metrics::write_curves_csv(result, a.curves);
  if (!a.plot.empty()) {
    const std::string method = a.synthetic > 0 ? "synthetic" : named(a.preds[0]).name;
    const std::string dataset = a.synthetic > 0 ? "synthetic" : named(a.gts[0]).name;
    plot_curves(a, {{dataset, {curve_line(method, result)}}});
  }
  return 0;
}

int run_comparison(const EvalArgs& a, const metrics::FolderEvalOptions& options) {
  if (!a.per_image.empty() || !a.curves.empty() || a.decode_only)
    throw InputError("--per-image, --curves and --decode-only take one --pred and one --gt");
  std::vector<Source> methods;
  std::vector<std::pair<std::string, config::FolderRule>> datasets;
  if (!a.config.empty()) {
    if (!a.preds.empty() || !a.gts.empty())
      throw InputError("--config " + a.config + " lists the methods and datasets: give it without --pred/--gt");
    const config::EvalLayout layout = config::load_eval_layout(a.config);
    for (const auto& d : layout.datasets) datasets.emplace_back(d.name, d.masks);
    for (const auto& m : layout.methods) {
      Source src{m.name, {}};
      for (const auto& d : layout.datasets) src.by_dataset[d.name] = layout.maps_of(m, d.name);
      methods.push_back(std::move(src));
    }
  } else {
    for (const auto& g : a.gts) {
      const Named d = named(g);
      datasets.emplace_back(d.name, config::FolderRule{d.dir, "", ""});
    }
    for (const auto& p : a.preds) {
      const Named m = named(p);
      Source src{m.name, {}};
      for (const auto& [d, rule] : datasets) src.by_dataset[d] = {maps_dir(m, d, datasets.size()), "", ""};
      methods.push_back(std::move(src));
    }
  }
  // Every folder first: all the missing ones in one message.
  std::vector<std::string> missing;
  std::error_code ec;
  for (const auto& [d, rule] : datasets)
    if (!fs::is_directory(rule.dir, ec)) missing.push_back("masks of " + d + ": " + rule.dir);
  for (const auto& m : methods)
    for (const auto& [d, masks] : datasets) {
      const std::string& dir = m.by_dataset.at(d).dir;
      if (!fs::is_directory(dir, ec)) missing.push_back("maps of " + m.name + " on " + d + ": " + dir);
    }
  if (!missing.empty()) {
    std::string msg = std::to_string(missing.size()) + " folder(s) not found:";
    for (const auto& m : missing) msg += "\n  " + m;
    throw InputError(msg);
  }
  std::map<std::pair<std::string, std::string>, metrics::FolderPairs> pairs;
  std::cout << "coverage (maps matched / masks without a map / maps without a mask):\n";
  nlohmann::json json_coverage;
  std::vector<std::string> uncovered;
  for (const auto& m : methods)
    for (const auto& [d, masks] : datasets) {
      const config::FolderRule& maps = m.by_dataset.at(d);
      const auto& p = pairs[{m.name, d}] =
          metrics::match_folders(maps.dir, masks.dir, {maps.prefix, maps.suffix}, {masks.prefix, masks.suffix});
      std::printf("  %-16s %-16s %6zu / %zu / %zu\n", m.name.c_str(), d.c_str(), p.stems.size(),
                  p.unmatched_gts.size(), p.unmatched_preds.size());
      json_coverage[m.name][d] = {{"matched", p.stems.size()},
                                  {"masks_without_map", p.unmatched_gts.size()},
                                  {"maps_without_mask", p.unmatched_preds.size()}};
      if (!p.unmatched_gts.empty())
        uncovered.push_back(m.name + " on " + d + ": " + std::to_string(p.unmatched_gts.size()) +
                            " mask(s) without a map, e.g. " + p.unmatched_gts.front().filename().string());
    }
  if (a.strict && !uncovered.empty()) {
    std::string msg = "--strict: maps are missing:";
    for (const auto& u : uncovered) msg += "\n  " + u;
    throw InputError(msg);
  }
  report::MethodTable table;
  table.title = std::string("sodlab eval (") + metrics::convention_name(options.convention) + ")";
  for (const auto& m : methods) table.methods.push_back(m.name);
  for (const auto& [d, masks] : datasets) table.datasets.push_back(d);
  for (const auto& [key, p] : pairs)
    if (!p.unmatched_gts.empty()) {
      table.partial[key] = std::to_string(p.stems.size()) + " of " +
                           std::to_string(p.stems.size() + p.unmatched_gts.size()) + " masks";
      std::cerr << "warning: " << key.first << " on " << key.second << " is evaluated on " << table.partial[key]
                << " (--strict refuses)\n";
    }
  nlohmann::json json;
  json["provenance"] = provenance(a, options);
  json["coverage"] = json_coverage;
  std::set<std::string> produced;
  std::vector<report::CurvePanel> panels;  // --plot: a panel per dataset, a line per method
  for (const auto& [d, masks] : datasets) panels.push_back({d, {}});
  std::unique_ptr<store::ResultsStore> db;
  if (!a.db.empty()) db = std::make_unique<store::ResultsStore>(a.db);
  for (const auto& m : methods) {
    std::string run_id;
    if (db) {
      cli::EvalRecord rec;
      rec.experiment = a.experiment;
      rec.method = m.name;
      for (const auto& [d, masks] : datasets) {
        rec.maps.emplace_back(d, m.by_dataset.at(d));
        rec.masks.emplace_back(d, masks);
      }
      rec.convention = metrics::convention_name(options.convention);
      rec.normalize = options.normalize;
      rec.metrics = a.metrics;
      rec.threads = resolve_threads(options.threads);
      run_id = cli::begin_eval_run(*db, rec);
    }
    try {
      for (const auto& [d, masks] : datasets) {
        const auto start = std::chrono::steady_clock::now();
        const metrics::EvaluationResult r = metrics::evaluate_folders(pairs.at({m.name, d}), options);
        if (db)
          cli::record_eval_result(*db, run_id, d, r,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        for (const auto& [metric, value] : r.dataset) {
          table.values[{m.name, d, metric}] = value;
          produced.insert(metric);
        }
        if (!a.plot.empty()) {  // a method evaluated on part of the masks says so in the legend
          const auto partial = table.partial.find({m.name, d});
          const std::string label = m.name + (partial == table.partial.end() ? "" : " (" + partial->second + ")");
          for (auto& panel : panels)
            if (panel.title == d) panel.lines.push_back(curve_line(label, r));
        }
        json["results"][m.name][d] = metrics::to_json(r);
        json["results"][m.name][d].erase("per_image");
        json["results"][m.name][d].erase("curves");
      }
    } catch (const std::exception& e) {  // never recorded as completed
      if (db) db->set_status(run_id, store::kStatusFailed, e.what());
      throw;
    }
    if (db) {
      db->set_status(run_id, store::kStatusCompleted);
      json["store"][m.name] = run_id;
      std::cerr << "recorded " << m.name << " as run " << run_id << " (experiment " << a.experiment << ") in "
                << a.db << "\n";
    }
  }
  for (const auto& family : metrics::metric_family_registry().entries())  // the headline keys, in registry order
    for (const auto& key : family.keys)
      if (key.headline && produced.count(key.name)) {
        table.metrics.push_back(key.name);
        if (key.better == metrics::Better::lower) table.lower_is_better.insert(key.name);
      }
  const std::string md = report::render_methods_markdown(table);
  std::cout << "\n" << md;
  if (!a.table.empty()) {
    const bool tex = a.table.size() > 4 && a.table.compare(a.table.size() - 4, 4, ".tex") == 0;
    write_text(a.table, tex ? report::render_methods_latex(table) : md);
  }
  if (!a.json.empty()) write_text(a.json, json.dump(1) + "\n");
  plot_curves(a, panels);
  return 0;
}

int run_eval(const EvalArgs& a) {
  if (a.list_metrics) {
    std::cout << metrics::describe_metric_families();
    return 0;
  }
  check_outputs(a);
  metrics::keep_freed_memory_for_reuse();  // this process only evaluates from here on
  metrics::FolderEvalOptions options;
  options.convention = metrics::parse_convention(a.convention);
  options.selection = metrics::MetricSelection::parse(a.metrics);
  options.threads = a.threads;
  options.resize = a.resize;
  options.normalize = !a.no_normalize;
  options.images = a.images;
  if (!a.images.empty() && (a.preds.size() > 1 || a.gts.size() > 1 || !a.config.empty() || a.synthetic > 0))
    throw InputError("--images DIR goes with one --pred DIR and one --gt DIR");
  if (a.no_normalize && options.convention != metrics::Convention::pysodmetrics)
    throw InputError("--no-normalize (PySODMetrics' normalize=False) applies to --convention pysodmetrics only");
  if (a.synthetic > 0) return run_single(a, options);
  if (!a.config.empty()) return run_comparison(a, options);
  if (a.preds.empty() || a.gts.empty())
    throw InputError("eval needs --pred DIR and --gt DIR, or --config FILE.toml (or --synthetic N)");
  if (a.preds.size() == 1 && a.gts.size() == 1 && a.table.empty() && a.db.empty()) return run_single(a, options);
  return run_comparison(a, options);
}

cli::CommandRegistration reg{
    "eval", "evaluate saliency maps against masks (PySODMetrics / MATLAB toolbox conventions)",
    [](CLI::App& app) {
      auto a = std::make_shared<EvalArgs>();
      app.add_option("--pred", a->preds,
                     "folder of predicted saliency maps (png/jpg/bmp, 8-bit grey); repeat as NAME=DIR to compare "
                     "methods (DIR may hold {dataset})");
      app.add_option("--gt", a->gts, "folder of ground-truth masks, matched by file stem; repeat as DATASET=DIR");
      app.add_option("--convention", a->convention, "pysodmetrics | sal_eval_toolbox")
          ->capture_default_str();
      app.add_option("--metrics", a->metrics,
                     "comma list of metric families or groups (see --list-metrics), or all")
          ->capture_default_str();
      app.add_flag("--list-metrics", a->list_metrics,
                   "list every metric family and key with its direction and definition, and exit");
      app.add_flag("--no-normalize", a->no_normalize,
                   "maps as v/255 without the min-max stretch (PySODMetrics normalize=False; pysodmetrics only)");
      app.add_option("--images", a->images,
                     "folder of the RGB photographs, matched by stem: needed by --metrics ccm (the camouflage "
                     "Context-measure)");
      app.add_option("--json", a->json, "write results (with provenance) as JSON to FILE (NaN as null)");
      app.add_option("--per-image", a->per_image, "write per-image metrics as CSV to FILE");
      app.add_option("--curves", a->curves, "write dataset curves (threshold 0..255) as CSV to FILE");
      app.add_option("--plot", a->plot,
                     "draw the curve figures the metrics give (PR, F, E, IoU, Dice, ROC against the threshold; "
                     "a panel per dataset, a line per method) into DIR as eval-<kind>.png with .gp and .dat (gnuplot)");
      app.add_option("--plot-format", a->plot_format, "png | svg | pdf (with --plot)")->capture_default_str();
      app.add_option("--table", a->table, "write the methods × datasets table to FILE (.md, or .tex: booktabs)");
      app.add_flag("--strict", a->strict, "a mask without a predicted map is an error (exit 2)");
      app.add_option("--config", a->config,
                     "TOML file listing [methods.<name>] maps and [datasets.<name>] masks, with prefix/suffix "
                     "file-name rules (instead of --pred/--gt)");
      app.add_option("--db", a->db, "record each method as a run of this results database (e.g. results/results.db)");
      app.add_option("--experiment", a->experiment, "with --db: the experiment name its runs are recorded under")
          ->capture_default_str();
      app.add_option("--threads", a->threads, "worker threads (default: SODLAB_THREADS or all cores)")->check(CLI::Range(0, kMaxThreads));
      app.add_flag("--resize", a->resize, "resize predictions bilinearly to the mask size if they differ");
      app.add_option("--synthetic", a->synthetic, "evaluate N built-in deterministic synthetic pairs");
      app.add_flag("--decode-only", a->decode_only, "only decode the matched files and report the time");
      return [a] { return run_eval(*a); };
    }};

}  // namespace
