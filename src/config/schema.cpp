#include <algorithm>
// The experiment schema: every key, default, type and range (see experiment.h for the layout).
#include "config/schema.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "config/toml_reader.h"
#include "core/error.h"

namespace sodlab::config::detail {
namespace {

constexpr const char* kDefaultDataRoot = "../shared/data";

const toml::table kEmpty;

const toml::table& section(TableReader& top, const std::string& key) {
  const toml::table* t = top.subtable(key);
  return t ? *t : kEmpty;
}

DatasetSpec read_dataset(const toml::node& node, const std::string& path, const std::string& file) {
  if (!node.is_table())
    fail(&node, file, path, std::string("expected a dataset table { dataset = \"...\", ... }, got ") +
                                type_name(node));
  TableReader r(*node.as_table(), path, file);
  DatasetSpec d;
  d.where = where(&node, file);
  d.dataset = r.required_string("dataset");
  d.split = r.string("split", "");
  d.name = r.string("label", "");
  d.options = Options("dataset '" + d.dataset + "'");
  for (const auto& key : r.rest()) {
    d.options.set(key, to_option_value(*r.table().get(key), file, r.key_path(key)));
    d.options.set_where(key, where(r.table().get(key), file));
  }
  return d;
}

Distortion read_distortion(const toml::node& node, const std::string& path, const std::string& file) {
  if (!node.is_table())
    fail(&node, file, path, std::string("expected { kind = \"none\"|\"awgn\"|\"jpeg\", level = ... } or ") +
                                "{ kind = ..., random = \"uniform\", low = ..., high = ... }, got " + type_name(node));
  TableReader r(*node.as_table(), path, file);
  Distortion d;
  d.kind = r.string("kind", "none", {"none", "awgn", "jpeg"});
  d.random = r.string("random", "", {"", "uniform"});
  const bool awgn = d.kind == "awgn";
  auto level = [&](const char* key) {  // σ on the 0-255 intensity scale, or a JPEG quality
    return awgn ? r.number(key, 0.0, 0.0, 255.0) : static_cast<double>(r.integer(key, 75, 1, 100));
  };
  if (d.kind == "none") {
    if (!d.random.empty()) fail(r.node("random"), file, path + ".random", "kind \"none\" has no strength to draw");
    d.level = r.number("level", 0.0, 0.0, 0.0);
  } else if (d.random.empty()) {
    r.required("level");
    d.level = level("level");
  } else {
    r.required("low");
    r.required("high");
    d.low = level("low");
    d.high = level("high");
    if (!(d.low < d.high)) fail(r.node("high"), file, path + ".high", "must be greater than low");
  }
  r.finish();
  return d;
}

Component read_component(TableReader& top, const std::string& key, const std::string& file) {
  const toml::table* t = top.subtable(key);
  if (!t) fail(&top.table(), file, key, "required section [" + key + "] is missing (needs name = \"...\")");
  TableReader r(*t, key, file);
  Component c;
  c.where = where(r.node("name") ? r.node("name") : t, file);
  c.name = r.required_string("name");
  c.options = Options(key + " '" + c.name + "'");
  for (const auto& k : r.rest()) {
    c.options.set(k, to_option_value(*t->get(k), file, r.key_path(k)));
    c.options.set_where(k, where(t->get(k), file));
  }
  return c;
}

// data.augmentation: a kind name ("szn") or a table { name = "szn", <option> = ... }.
Component read_augmentation(TableReader& data, const std::string& file) {
  const toml::node* n = data.node("augmentation");
  Component c;
  if (!n) {
    c.name = "none";
  } else if (n->is_string()) {
    c.where = where(n, file);
    c.name = n->as_string()->get();
  } else if (n->is_table()) {
    return read_component(data, "augmentation", file);
  } else {
    fail(n, file, "data.augmentation",
         std::string("expected a name (\"szn\") or a table { name = \"szn\", ... }, got ") + type_name(*n));
  }
  c.options = Options("augmentation '" + c.name + "'");
  return c;
}

Stage read_stage(const toml::node& node, std::size_t index, const std::string& file) {
  const std::string path = "train.stages[" + std::to_string(index) + "]";
  if (!node.is_table()) fail(&node, file, path, std::string("expected a table, got ") + type_name(node));
  TableReader r(*node.as_table(), path, file);
  const Stage d;  // the defaults (config/stage.h)
  Stage s;
  s.name = r.string("name", d.name + std::to_string(index + 1));
  s.epochs = static_cast<int>(r.integer("epochs", d.epochs, 1, 100000));
  s.lr = r.number("lr", d.lr, 0.0, std::nullopt, /*min_exclusive=*/true);
  s.optimizer = r.string("optimizer", d.optimizer, {"adam", "sgd"});
  s.momentum = r.number("momentum", d.momentum, 0.0, 1.0);
  s.weight_decay = r.number("weight_decay", d.weight_decay, 0.0, std::nullopt);
  const auto betas = r.number_list("betas", {d.betas[0], d.betas[1]});
  if (betas.size() != 2 || betas[0] < 0 || betas[0] >= 1 || betas[1] < 0 || betas[1] >= 1)
    fail(r.node("betas"), file, r.key_path("betas"), "expected two numbers in [0, 1)");
  s.betas = {betas[0], betas[1]};
  s.nesterov = r.boolean("nesterov", d.nesterov);
  s.eps = r.number("eps", d.eps, 0.0, std::nullopt, true);
  s.schedule = r.string("schedule", d.schedule, {"constant", "multistep"});
  s.milestone_unit = r.string("milestone_unit", d.milestone_unit, {"epoch", "iteration"});
  const std::optional<std::int64_t> max_milestone =
      s.milestone_unit == "epoch" ? std::optional<std::int64_t>(s.epochs) : std::nullopt;
  for (auto m : r.integer_list("milestones", {}, 1, max_milestone)) s.milestones.push_back(m);
  for (std::size_t i = 1; i < s.milestones.size(); ++i)
    if (s.milestones[i] <= s.milestones[i - 1])
      fail(r.node("milestones"), file, r.key_path("milestones"), "must be strictly increasing");
  if (s.schedule == "multistep" && s.milestones.empty())
    fail(r.node("schedule"), file, r.key_path("schedule"), "'multistep' needs milestones = [...]");
  s.gamma = r.number("gamma", d.gamma, 0.0, std::nullopt, true);
  s.frozen = r.string_list("frozen", {});
  r.finish();
  return s;
}

}  // namespace

const std::vector<std::string>& top_level_sections() {
  static const std::vector<std::string> v{"experiment", "data",     "model",    "loss", "train",
                                          "eval",       "variants", "profiles", "table",
                                          "sweep"};
  return v;
}
const std::vector<std::string>& variant_sections() {
  static const std::vector<std::string> v{"data", "model", "loss", "train", "eval"};
  return v;
}
const std::vector<std::string>& profile_sections() {
  static const std::vector<std::string> v{"data", "model", "loss", "train", "eval", "table", "variants"};
  return v;
}

void read_experiment_info(const toml::table& resolved, const std::string& file, ExperimentInfo& info) {
  const toml::node* n = resolved.get("experiment");
  if (!n) fail(&resolved, file, "experiment", "required section [experiment] is missing (needs name = \"...\")");
  if (!n->is_table()) fail(n, file, "experiment", std::string("expected a table, got ") + type_name(*n));
  TableReader r(*n->as_table(), "experiment", file);
  info.name = r.required_string("name");
  info.reproduces = r.string("reproduces", "");
  info.description = r.string("description", "");
  r.finish();
}

const std::vector<std::string>& study_sections() {
  static const std::vector<std::string> v{"experiment", "study", "profiles", "table"};
  return v;
}
const std::vector<std::string>& evaluation_only_data_keys() {
  static const std::vector<std::string> v{"test", "distortions", "batch_size", "workers", "data_root"};
  return v;
}
const std::vector<std::string>& study_profile_sections() {
  static const std::vector<std::string> v{"study", "table"};
  return v;
}

StudySection read_study(const toml::table& resolved, const std::string& file) {
  const toml::node* n = resolved.get("study");
  if (!n || !n->is_table()) fail(n ? n : &resolved, file, "study", "expected a table [study] with kind = \"...\"");
  TableReader r(*n->as_table(), "study", file);
  StudySection st;
  st.where = where(n, file);
  st.kind = r.required_string("kind");
  st.data_root = r.string("data_root", kDefaultDataRoot);
  if (const toml::node* d = r.node("dataset")) st.dataset = read_dataset(*d, "study.dataset", file);
  st.options = Options("study '" + st.kind + "'");
  for (const auto& key : r.rest()) {
    const toml::node* v = r.table().get(key);
    if (v->is_table() || v->is_array())
      fail(v, file, r.key_path(key), "expected a number, string or boolean (study options are flat)");
    st.options.set(key, to_option_value(*v, file, r.key_path(key)));
    st.options.set_where(key, where(v, file));
  }
  toml::table canonical = *n->as_table();
  canonical.erase("data_root");
  std::ostringstream os;
  os << toml::toml_formatter(canonical, toml::format_flags::none);
  st.canonical = os.str();
  return st;
}

void read_run_sections(const toml::table& resolved, const std::string& file, RunSpec& run) {
  TableReader top(resolved, "", file);

  top.subtable("experiment");
  read_experiment_info(resolved, file, run.info);
  run.experiment = run.info.name;

  {  // [data]
    const toml::table* t = top.subtable("data");
    if (!t) fail(&resolved, file, "data", "required section [data] is missing (needs train and test)");
    TableReader r(*t, "data", file);
    DataSection& d = run.data;
    d.data_root = r.string("data_root", kDefaultDataRoot);
    d.train = read_dataset(r.required("train"), "data.train", file);
    const toml::array* test = r.array("test");
    if (!test || test->empty())
      fail(test ? static_cast<const toml::node*>(test) : t, file, "data.test",
           "at least one test set is required: test = [{ dataset = \"...\" }]");
    for (std::size_t i = 0; i < test->size(); ++i)
      d.test.push_back(read_dataset(*test->get(i), "data.test[" + std::to_string(i) + "]", file));
    d.input_size = static_cast<int>(r.integer("input_size", 224, 8, 8192));
    d.batch_size = static_cast<int>(r.integer("batch_size", 8, 1, 65536));
    d.workers = static_cast<int>(r.integer("workers", 0, 0, 1024));
    d.folds = static_cast<int>(r.integer("folds", 0, 0, 1000));
    if (d.folds == 1) fail(r.node("folds"), file, "data.folds", "k-fold needs k >= 2 (0 = no k-fold)");
    const auto fold_list = r.integer_list("fold_list", {}, 0, d.folds > 0 ? d.folds - 1 : -1);
    for (auto f : fold_list) d.fold_list.push_back(static_cast<int>(f));
    if (d.fold_list.empty())
      for (int f = 0; f < d.folds; ++f) d.fold_list.push_back(f);
    if (const toml::node* v = r.node("validation")) {
      if (v->is_table()) {
        d.validation = read_dataset(*v, "data.validation", file);
      } else if (v->is_number()) {
        d.validation_fraction = v->value<double>().value_or(0);
        if (!(d.validation_fraction > 0 && d.validation_fraction <= 0.5))
          fail(v, file, "data.validation", "a fraction of the training set in (0, 0.5], e.g. 0.1");
      } else {
        fail(v, file, "data.validation",
             "expected the fraction of the training set to hold out (0.1) or a dataset table "
             "({ dataset = \"msra-b\", split = \"val\" })");
      }
    }
    d.augmentation = read_augmentation(r, file);  // names and options: checked by the pipeline plan
    d.augmentation_pool = static_cast<int>(r.integer("augmentation_pool", 0, 0, 1000000));
    if (const toml::array* dist = r.array("distortions")) {
      for (std::size_t i = 0; i < dist->size(); ++i)
        d.distortions.push_back(
            read_distortion(*dist->get(i), "data.distortions[" + std::to_string(i) + "]", file));
    } else {
      d.distortions.push_back(Distortion{"none", 0.0});
    }
    r.finish();
  }

  run.model = read_component(top, "model", file);
  run.loss = read_component(top, "loss", file);

  {  // [train]
    const toml::table* t = top.subtable("train");
    if (!t) fail(&resolved, file, "train", "required section [train] is missing (needs [[train.stages]])");
    TableReader r(*t, "train", file);
    TrainSection& tr = run.train;
    const toml::array* stages = r.array("stages");
    if (!stages || stages->empty())
      fail(stages ? static_cast<const toml::node*>(stages) : t, file, "train.stages",
           "at least one stage is required ([[train.stages]] with epochs, lr, ...)");
    for (std::size_t i = 0; i < stages->size(); ++i) {
      tr.stages.push_back(read_stage(*stages->get(i), i, file));
      for (std::size_t j = 0; j < i; ++j)
        if (tr.stages[j].name == tr.stages[i].name)
          fail(stages->get(i), file, "train.stages[" + std::to_string(i) + "].name",
               "duplicate stage name '" + tr.stages[i].name + "' (also stage " + std::to_string(j + 1) +
                   "): epochs are recorded per stage name");
    }
    tr.seeds = r.integer_list("seeds", {0}, 0, std::nullopt);
    if (tr.seeds.empty()) fail(r.node("seeds"), file, "train.seeds", "needs at least one seed");
    for (std::size_t i = 1; i < tr.seeds.size(); ++i)
      if (std::find(tr.seeds.begin(), tr.seeds.begin() + i, tr.seeds[i]) != tr.seeds.begin() + i)
        fail(r.node("seeds"), file, "train.seeds",
             "seed " + std::to_string(tr.seeds[i]) + " is listed twice (it would be the same run)");
    tr.batch_size = static_cast<int>(r.integer("batch_size", 8, 1, 65536));
    tr.threads = static_cast<int>(r.integer("threads", 0, 0, 4096));
    tr.device = r.string("device", "auto");
    if (tr.device != "auto" && tr.device != "cpu" && tr.device != "cuda" && tr.device.rfind("cuda:", 0) != 0)
      fail(r.node("device"), file, "train.device", "'" + tr.device + "': expected auto, cpu, cuda or cuda:N");
    tr.precision = r.string("precision", "fp32", {"fp32", "bf16", "fp16"});
    tr.feature_cache = r.string("feature_cache", "off", {"off", "fp16", "fp32"});
    tr.target_cache = r.boolean("target_cache", false);
    tr.rehearse = static_cast<int>(r.integer("rehearse", 0, 0, 10000));
    // A frozen backbone's activations are a function of its input: they can be cached only when
    // each image's inputs repeat (what is cached is a named option, never silent).
    if (tr.feature_cache != "off" && run.data.augmentation.name != "none" && run.data.augmentation_pool == 0)
      fail(r.node("feature_cache"), file, "train.feature_cache",
           "'" + tr.feature_cache + "' caches the frozen backbone's activations, but data.augmentation '" +
               run.data.augmentation.name +
               "' draws new inputs every epoch; set data.augmentation_pool = K (K fixed augmented copies per "
               "image, one drawn per epoch) or data.augmentation = \"none\"");
    r.finish();
  }

  {  // [eval]
    TableReader r(section(top, "eval"), "eval", file);
    EvalSection& e = run.eval;
    e.convention = r.string("convention", "pysodmetrics");  // checked against the metrics registry
    // Metric family names are checked against the metrics registry by the pipeline plan.
    if (r.node("metrics")) e.metrics_where = where(r.node("metrics"), file);
    e.metrics = r.string_list("metrics", {"all"});
    if (e.metrics.empty()) fail(r.node("metrics"), file, "eval.metrics", "needs at least one metric");
    e.save_predictions = r.boolean("save_predictions", false);
    if (const toml::table* j = r.subtable("jacobian")) {
      TableReader jr(*j, "eval.jacobian", file);
      e.jacobian_where = where(j, file);
      e.jacobian_estimators = jr.string_list("estimators", {});
      if (e.jacobian_estimators.empty())
        fail(jr.node("estimators") ? jr.node("estimators") : j, file, "eval.jacobian.estimators",
             "needs at least one estimator (paper_code, salient_sum, mc_fd)");
      for (const auto& key : jr.rest()) {
        e.jacobian.set(key, to_option_value(*j->get(key), file, jr.key_path(key)));
        e.jacobian.set_where(key, where(j->get(key), file));
      }
    }
    r.finish();
  }
  top.finish();
}

TableSpec read_table(const toml::table& table, const std::string& file,
                     const std::vector<std::string>& variants,
                     const std::string& default_convention, bool columns_optional) {
  TableReader r(table, "table", file);
  TableSpec spec;
  spec.title = r.string("title", "");
  spec.caption = r.string("caption", "");
  const toml::array* columns = r.array("columns");
  static const toml::array kNoColumns;
  if (columns_optional && !columns) columns = &kNoColumns;
  if ((!columns || columns->empty()) && !columns_optional)
    fail(columns ? static_cast<const toml::node*>(columns) : &table, file, "table.columns",
         "at least one column is required: columns = [{ dataset = \"...\", metric = \"...\" }]");
  for (std::size_t i = 0; i < columns->size(); ++i) {
    const toml::node& n = *columns->get(i);
    const std::string path = "table.columns[" + std::to_string(i) + "]";
    if (!n.is_table()) fail(&n, file, path, std::string("expected a table, got ") + type_name(n));
    TableReader c(*n.as_table(), path, file);
    TableColumn col;
    col.where = where(&n, file);
    col.dataset = c.required_string("dataset");
    col.metric = c.required_string("metric");
    col.convention = c.string("convention", default_convention);
    col.distortion = c.string("distortion", "none");
    col.label = c.string("label", col.metric);
    col.digits = static_cast<int>(c.integer("digits", 3, 0, 10));
    col.notation = c.string("notation", "fixed", {"fixed", "sci"});
    col.better_given = c.node("better") != nullptr;
    col.higher_is_better = c.string("better", "higher", {"higher", "lower"}) == "higher";
    col.source = c.string("source", "results", {"results", "timing"});
    if (col.source == "timing" && col.metric != "train_hours" && col.metric != "train_s_per_epoch" &&
        col.metric != "test_s_per_image")
      fail(c.node("metric"), file, c.key_path("metric"),
           "a timing column's metric is train_hours, train_s_per_epoch or test_s_per_image");
    col.scale = c.number("scale", 1.0, 0.0, std::nullopt, true);
    col.published_on = c.string("published_on", "");
    col.note = c.string("note", "");
    c.finish();
    spec.columns.push_back(col);
  }
  if (const toml::array* rows = r.array("rows")) {
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const toml::node& n = *rows->get(i);
      const std::string path = "table.rows[" + std::to_string(i) + "]";
      if (!n.is_table()) fail(&n, file, path, std::string("expected a table, got ") + type_name(n));
      TableReader c(*n.as_table(), path, file);
      TableRow row;
      row.label = c.required_string("label");
      row.variant = c.string("variant", "", variants.empty() ? std::vector<std::string>{""} : variants);
      if (const toml::array* pub = c.array("published")) {
        if (pub->size() != spec.columns.size())
          fail(pub, file, c.key_path("published"),
               "has " + std::to_string(pub->size()) + " values but the table has " +
                   std::to_string(spec.columns.size()) + " columns (use \"-\" where not published)");
        for (std::size_t j = 0; j < pub->size(); ++j) {
          const toml::node* cell = pub->get(j);
          std::string note;
          if (cell->is_table()) {  // { value = 0.984, note = "..." }
            TableReader pc(*cell->as_table(), c.key_path("published") + "[" + std::to_string(j) + "]", file);
            note = pc.required_string("note");
            const toml::node& value = pc.required("value");
            pc.finish();
            cell = &value;
          }
          row.published_notes.push_back(note);
          const toml::node& v = *cell;
          if (v.is_integer()) row.published.emplace_back(static_cast<double>(v.as_integer()->get()));
          else if (v.is_floating_point() && !std::isnan(v.as_floating_point()->get()))
            row.published.emplace_back(v.as_floating_point()->get());
          else if ((v.is_floating_point()) || (v.is_string() && v.as_string()->get() == "-"))
            row.published.emplace_back(std::nullopt);
          else
            fail(&v, file, c.key_path("published") + "[" + std::to_string(j) + "]",
                 "expected a number or \"-\" (not published)");
        }
      } else {
        row.published.assign(spec.columns.size(), std::nullopt);
        row.published_notes.assign(spec.columns.size(), "");
      }
      row.note = c.string("note", "");
      if (c.node("reference")) row.reference = c.string("reference", "");
      if (row.variant.empty() && !c.node("published"))
        fail(&n, file, path, "a row needs a variant (our runs) or published values (a baseline)");
      c.finish();
      spec.rows.push_back(row);
    }
  }
  spec.notes = r.string_list("notes", {});
  spec.layout = r.string("layout", "methods", {"methods", "metrics"});
  {  // paired statistics: a reference must be the variant of one of the table's rows
    std::vector<std::string> row_variants;
    for (const auto& row : spec.rows)
      if (!row.variant.empty()) row_variants.push_back(row.variant);
    // A table without rows (a sweep's, filled with its points later) is checked against the
    // points by sweep::sweep_table_spec.
    auto check_reference = [&](const std::string& ref, const toml::node* node, const std::string& key) {
      if (ref.empty() || ref == "none" || spec.rows.empty()) return;
      for (const auto& v : row_variants)
        if (v == ref) return;
      std::string known;
      for (const auto& v : row_variants) known += (known.empty() ? "" : ", ") + v;
      fail(node, file, key,
           "reference '" + ref + "' is not the variant of a row of this table (rows: " +
               (known.empty() ? std::string("none with a variant") : known) + "; or \"none\")");
    };
    spec.reference = r.string("reference", "");
    check_reference(spec.reference, r.node("reference"), "table.reference");
    if (const toml::array* rows = r.array("rows"))
      for (std::size_t i = 0; i < rows->size() && i < spec.rows.size(); ++i)
        if (spec.rows[i].reference && rows->get(i)->is_table())
          check_reference(*spec.rows[i].reference, rows->get(i)->as_table()->get("reference"),
                          "table.rows[" + std::to_string(i) + "].reference");
    spec.resamples = static_cast<int>(r.integer("resamples", 2000, 1, 1000000));
    spec.bootstrap_seed = static_cast<std::uint64_t>(r.integer("bootstrap_seed", 0, 0));
  }
  if (const toml::table* ds = r.subtable("datasets")) {
    for (auto&& [k, v] : *ds) {
      if (!v.is_string())
        fail(&v, file, "table.datasets." + std::string(k.str()),
             std::string("expected a dataset name (string), got ") + type_name(v));
      spec.datasets[std::string(k.str())] = v.as_string()->get();
    }
  }
  r.finish();
  return spec;
}

