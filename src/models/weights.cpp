#include "models/weights.h"

#include <H5Cpp.h>
#include <toml++/toml.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"

namespace sodlab::models {
namespace fs = std::filesystem;

namespace {

const char* kKerasLayout =
    "expected the Keras VGG-16 layout: groups block{1..5}_conv{c} each holding datasets kernel "
    "(3,3,in,out) and bias (out) (as block1_conv1/block1_conv1/kernel:0 or block1_conv1/kernel:0), "
    "e.g. vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5";
const char* kTorchLayout =
    "expected a LibTorch archive of the sodlab VGG-16 backbone (torch::save of models::Vgg16): "
    "submodules conv1_1 … conv5_3 (and fc6, fc7) each with weight (out,in,kh,kw) and bias (out), "
    "or torchvision's vgg16 state_dict saved by torch.save (features.N.weight/bias, classifier.0/3)";

// torchvision.models.vgg16: the indices in `features` of conv1_1 … conv5_3, and in `classifier`
// of fc6 (Linear 25088 → 4096 on the flattened 512×7×7 pool5) and fc7 (Linear 4096 → 4096).
constexpr int kTorchvisionConv[13] = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
constexpr int kTorchvisionFc[2] = {0, 3};

// The one-line conversion of a torch.save file LibTorch cannot read into one it can: the zip
// format, holding a plain dict of tensors.
std::string conversion_hint(const fs::path& file) {
  const std::string f = file.string();
  return "convert it once: python3 -c \"import torch; torch.save(dict(torch.load('" + f + "', map_location='cpu')), '" + f +
         ".sodlab.pth')\" and give " + f + ".sodlab.pth";
}

// The file's first bytes: "PK" (zip: LibTorch archives and torch.save since PyTorch 1.6) or the
// pickle protocol-2 opcode that starts PyTorch's legacy serialisation.
std::string leading_bytes(const fs::path& file, std::size_t n) {
  std::ifstream in(file, std::ios::binary);
  std::string b(n, '\0');
  in.read(b.data(), static_cast<std::streamsize>(n));
  b.resize(static_cast<std::size_t>(in.gcount()));
  return b;
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + ")";
}

std::string format_of(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".h5" || ext == ".hdf5") return "keras_h5";
  if (ext == ".pt" || ext == ".pth") return "torch";
  return "";
}

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || !format_of(s).empty();
}

std::optional<InputNormalisation> entry_normalisation(const toml::table& t, const std::string& where) {
  if (!t.contains("channel_order") && !t.contains("mean") && !t.contains("std")) return std::nullopt;
  InputNormalisation n;
  const std::string order = t["channel_order"].value_or(std::string("rgb"));
  if (order != "rgb" && order != "bgr")
    throw InputError(where + ".channel_order: expected \"rgb\" or \"bgr\", got \"" + order + "\"");
  n.bgr = order == "bgr";
  auto triple = [&](const char* key, std::array<double, 3>& out) {
    if (!t.contains(key)) return;
    const toml::array* a = t[key].as_array();
    if (!a || a->size() != 3) throw InputError(where + "." + key + ": expected an array of 3 numbers");
    for (size_t i = 0; i < 3; ++i) {
      auto v = (*a)[i].value<double>();
      if (!v) throw InputError(where + "." + key + "[" + std::to_string(i) + "]: expected a number");
      out[i] = *v;
    }
  };
  triple("mean", n.mean);
  triple("std", n.std);
  return n;
}

