// The loss registry: one table (registry.cpp) of every loss an experiment's [loss] may name.
//
// make_loss reads every option of the named loss with its default through the Options getters
// (so options.resolved() afterwards lists every option with the value used, for the run record),
// then calls options.reject_unknown(). Unknown loss name → InputError listing the known names and
// the closest one; bad option values → InputError naming the key. Building a loss is cheap, so
// checking one is building it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/names.h"
#include "core/options.h"
#include "losses/loss.h"

namespace sodlab::losses {

struct LossEntry {
  std::string name, summary;
  std::function<std::unique_ptr<Loss>(Options&)> build;
};

const NameRegistry<LossEntry>& loss_registry();

std::unique_ptr<Loss> make_loss(const std::string& name, Options& options);

}  // namespace sodlab::losses
