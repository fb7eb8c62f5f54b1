// MaxPool, AveragePool and GlobalAveragePool over NCHW tensors.
//
// Window attributes (MaxPool, AveragePool): kernel_shape [2] (required), strides [2] (1,1),
// pads [4] top,left,bottom,right (0), dilations [2] (1,1), ceil_mode (0). Output size per axis:
//   floor_or_ceil((in + pad_begin + pad_end − dilation · (kernel − 1) − 1) / stride) + 1,
// and in ceil mode a last window that would start inside the end padding is dropped.
//
// MaxPool: X uint8/int8/float32. Y = max over the taps of the window that lie inside X; padded
// taps never win. A window with no tap inside X is refused at Infer. Y has X's dtype and
// quantization parameters (a declared output quantization must equal X's). No arithmetic, so no
// rounding or overflow.
//
// AveragePool (extra attribute count_include_pad, 0) and GlobalAveragePool (window = all of
// H × W, output [N, C, 1, 1]) on uint8/int8 X with (s_x, zx), output of X's dtype with (s_y, zy)
// (X's parameters when the output declares none); attributes clamp_min / clamp_max:
//   acc = Σ_{taps inside X} (x − zx)          (padded taps are zx and contribute 0)
//   n   = the kernel area KH·KW when count_include_pad = 1 (also for a ceil-mode window that
//         overhangs the end padding, as ONNX's reference and ONNX Runtime's QLinearAveragePool
//         count; ONNX Runtime's float AveragePool counts only the taps inside the padded input
//         there), else the taps inside X
//   y   = requant_n(acc) with M_n = s_x / (s_y · n): one Requantizer per distinct n, with
//         M64 = double(s_x) / (double(s_y) · n), M32 = s_x / (s_y · float(n)) in float32 and the
//         fixed-point multiplier QuantizeMultiplier(M64); rounding per the RequantMode, + zy,
//         clamped to [clamp_min, clamp_max] within the output type.
//   Pre-shift (fixed-point modes): window sums are small, and gemmlowp's first rounding (SRDHM)
//   of a small acc loses most of the product's bits. So acc is first shifted left by
//   L_n = min(largest L <= 30 with max|x − zx| · n · 2^L <= INT32_MAX, 31 + shift_n) bits and the
//   multiplier's shift lowered by L_n (same real multiplier), as TFLite's quantized add does with
//   its left_shift: tflite-double = RoundingDivideByPOT(SRDHM(acc · 2^L_n, mult_n),
//   L_n − shift_n). This cannot overflow by the choice of L_n, and it changes nothing in
//   single-rounding (one exact product either way) or in the float modes (which see acc).
//   Without it tflite-double matched the real-number result on ~89% of outputs, not ~100%.
// Overflow: |acc| ≤ max|x − zx| · n_max ≤ 255 · n_max, checked at Infer against INT32_MAX
// (windows of up to 8 421 504 taps). A window with n = 0 (only padding, count_include_pad = 0) is
// refused at Infer.
// float32 X (host op): y = (Σ x over the taps inside X, in float32, in row-major tap order) / n,
// n as above.
#include <algorithm>
#include <limits>
#include <map>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

// The sum of the taps of output pixel (oh, ow) that fall inside the input plane, rows in
// ascending order and columns within a row (the float path rounds after every addition).
template <typename T>
T WindowSum(const T* plane, const Window2d& w, std::int64_t oh, std::int64_t ow) {
  T sum = 0;
  for (std::int64_t kh = 0; kh < w.kernel[0]; ++kh) {
    const std::int64_t ih = w.Start(0, oh) + kh * w.dilation[0];
    if (ih < 0 || ih >= w.in[0]) continue;
    for (std::int64_t kw = 0; kw < w.kernel[1]; ++kw) {
      const std::int64_t iw = w.Start(1, ow) + kw * w.dilation[1];
      if (iw >= 0 && iw < w.in[1]) sum += plane[ih * w.in[1] + iw];
    }
  }
  return sum;
}

enum class PoolKind { kMax, kAverage, kGlobalAverage };

struct PoolPlan {
  PoolKind kind = PoolKind::kMax;
  const TensorInfo* x = nullptr;
  Window2d win;
  bool count_include_pad = false;