// H5Lexists on every prefix of an absolute-less path ("a/b/c").
bool h5_exists(H5::H5File& f, const std::string& path) {
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (H5Lexists(f.getId(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

// Reads a float dataset, checks its shape; returns it as a tensor of that shape.
torch::Tensor h5_read(H5::H5File& f, const std::string& path, const std::vector<std::int64_t>& expect,
                      const fs::path& file) {
  H5::DataSet ds = f.openDataSet(path);
  if (ds.getTypeClass() != H5T_FLOAT)
    throw InputError(file.string() + ": dataset " + path + " is not floating point; " + kKerasLayout);
  H5::DataSpace space = ds.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  std::vector<std::int64_t> shape(dims.begin(), dims.end());
  if (shape != expect)
    throw InputError(file.string() + ": dataset " + path + " has shape " + shape_str(shape) +
                     ", expected " + shape_str(expect) + "; " + kKerasLayout);
  torch::Tensor t = torch::empty(expect, torch::kFloat32);
  ds.read(t.data_ptr<float>(), H5::PredType::NATIVE_FLOAT);
  return t;
}

// Finds kernel/bias of Keras layer `layer` in any accepted layout; empty strings if absent.
std::pair<std::string, std::string> keras_paths(H5::H5File& f, const std::string& layer) {
  for (const std::string root : {"", "model_weights/"}) {
    for (const std::string mid : {layer + "/" + layer + "/", layer + "/"}) {
      for (const std::string suffix : {":0", ""}) {
        const std::string k = root + mid + "kernel" + suffix, b = root + mid + "bias" + suffix;
        if (h5_exists(f, k) && h5_exists(f, b)) return {k, b};
      }
    }
  }
  return {"", ""};
}

void assign(torch::nn::Conv2d& conv, const torch::Tensor& w, const torch::Tensor& b) {
  torch::NoGradGuard guard;
  conv->weight.copy_(w);
  conv->bias.copy_(b);
}

}  // namespace

std::optional<WeightsEntry> resolve_weights(const std::string& spec, const std::string& catalogue) {
  if (spec == "none") return std::nullopt;
  if (spec.empty()) throw InputError("backbone_weights: empty (use \"none\" for from-scratch init)");
  WeightsEntry e;
  e.name = spec;
  if (looks_like_path(spec)) {
    e.path = spec;
    e.format = format_of(spec);
    if (e.format.empty())
      throw InputError("backbone_weights '" + spec + "': unknown file type (expected .h5/.hdf5 for Keras "
                       "HDF5 or .pt/.pth for a LibTorch archive)");
    if (e.format == "keras_h5") e.normalisation = caffe_vgg_normalisation();
    return e;
  }
  // Catalogue TOML entry (may give the normalisation and/or the path).
  std::string cat = catalogue;
  if (cat.empty())
    if (const char* env = std::getenv("SODLAB_WEIGHTS_CATALOGUE")) cat = env;
  if (!cat.empty()) {
    toml::table root;
    try {
      root = toml::parse_file(cat);
    } catch (const toml::parse_error& err) {
      std::ostringstream msg;
      msg << cat << ":" << err.source().begin.line << ":" << err.source().begin.column
          << ": weights catalogue: " << err.description();
      throw InputError(msg.str());
    }
    if (const toml::table* t = root[spec].as_table()) {
      const std::string where = cat + ": [" + spec + "]";
      if (auto p = (*t)["path"].value<std::string>()) {
        e.path = fs::path(*p);
        if (e.path.is_relative()) e.path = fs::path(cat).parent_path() / e.path;
      }
      e.format = (*t)["format"].value_or(std::string());
      e.normalisation = entry_normalisation(*t, where);
    }
  }
  std::string env_name = "SODLAB_WEIGHTS_";
  for (char c : spec) env_name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* env = std::getenv(env_name.c_str())) e.path = env;
  if (e.path.empty() && spec == "vgg16_torchvision") {  // where torchvision.models.vgg16 downloads it
    const char* torch_home = std::getenv("TORCH_HOME");
    const char* home = std::getenv("HOME");
    const fs::path base = torch_home && *torch_home ? fs::path(torch_home) : fs::path(home ? home : ".") / ".cache" / "torch";
    e.path = base / "hub" / "checkpoints" / "vgg16-397923af.pth";
    e.format = "torch";
  }
  if (e.path.empty() && (spec == "vgg16" || spec == "vgg16_full")) {
    const char* home = std::getenv("HOME");
    e.path = fs::path(home ? home : ".") / ".keras" / "models" /
             (spec == "vgg16" ? "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
                              : "vgg16_weights_tf_dim_ordering_tf_kernels.h5");
  }
  if (e.path.empty())
    throw InputError("backbone_weights '" + spec + "': unknown weights name; give a file path, set " +
                     env_name + "=<file>, or add a [" + spec +
                     "] table with path = \"…\" to the weights catalogue (option weights_catalogue or "
                     "SODLAB_WEIGHTS_CATALOGUE); \"none\" initialises from scratch");
  if (e.format.empty()) e.format = format_of(e.path);
  if (e.format.empty()) e.format = "keras_h5";
  if (e.format != "keras_h5" && e.format != "torch")
    throw InputError("weights '" + spec + "': format must be \"keras_h5\" or \"torch\", got \"" + e.format + "\"");
  if (!e.normalisation && e.format == "keras_h5") e.normalisation = caffe_vgg_normalisation();
  return e;
}

bool load_keras_vgg16(Vgg16Impl& net, const fs::path& file) {
  if (net.config().width_divisor != 1)
    throw InputError("pretrained VGG-16 weights need width_divisor=1 (got " +
                     std::to_string(net.config().width_divisor) + ")");
  if (!fs::is_regular_file(file))
    throw InputError("weights file not found: " + file.string() + "; " + kKerasLayout);
  H5::Exception::dontPrint();
  try {
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    auto& layers = net.layers();
    const auto& names = net.layer_names();
    for (size_t i = 0; i < 13; ++i) {
      const std::string layer = "block" + names[i].substr(4, 1) + "_conv" + names[i].substr(6, 1);
      auto [kp, bp] = keras_paths(f, layer);
      if (kp.empty())
        throw InputError(file.string() + ": layer " + layer + " not found; " + kKerasLayout);
      const auto& w = layers[i]->weight;
      torch::Tensor k = h5_read(f, kp, {3, 3, w.size(1), w.size(0)}, file);
      torch::Tensor b = h5_read(f, bp, {w.size(0)}, file);
      assign(layers[i], k.permute({3, 2, 0, 1}), b);
    }
    if (!net.has_fc()) return false;
    auto [k1, b1] = keras_paths(f, "fc1");
    auto [k2, b2] = keras_paths(f, "fc2");
    if (k1.empty() || k2.empty()) return false;
    torch::Tensor w1 = h5_read(f, k1, {7 * 7 * 512, 4096}, file);
    assign(layers[13], w1.view({7, 7, 512, 4096}).permute({3, 2, 0, 1}), h5_read(f, b1, {4096}, file));
    torch::Tensor w2 = h5_read(f, k2, {4096, 4096}, file);
    assign(layers[14], w2.t().reshape({4096, 4096, 1, 1}), h5_read(f, b2, {4096}, file));
    return true;
  } catch (const H5::Exception& e) {
    throw InputError(file.string() + ": not a readable HDF5 file (" + e.getDetailMsg() + "); " + kKerasLayout);
  }
}

void save_keras_vgg16(Vgg16Impl& net, const fs::path& file, bool full) {
  H5::Exception::dontPrint();
  H5::H5File f(file.string(), H5F_ACC_TRUNC);
  auto write = [&](H5::Group& g, const std::string& name, const torch::Tensor& t) {
    torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
    std::vector<hsize_t> dims(c.sizes().begin(), c.sizes().end());
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
    g.createDataSet(name, H5::PredType::IEEE_F32LE, space).write(c.data_ptr<float>(), H5::PredType::NATIVE_FLOAT);
  };
  auto& layers = net.layers();
  const auto& names = net.layer_names();
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string layer;
    torch::Tensor k;
    const auto& w = layers[i]->weight;
    if (i < 13) {
      layer = "block" + names[i].substr(4, 1) + "_conv" + names[i].substr(6, 1);
      k = w.permute({2, 3, 1, 0});
    } else {
      if (!full) break;
      layer = i == 13 ? "fc1" : "fc2";
      k = i == 13 ? w.permute({2, 3, 1, 0}).reshape({-1, w.size(0)}) : w.view({w.size(0), w.size(1)}).t();
    }
    H5::Group outer = f.createGroup(layer);
    H5::Group inner = outer.createGroup(layer);
    write(inner, "kernel:0", k);
    write(inner, "bias:0", layers[i]->bias);
  }
}

bool load_torchvision_vgg16(Vgg16Impl& net, const fs::path& file) {
  if (net.config().width_divisor != 1)
    throw InputError("pretrained VGG-16 weights need width_divisor=1 (got " +
                     std::to_string(net.config().width_divisor) + ")");
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    // LibTorch 1.13's unpickler reads a plain dict of tensors, not the OrderedDict carrying
    // _metadata that nn.Module.state_dict() returns.
    throw InputError(file.string() + ": not a LibTorch archive, and LibTorch cannot unpickle it as a state_dict (" +
                     e.what_without_backtrace() + "; torch.save(net.state_dict()) writes an OrderedDict with "
                     "_metadata, which it cannot read); " + conversion_hint(file));
  }
  if (!value.isGenericDict()) throw InputError(file.string() + ": torch.save'd object is not a state_dict; " + kTorchLayout);
  std::map<std::string, torch::Tensor> sd;
  for (const auto& item : value.toGenericDict())
    if (item.key().isString() && item.value().isTensor()) sd[item.key().toStringRef()] = item.value().toTensor();
  auto tensor = [&](const std::string& key) {
    auto it = sd.find(key);
    if (it == sd.end()) throw InputError(file.string() + ": state_dict has no '" + key + "'; " + kTorchLayout);
    return it->second;
  };
  auto& layers = net.layers();
  const auto& names = net.layer_names();
  std::vector<std::pair<torch::Tensor, torch::Tensor>> read(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string prefix = i < 13 ? "features." + std::to_string(kTorchvisionConv[i])
                                      : "classifier." + std::to_string(kTorchvisionFc[i - 13]);
    torch::Tensor w = tensor(prefix + ".weight").to(torch::kFloat), b = tensor(prefix + ".bias").to(torch::kFloat);
    const auto& pw = layers[i]->weight;
    if (i >= 13 && w.dim() == 2 && w.numel() == pw.numel()) w = w.reshape(pw.sizes());  // Linear → conv
    if (w.sizes() != pw.sizes() || b.sizes() != layers[i]->bias.sizes())
      throw InputError(file.string() + ": " + prefix + ".weight (" + names[i] + ") has shape " +
                       shape_str(w.sizes().vec()) + ", expected " + shape_str(pw.sizes().vec()) + "; " + kTorchLayout);
    read[i] = {w, b};
  }
  for (size_t i = 0; i < layers.size(); ++i) assign(layers[i], read[i].first, read[i].second);
  net.set_normalisation(imagenet_rgb_normalisation());  // torchvision's ImageNet preprocessing
  return true;
}

