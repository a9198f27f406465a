#include "models/dense_conv.h"

#include <c10/core/impl/LocalDispatchKeySet.h>

#include <variant>

namespace sodlab::models {
namespace F = torch::nn::functional;

torch::Tensor conv_as_matmul(const torch::nn::Conv2d& conv, const torch::Tensor& x) {
  const auto& o = conv->options;
  TORCH_CHECK(o.groups() == 1, "conv_as_matmul: grouped convolution");
  for (int d = 0; d < 2; ++d)
    TORCH_CHECK((*o.stride())[d] == 1 && (*o.dilation())[d] == 1, "conv_as_matmul: stride or dilation");
  // padding_t is a c10::variant in LibTorch 1.13 and a std::variant in 2.x: std::get_if found by
  // ordinary lookup, c10::get_if by argument-dependent lookup, whichever takes the argument.
  using std::get_if;
  const auto* padding = get_if<torch::ExpandingArray<2>>(&o.padding());
  TORCH_CHECK(padding && (**padding)[0] == 0 && (**padding)[1] == 0, "conv_as_matmul: padding");
  // In the weight's precision even under autocast: a memory-bound product over fc6's 411 MB
  // weight gains nothing from bf16, and autocast would cast the whole weight on every call (it
  // caches casts of leaf parameters only, not of this view).
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const torch::Tensor& weight = conv->weight;  // [O, C, kh, kw]
  const torch::Tensor x_in = x.to(weight.scalar_type());  // itself when already fp32
  const std::int64_t n = x.size(0), out = weight.size(0), kh = weight.size(2), kw = weight.size(3);
  const std::int64_t oh = x.size(2) - kh + 1, ow = x.size(3) - kw + 1;
  const torch::Tensor w = weight.reshape({out, -1});  // rows in (c, kh, kw) order, as the windows
  if (oh == 1 && ow == 1) {  // one window per image: a plain [N, C·kh·kw] × [C·kh·kw, O] product
    const torch::Tensor rows = x_in.reshape({n, -1});
    const torch::Tensor y = conv->bias.defined() ? torch::addmm(conv->bias, rows, w.t()) : torch::mm(rows, w.t());
    return y.view({n, out, 1, 1});
  }
  const torch::Tensor cols = kh == 1 && kw == 1 ? x_in.reshape({n, x.size(1), -1})
                                                : F::unfold(x_in, F::UnfoldFuncOptions({kh, kw}));  // [N, C·kh·kw, L]
  torch::Tensor y = torch::matmul(w, cols);  // [N, O, L]
  if (conv->bias.defined()) y = y + conv->bias.view({1, out, 1});
  return y.view({n, out, oh, ow});
}

}  // namespace sodlab::models