  Shape OutShape() const { return {x->shape[0], x->shape[1], win.out[0], win.out[1]}; }
  // Divisor of output position (oh, ow).
  std::int64_t Count(std::int64_t oh, std::int64_t ow) const {
    if (count_include_pad) return win.kernel[0] * win.kernel[1];
    return win.TapsInside(0, oh) * win.TapsInside(1, ow);
  }
};

PoolPlan Plan(const Node& node, const Graph& graph, PoolKind kind) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  PoolPlan p;
  p.kind = kind;
  p.x = &graph.Info(node.inputs[0]);
  const TensorInfo& x = *p.x;
  if (!IsQuantizedType(x.dtype) && x.dtype != DType::kFloat32) {
    Fail(node, "input " + TensorLabel(x) + " is " + std::string(DTypeName(x.dtype)) +
                   "; pools take uint8, int8 or float32");
  }
  if (x.shape.size() != 4) {
    Fail(node, "input " + TensorLabel(x) + " has shape " + ShapeToString(x.shape) +
                   "; pools take N,C,H,W");
  }
  if (kind == PoolKind::kGlobalAverage) {
    p.win.in[0] = p.win.kernel[0] = x.shape[2];
    p.win.in[1] = p.win.kernel[1] = x.shape[3];
    if (x.shape[2] < 1 || x.shape[3] < 1) Fail(node, "input " + TensorLabel(x) + " is empty");
    return p;
  }
  if (!node.attrs.Has("kernel_shape")) Fail(node, "attribute kernel_shape is required");
  const std::vector<std::int64_t> k = node.attrs.GetInts("kernel_shape");
  if (k.size() != 2) {
    Fail(node, "kernel_shape must have 2 entries, has " + std::to_string(k.size()));
  }
  if (node.attrs.Has("storage_order") && node.attrs.GetInt("storage_order") != 0) {
    Fail(node, "storage_order 1 (column-major indices) is not supported");
  }
  p.win = ReadWindow(node, x.shape[2], x.shape[3], k[0], k[1], true);
  if (kind == PoolKind::kAverage) {
    const std::int64_t c = node.attrs.GetInt("count_include_pad", 0);
    if (c != 0 && c != 1) Fail(node, "count_include_pad must be 0 or 1, is " + std::to_string(c));
    p.count_include_pad = c == 1;
  }
  return p;
}

// Refuses windows without a tap inside X where they matter; returns the largest divisor n.
std::int64_t CheckWindows(const Node& node, const PoolPlan& p) {
  const char* axis_name[2] = {"row", "column"};
  std::int64_t largest[2] = {0, 0};
  // An empty output (N or C is 0) computes no window: nothing to check, and its other dimensions
  // need not be small.
  if (NumElements(p.OutShape()) == 0) return 1;
  for (int a = 0; a < 2; ++a) {
    for (std::int64_t o = 0; o < p.win.out[a]; ++o) {
      const std::int64_t inside = p.win.TapsInside(a, o);
      if (inside == 0 && (p.kind == PoolKind::kMax || !p.count_include_pad)) {
        Fail(node, "the window of output " + std::string(axis_name[a]) + " " + std::to_string(o) +
                       " covers only padding");
      }
      largest[a] = std::max(largest[a], p.count_include_pad ? p.win.kernel[a] : inside);
    }
  }
  return largest[0] * largest[1];
}

void CheckOutputQuantIsInput(const Node& node, const Graph& graph) {
  const TensorInfo& x = graph.Info(node.inputs[0]);
  auto it = graph.tensors.find(node.outputs[0]);
  if (it == graph.tensors.end()) return;
  const TensorInfo& y = it->second;
  if (HasAnyQuant(y.quant) && !(y.quant == x.quant)) {
    Fail(node, "output '" + y.name + "' declares quantization different from input '" + x.name +
                   "'; this op keeps its input's scale and zero point");
  }
}

void InferMax(const Node& node, Graph& graph) {
  const PoolPlan p = Plan(node, graph, PoolKind::kMax);
  if (!node.requant.empty()) Fail(node, "explicit requant given but MaxPool does not requantize");
  CheckActivationQuant(node, *p.x, "input");
  CheckOutputQuantIsInput(node, graph);
  SetOutput(graph, node, 0, p.x->dtype, p.OutShape(), p.x->quant);
  CheckWindows(node, p);  // last: it visits every output row and column
}

