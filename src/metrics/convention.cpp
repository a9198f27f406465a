#include "metrics/convention.h"

#include "core/error.h"

#include <sstream>

namespace sodlab::metrics {

Convention parse_convention(const std::string& name) {
  if (name == "pysodmetrics") return Convention::pysodmetrics;
  if (name == "sal_eval_toolbox") return Convention::sal_eval_toolbox;
  throw InputError("unknown metric convention '" + name + "' (valid: pysodmetrics, sal_eval_toolbox)");
}

const char* convention_name(Convention c) {
  return c == Convention::pysodmetrics ? "pysodmetrics" : "sal_eval_toolbox";
}

std::vector<std::string> convention_names() { return {"pysodmetrics", "sal_eval_toolbox"}; }

MetricSelection MetricSelection::parse(const std::string& csv) {
  if (csv.empty() || csv == "all") return MetricSelection{};
  MetricSelection s{false, false, false, false, false, false, false};
  std::stringstream in(csv);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "mae") s.mae = true;
    else if (item == "fm") s.fm = true;
    else if (item == "wfm") s.wfm = true;
    else if (item == "sm") s.sm = true;
    else if (item == "em") s.em = true;
    else if (item == "auroc") s.auroc = true;
    else if (item == "iou") s.iou = true;
    else if (item == "all") s = MetricSelection{};
    else
      throw InputError("--metrics: unknown metric '" + item +
                       "' (valid: mae, fm, wfm, sm, em, auroc, iou, all)");
  }
  return s;
}

std::string MetricSelection::to_string() const {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ",";
    out += name;
  };
  add(mae, "mae"); add(fm, "fm"); add(wfm, "wfm"); add(sm, "sm");
  add(em, "em"); add(auroc, "auroc"); add(iou, "iou");
  return out;
}

}  // namespace sodlab::metrics