namespace {

void put_option(toml::table& t, const std::string& key, const OptionValue& v) {
  switch (v.index()) {
    case 0: t.insert_or_assign(key, std::get<bool>(v)); break;
    case 1: t.insert_or_assign(key, std::get<std::int64_t>(v)); break;
    case 2: t.insert_or_assign(key, std::get<double>(v)); break;
    default: t.insert_or_assign(key, std::get<std::string>(v)); break;
  }
}

toml::table dataset_tree(const DatasetSpec& d) {
  toml::table t;
  t.insert_or_assign("dataset", d.dataset);
  t.insert_or_assign("split", d.split);
  if (!d.name.empty()) t.insert_or_assign("label", d.name);
  for (const auto& [k, v] : d.options.given()) put_option(t, k, v);
  return t;
}

toml::table component_tree(const Component& c) {
  toml::table t;
  t.insert_or_assign("name", c.name);
  for (const auto& [k, v] : c.options.given()) put_option(t, k, v);
  return t;
}

template <typename T>
toml::array to_array(const std::vector<T>& v) {
  toml::array a;
  for (const auto& x : v) a.push_back(x);
  return a;
}

}  // namespace

toml::table canonical_tree(const RunSpec& run) {
  toml::table root;
  root.insert_or_assign("run", toml::table{{"experiment", run.experiment},
                                           {"variant", run.variant},
                                           {"profile", run.profile},
                                           {"seed", run.seed},
                                           {"fold", run.fold}});
  root.insert_or_assign("experiment", toml::table{{"name", run.info.name},
                                                  {"reproduces", run.info.reproduces},
                                                  {"description", run.info.description}});
  const DataSection& d = run.data;
  toml::table data{{"data_root", d.data_root},     {"input_size", d.input_size},
                   {"batch_size", d.batch_size},   {"workers", d.workers},
                   {"folds", d.folds}};
  data.insert_or_assign("augmentation", component_tree(d.augmentation));
  if (d.augmentation_pool > 0) data.insert_or_assign("augmentation_pool", d.augmentation_pool);
  data.insert_or_assign("train", dataset_tree(d.train));
  if (d.validation_fraction > 0) data.insert_or_assign("validation", d.validation_fraction);
  if (!d.validation.dataset.empty()) data.insert_or_assign("validation", dataset_tree(d.validation));
  toml::array test;
  for (const auto& t : d.test) test.push_back(dataset_tree(t));
  data.insert_or_assign("test", std::move(test));
  toml::array dist;
  for (const auto& x : d.distortions) {
    if (x.random.empty()) dist.push_back(toml::table{{"kind", x.kind}, {"level", x.level}});
    else dist.push_back(toml::table{{"kind", x.kind}, {"random", x.random}, {"low", x.low}, {"high", x.high}});
  }
  data.insert_or_assign("distortions", std::move(dist));
  root.insert_or_assign("data", std::move(data));
  root.insert_or_assign("model", component_tree(run.model));
  root.insert_or_assign("loss", component_tree(run.loss));
  toml::table train{{"batch_size", run.train.batch_size},
                    {"threads", run.train.threads},
                    {"device", run.train.device},
                    {"precision", run.train.precision}};
  if (run.train.feature_cache != "off") train.insert_or_assign("feature_cache", run.train.feature_cache);
  if (run.train.target_cache) train.insert_or_assign("target_cache", true);
  if (run.train.rehearse > 0) train.insert_or_assign("rehearse", run.train.rehearse);  // real runs' ids unchanged
  toml::array stages;
  for (const auto& s : run.train.stages) {
    toml::table st{{"name", s.name},         {"epochs", s.epochs},
                   {"lr", s.lr},             {"optimizer", s.optimizer},
                   {"momentum", s.momentum}, {"nesterov", s.nesterov},
                   {"weight_decay", s.weight_decay}, {"eps", s.eps},
                   {"schedule", s.schedule}, {"milestone_unit", s.milestone_unit},
                   {"gamma", s.gamma}};
    st.insert_or_assign("betas", toml::array{s.betas[0], s.betas[1]});
    st.insert_or_assign("milestones", to_array(s.milestones));
    st.insert_or_assign("frozen", to_array(s.frozen));
    stages.push_back(std::move(st));
  }
  train.insert_or_assign("stages", std::move(stages));
  root.insert_or_assign("train", std::move(train));
  toml::table eval{{"convention", run.eval.convention}, {"save_predictions", run.eval.save_predictions}};
  eval.insert_or_assign("metrics", to_array(run.eval.metrics));
  if (!run.eval.jacobian_estimators.empty()) {
    toml::table j;
    j.insert_or_assign("estimators", to_array(run.eval.jacobian_estimators));
    for (const auto& [k, v] : run.eval.jacobian.resolved().empty() ? run.eval.jacobian.given()
                                                                    : run.eval.jacobian.resolved())
      put_option(j, k, v);
    eval.insert_or_assign("jacobian", std::move(j));
  }
  root.insert_or_assign("eval", std::move(eval));
  return root;
}

}  // namespace sodlab::config::detail
