// `sodlab plot NAME|SPEC.toml --kind pr|fmeasure|emeasure|iou|dice|roc|distortion|training|sweep`: a figure of an
// experiment's runs (the runs its table shows: same profile, --set overrides and threads),
// rendered with gnuplot; the script and data are kept beside the image (report/gnuplot.h).
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.h"
#include "planned_runs.h"
#include "config/experiment.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/output_files.h"
#include "pipeline/plan.h"
#include "report/figure.h"
#include "report/gnuplot.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {

struct PlotArgs {
  pipeline::PlanRequest plan;
  report::FigureRequest figure;
  std::string format = "png";
  std::string db = store::default_db_path();
  std::string out_dir = "results/plots";
  std::string name;
};

CommandRegistration registration{
    "plot", "Draw PR / F / E / IoU / Dice / ROC curves, a metric against distortion strength, or training curves (gnuplot)",
    [](CLI::App& app) {
      auto a = std::make_shared<PlotArgs>();
      a->figure.kind = "pr";
      app.add_option("experiment", a->plan.experiment,
                     "Experiment name (kolkin2017/table4, menet/fig9, ...) or a .toml path")
          ->required();
      app.add_option("--kind,-k", a->figure.kind, "pr | fmeasure | emeasure | iou | dice | roc | distortion | training | sweep")
          ->capture_default_str();
      app.add_option("--profile,-p", a->plan.profile, "Profile whose runs to draw (default: that of the latest completed run)");
      app.add_option("--set,-s", a->plan.sets, "The --set overrides the runs were made with");
      app.add_option("--threads", a->plan.threads, "The --threads the runs were made with")
          ->check(CLI::Range(0, kMaxThreads));
      app.add_option("--device", a->plan.device, "The --device the runs were made with (its kind is part of the run id)");
      app.add_option("--distortion", a->figure.distortion, "Curves under this distortion label (pr, fmeasure, emeasure)")
          ->capture_default_str();
      app.add_option("--distortion-kind", a->figure.distortion_kind, "distortion: awgn | jpeg (the x axis)")
          ->capture_default_str();
      CLI::Option* metric_given =
          app.add_option("--metric", a->figure.metric,
                         "distortion: the metric on the y axis; sweep: the metric (default: the sweep table's first)")
              ->capture_default_str();
      app.add_option("--format,-f", a->format, "png | svg | pdf")->capture_default_str();
      app.add_option("--out-dir,-o", a->out_dir, "Figures go to <out-dir>/<profile>/")->capture_default_str();
      app.add_option("--name", a->name, "File name without extension (default <paper>-<table>-<kind>)");
      app.add_option("--db", a->db, "Results database (default $SODLAB_DB or results/results.db)");
      return [a, metric_given] {
        require_results_db(a->db);
        store::ResultsStore db(a->db, store::OpenMode::read_only);
        if (!a->name.empty()) output::check_plain_name(a->name, "--name");
        const DisplayPlan d = plan_for_display(a->plan, db);
        const pipeline::Plan& plan = d.plan;
        const pipeline::PlanRequest& request = d.request;
        if (plan.study) throw InputError(plan.experiment.info.name + " is a study: it has no curves to draw");
        if (a->figure.kind == "sweep") {
          const report::SweepFigureRequest sr = sweep_figure_request(d, metric_given->count() ? a->figure.metric : "");
          const report::SweepFigure f = report::build_sweep_figure(sr, db);
          for (const auto& p : f.points)
            if (p.status != "ok") std::cerr << "marked: " << p.variant << ": " << p.status << "\n";
          std::string name = a->name;
          if (name.empty()) {
            name = plan.experiment.info.name + "-sweep";
            for (char& c : name)
              if (c == '/') c = '-';
          }
          const std::string dir =
              (std::filesystem::path(a->out_dir) / (request.profile.empty() ? "none" : request.profile)).string();
          const report::Rendered r = report::render_sweep_figure(f, dir, name, a->format);
          std::cout << r.image << "\n";
          std::cerr << "script " << r.script << ", data " << r.data << "\n";
          return 0;
        }
        report::FigureRequest figure = figure_request(d, a->figure.kind);
        figure.distortion = a->figure.distortion;
        figure.distortion_kind = a->figure.distortion_kind;
        figure.metric = a->figure.metric;
        const config::Experiment& ex = plan.experiment;
        std::string name = a->name;
        if (name.empty()) {
          name = ex.info.name + "-" + figure.kind;
          for (char& c : name)
            if (c == '/') c = '-';
          if (figure.distortion != "none") name += "-" + figure.distortion;
        }
        const report::Figure f = report::build_figure(figure, db);
        for (const auto& m : f.missing) std::cerr << "left out: " << m << "\n";
        const std::string dir =
            (std::filesystem::path(a->out_dir) / (request.profile.empty() ? "none" : request.profile)).string();
        const report::Rendered r = report::render(f, dir, name, a->format);
        std::cout << r.image << "\n";
        std::cerr << "script " << r.script << ", data " << r.data << "\n";
        return 0;
      };
    }};

}  // namespace
}  // namespace sodlab::cli
