// sodlab._core: the evaluator of src/metrics behind a Python interface (pybind11). The classes
// of sodlab.metrics (python/sodlab/metrics.py) call `evaluate_image` per step; sodlab.evaluate
// and sodlab.evaluate_arrays call `evaluate_folders` / `evaluate_arrays`, which run the whole
// evaluation in C++ worker threads with the GIL released.
//
// Inputs arrive here already checked and converted by python/sodlab/_arrays.py: C-contiguous
// uint8, (H, W) maps and masks, (H, W, 3) RGB photographs. Curves are indexed by threshold
// 0..255 ascending, as everywhere in sodlab (PySODMetrics' order is restored in Python).
// sodlab's InputError becomes ValueError, RuntimeFailure becomes RuntimeError.
#include "core/error.h"
#include "core/threads.h"
#include "metrics/confusion_metrics.h"
#include "metrics/convention.h"
#include "metrics/evaluator.h"
#include "metrics/folder_eval.h"
#include "metrics/image_metrics.h"
#include "metrics/size_invariance.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;
namespace m = sodlab::metrics;

namespace {

using U8Array = py::array_t<std::uint8_t, py::array::c_style>;

// A cv::Mat header over the array's memory (no copy): valid while the array lives.
cv::Mat as_mat(const U8Array& array, const char* what) {
  if (array.ndim() == 2) {
    return cv::Mat(static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)), CV_8UC1,
                   const_cast<std::uint8_t*>(array.data()));
  }
  if (array.ndim() == 3 && array.shape(2) == 3) {
    return cv::Mat(static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1)), CV_8UC3,
                   const_cast<std::uint8_t*>(array.data()));
  }
  throw sodlab::InputError(std::string(what) + ": expected a (H, W) uint8 array" +
                           (std::string(what) == "img" ? " or (H, W, 3)" : ""));
}

