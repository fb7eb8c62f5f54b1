// Operators whose integer arithmetic is TensorFlow Lite's own (its reference kernels) where no
// other IR op computes the same integers: TfliteAveragePool, TfliteFcRequant, TfliteLogistic,
// TfliteMean, TfliteMul, TfliteQuantize, TfliteSoftmax; and Pad (constant padding), which TFLite's
// PAD/PADV2 need. The TFLite importer emits them (docs/tflite-import.md); they run on the host.
//
// Pad: X any dtype, rank r; attribute pads [2r] (begins of every axis, then ends, as ONNX),
// each >= 0; value (stored value of the padding, default 0; for an integer X an integer in its
// range). Y[i] = X[i − begin] inside, value outside. Y keeps X's quantization. No arithmetic.
//
// TfliteAveragePool (TFLite AVERAGE_POOL_2D, int8/uint8): X [N, C, H, W] with attributes
// kernel_shape [2], strides [2], pads [4] (top, left, bottom, right), clamp_min / clamp_max.
// Per output pixel, over the n taps inside X (n >= 1):
//   acc = Σ x                                   (stored values; |acc| <= 255 · n < 2^31)
//   y   = acc > 0 ? (acc + n/2) / n : (acc − n/2) / n   (C++ division: round half away from 0)
//   y   = clamp(y, clamp_min, clamp_max)
// Y keeps X's quantization (TFLite requires equal input and output parameters).
//
// TfliteFcRequant (the output stage of TFLite's int8 FULLY_CONNECTED reference kernel, after an
// int32 MatMul): X int32 accumulators, output int8/uint8 with zero point zy; node.requant = one
// multiplier (m, s) = QuantizeMultiplier(float32(s_x · s_w) / s_y); clamp_min / clamp_max. TFLite's
// reference kernel rescales the accumulator with its 64-bit MultiplyByQuantizedMultiplier, which
// rounds the multiplier to 16 bits and rounds once:
//   r = m < 0x7FFF0000 ? (m + 2^15) >> 16 : 0x7FFF,   t = 15 − s  (s <= 14)
//   y = clamp(((int64(x) · r + 2^(t−1)) >> t) + zy, clamp_min, clamp_max)
// (arithmetic shift: rounds half up). The conv kernels use the 32-bit two-rounding form instead.
//
// TfliteQuantize (TFLite QUANTIZE float32 → int8/uint8): q = clamp(round_half_away(x / s) + z),
// the division in float32 (TfLiteRound is std::round), per tensor.
//
// TfliteLogistic (TFLite LOGISTIC int8 → int8, output scale 1/256 and zero point −128, as TFLite
// requires): TFLite's int8 kernels (reference and default alike) use a 256-entry table built in
// float32, which this op builds the same way: for every stored value v,
//   r = s_x · float(v − z_x);  f = 1 / (1 + expf(−r));  q = round_half_away(f / s_y) + z_y,
// saturated (float32 arithmetic throughout, expf from the C library).
//
// TfliteMean (TFLite MEAN, int8/uint8, the reference kernel): attributes axes (distinct, any
// order, negative from the end) and keepdims (1). With n the number of elements reduced,
// (m, s) = QuantizeMultiplier(double(s_x) / double(s_y)) and
//   k  = min(floor(log2 n), 32, 31 + s)
//   m' = (int64(m) · 2^k) / n   (truncating),   s' = s − k
//   acc = Σ x − zx · n                          (int32; |acc| <= 255 · n, n < 2^23 is checked)
//   y  = clamp(MultiplyByQuantizedMultiplier(acc, m', s') + zy, type range)
// exactly as TFLite's reference_ops::QuantizedMeanOrSum; the requantization is gemmlowp's two
// roundings whatever the run's requantization mode.
//
// TfliteMul (TFLite MUL, int8/uint8, broadcasting): with (m, s) = QuantizeMultiplier(double(s_a)
// · double(s_b) / double(s_y)),
//   y = clamp(MultiplyByQuantizedMultiplier((a − za) · (b − zb), m, s) + zy, clamp_min, clamp_max)
// (|product| <= 255² fits int32).
//
// TfliteSoftmax (TFLite SOFTMAX, int8 → int8 with output scale 1/256 and zero point −128, the
// reference kernel), over the last axis; attribute beta (1.0). The input scale and beta give
// (m, l) = QuantizeMultiplier(min(beta · s_x · 2^26, 2^31 − 1)) with l >= 0 and
// diff_min = −floor(31 · 2^26 / 2^l). For each row, d = x − max(row):
//   e(d) = exp_on_negative_values(Q5.26 raw SRDHM(d · 2^l, m))   (gemmlowp's fixed-point exp)
//   sum  = Σ_{d >= diff_min} RoundingDivideByPOT(e(d), 12)      (Q12.19)
//   r, b = reciprocal of sum (gemmlowp's one_over_one_plus_x_for_x_in_0_1 after normalizing:
//          b = 12 − (leading zeros of sum))
//   y    = d >= diff_min ? clamp(RoundingDivideByPOT(SRDHM(r, e(d)), b + 23) − 128) : −128
// Every step is an int32 fixed-point operation as gemmlowp defines it (fixedpoint.h), so the
// result is TFLite's bit for bit.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"
#include "model/golden/vector_params.h"

