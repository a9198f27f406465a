#include <catch2/catch.hpp>

#include <H5Cpp.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <fstream>

#include "core/error.h"
#include "helpers.h"
#include "models/szn.h"
#include "models/weights.h"
#include "support/shared_data.h"

using namespace sodlab;
using namespace sodlab::models;
using sodlab::testing::TempDir;

namespace {

Vgg16 random_vgg(std::uint64_t seed, bool fc = false, int divisor = 1) {
  Vgg16 v(Vgg16Config{divisor, fc});
  auto gen = at::detail::createCPUGenerator(seed);
  v->reset_parameters(gen);
  torch::NoGradGuard guard;
  for (auto& l : v->layers()) l->bias.uniform_(-1, 1, gen);
  return v;
}

bool same_weights(Vgg16& a, Vgg16& b) {
  auto pa = a->parameters(), pb = b->parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

template <typename Fn>
std::string input_error(Fn&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("weights: Keras HDF5 round trip (nested layout) with kernel (H,W,in,out)", "[weights]") {
  TempDir dir;
  auto file = dir.path() / "notop.h5";
  auto a = random_vgg(1), b = random_vgg(2);
  save_keras_vgg16(*a, file, false);
  {  // the file really is in Keras' layout: block1_conv1/block1_conv1/kernel:0 of shape (3,3,3,64)
    H5::H5File f(file.string(), H5F_ACC_RDONLY);
    auto ds = f.openDataSet("block1_conv1/block1_conv1/kernel:0");
    hsize_t dims[4];
    ds.getSpace().getSimpleExtentDims(dims);
    CHECK((dims[0] == 3 && dims[1] == 3 && dims[2] == 3 && dims[3] == 64));
    float k[3 * 3 * 3 * 64];
    ds.read(k, H5::PredType::NATIVE_FLOAT);
    // kernel[h][w][in][out] == torch weight[out][in][h][w]
    CHECK(k[((1 * 3 + 2) * 3 + 0) * 64 + 5] == a->layers()[0]->weight[5][0][1][2].item<float>());
  }
  CHECK_FALSE(load_keras_vgg16(*b, file));  // no fc layers in a notop file
  CHECK(same_weights(a, b));
}

TEST_CASE("weights: Keras flat layout is accepted", "[weights]") {
  TempDir dir;
  auto file = dir.path() / "flat.h5";
  auto a = random_vgg(3), b = random_vgg(4);
  {
    H5::H5File f(file.string(), H5F_ACC_TRUNC);
    const auto& names = a->layer_names();
    for (size_t i = 0; i < 13; ++i) {
      auto g = f.createGroup("block" + names[i].substr(4, 1) + "_conv" + names[i].substr(6, 1));
      auto write = [&](const char* name, torch::Tensor t) {
        t = t.detach().contiguous();
        std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
        H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
        g.createDataSet(name, H5::PredType::IEEE_F64LE, space)  // float64 on disk: converted on read
            .write(t.to(torch::kFloat64).data_ptr<double>(), H5::PredType::NATIVE_DOUBLE);
      };
      write("kernel:0", a->layers()[i]->weight.permute({2, 3, 1, 0}));
      write("bias:0", a->layers()[i]->bias);
    }
  }
  load_keras_vgg16(*b, file);
  CHECK(same_weights(a, b));
}

TEST_CASE("weights: Keras files with wrong shapes, missing layers or bad bytes are rejected clearly", "[weights]") {
  TempDir dir;
  auto file = dir.path() / "w.h5";
  auto a = random_vgg(1);
  save_keras_vgg16(*a, file, false);
  {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink("block3_conv2/block3_conv2/kernel:0");
    hsize_t dims[4] = {3, 3, 128, 256};  // wrong: conv3_2 takes 256 channels
    f.createDataSet("block3_conv2/block3_conv2/kernel:0", H5::PredType::IEEE_F32LE, H5::DataSpace(4, dims));
    f.unlink("block5_conv3");
  }
  auto b = random_vgg(2);
  auto msg = input_error([&] { load_keras_vgg16(*b, file); });
  CHECK(contains(msg, "block3_conv2"));
  CHECK(contains(msg, "(3,3,128,256)"));
  CHECK(contains(msg, "(3,3,256,256)"));
  {
    H5::H5File f(file.string(), H5F_ACC_RDWR);
    f.unlink("block3_conv2/block3_conv2/kernel:0");
  }
  msg = input_error([&] { load_keras_vgg16(*b, file); });
  CHECK(contains(msg, "block3_conv2 not found"));
  CHECK(contains(msg, "kernel"));
  std::ofstream(dir.path() / "junk.h5") << "not hdf5";
  msg = input_error([&] { load_keras_vgg16(*b, dir.path() / "junk.h5"); });
  CHECK(contains(msg, "junk.h5"));
  msg = input_error([&] { load_keras_vgg16(*b, dir.path() / "absent.h5"); });
  CHECK(contains(msg, "absent.h5"));
  CHECK(contains(msg, "block{1..5}_conv{c}"));
}

TEST_CASE("weights: LibTorch archive round trip carries the normalisation", "[weights]") {
  TempDir dir;
  auto file = dir.path() / "vgg.pt";
  auto a = random_vgg(5, /*fc=*/false), b = random_vgg(6, false);
  a->set_normalisation(caffe_vgg_normalisation());
  save_torch_vgg16(a, file);
  CHECK(load_torch_vgg16(*b, file));
  CHECK(same_weights(a, b));
  CHECK(b->normalisation().bgr);
  CHECK(b->normalisation().mean[2] == Approx(123.68));

  auto wrong = random_vgg(7, false, 2);
  save_torch_vgg16(wrong, dir.path() / "half.pt");
  auto msg = input_error([&] { load_torch_vgg16(*b, dir.path() / "half.pt"); });
  CHECK(contains(msg, "conv1_1"));
  CHECK(contains(msg, "(32,3,3,3)"));
  CHECK(same_weights(a, b));  // a failed load leaves the net untouched

  Vgg16 with_fc(Vgg16Config{16, true});
  Vgg16 no_fc(Vgg16Config{16, false});
  save_torch_vgg16(no_fc, dir.path() / "nofc.pt");
  msg = input_error([&] { load_torch_vgg16(*with_fc, dir.path() / "nofc.pt"); });
  CHECK(contains(msg, "fc6 missing"));
  std::ofstream(dir.path() / "junk.pt") << "junk";
  CHECK(contains(input_error([&] { load_torch_vgg16(*b, dir.path() / "junk.pt"); }), "junk.pt"));
}

TEST_CASE("weights: catalogue TOML, environment variable and paths resolve through make_model", "[weights]") {
  TempDir dir;
  auto a = random_vgg(9);
  save_keras_vgg16(*a, dir.path() / "mine.h5", false);
  const auto cat = dir.path() / "weights.toml";
  std::ofstream(cat) << "[myvgg]\npath = \"mine.h5\"\nchannel_order = \"rgb\"\nmean = [1.0, 2.0, 3.0]\nstd = [4.0, 5.0, 6.0]\n";
  auto m = std::dynamic_pointer_cast<Szn>(test::build(
      "szn", {{"backbone_weights", std::string("myvgg")}, {"weights_catalogue", cat.string()}, {"fc_layers", false}}));
  CHECK(same_weights(a, m->backbone()));
  auto n = m->backbone()->normalisation();
  CHECK_FALSE(n.bgr);
  CHECK(n.mean[1] == 2.0);
  CHECK(n.std[2] == 6.0);
  // Normalisation is applied: x' = (x − mean)/std per channel.
  auto x = torch::full({1, 3, 2, 2}, 10.0f);
  CHECK(m->backbone()->normalise(x)[0][2][0][0].item<float>() == Approx((10.0 - 3.0) / 6.0));

  ::setenv("SODLAB_WEIGHTS_ENVVGG", (dir.path() / "mine.h5").c_str(), 1);
  auto e = std::dynamic_pointer_cast<Szn>(
      test::build("szn", {{"backbone_weights", std::string("envvgg")}, {"fc_layers", false}}));
  ::unsetenv("SODLAB_WEIGHTS_ENVVGG");
  CHECK(same_weights(a, e->backbone()));
  CHECK(e->backbone()->normalisation().bgr);  // Keras default: caffe BGR

  auto p = std::dynamic_pointer_cast<Szn>(
      test::build("szn", {{"backbone_weights", (dir.path() / "mine.h5").string()}, {"fc_layers", false}}));
  CHECK(same_weights(a, p->backbone()));

  auto msg = input_error([&] { test::build("szn", {{"backbone_weights", std::string("nosuch")}, {"fc_layers", false}}); });
  CHECK(contains(msg, "SODLAB_WEIGHTS_NOSUCH"));
  msg = input_error([&] {
    test::build("szn", {{"backbone_weights", (dir.path() / "mine.h5").string()}, {"width_divisor", std::int64_t{2}},
                        {"fc_layers", false}});
  });
  CHECK(contains(msg, "width_divisor"));
  const char* home = std::getenv("HOME");
  const std::string old_home = home ? home : "";
  ::setenv("HOME", dir.path().c_str(), 1);  // built-in "vgg16" → ~/.keras/models/…notop.h5 (absent here)
  msg = input_error([&] { test::build("szn", {{"fc_layers", false}}); });
  ::setenv("HOME", old_home.c_str(), 1);
  CHECK(contains(msg, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"));
}

namespace {

torch::Tensor read_f32(const std::filesystem::path& file, std::vector<std::int64_t> shape) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  auto t = torch::empty(shape, torch::kFloat);
  REQUIRE(bytes.size() == static_cast<std::size_t>(t.numel()) * sizeof(float));
  std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  return t;
}

}  // namespace

// Against PyTorch itself (Debian's python3-torch / python3-torchvision 1.13 / 0.14): torchvision's
// vgg16 with seeded random weights, its state_dict saved by torch.save, and torchvision's
// conv5_3 and fc7 activations for a fixed input; sodlab's backbone loads the file and reproduces
// them. The legacy serialisation is refused with the one-line conversion.
TEST_CASE("weights: torchvision's vgg16 state_dict reproduces torchvision's features", "[weights]") {
  TempDir dir;
  const std::string script = std::string(SODLAB_SOURCE_DIR) + "/tests/models/torchvision_vgg16.py";
  const int rc = std::system(("/usr/bin/python3 '" + script + "' '" + dir.path().string() + "' > '" +
                              (dir.path() / "py.log").string() + "' 2>&1").c_str());
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) == 77 || WEXITSTATUS(rc) == 127)
    SODLAB_SKIP("python3-torch / python3-torchvision not installed (scripts/install-deps.sh installs them)");
  REQUIRE(WEXITSTATUS(rc) == 0);
  const auto image = read_f32(dir.path() / "image.f32", {1, 3, 224, 224});
  const auto conv5_3 = read_f32(dir.path() / "conv5_3.f32", {1, 512, 14, 14});
  const auto fc7 = read_f32(dir.path() / "fc7.f32", {1, 4096});

  Vgg16 net(Vgg16Config{1, true});
  WeightsEntry entry;
  entry.name = "torchvision";
  entry.path = dir.path() / "vgg16_plain.pth";
  entry.format = "torch";
  const std::string what = load_backbone_weights(*net, entry);
  CHECK(what.find("sha256") != std::string::npos);
  net->eval();
  torch::NoGradGuard no_grad;
  const auto acts = net->forward(image);
  const auto& names = net->layer_names();
  auto activation = [&](const std::string& name) {
    const auto at = std::find(names.begin(), names.end(), name) - names.begin();
    REQUIRE(at < static_cast<std::ptrdiff_t>(acts.size()));
    return acts[static_cast<std::size_t>(at)];
  };
  auto relative = [](const torch::Tensor& got, const torch::Tensor& want) {
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-12)).item<double>();
  };
  CHECK(relative(activation("conv5_3"), conv5_3) < 1e-5);
  CHECK(relative(activation("fc7").reshape({1, 4096}), fc7) < 1e-5);
  CHECK(fc7.abs().max().item<double>() > 0);  // not a comparison of zeros

  // What LibTorch cannot unpickle is refused with the conversion; the converted file loads.
  for (const char* name : {"vgg16_legacy.pth", "vgg16_zip.pth"}) {
    INFO(name);
    entry.path = dir.path() / name;
    std::string message;
    try {
      load_backbone_weights(*net, entry);
    } catch (const InputError& e) {
      message = e.what();
    }
    const auto at = message.find("python3 -c \"");
    REQUIRE(at != std::string::npos);
    const auto end = message.find("\" and give");
    REQUIRE(end != std::string::npos);
    const std::string command = "/usr/bin/" + message.substr(at, end + 1 - at);
    REQUIRE(std::system(command.c_str()) == 0);
    entry.path = dir.path() / (std::string(name) + ".sodlab.pth");
    load_backbone_weights(*net, entry);
    CHECK(relative(net->forward(image).back().reshape({1, 4096}), fc7) < 1e-5);
  }
}
