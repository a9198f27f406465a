#include "report/run_page.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/options.h"
#include "report/html.h"
#include "store/results_store.h"

namespace sodlab::report {
namespace {

using html::escape;

std::string num(double v, int digits = 4) {
  if (!std::isfinite(v)) return escape(std::to_string(v));
  std::ostringstream os;
  const double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e6)) os << std::scientific << std::setprecision(3) << v;
  else os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string status_span(const std::string& status) {
  return "<span class=\"status-" + escape(status) + "\">" + escape(status) + "</span>";
}

std::string provenance(const store::RunRecord& r) {
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& key, const std::string& value_html) {
    rows.push_back({escape(key), value_html});
  };
  add("experiment", escape(r.experiment));
  add("variant", escape(r.variant));
  add("profile", escape(r.profile.empty() ? "(none)" : r.profile));
  add("fold", r.fold < 0 ? "none" : std::to_string(r.fold));
  add("seed", std::to_string(r.seed));
  add("status", status_span(r.status));
  if (!r.error.empty()) add("error", "<pre>" + escape(r.error) + "</pre>");
  add("overrides (--set)", escape(r.overrides.empty() ? "none" : r.overrides));
  add("code version", escape(r.code_version) + (r.code_dirty ? " (uncommitted changes)" : ""));
  add("host", escape(r.host));
  add("CPU", escape(r.cpu));
  add("threads", std::to_string(r.threads));
  add("device", escape(r.device));
  add("LibTorch / OpenCV", escape(r.libtorch + " / " + r.opencv));
  add("started", escape(r.started_at));
  add("ended", escape(r.ended_at.empty() ? "–" : r.ended_at));
  add("last heartbeat", escape(r.heartbeat_at.empty() ? "–" : r.heartbeat_at));
  if (!r.owner.empty()) add("owner", escape(r.owner));
  if (!r.attempt_of.empty())
    add("redo attempt of", "<a href=\"" + escape(run_page_name(r.attempt_of)) + "\">" + escape(r.attempt_of) + "</a>");
  return html::table({"", ""}, rows);
}

// One row per metric (in first-seen order), one column per (dataset, distortion, convention).
std::string results_table(const std::vector<store::ResultRow>& results) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::vector<std::string> metrics;
  std::vector<Key> columns;
  std::map<std::pair<std::string, Key>, double> value;
  for (const auto& x : results) {
    const Key k{x.dataset, x.distortion, x.convention};
    if (std::find(metrics.begin(), metrics.end(), x.metric) == metrics.end()) metrics.push_back(x.metric);
    if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    value[{x.metric, k}] = x.value;
  }
  std::vector<std::string> header{"metric"};
  std::vector<bool> numeric{false};
  for (const auto& [dataset, distortion, convention] : columns) {
    header.push_back(escape(dataset) + "<br>" + escape(distortion) + "<br>" + escape(convention));
    numeric.push_back(true);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : metrics) {
    std::vector<std::string> row{escape(m)};
    for (const auto& k : columns) {
      const auto it = value.find({m, k});
      row.push_back(it == value.end() ? "" : num(it->second));
    }
    rows.push_back(std::move(row));
  }
  return html::table(header, rows, numeric, "results");
}

std::string epochs_table(const std::vector<store::EpochRecord>& epochs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : epochs)
    rows.push_back({escape(e.stage), std::to_string(e.epoch), num(e.train_loss),
                    e.val_loss ? num(*e.val_loss) : "–", num(e.lr, 6), num(e.seconds, 2)});
  return html::table({"stage", "epoch", "train loss", "validation loss", "learning rate", "seconds"}, rows,
                     {false, true, true, true, true, true}, "epochs");
}

std::string timings_table(const std::vector<store::TimingRow>& timings) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : timings)
    rows.push_back({escape(t.phase), num(t.seconds, 3), std::to_string(t.items),
                    t.items > 0 ? num(t.seconds / static_cast<double>(t.items), 4) : "–",
                    t.bytes ? std::to_string(*t.bytes) : "–", escape(t.device)});
  return html::table({"phase", "seconds", "items", "seconds per item", "bytes", "device"}, rows,
                     {false, true, true, true, true, false}, "timings");
}

}  // namespace

std::string param_text(const OptionValue& v) {
  if (const double* d = std::get_if<double>(&v)) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof(buf), *d).ptr);
  }
  return option_value_to_string(v);
}

std::string run_page_name(const std::string& run_id) {
  std::string name;
  for (char c : run_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    name += ok ? c : '_';
  }
  return name + ".html";
}

std::string run_page(store::ResultsStore& store, const std::string& run_id) {
  const auto record = store.find_run(run_id);
  if (!record) throw InputError("run " + run_id + " is not in the results store");
  const store::RunRecord& r = *record;
  std::ostringstream body;
  body << "<h1>Run " << escape(r.run_id) << "</h1>\n<p class=\"meta\">" << escape(r.experiment) << " · "
       << escape(r.variant) << " · " << status_span(r.status) << "</p>\n";
  const auto tags = store.tags(run_id);
  if (!tags.empty()) {
    body << "<p class=\"tags\">tags:";
    for (const auto& t : tags) body << " <code>" << escape(t) << "</code>";
    body << "</p>\n";
  }
  const auto notes = store.notes(run_id);
  if (!notes.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : notes) rows.push_back({escape(n.added_at), escape(n.text)});
    body << "<h2>Notes</h2>\n" << html::table({"added", "note"}, rows, {false, false}, "notes");
  }
  body << "<h2>Provenance</h2>\n" << provenance(r);

  const auto refs = store.run_refs(run_id);
  if (!refs.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : refs)
      rows.push_back({escape(x.experiment), escape(x.variant), escape(x.profile), escape(x.overrides.empty() ? "none" : x.overrides),
                      escape(x.first_seen_at)});
    body << "<h2>Referred to by</h2>\n"
         << html::table({"experiment", "variant", "profile", "overrides", "first seen"}, rows);
  }
  const auto params = store.params(run_id);
  if (!params.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : params) rows.push_back({escape(p.key), escape(param_text(p.value))});
    body << "<h2>Sweep parameters</h2>\n" << html::table({"key", "value"}, rows, {false, true}, "params");
  }
  const auto results = store.results(run_id);
  body << "<h2>Results</h2>\n";
  if (results.empty()) body << "<p class=\"problem\">No results recorded.</p>\n";
  else body << results_table(results);
  const auto epochs = store.epochs(run_id);
  if (!epochs.empty()) body << "<h2>Epochs</h2>\n" << epochs_table(epochs);
  const auto timings = store.timings(run_id);
  if (!timings.empty()) body << "<h2>Timings</h2>\n" << timings_table(timings);
  const auto artifacts = store.artifacts(run_id);
  if (!artifacts.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : artifacts)
      rows.push_back({escape(a.kind), "<code>" + escape(a.path) + "</code>", "<code>" + escape(a.sha256.substr(0, 16)) + "</code>",
                      std::to_string(a.bytes)});
    body << "<h2>Artifacts</h2>\n" << html::table({"kind", "path", "sha256 (first 16)", "bytes"}, rows, {false, false, false, true});
  }
  body << "<h2>Resolved config</h2>\n<pre class=\"config\">" << escape(r.config_toml) << "</pre>\n";
  return html::page("sodlab run " + r.run_id, body.str(), "../");
}

}  // namespace sodlab::report
