// Input-sensitivity evaluation of a model on one clean test set ([eval.jacobian], MEnet Table
// III), and recording it in the store.
//
// Each estimator (robustness/jacobian.h) runs on every image of the set, batched; its per-image
// values go to per_image and their means over the set to results (+ n_images), all under
// distortion "none" and convention = the estimator's settings label (e.g.
// "paper_code/in64/out32"), so two settings never share rows. Timing: phase
// "jacobian.<convention label>.<dataset>" (e.g. "jacobian.mc_fd/in64/out32/.../seed0.sod").
#pragma once

#include <string>
#include <vector>

#include "config/experiment.h"
#include "models/model.h"
#include "pipeline/run_data.h"
#include "robustness/jacobian.h"
#include "store/results_store.h"

namespace sodlab::pipeline {

// The run's [eval.jacobian] settings: input_size and batch_size default to the run's
// data.input_size and data.batch_size. InputError for a bad option.
robustness::JacobianSettings jacobian_settings(const config::RunSpec& run);
// [eval.jacobian] with every option explicit (defaults filled), for the canonical config; checks
// the estimator names and options (InputError naming the closest name).
Options resolved_jacobian_options(const config::RunSpec& run);
// The results' convention of each configured estimator: {estimator, label}.
std::vector<std::pair<std::string, std::string>> jacobian_conventions(const config::RunSpec& run);

struct SetJacobian {
  std::string dataset, estimator, convention;
  std::vector<std::pair<std::string, robustness::MetricValues>> per_image;  // stem → values
  double seconds = 0;
  std::string device = "cpu";  // where the model ran (timings.device)
};

SetJacobian evaluate_jacobian(models::SegmentationModel& model, const TestSet& set, const std::string& estimator,
                              const robustness::JacobianSettings& settings, int workers);

// Dataset results last (their presence marks the evaluation done). A metric that is NaN for some
// image (e.g. J_fro2_se with one direction) is averaged over the images where it is finite.
void record_jacobian(store::ResultsStore& store, const std::string& run_id, const SetJacobian& j);

// "  sod [jacobian paper_code/in64/out32]  J_max 1.2E-08 ... (100 images, 3.1 ms/image)"
std::string summary_line(const SetJacobian& j);

}  // namespace sodlab::pipeline