template <typename T>
std::vector<Tensor> MaxPoolTyped(const PoolPlan& p, const Tensor& x) {
  const Window2d& w = p.win;
  const auto data = x.Data<T>();
  std::vector<T> out(static_cast<std::size_t>(NumElements(p.OutShape())));
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  std::size_t o = 0;
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const T* plane = data.data() + pl * w.in[0] * w.in[1];
    for (std::int64_t oh = 0; oh < w.out[0]; ++oh) {
      for (std::int64_t ow = 0; ow < w.out[1]; ++ow) {
        bool any = false;
        T best{};
        for (std::int64_t kh = 0; kh < w.kernel[0]; ++kh) {
          const std::int64_t ih = w.Start(0, oh) + kh * w.dilation[0];
          if (ih < 0 || ih >= w.in[0]) continue;
          for (std::int64_t kw = 0; kw < w.kernel[1]; ++kw) {
            const std::int64_t iw = w.Start(1, ow) + kw * w.dilation[1];
            if (iw < 0 || iw >= w.in[1]) continue;
            const T v = plane[ih * w.in[1] + iw];
            if (!any || v > best) best = v;
            any = true;
          }
        }
        out[o++] = best;
      }
    }
  }
  return {Tensor::FromVector(p.OutShape(), std::move(out))};
}

std::vector<Tensor> RunMax(const OpContext& ctx) {
  const PoolPlan p = Plan(ctx.node, ctx.graph, PoolKind::kMax);
  switch (ctx.In(0).dtype()) {
    case DType::kUInt8:
      return MaxPoolTyped<std::uint8_t>(p, ctx.In(0));
    case DType::kInt8:
      return MaxPoolTyped<std::int8_t>(p, ctx.In(0));
    case DType::kFloat32:
      return MaxPoolTyped<float>(p, ctx.In(0));
    case DType::kInt32:
      break;
  }
  Fail(ctx.node, "int32 input is not supported");
}

// ---- Average pools ----------------------------------------------------------------------------

void InferAverage(const Node& node, Graph& graph, PoolKind kind) {
  const PoolPlan p = Plan(node, graph, kind);
  const std::int64_t n_max = CheckWindows(node, p);
  if (p.x->dtype == DType::kFloat32) {
    if (!node.requant.empty()) Fail(node, "explicit requant given for a float32 pool");
    SetOutput(graph, node, 0, DType::kFloat32, p.OutShape());
    return;
  }
  CheckActivationQuant(node, *p.x, "input");
  if (p.x->quant.empty()) Fail(node, "input " + TensorLabel(*p.x) + " has no scale");
  const std::int64_t bound =
      SaturatingMul(MaxCentered(p.x->dtype, ZeroPointAt(p.x->quant, 0)), n_max);
  CheckAccumulatorBound(node, bound, "the window sum of " + std::to_string(n_max) + " values");
  if (!node.requant.empty()) {
    Fail(node,
         "explicit requant multipliers are not supported; the multiplier depends on the "
         "window size");
  }
  if (auto it = graph.tensors.find(node.outputs[0]);
      it != graph.tensors.end() && it->second.quant.empty() && HasAnyQuant(it->second.quant)) {
    Fail(node, "output '" + it->first + "' has a zero point but no scale");
  }
  SetOutput(graph, node, 0, p.x->dtype, p.OutShape(), p.x->quant);
  const TensorInfo& y = graph.Info(node.outputs[0]);
  CheckActivationQuant(node, y, "output");
  const std::int32_t qmin = ClampMin(node, y.dtype);
  const std::int32_t qmax = ClampMax(node, y.dtype);
  if (qmin > qmax) {
    Fail(node, "clamp_min " + std::to_string(qmin) + " exceeds clamp_max " + std::to_string(qmax));
  }
  // The largest multiplier (n = 1) must be representable.
  QuantizeMultiplier(static_cast<double>(p.x->quant.scale(0)) /
                     static_cast<double>(y.quant.scale(0)));
}

// Requantization of a window sum over n taps (see the contract at the top of the file).
struct AverageRequant {
  Requantizer r;
  int pre_shift = 0;  // L_n, applied to the accumulator in the fixed-point modes

  std::int32_t Apply(std::int32_t acc) const {
    const bool fixed = IsFixedPointMode(r.mode);
    // |acc| · 2^L_n <= max|x − zx| · n · 2^L_n <= INT32_MAX by the choice of L_n.
    return r.Apply(fixed ? acc * (std::int32_t{1} << pre_shift) : acc);
  }
};