namespace qsa::golden::ops {
namespace {

bool IsInt8Like(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// ---- Pad
// -----------------------------------------------------------------------------------------

std::vector<std::int64_t> PadAmounts(const Node& node, std::int64_t rank) {
  const std::vector<std::int64_t> pads = node.attrs.GetInts("pads");
  if (static_cast<std::int64_t>(pads.size()) != 2 * rank) {
    Fail(node, "pads has " + std::to_string(pads.size()) + " values; a rank-" +
                   std::to_string(rank) + " input needs " + std::to_string(2 * rank));
  }
  for (std::int64_t p : pads) {
    if (p < 0) Fail(node, "pads must be >= 0 (got " + std::to_string(p) + ")");
  }
  return pads;
}

void PadInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  const std::vector<std::int64_t> pads = PadAmounts(node, rank);
  const double value = node.attrs.GetFloat("value", 0.0);
  if (x.dtype != DType::kFloat32 &&
      (value != std::floor(value) || value < static_cast<double>(DTypeMin(x.dtype)) ||
       value > static_cast<double>(DTypeMax(x.dtype)))) {
    Fail(node, "value " + std::to_string(value) + " is not a " + std::string(DTypeName(x.dtype)) +
                   " value");
  }
  Shape out = x.shape;
  for (std::int64_t a = 0; a < rank; ++a) {
    out[static_cast<std::size_t>(a)] +=
        pads[static_cast<std::size_t>(a)] + pads[static_cast<std::size_t>(a + rank)];
  }
  SetOutput(graph, node, 0, x.dtype, out, x.quant);
}

template <typename T>
Tensor PadTyped(const Tensor& x, const std::vector<std::int64_t>& pads, const Shape& out_shape,
                double value) {
  const auto rank = static_cast<std::size_t>(x.rank());
  std::vector<T> out(static_cast<std::size_t>(NumElements(out_shape)), static_cast<T>(value));
  const auto in = x.Data<T>();
  std::vector<std::int64_t> idx(rank, 0);
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::int64_t flat = 0;
    for (std::size_t a = 0; a < rank; ++a) flat = flat * out_shape[a] + idx[a] + pads[a];
    out[static_cast<std::size_t>(flat)] = in[i];
    for (std::size_t a = rank; a-- > 0;) {
      if (++idx[a] < x.shape()[a]) break;
      idx[a] = 0;
    }
  }
  return Tensor::FromVector(out_shape, std::move(out));
}

std::vector<Tensor> PadRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const std::vector<std::int64_t> pads = PadAmounts(ctx.node, x.rank());
  const Shape& out_shape = ctx.OutInfo(0).shape;
  const double value = ctx.node.attrs.GetFloat("value", 0.0);
  switch (x.dtype()) {
    case DType::kUInt8:
      return {PadTyped<std::uint8_t>(x, pads, out_shape, value)};
    case DType::kInt8:
      return {PadTyped<std::int8_t>(x, pads, out_shape, value)};
    case DType::kInt32:
      return {PadTyped<std::int32_t>(x, pads, out_shape, value)};
    case DType::kFloat32:
      return {PadTyped<float>(x, pads, out_shape, value)};
  }
  Fail(ctx.node, "unsupported dtype");
}

