// The smallest experiment that trains for real: a 1/16-width SZN on 64×64 images, batch 4 (about
// a second per epoch on 2 cores). Tests append their own [train], [variants], [table] sections.
#pragma once

#include <string>

namespace sodlab::testing {

// `train` and `test` are dataset tables, e.g. R"({ dataset = "synthetic", n = 8, size = 64 })";
// `loss` a loss name; `epochs` of the one stage "only". The [train] table is left open: add
// keys right after (e.g. "seeds = [0, 1]\n").
inline std::string tiny_experiment(const std::string& name, const std::string& train,
                                   const std::string& test, const std::string& loss = "af_fbeta_w",
                                   int epochs = 1) {
  return "[experiment]\nname = \"" + name + "\"\n\n[data]\ntrain = " + train + "\ntest = [" + test +
         "]\ninput_size = 64\n\n[model]\nname = \"szn\"\nbackbone_weights = \"none\"\nwidth_divisor = 16\n"
         "squeeze = 4\nhidden = 8\nfc_layers = false\n\n[loss]\nname = \"" + loss +
         "\"\n\n[eval]\nmetrics = [\"mae\", \"auroc\"]\n\n[[train.stages]]\nname = \"only\"\nepochs = " +
         std::to_string(epochs) + "\nlr = 3e-3\n\n[train]\nbatch_size = 4\n";
}

}  // namespace sodlab::testing
