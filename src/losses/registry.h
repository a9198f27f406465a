// Losses built by name from options (the TOML experiments name them).
//
// make_loss reads every option of the named loss with its default through the Options getters
// (so options.resolved() afterwards lists every option with the value used, for the run record),
// then calls options.reject_unknown(). Unknown loss name → InputError listing the known names and
// the closest one; bad option values → InputError naming the key.
#pragma once

#include "core/options.h"
#include "losses/loss.h"

#include <memory>
#include <string>
#include <vector>

namespace sodlab::losses {

std::unique_ptr<Loss> make_loss(const std::string& name, Options& options);
// Registered names, sorted: ce, weighted_ce, ce_dnc_band, af_fbeta_w, menet.
std::vector<std::string> loss_names();

}  // namespace sodlab::losses