// ---- TfliteAveragePool
// ---------------------------------------------------------------------------

Window2d PoolWindow(const Node& node, const TensorInfo& x) {
  if (x.shape.size() != 4) Fail(node, "X must be [N, C, H, W], is " + ShapeToString(x.shape));
  const std::vector<std::int64_t> k = node.attrs.GetInts("kernel_shape");
  if (k.size() != 2 || k[0] < 1 || k[1] < 1) Fail(node, "kernel_shape must be two sizes >= 1");
  return ReadWindow(node, x.shape[2], x.shape[3], k[0], k[1], /*allow_ceil=*/false);
}

void AvgInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (!IsInt8Like(x.dtype))
    Fail(node, "X must be int8 or uint8, is " + std::string(DTypeName(x.dtype)));
  const Window2d w = PoolWindow(node, x);
  ClampMin(node, x.dtype);
  ClampMax(node, x.dtype);
  SetOutput(graph, node, 0, x.dtype, {x.shape[0], x.shape[1], w.out[0], w.out[1]}, x.quant);
  // Last, as it visits every output row and column (none for an empty output).
  const bool empty = NumElements({x.shape[0], x.shape[1], w.out[0], w.out[1]}) == 0;
  if (!empty && w.SomeWindowOnlyInPadding()) {
    Fail(node, "a pooling window lies entirely in the padding");
  }
}

template <typename T>
Tensor AvgTyped(const Node& node, const Tensor& x, const Window2d& w) {
  const std::int32_t lo = ClampMin(node, x.dtype());
  const std::int32_t hi = ClampMax(node, x.dtype());
  const Shape& s = x.shape();
  const Shape out_shape{s[0], s[1], w.out[0], w.out[1]};
  std::vector<T> out(static_cast<std::size_t>(NumElements(out_shape)));
  const auto in = x.Data<T>();
  std::size_t o = 0;
  for (std::int64_t nc = 0; nc < s[0] * s[1]; ++nc) {
    const T* plane = in.data() + nc * s[2] * s[3];
    for (std::int64_t oh = 0; oh < w.out[0]; ++oh) {
      for (std::int64_t ow = 0; ow < w.out[1]; ++ow) {
        std::int32_t acc = 0;
        std::int32_t n = 0;
        for (std::int64_t kh = 0; kh < w.kernel[0]; ++kh) {
          const std::int64_t ih = w.Start(0, oh) + kh;
          if (ih < 0 || ih >= s[2]) continue;
          for (std::int64_t kw = 0; kw < w.kernel[1]; ++kw) {
            const std::int64_t iw = w.Start(1, ow) + kw;
            if (iw < 0 || iw >= s[3]) continue;
            acc += plane[ih * s[3] + iw];
            ++n;
          }
        }
        std::int32_t y = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
        y = std::clamp(y, lo, hi);
        out[o++] = static_cast<T>(y);
      }
    }
  }
  return Tensor::FromVector(out_shape, std::move(out));
}

std::vector<Tensor> AvgRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const Window2d w = PoolWindow(ctx.node, ctx.InInfo(0));
  if (x.dtype() == DType::kInt8) return {AvgTyped<std::int8_t>(ctx.node, x, w)};
  return {AvgTyped<std::uint8_t>(ctx.node, x, w)};
}

// ---- TfliteMean
// ----------------------------------------------------------------------------------

struct MeanPlan {
  std::vector<bool> reduced;  // per input axis
  std::int64_t n = 1;         // elements per output
  Shape out_shape;
};

MeanPlan PlanMean(const Node& node, const TensorInfo& x) {
  const auto rank = static_cast<std::int64_t>(x.shape.size());
  MeanPlan p;
  p.reduced.assign(static_cast<std::size_t>(rank), false);
  for (std::int64_t a : node.attrs.GetInts("axes")) {
    const std::int64_t axis = NormalizeAxis(a, rank);
    p.reduced[static_cast<std::size_t>(axis)] = true;  // TFLite accepts repeated axes
  }
  const bool keep = node.attrs.GetInt("keepdims", 1) != 0;
  for (std::int64_t a = 0; a < rank; ++a) {
    const std::int64_t d = x.shape[static_cast<std::size_t>(a)];
    if (p.reduced[static_cast<std::size_t>(a)]) {
      p.n *= d;
      if (keep) p.out_shape.push_back(1);
    } else {
      p.out_shape.push_back(d);
    }
  }
  return p;
}

void MeanInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (!IsInt8Like(x.dtype))
    Fail(node, "X must be int8 or uint8, is " + std::string(DTypeName(x.dtype)));
  const MeanPlan p = PlanMean(node, x);
  if (p.n < 1 || p.n >= (std::int64_t{1} << 23)) {
    Fail(node, "reduces " + std::to_string(p.n) +
                   " elements per output; the int32 sum needs between 1 and 2^23 - 1");
  }
  if (x.quant.empty() || x.quant.per_axis()) Fail(node, "X needs a per-tensor scale");
  SetOutput(graph, node, 0, x.dtype, p.out_shape);
  const TensorInfo& y = graph.Info(node.outputs[0]);
  if (y.quant.empty() || y.quant.per_axis()) Fail(node, "the output needs a per-tensor scale");
  QuantizeMultiplier(static_cast<double>(x.quant.scale(0)) / static_cast<double>(y.quant.scale(0)));
}

template <typename T>
Tensor MeanTyped(const OpContext& ctx, const Tensor& x, const MeanPlan& p) {
  const TensorInfo& xi = ctx.InInfo(0);
  const TensorInfo& yi = ctx.OutInfo(0);
  FixedPointMultiplier m = QuantizeMultiplier(static_cast<double>(xi.quant.scale(0)) /
                                              static_cast<double>(yi.quant.scale(0)));
  int k = 63 - std::countl_zero(static_cast<std::uint64_t>(p.n));
  k = std::min(k, 32);
  k = std::min(k, 31 + m.shift);
  m.multiplier = static_cast<std::int32_t>((static_cast<std::int64_t>(m.multiplier) << k) / p.n);
  m.shift -= k;
  const std::int32_t zx = xi.quant.zero_point(0);
  const std::int32_t zy = yi.quant.zero_point(0);
  const Shape& s = x.shape();
  const std::size_t rank = s.size();
  // Output index of every input element: strides of the kept axes.
  std::vector<std::int64_t> out_stride(rank, 0);
  std::int64_t stride = 1;
  for (std::size_t a = rank; a-- > 0;) {
    if (!p.reduced[a]) {
      out_stride[a] = stride;
      stride *= s[a];
    }
  }
  std::vector<std::int32_t> sums(static_cast<std::size_t>(stride), 0);
  const auto in = x.Data<T>();
  std::vector<std::int64_t> idx(rank, 0);
  std::int64_t o = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    sums[static_cast<std::size_t>(o)] += in[i];
    for (std::size_t a = rank; a-- > 0;) {
      o += out_stride[a];
      if (++idx[a] < s[a]) break;
      o -= out_stride[a] * idx[a];
      idx[a] = 0;
    }
  }
  std::vector<T> out(sums.size());
  const std::int32_t n32 = static_cast<std::int32_t>(p.n);
  for (std::size_t j = 0; j < sums.size(); ++j) {
    const std::int32_t acc = sums[j] - zx * n32;
    const std::int64_t y = static_cast<std::int64_t>(MultiplyByQuantizedMultiplier(acc, m)) + zy;
    out[j] = static_cast<T>(std::clamp<std::int64_t>(y, DTypeMin(x.dtype()), DTypeMax(x.dtype())));
  }
  return Tensor::FromVector(p.out_shape, std::move(out));
}

std::vector<Tensor> MeanRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const MeanPlan p = PlanMean(ctx.node, ctx.InInfo(0));
  if (x.dtype() == DType::kInt8) return {MeanTyped<std::int8_t>(ctx, x, p)};
  return {MeanTyped<std::uint8_t>(ctx, x, p)};
}

// ---- TfliteMul
// -----------------------------------------------------------------------------------

void MulInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 2, 2);
  ExpectOutputs(node, 1);
  const TensorInfo& a = graph.Info(node.inputs[0]);
  const TensorInfo& b = graph.Info(node.inputs[1]);
  if (!IsInt8Like(a.dtype) || b.dtype != a.dtype) {
    Fail(node, "inputs must both be int8 or both uint8");
  }
  for (const TensorInfo* t : {&a, &b}) {
    if (t->quant.empty() || t->quant.per_axis())
      Fail(node, TensorLabel(*t) + " needs a per-tensor scale");
  }
  SetOutput(graph, node, 0, a.dtype, BroadcastShapes(a.shape, b.shape));
  const TensorInfo& y = graph.Info(node.outputs[0]);
  if (y.quant.empty() || y.quant.per_axis()) Fail(node, "the output needs a per-tensor scale");
  ClampMin(node, y.dtype);
  ClampMax(node, y.dtype);
  QuantizeMultiplier(static_cast<double>(a.quant.scale(0)) * static_cast<double>(b.quant.scale(0)) /
                     static_cast<double>(y.quant.scale(0)));
}

std::vector<Tensor> MulRun(const OpContext& ctx) {
  const TensorInfo& ai = ctx.InInfo(0);
  const TensorInfo& bi = ctx.InInfo(1);
  const TensorInfo& yi = ctx.OutInfo(0);
  const FixedPointMultiplier m = QuantizeMultiplier(static_cast<double>(ai.quant.scale(0)) *
                                                    static_cast<double>(bi.quant.scale(0)) /
                                                    static_cast<double>(yi.quant.scale(0)));
  const std::int32_t za = ai.quant.zero_point(0);
  const std::int32_t zb = bi.quant.zero_point(0);
  const std::int32_t zy = yi.quant.zero_point(0);
  const std::int32_t lo = ClampMin(ctx.node, yi.dtype);
  const std::int32_t hi = ClampMax(ctx.node, yi.dtype);
  const Tensor& a = ctx.In(0);
  const Tensor& b = ctx.In(1);
  const std::vector<std::int64_t> ia = BroadcastIndex(a.shape(), yi.shape);
  const std::vector<std::int64_t> ib = BroadcastIndex(b.shape(), yi.shape);
  Tensor y(yi.dtype, yi.shape);
  for (std::size_t i = 0; i < ia.size(); ++i) {
    const auto da = static_cast<std::int32_t>(a.GetInt(ia[i])) - za;
    const auto db = static_cast<std::int32_t>(b.GetInt(ib[i])) - zb;
    const std::int64_t v =
        static_cast<std::int64_t>(MultiplyByQuantizedMultiplier(da * db, m)) + zy;
    y.SetInt(static_cast<std::int64_t>(i), std::clamp<std::int64_t>(v, lo, hi));
  }
  return {std::move(y)};
}

// ---- TfliteSoftmax: gemmlowp's fixed-point arithmetic on int32 raw values
// -------------------------

// A raw value with `bits` integer bits represents raw · 2^(bits − 31).
std::int32_t Srdhm(std::int32_t a, std::int32_t b) {
  return SaturatingRoundingDoublingHighMul(a, b);
}
std::int32_t Rdp(std::int32_t x, int e) { return RoundingDivideByPOT(x, e); }

// gemmlowp SaturatingRoundingMultiplyByPOT<e> for e > 0.
std::int32_t SaturatingShiftLeft(std::int32_t x, int e) {
  const std::int32_t threshold = static_cast<std::int32_t>((std::int64_t{1} << (31 - e)) - 1);
  if (x > threshold) return std::numeric_limits<std::int32_t>::max();
  if (x < -threshold) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << e);
}

// exp(a) for a in [−1/4, 0), a and result with 0 integer bits.
std::int32_t ExpOnIntervalNegQuarterTo0(std::int32_t a) {
  constexpr std::int32_t kConstantTerm = 1895147668;  // exp(−1/8)
  constexpr std::int32_t kOneThird = 715827883;
  const std::int32_t x = a + (std::int32_t{1} << 28);  // a + 1/8
  const std::int32_t x2 = Srdhm(x, x);
  const std::int32_t x3 = Srdhm(x2, x);
  const std::int32_t x4 = Srdhm(x2, x2);
  const std::int32_t x4_over_4 = Rdp(x4, 2);
  const std::int32_t poly = Rdp(Srdhm(x4_over_4 + x3, kOneThird) + x2, 1);
  return kConstantTerm + Srdhm(kConstantTerm, x + poly);
}

