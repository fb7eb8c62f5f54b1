// Conv: 2-D convolution over NCHW tensors, quantized (ONNX QLinearConv / ConvInteger semantics)
// or float32 (ONNX Conv; see the float contract at the end of this comment).
//
// Inputs   X [N, C, H, W] uint8/int8, per-tensor scale s_x and zero point zx.
//          W [M, C/group, KH, KW] uint8/int8, per tensor or per axis 0 (one scale s_w[m] and
//            zero point zw[m] per output channel; non-zero zero points allowed).
//          B [M] int32, optional, at scale s_x · s_w[m] with zero point 0.
// Attrs    strides [2] (1,1), pads [4] top,left,bottom,right (0), dilations [2] (1,1),
//          group (1), kernel_shape [2] (must equal W's when given), output_dtype,
//          clamp_min / clamp_max (fused activation, quantized output domain).
// Output   Y [N, M, OH, OW], OH = floor((H + pt + pb − dh·(KH − 1) − 1) / sh) + 1 (same for OW).
//
// Integer contract. For output channel m of group g = m / (M / group):
//   acc = B[m] + Σ_{c, kh, kw} (X[n, g·C/group + c, ih, iw] − zx) · (W[m, c, kh, kw] − zw[m])
//   with ih = oh·sh − pt + kh·dh and iw = ow·sw − pl + kw·dw.
// A tap outside the input reads the padding value zx and so contributes exactly 0. Every term
// and partial sum is an exact int32: Infer bounds |acc| ≤ |B[m]| + max|x − zx| · Σ|W[m] − zw[m]|
// with the constant weights (K · max|x − zx| · max|w − zw[m]| when W is not constant, K =
// C/group·KH·KW) and refuses the node, naming the bound, when that can exceed INT32_MAX. Since
// every partial sum is bounded by the same quantity, no summation order can overflow. A bias that
// is not a constant is added in 64 bits at run time and an out-of-range sum is an error.
// Attribute x_zero_point_folded = 1 (set by the compiler's fold-zero-point pass): the stored bias
// already holds B[m] − zx · Σ_{c, kh, kw} W[m, c, kh, kw] (weight zero points 0), the form the
// accelerator adds; the op adds zx · Σ W[m] back, so acc above is unchanged.
// Output int32 (declared, or output_dtype "int32"): Y = acc, no requantization (ConvInteger).
// Otherwise Y = requant_m(acc) with the node's RequantMode: M_m = s_x · s_w[m] / s_y (or the
// node's explicit multipliers), rounding per mode, + zy, clamped to [clamp_min, clamp_max] within
// the output type (saturation).
//
// float32 (X and W float32, a host op; the other dtypes take the integer path above, which
// refuses mixes): B [M] float32, optional; the same attributes except output_dtype, clamp_min,
// clamp_max and explicit requant, which are refused. For each output element
//   acc = double(B[m])  (0 without B),
//   acc += double(X[n, g·C/group + c, ih, iw]) · double(W[m, c, kh, kw])
//          for c, kh, kw in ascending order, taps in the padding skipped;
//   Y = float32(acc), rounded to nearest even once.
// Each product of two floats is exact in double; the double sum in that fixed order is the only
// other rounding, so Y is the correctly rounded exact result except where the double sum itself
// rounds (relative error below K · 2^-53 of Σ|terms|). NaN and ±inf propagate: no tap is skipped
// for a zero weight.
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/float_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

struct ConvPlan {
  const TensorInfo* x = nullptr;
  const TensorInfo* w = nullptr;
  std::int64_t batch = 0;
  std::int64_t in_channels = 0;   // C
  std::int64_t out_channels = 0;  // M
  std::int64_t group = 1;
  Window2d win;
  DType out_dtype = DType::kInt32;
  bool raw = false;  // int32 accumulator output

  std::int64_t InPerGroup() const { return in_channels / group; }
  std::int64_t OutPerGroup() const { return out_channels / group; }
  std::int64_t TapsPerOutput() const { return InPerGroup() * win.kernel[0] * win.kernel[1]; }
  Shape OutShape() const { return {batch, out_channels, win.out[0], win.out[1]}; }
};

