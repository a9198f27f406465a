// Backbone weights: the catalogue (name → file + input normalisation) and VGG-16 weight I/O.
//
// `backbone_weights` specs: "none" (from-scratch init, explicit), a catalogue name, or a path
// (contains '/' or ends in .h5/.hdf5/.pt/.pth). A name resolves, first match wins, through
//   1. environment variable SODLAB_WEIGHTS_<NAME> (upper case, '-' → '_') = file path;
//   2. the catalogue TOML (option weights_catalogue, else $SODLAB_WEIGHTS_CATALOGUE): a table
//      [name] with path (relative to the TOML), optional format ("keras_h5" | "torch"),
//      channel_order ("rgb" | "bgr"), mean = [3 numbers], std = [3 numbers] in [0,255] units;
//   3. built-ins: "vgg16" = ~/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 and
//      "vgg16_full" = ~/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels.h5 (Keras caffe
//      normalisation: BGR, mean 103.939/116.779/123.68); "vgg16_torchvision" = torchvision's
//      $TORCH_HOME (default ~/.cache/torch)/hub/checkpoints/vgg16-397923af.pth (ImageNet RGB).
// Normalisation: the catalogue entry's if it gives one; else for torch archives the one stored
// in the archive (input_* buffers); else the format default (keras_h5: caffe BGR).
// Every missing, unreadable or malformed file is an InputError naming it and the expected layout.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "models/vgg16.h"

namespace sodlab::models {

struct WeightsEntry {
  std::string name;                                 // catalogue name or the path given
  std::filesystem::path path;
  std::string format;                               // "keras_h5" | "torch"
  std::optional<InputNormalisation> normalisation;  // explicit catalogue normalisation
};

// nullopt for "none". `catalogue` may be empty (then $SODLAB_WEIGHTS_CATALOGUE, if set).
std::optional<WeightsEntry> resolve_weights(const std::string& spec, const std::string& catalogue);

// What can be checked of `entry`'s file without loading it (planning calls it before any run): it
// exists, a Keras file starts with the HDF5 signature, a torch file is not the legacy
// serialisation LibTorch cannot read. InputError naming the file otherwise.
void check_weights_file(const WeightsEntry& entry);

// Keras HDF5 (notop or full): groups block{b}_conv{c} (and fc1/fc2 in the full file) holding
// kernel (kh,kw,in,out) and bias (out), nested (G/G/kernel:0, Keras 2) or flat (G/kernel:0 or
// G/kernel); an optional top-level "model_weights" group is accepted. fc6/fc7 are loaded when
// the file has fc1/fc2 (fc1 kernel 25088×4096 = Flatten of 7×7×512, channels last); returns
// whether it did. Missing conv layers or shape mismatches throw InputError.
bool load_keras_vgg16(Vgg16Impl& net, const std::filesystem::path& file);
// Test/tool helper: writes `net` in the Keras 2 nested layout (conv layers; fc1/fc2 if full).
void save_keras_vgg16(Vgg16Impl& net, const std::filesystem::path& file, bool full);

// format "torch": a LibTorch archive written by torch::save(Vgg16) / save_torch_vgg16 (every conv,
// and fc6/fc7 when the net has them, with matching shapes; the input_* buffers optional), or
// torchvision's vgg16 state_dict saved by torch.save as a plain dict in the zip format (PyTorch
// >= 1.6; fc6/fc7 from classifier.0/3, ImageNet RGB normalisation). What LibTorch 1.13 cannot
// unpickle (the legacy serialisation torchvision publishes; the OrderedDict with _metadata that
// torch.save(net.state_dict()) writes) is an InputError printing the one-line conversion. Returns true when the
// file carried a normalisation (it is then applied).
bool load_torch_vgg16(Vgg16Impl& net, const std::filesystem::path& file);
void save_torch_vgg16(Vgg16& net, const std::filesystem::path& file);

// Resolves and loads `entry` into net, applying the right normalisation. Returns a one-line
// description for logs ("vgg16: keras_h5 …/notop.h5, fc6/fc7 from scratch").
std::string load_backbone_weights(Vgg16Impl& net, const WeightsEntry& entry);

}  // namespace sodlab::models