// exp(a) for a <= 0 with 5 integer bits (Q5.26); result with 0 integer bits.
std::int32_t ExpOnNegativeValues(std::int32_t a) {
  constexpr int kFractionalBits = 26;
  constexpr std::int32_t kOneQuarter = std::int32_t{1} << 24;
  const std::int32_t mask = kOneQuarter - 1;
  const std::int32_t a_mod_quarter_minus_one_quarter = (a & mask) - kOneQuarter;
  std::int32_t result =
      ExpOnIntervalNegQuarterTo0(SaturatingShiftLeft(a_mod_quarter_minus_one_quarter, 5));
  const std::int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  struct Step {
    int exponent;
    std::int32_t multiplier;  // exp(−2^exponent) with 0 integer bits
  };
  constexpr Step kSteps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                             {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Step& s : kSteps) {
    if (remainder & (std::int32_t{1} << (kFractionalBits + s.exponent))) {
      result = Srdhm(result, s.multiplier);
    }
  }
  return a == 0 ? std::numeric_limits<std::int32_t>::max() : result;
}

// 1 / (1 + x) for x in [0, 1), both with 0 integer bits (Newton-Raphson, as gemmlowp).
std::int32_t OneOverOnePlusX(std::int32_t a) {
  const std::int64_t sum = std::int64_t{a} + std::numeric_limits<std::int32_t>::max();
  const auto half_denominator = static_cast<std::int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  constexpr std::int32_t k48Over17 = 1515870810;      // 2 integer bits
  constexpr std::int32_t kNeg32Over17 = -1010580540;  // 2 integer bits
  constexpr std::int32_t kOneF2 = std::int32_t{1} << 29;
  std::int32_t x = k48Over17 + Srdhm(half_denominator, kNeg32Over17);
  for (int i = 0; i < 3; ++i) {
    const std::int32_t half_denominator_times_x = Srdhm(half_denominator, x);
    const std::int32_t one_minus = kOneF2 - half_denominator_times_x;
    x = x + SaturatingShiftLeft(Srdhm(x, one_minus), 2);
  }
  return SaturatingShiftLeft(x, 1);
}

struct SoftmaxParams {
  FixedPointMultiplier input;  // shift >= 0: a left shift
  std::int32_t diff_min = 0;
};

SoftmaxParams MakeSoftmaxParams(const Node& node, float input_scale) {
  constexpr int kScaledDiffIntegerBits = 5;
  const double beta = node.attrs.GetFloat("beta", 1.0);
  if (!(beta > 0.0) || !std::isfinite(beta)) Fail(node, "beta must be positive and finite");
  const double real =
      std::min(beta * static_cast<double>(input_scale) * double(1 << (31 - kScaledDiffIntegerBits)),
               static_cast<double>((std::int64_t{1} << 31) - 1));
  SoftmaxParams p;
  p.input = QuantizeMultiplier(real);
  if (p.input.shift < 0) {
    Fail(node, "beta · input scale is below 2^-26; TFLite's softmax needs a larger one");
  }
  const double max_input_rescaled =
      1.0 * ((1 << kScaledDiffIntegerBits) - 1) *
      static_cast<double>(std::int64_t{1} << (31 - kScaledDiffIntegerBits)) /
      static_cast<double>(std::int64_t{1} << p.input.shift);
  p.diff_min = -static_cast<std::int32_t>(std::floor(max_input_rescaled));
  return p;
}

void SoftmaxInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (x.dtype != DType::kInt8) Fail(node, "X must be int8, is " + std::string(DTypeName(x.dtype)));
  if (x.shape.empty()) Fail(node, "X must have rank >= 1");
  if (x.quant.empty() || x.quant.per_axis()) Fail(node, "X needs a per-tensor scale");
  MakeSoftmaxParams(node, x.quant.scale(0));
  QuantParams out;
  out.scales = {1.0f / 256.0f};
  out.zero_points = {-128};
  SetOutput(graph, node, 0, DType::kInt8, x.shape, out);
  const TensorInfo& y = graph.Info(node.outputs[0]);
  if (!(y.quant == out)) {
    Fail(node, "the output must have scale 1/256 and zero point -128 (TFLite's int8 softmax)");
  }
}