// Shapes, group, kernel_shape and the window, whatever the dtypes (p.x and p.w are set).
void PlanGeometry(const Node& node, ConvPlan& p) {
  const TensorInfo& x = *p.x;
  const TensorInfo& w = *p.w;
  if (x.shape.size() != 4) {
    Fail(node, "input " + TensorLabel(x) + " has shape " + ShapeToString(x.shape) +
                   "; Conv takes N,C,H,W");
  }
  if (w.shape.size() != 4) {
    Fail(node, "weight " + TensorLabel(w) + " has shape " + ShapeToString(w.shape) +
                   "; Conv takes M,C/group,KH,KW");
  }
  p.batch = x.shape[0];
  p.in_channels = x.shape[1];
  p.out_channels = w.shape[0];
  p.group = node.attrs.GetInt("group", 1);
  if (p.group < 1) Fail(node, "group must be >= 1, is " + std::to_string(p.group));
  if (p.in_channels % p.group != 0) {
    Fail(node, "group " + std::to_string(p.group) + " does not divide the " +
                   std::to_string(p.in_channels) + " input channels");
  }
  if (p.out_channels % p.group != 0) {
    Fail(node, "group " + std::to_string(p.group) + " does not divide the " +
                   std::to_string(p.out_channels) + " output channels");
  }
  if (w.shape[1] != p.in_channels / p.group) {
    Fail(node, "weight " + TensorLabel(w) + " has " + std::to_string(w.shape[1]) +
                   " input channels per group but input " + TensorLabel(x) + " has " +
                   std::to_string(p.in_channels) + " channels in " + std::to_string(p.group) +
                   " group(s)");
  }
  if (node.attrs.Has("kernel_shape")) {
    const std::vector<std::int64_t> k = node.attrs.GetInts("kernel_shape");
    if (k.size() != 2 || k[0] != w.shape[2] || k[1] != w.shape[3]) {
      Fail(node, "kernel_shape " + ShapeToString(k) + " disagrees with weight shape " +
                     ShapeToString(w.shape));
    }
  }
  p.win = ReadWindow(node, x.shape[2], x.shape[3], w.shape[2], w.shape[3], false);
}

// The operands of a Conv node, its input and output counts checked.
ConvPlan StartPlan(const Node& node, const Graph& graph) {
  ExpectInputs(node, 2, 3);
  ExpectOutputs(node, 1);
  ConvPlan p;
  p.x = &graph.Info(node.inputs[0]);
  p.w = &graph.Info(node.inputs[1]);
  return p;
}

ConvPlan Plan(const Node& node, const Graph& graph) {
  ConvPlan p = StartPlan(node, graph);
  const TensorInfo& x = *p.x;
  const TensorInfo& w = *p.w;
  if (!IsQuantizedType(x.dtype)) {
    Fail(node, "input " + TensorLabel(x) + " is " + std::string(DTypeName(x.dtype)) +
                   "; Conv takes uint8 or int8 (or float32 input and weight)");
  }
  if (!IsQuantizedType(w.dtype)) {
    Fail(node, "weight " + TensorLabel(w) + " is " + std::string(DTypeName(w.dtype)) +
                   "; Conv takes uint8 or int8 (or float32 input and weight)");
  }
  PlanGeometry(node, p);
  CheckActivationQuant(node, x, "input");
  CheckWeightQuant(node, w, "weight", 0, p.out_channels);
  CheckBias(node, graph, 2, p.out_channels);
  p.out_dtype = ResolveOutputDType(node, graph, x.dtype);
  p.raw = p.out_dtype == DType::kInt32;
  return p;
}

// Largest |acc| per output channel, checked against INT32_MAX (see the contract above).
void CheckBound(const Node& node, const Graph& graph, const ConvPlan& p) {
  const std::int64_t taps = p.TapsPerOutput();
  CheckAccumulatorBounds(
      node, graph, taps, p.out_channels,
      [&](const Tensor& weight) {
        const std::vector<std::int32_t> wv =
            CenteredValues(weight, p.w->quant, p.out_channels, taps);
        std::vector<std::int64_t> sums(static_cast<std::size_t>(p.out_channels), 0);
        for (std::int64_t m = 0; m < p.out_channels; ++m) {
          for (std::int64_t k = 0; k < taps; ++k) {
            sums[static_cast<std::size_t>(m)] +=
                std::abs(static_cast<std::int64_t>(wv[static_cast<std::size_t>(m * taps + k)]));
          }
        }
        return sums;
      },
      "output channel");
}

