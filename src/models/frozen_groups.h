// Internal helper: named groups of submodules that can be frozen (no gradients, eval mode).
#pragma once

#include <torch/torch.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace sodlab::models {

class FrozenGroups {
 public:
  void add(const std::string& group, std::shared_ptr<torch::nn::Module> module) {
    if (!groups_.count(group)) order_.push_back(group);
    groups_[group].push_back(std::move(module));
  }
  const std::vector<std::string>& names() const { return order_; }
  bool frozen(const std::string& group) const {
    check(group);
    return frozen_.count(group) > 0;
  }
  // `training` is the owning model's current mode (restored on unfreeze).
  void set(const std::string& group, bool frozen, bool training) {
    check(group);
    if (frozen) frozen_.insert(group); else frozen_.erase(group);
    for (auto& m : groups_.at(group)) {
      for (auto& p : m->parameters()) p.set_requires_grad(!frozen);
      m->train(frozen ? false : training);
    }
  }
  // Call after Module::train(): puts frozen groups back in eval mode.
  void apply_modes() {
    for (const auto& g : frozen_)
      for (auto& m : groups_.at(g)) m->eval();
  }

 private:
  void check(const std::string& group) const {
    if (groups_.count(group)) return;
    std::string known;
    for (const auto& g : order_) known += (known.empty() ? "" : ", ") + g;
    throw InputError(context + ": unknown parameter group '" + group + "' (groups: " + known + ")");
  }

 public:
  std::string context = "model";

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::vector<std::shared_ptr<torch::nn::Module>>> groups_;
  std::set<std::string> frozen_;
};

}  // namespace sodlab::models
