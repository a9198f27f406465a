#include "pipeline/provenance.h"

#include <torch/version.h>

#include <opencv2/core/version.hpp>

#include "code_version.h"
#include "store/provenance.h"

namespace sodlab::pipeline {

void fill_provenance(store::RunRecord& record, int threads, const std::string& device) {
  record.code_version = build::kCodeVersion;
  record.code_dirty = build::kCodeDirty;
  record.host = store::host_name();
  record.cpu = store::cpu_model();
  record.threads = threads;
  record.device = device;
  record.libtorch = TORCH_VERSION;
  record.opencv = CV_VERSION;
}

}  // namespace sodlab::pipeline
