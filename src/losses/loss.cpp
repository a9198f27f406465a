#include "losses/loss.h"

#include "core/error.h"

#include <sstream>

namespace sodlab::losses {
namespace {

std::string shape_of(const torch::Tensor& t) {
  if (!t.defined()) return "(undefined)";
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

}  // namespace

torch::Tensor binarize_masks(const torch::Tensor& masks, const std::string& who) {
  if (!masks.defined() || masks.dim() != 4 || masks.size(1) != 1)
    throw InputError("loss '" + who + "': masks must be N×1×H×W, got " + shape_of(masks));
  auto dtype = masks.is_floating_point() ? masks.scalar_type() : torch::kFloat;
  return (masks > 0.5).to(dtype);
}

Targets Loss::prepare(const torch::Tensor& masks) const {
  return Targets{binarize_masks(masks, name()), {}};
}

std::map<std::string, torch::Tensor> Loss::explain(const torch::Tensor&, const Targets&) const {
  return {};
}

torch::Tensor binary_logit(const torch::Tensor& logits, const std::string& who) {
  if (!logits.defined() || logits.dim() != 4 || (logits.size(1) != 1 && logits.size(1) != 2))
    throw InputError("loss '" + who + "': logits must be N×1×H×W or N×2×H×W, got " +
                     shape_of(logits));
  if (!logits.is_floating_point())
    throw InputError("loss '" + who + "': logits must be a floating-point tensor");
  if (logits.size(1) == 1) return logits;
  return logits.narrow(1, 1, 1) - logits.narrow(1, 0, 1);
}

void check_shapes(const torch::Tensor& logits, const torch::Tensor& masks, const std::string& who) {
  if (!masks.defined() || masks.dim() != 4 || masks.size(1) != 1 || logits.dim() != 4 ||
      masks.size(0) != logits.size(0) || masks.size(2) != logits.size(2) ||
      masks.size(3) != logits.size(3))
    throw InputError("loss '" + who + "': masks " + shape_of(masks) +
                     " do not match logits " + shape_of(logits) +
                     " (expected N×1×H×W masks with the logits' N, H, W)");
}

}  // namespace sodlab::losses