// The output columns [lo, hi) whose kernel column kw lands inside the input row:
// 0 <= ow·sw − pl + kw·dw < W; output column ow reads input column ow·sw + off.
struct TapColumns {
  std::int64_t off = 0;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

TapColumns ColumnsOfTap(const Window2d& win, std::int64_t kw) {
  TapColumns c;
  c.off = kw * win.dilation[1] - win.pad_begin[1];
  c.lo = c.off >= 0 ? 0 : (-c.off + win.stride[1] - 1) / win.stride[1];
  const std::int64_t last = win.in[1] - 1 - c.off;
  c.hi = last < 0 ? 0 : std::min(win.out[1], last / win.stride[1] + 1);
  return c;
}

void Infer(const Node& node, Graph& graph) {
  const ConvPlan p = Plan(node, graph);
  CheckBound(node, graph, p);
  InferAccumulatorOutput(node, graph, p.out_dtype, p.OutShape(), *p.x, "input", p.w->quant,
                         p.out_channels);
}

std::vector<Tensor> Run(const OpContext& ctx) {
  const Node& node = ctx.node;
  const ConvPlan p = Plan(node, ctx.graph);
  const Window2d& win = p.win;
  const std::int64_t in_h = win.in[0], in_w = win.in[1];
  const std::int64_t out_h = win.out[0], out_w = win.out[1];
  const std::int64_t kh_n = win.kernel[0], kw_n = win.kernel[1];
  const std::int64_t cg = p.InPerGroup(), mg = p.OutPerGroup();
  const std::vector<std::int32_t> xv = CenteredValues(ctx.In(0), p.x->quant, 1, 1);
  const std::vector<std::int32_t> wv =
      CenteredValues(ctx.In(1), p.w->quant, p.out_channels, p.TapsPerOutput());
  const bool has_bias = ctx.HasIn(2);
  const std::vector<std::int64_t> unfold =
      FoldedZeroPointTerms(node, *p.x, *p.w, wv, p.out_channels, p.TapsPerOutput());
  std::vector<Requantizer> rq;
  if (!p.raw) {
    rq = ChannelRequantizers(node, ctx.mode, ActivationScale(p.x->quant), p.w->quant,
                             ctx.OutInfo(0), p.out_channels);
  }

  std::vector<std::int32_t> out(static_cast<std::size_t>(NumElements(p.OutShape())));
  std::vector<std::int32_t> acc(static_cast<std::size_t>(out_h * out_w));
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t m = 0; m < p.out_channels; ++m) {
      const std::int64_t g = m / mg;
      std::fill(acc.begin(), acc.end(), 0);
      for (std::int64_t c = 0; c < cg; ++c) {
        const std::int32_t* plane = xv.data() + ((n * p.in_channels + g * cg + c) * in_h * in_w);
        const std::int32_t* wk = wv.data() + ((m * cg + c) * kh_n * kw_n);
        for (std::int64_t kh = 0; kh < kh_n; ++kh) {
          for (std::int64_t kw = 0; kw < kw_n; ++kw) {
            const std::int32_t wt = wk[kh * kw_n + kw];
            if (wt == 0) continue;
            const TapColumns cols = ColumnsOfTap(win, kw);
            if (cols.hi <= cols.lo) continue;
            for (std::int64_t oh = 0; oh < out_h; ++oh) {
              const std::int64_t ih = win.Start(0, oh) + kh * win.dilation[0];
              if (ih < 0 || ih >= in_h) continue;
              AccumulateRow(acc.data() + oh * out_w + cols.lo,
                            plane + ih * in_w + cols.lo * win.stride[1] + cols.off,
                            cols.hi - cols.lo, win.stride[1], wt);
            }
          }
        }
      }
      const std::int64_t bias =
          (has_bias ? ctx.In(2).GetInt(m) : 0) + unfold[static_cast<std::size_t>(m)];
      std::int32_t* dst = out.data() + (n * p.out_channels + m) * out_h * out_w;
      for (std::size_t i = 0; i < acc.size(); ++i) {
        const std::int64_t total = bias + acc[i];
        if (total < std::numeric_limits<std::int32_t>::min() ||
            total > std::numeric_limits<std::int32_t>::max()) {
          Fail(node, "the accumulator of output channel " + std::to_string(m) +
                         " overflows int32 after adding the bias (" + std::to_string(total) + ")");
        }
        const auto t32 = static_cast<std::int32_t>(total);
        dst[i] = p.raw ? t32 : rq[static_cast<std::size_t>(m)].Apply(t32);
      }
    }
  }
  return {IntTensor(p.out_dtype, p.OutShape(), out)};
}

