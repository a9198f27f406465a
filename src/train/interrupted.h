// train::Interrupted without LibTorch: what fit() throws when a stop was requested (SIGINT,
// SIGTERM, SIGHUP), for code that catches it and includes no torch.
#pragma once

#include "core/error.h"

namespace sodlab::train {

// Thrown by Trainer::fit() when hooks.stop_requested() said so (e.g. SIGTERM).
class Interrupted : public RuntimeFailure {
 public:
  using RuntimeFailure::RuntimeFailure;
};

}  // namespace sodlab::train