AverageRequant MakeAverageRequant(RequantMode mode, float s_x, float s_y, std::int64_t n,
                                  std::int64_t max_centered, std::int32_t zero_point,
                                  std::int32_t qmin, std::int32_t qmax) {
  AverageRequant a;
  Requantizer& r = a.r;
  r.mode = mode;
  r.real64 = static_cast<double>(s_x) / (static_cast<double>(s_y) * static_cast<double>(n));
  r.real32 = s_x / (s_y * static_cast<float>(n));
  const PreShiftedMultiplier fixed = AveragePoolMultiplier(s_x, s_y, n, max_centered);
  r.fixed = fixed.fixed;
  a.pre_shift = fixed.pre_shift;
  r.zero_point = zero_point;
  r.qmin = qmin;
  r.qmax = qmax;
  return a;
}

std::vector<Tensor> RunAverage(const OpContext& ctx, PoolKind kind) {
  const Node& node = ctx.node;
  const PoolPlan p = Plan(node, ctx.graph, kind);
  const Window2d& w = p.win;
  const Tensor& x = ctx.In(0);
  const std::int64_t planes = x.shape()[0] * x.shape()[1];
  const std::size_t out_size = static_cast<std::size_t>(NumElements(p.OutShape()));

  if (x.dtype() == DType::kFloat32) {
    const auto data = x.Data<float>();
    std::vector<float> out(out_size);
    std::size_t o = 0;
    for (std::int64_t pl = 0; pl < planes; ++pl) {
      const float* plane = data.data() + pl * w.in[0] * w.in[1];
      for (std::int64_t oh = 0; oh < w.out[0]; ++oh) {
        for (std::int64_t ow = 0; ow < w.out[1]; ++ow) {
          out[o++] = WindowSum(plane, w, oh, ow) / static_cast<float>(p.Count(oh, ow));
        }
      }
    }
    return {Tensor::FromVector(p.OutShape(), std::move(out))};
  }

  const TensorInfo& y = ctx.OutInfo(0);
  const float s_x = p.x->quant.scale(0);
  const float s_y = y.quant.scale(0);
  const std::int32_t zy = ZeroPointAt(y.quant, 0);
  const std::int32_t qmin = ClampMin(node, y.dtype);
  const std::int32_t qmax = ClampMax(node, y.dtype);
  std::map<std::int64_t, AverageRequant> by_count;
  const std::int64_t max_centered = MaxCentered(x.dtype(), ZeroPointAt(p.x->quant, 0));
  const std::vector<std::int32_t> xv = CenteredValues(x, p.x->quant, 1, 1);
  std::vector<std::int32_t> out(out_size);
  std::size_t o = 0;
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const std::int32_t* plane = xv.data() + pl * w.in[0] * w.in[1];
    for (std::int64_t oh = 0; oh < w.out[0]; ++oh) {
      for (std::int64_t ow = 0; ow < w.out[1]; ++ow) {
        const std::int32_t acc = WindowSum(plane, w, oh, ow);
        const std::int64_t n = p.Count(oh, ow);
        auto it = by_count.find(n);
        if (it == by_count.end()) {
          it = by_count
                   .emplace(n,
                            MakeAverageRequant(ctx.mode, s_x, s_y, n, max_centered, zy, qmin, qmax))
                   .first;
        }
        out[o++] = it->second.Apply(acc);
      }
    }
  }
  return {IntTensor(y.dtype, p.OutShape(), out)};
}

void InferAveragePool(const Node& node, Graph& graph) {
  InferAverage(node, graph, PoolKind::kAverage);
}
std::vector<Tensor> RunAveragePool(const OpContext& ctx) {
  return RunAverage(ctx, PoolKind::kAverage);
}
void InferGlobalAveragePool(const Node& node, Graph& graph) {
  InferAverage(node, graph, PoolKind::kGlobalAverage);
}
std::vector<Tensor> RunGlobalAveragePool(const OpContext& ctx) {
  return RunAverage(ctx, PoolKind::kGlobalAverage);
}

}  // namespace

const OpDef kMaxPool{"MaxPool", InferMax, RunMax, kWindowAttrs};
const OpDef kAveragePool{"AveragePool", InferAveragePool, RunAveragePool, kWindowAttrs};
const OpDef kGlobalAveragePool{"GlobalAveragePool", InferGlobalAveragePool, RunGlobalAveragePool,
                               kRequantAttrs};

}  // namespace qsa::golden::ops