// ---- float32 ------------------------------------------------------------------------------------

ConvPlan FloatPlan(const Node& node, const Graph& graph) {
  ConvPlan p = StartPlan(node, graph);
  PlanGeometry(node, p);
  CheckChannelVector(node, graph, 2, "bias", p.out_channels);
  RefuseQuantizedAttributes(node);
  p.out_dtype = DType::kFloat32;
  return p;
}

// See the float contract at the top: per output element, the bias, then the taps in (c, kh, kw)
// order, summed in double and rounded to float32 once.
std::vector<Tensor> RunFloat(const OpContext& ctx) {
  const ConvPlan p = FloatPlan(ctx.node, ctx.graph);
  const Window2d& win = p.win;
  const std::int64_t in_h = win.in[0], in_w = win.in[1];
  const std::int64_t out_h = win.out[0], out_w = win.out[1];
  const std::int64_t kh_n = win.kernel[0], kw_n = win.kernel[1];
  const std::int64_t cg = p.InPerGroup(), mg = p.OutPerGroup();
  const std::int64_t sw = win.stride[1];
  const float* x = ctx.In(0).Data<float>().data();
  const float* w = ctx.In(1).Data<float>().data();
  const float* bias = ctx.HasIn(2) ? ctx.In(2).Data<float>().data() : nullptr;
  Tensor y(DType::kFloat32, p.OutShape());
  float* out = y.Data<float>().data();
  std::vector<double> acc(static_cast<std::size_t>(out_h * out_w));
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t m = 0; m < p.out_channels; ++m) {
      const std::int64_t g = m / mg;
      std::fill(acc.begin(), acc.end(), bias != nullptr ? static_cast<double>(bias[m]) : 0.0);
      for (std::int64_t c = 0; c < cg; ++c) {
        const float* plane = x + (n * p.in_channels + g * cg + c) * in_h * in_w;
        const float* wk = w + (m * cg + c) * kh_n * kw_n;
        for (std::int64_t kh = 0; kh < kh_n; ++kh) {
          for (std::int64_t kw = 0; kw < kw_n; ++kw) {
            const auto wt = static_cast<double>(wk[kh * kw_n + kw]);
            const TapColumns cols = ColumnsOfTap(win, kw);
            for (std::int64_t oh = 0; oh < out_h && cols.lo < cols.hi; ++oh) {
              const std::int64_t ih = win.Start(0, oh) + kh * win.dilation[0];
              if (ih < 0 || ih >= in_h) continue;
              double* dst = acc.data() + oh * out_w + cols.lo;
              const float* src = plane + ih * in_w + cols.lo * sw + cols.off;
              for (std::int64_t i = 0; i < cols.hi - cols.lo; ++i) {
                dst[i] += wt * static_cast<double>(src[i * sw]);
              }
            }
          }
        }
      }
      float* dst = out + (n * p.out_channels + m) * out_h * out_w;
      for (std::size_t i = 0; i < acc.size(); ++i) dst[i] = static_cast<float>(acc[i]);
    }
  }
  return {y};
}

void InferFloat(const Node& node, Graph& graph) {
  SetOutput(graph, node, 0, DType::kFloat32, FloatPlan(node, graph).OutShape());
}

}  // namespace

constexpr std::string_view kConvAttrs[] = {
    "auto_pad", "dilations",    "group",     "kernel_shape", "pads",
    "strides",  "output_dtype", "clamp_min", "clamp_max",    "x_zero_point_folded"};
const OpDef kConv = IntegerOrFloatOp<Infer, InferFloat, Run, RunFloat>("Conv", kConvAttrs);

}  // namespace qsa::golden::ops