namespace {
void require_readable_torch_file(const fs::path& file) {
  if (!fs::is_regular_file(file))
    throw InputError("weights file not found: " + file.string() + "; " + kTorchLayout);
  const std::string head = leading_bytes(file, 2);
  if (head.size() == 2 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] == 0x02)
    throw InputError(file.string() + ": PyTorch's legacy serialisation (torch.save before 1.6; torchvision "
                     "publishes vgg16-397923af.pth so), which LibTorch cannot read; " + conversion_hint(file));
}
}  // namespace

void check_weights_file(const WeightsEntry& entry) {
  if (entry.format == "torch") return require_readable_torch_file(entry.path);
  if (!fs::is_regular_file(entry.path))
    throw InputError("weights file not found: " + entry.path.string() + "; " + kKerasLayout);
  if (leading_bytes(entry.path, 8) != std::string("\x89HDF\r\n\x1a\n", 8))
    throw InputError(entry.path.string() + ": not an HDF5 file; " + kKerasLayout);
}

bool load_torch_vgg16(Vgg16Impl& net, const fs::path& file) {
  require_readable_torch_file(file);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
  } catch (const std::exception&) {
    return load_torchvision_vgg16(net, file);  // a torch.save'd state_dict (zip), not a module archive
  }
  auto& layers = net.layers();
  const auto& names = net.layer_names();
  std::vector<std::pair<torch::Tensor, torch::Tensor>> read(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    torch::serialize::InputArchive child;
    if (!archive.try_read(names[i], child))
      throw InputError(file.string() + ": layer " + names[i] + " missing; " + kTorchLayout);
    torch::Tensor w, b;
    try {
      if (!child.try_read("weight", w) || !child.try_read("bias", b))
        throw InputError(file.string() + ": layer " + names[i] + " lacks weight or bias; " + kTorchLayout);
    } catch (const c10::Error&) {
      throw InputError(file.string() + ": layer " + names[i] + " weight/bias unreadable; " + kTorchLayout);
    }
    const auto& pw = layers[i]->weight;
    if (w.sizes() != pw.sizes() || b.sizes() != layers[i]->bias.sizes())
      throw InputError(file.string() + ": layer " + names[i] + " weight has shape " + shape_str(w.sizes().vec()) +
                       ", expected " + shape_str(pw.sizes().vec()) + "; " + kTorchLayout);
    read[i] = {w, b};
  }
  for (size_t i = 0; i < layers.size(); ++i) assign(layers[i], read[i].first, read[i].second);
  torch::Tensor mean, std, bgr;
  try {
    if (archive.try_read("input_mean", mean, true) && archive.try_read("input_std", std, true) &&
        archive.try_read("input_bgr", bgr, true) && mean.numel() == 3 && std.numel() == 3) {
      InputNormalisation n;
      n.bgr = bgr.item<float>() != 0;
      for (int c = 0; c < 3; ++c) {
        n.mean[c] = mean[c].item<double>();
        n.std[c] = std[c].item<double>();
      }
      net.set_normalisation(n);
      return true;
    }
  } catch (const c10::Error&) {
  }
  return false;
}

void save_torch_vgg16(Vgg16& net, const fs::path& file) { torch::save(net, file.string()); }

std::string load_backbone_weights(Vgg16Impl& net, const WeightsEntry& entry) {
  std::string what = entry.name + ": " + entry.format + " " + entry.path.string() + " (sha256 " +
                     (fs::is_regular_file(entry.path) ? sha256_file_hex(entry.path.string()).substr(0, 16) : "missing") + ")";
  bool fc_loaded = false;
  if (entry.format == "keras_h5") {
    fc_loaded = load_keras_vgg16(net, entry.path);
  } else {
    load_torch_vgg16(net, entry.path);
    fc_loaded = net.has_fc();
  }
  if (entry.normalisation) net.set_normalisation(*entry.normalisation);
  if (net.has_fc() && !fc_loaded) what += " (file has no fc layers: fc6/fc7 initialised from scratch)";
  return what;
}

}  // namespace sodlab::models
