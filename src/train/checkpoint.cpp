#include "train/checkpoint.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/output_files.h"

namespace sodlab::train {
namespace {

std::int64_t read_int(torch::serialize::InputArchive& ar, const std::string& key, const std::string& path) {
  c10::IValue v;
  if (!ar.try_read(key, v) || !v.isInt())
    throw InputError("checkpoint " + path + " has no integer '" + key + "' (not a sodlab checkpoint?)");
  return v.toInt();
}

// Writes the archive to `tmp` through a writer that never fails towards LibTorch: a failing
// write (a full disk) is remembered and reported here as a RuntimeFailure naming the file, with
// the file removed. (LibTorch's own file writer throws from inside its zip writer, and again from
// its destructor during unwinding: std::terminate, exit 134.)
void write_archive(torch::serialize::OutputArchive& ar, const std::string& tmp) {
  output::CheckedFile file(tmp);  // RuntimeFailure "cannot create …" names the file
  std::string thrown;
  try {
    ar.save_to([&](const void* data, std::size_t n) -> std::size_t {
      file.write(data, n);
      return n;  // LibTorch sees success; a failed write is reported below
    });
  } catch (const std::exception& e) {
    thrown = e.what();
  }
  const int error = file.finish();
  if (error != 0 || !thrown.empty())
    throw RuntimeFailure("cannot write checkpoint " + tmp + ": " + (error ? std::strerror(error) : thrown) +
                         (error == ENOSPC ? " (free space, then run it again: it resumes from its last checkpoint)" : ""));
}

}  // namespace

void save_checkpoint(const std::string& path, const std::string& fingerprint,
                     const CheckpointPosition& pos, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer,
                     const std::function<void(const std::string& tmp_path)>& before_commit) {
  torch::serialize::OutputArchive ar;
  ar.write("sodlab_checkpoint_version", c10::IValue(static_cast<std::int64_t>(1)));
  ar.write("fingerprint", c10::IValue(fingerprint));
  ar.write("stage", c10::IValue(static_cast<std::int64_t>(pos.stage)));
  ar.write("stage_epochs", c10::IValue(static_cast<std::int64_t>(pos.stage_epochs)));
  ar.write("global_epochs", c10::IValue(static_cast<std::int64_t>(pos.global_epochs)));
  torch::serialize::OutputArchive model_ar, opt_ar;
  model.save(model_ar);
  optimizer.save(opt_ar);
  ar.write("model", model_ar);
  ar.write("optimizer", opt_ar);
  const std::string tmp = path + ".tmp";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  write_archive(ar, tmp);
  std::error_code ec;
  if (before_commit) before_commit(tmp);
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw RuntimeFailure("cannot rename checkpoint " + tmp + " to " + path + ": " + ec.message());
  }
}

CheckpointPosition read_checkpoint_position(const std::string& path, std::string* fingerprint) {
  torch::serialize::InputArchive ar;
  try {
    ar.load_from(path);
  } catch (const std::exception& e) {
    throw InputError("cannot read checkpoint " + path + " (corrupt? delete it to start over): " + e.what());
  }
  CheckpointPosition pos;
  pos.stage = static_cast<int>(read_int(ar, "stage", path));
  pos.stage_epochs = static_cast<int>(read_int(ar, "stage_epochs", path));
  pos.global_epochs = static_cast<int>(read_int(ar, "global_epochs", path));
  if (fingerprint) {
    c10::IValue v;
    if (!ar.try_read("fingerprint", v) || !v.isString())
      throw InputError("checkpoint " + path + " has no fingerprint (not a sodlab checkpoint?)");
    *fingerprint = v.toStringRef();
  }
  return pos;
}

void load_checkpoint_state(const std::string& path, torch::nn::Module& model,
                           torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive ar, model_ar, opt_ar;
  try {
    // Tensors are read onto the model's device (a CPU checkpoint resumes on a GPU and back).
    const auto params = model.parameters();
    ar.load_from(path, params.empty() ? torch::Device(torch::kCPU) : params.front().device());
    ar.read("model", model_ar);
    model.load(model_ar);
    if (optimizer) {
      ar.read("optimizer", opt_ar);
      optimizer->load(opt_ar);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError("cannot restore checkpoint " + path +
                     " into this model/optimiser (different architecture? delete it to start over): " +
                     e.what());
  }
}

}  // namespace sodlab::train