std::vector<Tensor> SoftmaxRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const SoftmaxParams p = MakeSoftmaxParams(ctx.node, ctx.InInfo(0).quant.scale(0));
  const auto in = x.Data<std::int8_t>();
  const std::int64_t depth = x.shape().back();
  std::vector<std::int8_t> out(in.size());
  auto scaled_exp = [&](std::int32_t diff) {
    const std::int32_t rescaled =
        Srdhm(diff * (std::int32_t{1} << p.input.shift), p.input.multiplier);
    return ExpOnNegativeValues(rescaled);
  };
  for (std::size_t row = 0; row < in.size(); row += static_cast<std::size_t>(depth)) {
    std::int32_t max_in_row = -128;
    for (std::int64_t c = 0; c < depth; ++c) {
      max_in_row = std::max<std::int32_t>(max_in_row, in[row + static_cast<std::size_t>(c)]);
    }
    std::int32_t sum_of_exps = 0;  // 12 integer bits
    for (std::int64_t c = 0; c < depth; ++c) {
      const std::int32_t diff = in[row + static_cast<std::size_t>(c)] - max_in_row;
      if (diff >= p.diff_min) sum_of_exps += Rdp(scaled_exp(diff), 12);
    }
    const int headroom_plus_one = std::countl_zero(static_cast<std::uint32_t>(sum_of_exps));
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const auto shifted_sum_minus_one = static_cast<std::int32_t>(
        (static_cast<std::uint32_t>(sum_of_exps) << headroom_plus_one) - (std::uint32_t{1} << 31));
    const std::int32_t shifted_scale = OneOverOnePlusX(shifted_sum_minus_one);
    for (std::int64_t c = 0; c < depth; ++c) {
      const std::size_t i = row + static_cast<std::size_t>(c);
      const std::int32_t diff = in[i] - max_in_row;
      if (diff >= p.diff_min) {
        const std::int32_t unsat =
            Rdp(Srdhm(shifted_scale, scaled_exp(diff)), num_bits_over_unit + 31 - 8);
        out[i] = static_cast<std::int8_t>(std::clamp(unsat - 128, -128, 127));
      } else {
        out[i] = -128;
      }
    }
  }
  return {Tensor::FromVector(x.shape(), std::move(out))};
}

// ---- TfliteFcRequant, TfliteQuantize
// -------------------------------------------------------------

void FcRequantInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (x.dtype != DType::kInt32) Fail(node, "X must be int32 accumulators");
  if (node.requant.size() != 1) Fail(node, "needs one explicit requant multiplier");
  if (node.requant[0].shift > 14 || node.requant[0].shift < -31 || node.requant[0].multiplier < 0) {
    Fail(node, "the requant multiplier must be non-negative with shift in [-31, 14]");
  }
  const std::string dt = node.attrs.GetString("output_dtype", "int8");
  const DType out = dt == "uint8" ? DType::kUInt8 : DType::kInt8;
  ClampMin(node, out);
  ClampMax(node, out);
  SetOutput(graph, node, 0, out, x.shape);
}

std::vector<Tensor> FcRequantRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const TensorInfo& yi = ctx.OutInfo(0);
  const FixedPointMultiplier m = ctx.node.requant[0];
  const std::int64_t reduced =
      m.multiplier < 0x7FFF0000 ? (std::int64_t{m.multiplier} + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - m.shift;
  const std::int64_t round = std::int64_t{1} << (total_shift - 1);
  const std::int32_t zy = yi.quant.zero_point(0);
  const std::int32_t lo = ClampMin(ctx.node, yi.dtype);
  const std::int32_t hi = ClampMax(ctx.node, yi.dtype);
  Tensor y(yi.dtype, yi.shape);
  const auto acc = x.Data<std::int32_t>();
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::int64_t v = ((std::int64_t{acc[i]} * reduced + round) >> total_shift) + zy;
    y.SetInt(static_cast<std::int64_t>(i), std::clamp<std::int64_t>(v, lo, hi));
  }
  return {std::move(y)};
}

void TfliteQuantizeInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (x.dtype != DType::kFloat32) Fail(node, "X must be float32");
  auto it = graph.tensors.find(node.outputs[0]);
  if (it == graph.tensors.end() || it->second.quant.empty() || it->second.quant.per_axis() ||
      !IsInt8Like(it->second.dtype)) {
    Fail(node, "the output must be declared int8 or uint8 with a per-tensor scale");
  }
  SetOutput(graph, node, 0, it->second.dtype, x.shape);
}

std::vector<Tensor> TfliteQuantizeRun(const OpContext& ctx) {
  const Tensor& x = ctx.In(0);
  const TensorInfo& yi = ctx.OutInfo(0);
  const float s = yi.quant.scale(0);
  const std::int32_t z = yi.quant.zero_point(0);
  Tensor y(yi.dtype, yi.shape);
  const auto in = x.Data<float>();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float q = std::round(in[i] / s);
    const double v = std::clamp(static_cast<double>(q) + z, static_cast<double>(DTypeMin(yi.dtype)),
                                static_cast<double>(DTypeMax(yi.dtype)));
    y.SetInt(static_cast<std::int64_t>(i), static_cast<std::int64_t>(std::isnan(v) ? z : v));
  }
  return {std::move(y)};
}

// ---- TfliteLogistic
// -------------------------------------------------------------------------------

QuantParams LogisticOutputQuant() {
  QuantParams q;
  q.scales = {1.0f / 256.0f};
  q.zero_points = {-128};
  return q;
}

void LogisticInfer(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = graph.Info(node.inputs[0]);
  if (x.dtype != DType::kInt8) Fail(node, "X must be int8, is " + std::string(DTypeName(x.dtype)));
  if (x.quant.empty() || x.quant.per_axis()) Fail(node, "X needs a per-tensor scale");
  SetOutput(graph, node, 0, DType::kInt8, x.shape, LogisticOutputQuant());
  if (!(graph.Info(node.outputs[0]).quant == LogisticOutputQuant())) {
    Fail(node, "the output must have scale 1/256 and zero point -128 (TFLite's int8 logistic)");
  }
}

std::vector<Tensor> LogisticRun(const OpContext& ctx) {
  const float sx = ctx.InInfo(0).quant.scale(0);
  const std::int32_t zx = ctx.InInfo(0).quant.zero_point(0);
  const float inverse_scale = 1.0f / (1.0f / 256.0f);
  std::int8_t table[256];
  for (std::int32_t v = -128; v <= 127; ++v) {
    const float r = sx * static_cast<float>(v - zx);
    const float f = 1.0f / (1.0f + std::exp(-r));
    const float rescaled = std::round(f * inverse_scale);
    const auto q = static_cast<std::int32_t>(rescaled + static_cast<float>(-128));
    table[v + 128] = static_cast<std::int8_t>(std::clamp(q, -128, 127));
  }
  const Tensor& x = ctx.In(0);
  const auto in = x.Data<std::int8_t>();
  std::vector<std::int8_t> out(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = table[in[i] + 128];
  return {Tensor::FromVector(x.shape(), std::move(out))};
}

}  // namespace

constexpr std::string_view kPadAttrs[] = {"pads", "value"};
constexpr std::string_view kMeanAttrs[] = {"axes", "keepdims"};
constexpr std::string_view kMulAttrs[] = {"clamp_min", "clamp_max"};
constexpr std::string_view kSoftmaxAttrs[] = {"beta"};
const OpDef kTfliteLogistic{"TfliteLogistic", LogisticInfer, LogisticRun};
const OpDef kTfliteFcRequant{"TfliteFcRequant", FcRequantInfer, FcRequantRun, kRequantAttrs};
const OpDef kTfliteQuantize{"TfliteQuantize", TfliteQuantizeInfer, TfliteQuantizeRun};
const OpDef kPad{"Pad", PadInfer, PadRun, kPadAttrs};
const OpDef kTfliteAveragePool{"TfliteAveragePool", AvgInfer, AvgRun, kWindowAttrs};
const OpDef kTfliteMean{"TfliteMean", MeanInfer, MeanRun, kMeanAttrs};
const OpDef kTfliteMul{"TfliteMul", MulInfer, MulRun, kMulAttrs};
const OpDef kTfliteSoftmax{"TfliteSoftmax", SoftmaxInfer, SoftmaxRun, kSoftmaxAttrs};

}  // namespace qsa::golden::ops