template <typename Array>
py::array_t<double> to_numpy(const Array& values) {
  py::array_t<double> out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

m::MetricSelection selection_of(const std::string& metrics) { return m::MetricSelection::parse(metrics); }

// One image: per-image values, the per-threshold curves of the selected families and the counts
// PySODMetrics' classes aggregate.
py::dict evaluate_image(const U8Array& pred, const U8Array& gt, const std::string& metrics, bool normalize,
                        const std::string& convention, std::optional<U8Array> img) {
  const cv::Mat pred_mat = as_mat(pred, "pred"), gt_mat = as_mat(gt, "gt");
  const cv::Mat rgb = img ? as_mat(*img, "img") : cv::Mat();
  const m::MetricSelection selection = selection_of(metrics);
  const m::Convention conv = m::parse_convention(convention);
  m::ImageEvaluation e;
  {
    py::gil_scoped_release release;
    e = m::evaluate_image(pred_mat, gt_mat, conv, selection, normalize, rgb);
  }
  py::dict out;
  out["values"] = e.values;
  out["n_pixels"] = e.n_pixels;
  out["n_fg"] = e.n_fg;
  py::dict curves;
  if (selection.has("fm")) {
    curves["precision"] = to_numpy(e.precision);
    curves["recall"] = to_numpy(e.recall);
    curves["fmeasure"] = to_numpy(e.fmeasure);
  }
  if (selection.has("em")) curves["emeasure"] = to_numpy(e.emeasure);
  if (selection.has("auroc")) {
    curves["tpr"] = to_numpy(e.tpr);
    curves["fpr"] = to_numpy(e.fpr);
  }
  if (selection.has("iou")) curves["iou"] = to_numpy(e.iou);
  if (selection.has("msiou")) curves["msiou"] = to_numpy(e.msiou);
  const auto& members = m::confusion_members();
  for (int i = 0; i < m::kConfusionMembers; ++i) {
    if (e.confusion.member[i]) curves[py::str(std::string("confusion_") + members[i].name)] = to_numpy(e.confusion.curves[i]);
  }
  out["curves"] = curves;
  if (m::any_size_invariance(selection)) {
    const m::SizeInvariantImage& si = e.size_invariance;
    py::dict target_curves, sample_adaptive, sample_binary;
    for (int i = 0; i < m::kConfusionMembers; ++i) {
      const auto& kept = si.target_curves[i];
      if (kept.empty()) continue;
      py::array_t<double> array({static_cast<py::ssize_t>(kept.size()), static_cast<py::ssize_t>(256)});
      for (std::size_t k = 0; k < kept.size(); ++k) std::copy(kept[k].begin(), kept[k].end(), array.mutable_data(k, 0));
      const py::str name(members[i].name);
      target_curves[name] = array;
      sample_adaptive[name] = si.sample[i][0];
      sample_binary[name] = si.sample[i][3];
    }
    out["si"] = py::dict(py::arg("defined") = si.defined, py::arg("n_targets") = si.n_targets,
                         py::arg("binary") = py::make_tuple(si.binary.tp, si.binary.fp, si.binary.tn, si.binary.fn),
                         py::arg("target_curves") = target_curves, py::arg("sample_adaptive") = sample_adaptive,
                         py::arg("sample_binary") = sample_binary);
  }
  const m::Confusion& b = e.confusion.binary;
  out["binary"] = py::make_tuple(b.tp, b.fp, b.tn, b.fn);
  return out;
}

// A member of the confusion family ("fm", "iou", ...) of given counts: PySODMetrics' handlers
// applied to pooled counts (`sample_based=False`).
double confusion_value(const std::string& member, std::int64_t tp, std::int64_t fp, std::int64_t tn, std::int64_t fn) {
  const int index = m::confusion_member_index(member.c_str());
  if (index < 0) throw sodlab::InputError("unknown confusion-matrix member '" + member + "'");
  return m::confusion_members()[index].value(m::Confusion{tp, fp, tn, fn});
}

py::dict result_to_dict(const m::EvaluationResult& result) {
  py::dict out;
  out["convention"] = m::convention_name(result.convention);
  out["normalize"] = result.normalize;
  out["n_images"] = result.n_images;
  out["dataset"] = result.dataset;
  out["per_image"] = result.per_image;
  py::dict curves;
  for (const auto& [name, values] : result.curves) curves[py::str(name)] = to_numpy(values);
  out["curves"] = curves;
  return out;
}

py::dict evaluate_folders(const std::string& pred_dir, const std::string& gt_dir, const std::string& metrics,
                          const std::string& convention, int threads, bool normalize, const std::string& images,
                          bool resize) {
  m::FolderEvalOptions options;
  options.convention = m::parse_convention(convention);
  options.selection = selection_of(metrics);
  options.threads = threads;
  options.normalize = normalize;
  options.resize = resize;
  options.images = images;
  m::EvaluationResult result;
  {
    py::gil_scoped_release release;
    const m::FolderPairs pairs = m::match_folders(pred_dir, gt_dir);
    result = m::evaluate_folders(pairs, options);
  }
  return result_to_dict(result);
}

py::dict evaluate_arrays(const std::vector<U8Array>& preds, const std::vector<U8Array>& gts,
                         const std::vector<std::string>& stems, const std::vector<U8Array>& images,
                         const std::string& metrics, const std::string& convention, int threads, bool normalize) {
  if (preds.size() != gts.size() || preds.size() != stems.size() || (!images.empty() && images.size() != preds.size())) {
    throw sodlab::InputError("evaluate_arrays: preds, gts, names (and images) differ in length");
  }
  std::vector<cv::Mat> pred_mats, gt_mats, rgb_mats;
  for (std::size_t i = 0; i < preds.size(); ++i) {
    pred_mats.push_back(as_mat(preds[i], "pred"));
    gt_mats.push_back(as_mat(gts[i], "gt"));
    rgb_mats.push_back(images.empty() ? cv::Mat() : as_mat(images[i], "img"));
  }
  m::Evaluator evaluator(m::parse_convention(convention), selection_of(metrics), normalize);
  {
    py::gil_scoped_release release;
    sodlab::parallel_for(static_cast<int>(preds.size()), sodlab::resolve_threads(threads), [&](int i) {
      try {
        evaluator.add(stems[i], pred_mats[i], gt_mats[i], rgb_mats[i]);
      } catch (const sodlab::InputError& e) {
        throw sodlab::InputError("image " + std::to_string(i) + " ('" + stems[i] + "'): " + e.what());
      }
    });
  }
  return result_to_dict(evaluator.result());
}

// The registry: family → (summary, group, needs_images, [(key, direction, definition)]).
py::list metric_families() {
  py::list out;
  for (const auto& family : m::metric_family_registry().entries()) {
    py::list keys;
    for (const auto& key : family.keys) {
      keys.append(py::make_tuple(key.name, m::better_name(key.better), key.definition));
    }
    out.append(py::dict(py::arg("name") = family.name, py::arg("summary") = family.summary,
                        py::arg("group") = family.group, py::arg("needs_images") = family.needs_images,
                        py::arg("keys") = keys));
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, module) {
  module.doc() = "sodlab's C++ evaluator (src/metrics); use sodlab and sodlab.metrics instead";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const sodlab::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const sodlab::RuntimeFailure& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  module.def("evaluate_image", &evaluate_image, py::arg("pred"), py::arg("gt"), py::arg("metrics"),
             py::arg("normalize") = true, py::arg("convention") = "pysodmetrics", py::arg("img") = py::none());
  module.def("confusion_value", &confusion_value, py::arg("member"), py::arg("tp"), py::arg("fp"), py::arg("tn"),
             py::arg("fn"));
  module.def("evaluate_folders", &evaluate_folders, py::arg("pred_dir"), py::arg("gt_dir"), py::arg("metrics"),
             py::arg("convention"), py::arg("threads"), py::arg("normalize"), py::arg("images"), py::arg("resize"));
  module.def("evaluate_arrays", &evaluate_arrays, py::arg("preds"), py::arg("gts"), py::arg("names"),
             py::arg("images"), py::arg("metrics"), py::arg("convention"), py::arg("threads"), py::arg("normalize"));
  module.def("metric_families", &metric_families);
  module.def("confusion_members", [] {
    std::vector<std::string> names;
    for (const auto& member : m::confusion_members()) names.emplace_back(member.name);
    return names;
  });
}
