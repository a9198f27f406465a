// What every run recorded by the pipeline (trained run or study) says about where and with what
// it was computed: code version (git describe, dirty flag), host, CPU, intra-op threads, device,
// LibTorch and OpenCV versions.
#pragma once

#include "store/results_store.h"

namespace sodlab::pipeline {

void fill_provenance(store::RunRecord& record, int threads, const std::string& device = "cpu");

}  // namespace sodlab::pipeline
