// Add: element-wise sum with NumPy broadcasting.
//
// float32 + float32 → float32: plain IEEE addition (a host op).
//
// Quantized (ONNX QLinearAdd semantics): A and B uint8/int8, each with its own per-tensor scale
// and zero point (s_a, za), (s_b, zb); output uint8/int8 (declared, else attribute output_dtype,
// else A's dtype) with (s_y, zy); attributes clamp_min / clamp_max (fused activation) and
// left_shift (20). Per element, with da = a − za and db = b − zb (|da|, |db| ≤ 255):
//
//   tflite-double / single-rounding (TFLite's quantized add):
//     twice_max = 2 · max(s_a, s_b)                                   (double)
//     m_a = QuantizeMultiplier(s_a / twice_max)                        (≤ 0.5, so shift ≤ 0)
//     m_b = QuantizeMultiplier(s_b / twice_max)
//     m_y = QuantizeMultiplier(twice_max / (2^left_shift · s_y))
//     sum = MBQM(da · 2^left_shift, m_a) + MBQM(db · 2^left_shift, m_b)
//     y   = clamp(MBQM(sum, m_y) + zy, clamp_min, clamp_max)
//   where MBQM is MultiplyByQuantizedMultiplier (tflite-double) or its single-rounding variant.
//   Overflow: |da · 2^left_shift| ≤ 255 · 2^22 < 2^30 (left_shift ≤ 22 is enforced) and the
//   input multipliers are < 1, so each scaled term is below 2^30 in magnitude and their sum fits
//   int32; the output product saturates inside MBQM; the zero point is added in 64 bits.
//   Explicit requantization: node.requant = [m_a, m_b, m_y] replaces the three multipliers
//   (the scales are then not needed); m_a and m_b must have shift ≤ 0 (real value < 1).
//
//   float32-rne (ONNX Runtime's QLinearAdd): r_a = s_a / s_y and r_b = s_b / s_y in float32,
//     v = (r_a · float(da) + r_b · float(db)) + float(zy) in float32 — the zero point added
//     before rounding, as ONNX Runtime's QLinearAdd kernels do — clamped to
//     [clamp_min, clamp_max], rounded half to even.
//   float64-rne: the same in double with r_a = double(s_a) / double(s_y).
//   With explicit multipliers the float modes use r_a = real(m_a) · real(m_y) · 2^left_shift
//   (and likewise r_b), exactly in double, rounded to float for float32-rne.
#include <algorithm>
#include <cmath>
#include <limits>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

constexpr std::int64_t kMaxLeftShift = 22;

struct AddParams {
  RequantMode mode = RequantMode::kTfliteDouble;
  int left_shift = 20;
  FixedPointMultiplier ma, mb, my;
  float ra32 = 0.0f, rb32 = 0.0f;
  double ra64 = 0.0, rb64 = 0.0;
  std::int32_t za = 0, zb = 0, zy = 0, qmin = 0, qmax = 0;

  // z_y + r_a·da + r_b·db in T, clamped to [qmin, qmax], rounded half to even. Separate
  // statements: no compiler may fuse them into an FMA.
  template <typename T>
  std::int32_t AddInFloat(T ra, T rb, std::int32_t da, std::int32_t db) const {
    const T pa = ra * static_cast<T>(da);
    const T pb = rb * static_cast<T>(db);
    const T sum = pa + pb;
    T v = sum + static_cast<T>(zy);
    v = std::clamp(v, static_cast<T>(qmin), static_cast<T>(qmax));
    return static_cast<std::int32_t>(RoundHalfToEven(v));
  }

  std::int32_t Apply(std::int32_t a, std::int32_t b) const {
    const std::int32_t da = a - za;
    const std::int32_t db = b - zb;
    switch (mode) {
      case RequantMode::kTfliteDouble:
      case RequantMode::kSingleRounding: {
        const bool single = IsSingleRounding(mode);
        const std::int32_t sa = da * (std::int32_t{1} << left_shift);
        const std::int32_t sb = db * (std::int32_t{1} << left_shift);
        const std::int32_t fa = single ? MultiplyByQuantizedMultiplierSingleRounding(sa, ma)
                                       : MultiplyByQuantizedMultiplier(sa, ma);
        const std::int32_t fb = single ? MultiplyByQuantizedMultiplierSingleRounding(sb, mb)
                                       : MultiplyByQuantizedMultiplier(sb, mb);
        const std::int32_t sum = fa + fb;
        const std::int32_t scaled = single ? MultiplyByQuantizedMultiplierSingleRounding(sum, my)
                                           : MultiplyByQuantizedMultiplier(sum, my);
        const std::int64_t y = static_cast<std::int64_t>(scaled) + zy;
        return static_cast<std::int32_t>(std::clamp<std::int64_t>(y, qmin, qmax));
      }
      case RequantMode::kFloat32Rne:
        return AddInFloat(ra32, rb32, da, db);
      case RequantMode::kFloat64Rne:
        return AddInFloat(ra64, rb64, da, db);
    }
    return 0;
  }
};

AddParams MakeAddParams(const Node& node, RequantMode mode, const TensorInfo& a,
                        const TensorInfo& b, const TensorInfo& y) {
  AddParams p;
  p.mode = mode;
  const std::int64_t left_shift = node.attrs.GetInt("left_shift", 20);
  if (left_shift < 0 || left_shift > kMaxLeftShift) {
    Fail(node, "left_shift " + std::to_string(left_shift) + " is outside [0, " +
                   std::to_string(kMaxLeftShift) + "]");
  }
  p.left_shift = static_cast<int>(left_shift);
  p.za = ZeroPointAt(a.quant, 0);
  p.zb = ZeroPointAt(b.quant, 0);
  p.zy = ZeroPointAt(y.quant, 0);
  p.qmin = ClampMin(node, y.dtype);
  p.qmax = ClampMax(node, y.dtype);
  if (p.qmin > p.qmax) {
    Fail(node,
         "clamp_min " + std::to_string(p.qmin) + " exceeds clamp_max " + std::to_string(p.qmax));
  }
  const double pow2 = std::ldexp(1.0, p.left_shift);
  if (!node.requant.empty()) {
    if (node.requant.size() != 3) {
      Fail(node, "explicit requant needs 3 entries (input A, input B, output), has " +
                     std::to_string(node.requant.size()));
    }
    p.ma = node.requant[0];
    p.mb = node.requant[1];
    p.my = node.requant[2];
    for (const FixedPointMultiplier* m : {&p.ma, &p.mb, &p.my}) {
      if (m->multiplier < 0) Fail(node, "explicit requant multipliers must be non-negative");
    }
    if (p.ma.shift > 0 || p.mb.shift > 0) {
      Fail(node, "explicit input multipliers must be below 1 (shift <= 0)");
    }
    p.ra64 = FixedPointToDouble(p.ma) * FixedPointToDouble(p.my) * pow2;
    p.rb64 = FixedPointToDouble(p.mb) * FixedPointToDouble(p.my) * pow2;
    p.ra32 = static_cast<float>(p.ra64);
    p.rb32 = static_cast<float>(p.rb64);
    return p;
  }
  for (const TensorInfo* t : {&a, &b, &y}) {
    if (t->quant.empty()) {
      Fail(node, TensorLabel(*t) +
                     " has no scale; quantized Add needs all three scales (or explicit requant)");
    }
  }
  const float sa = a.quant.scale(0);
  const float sb = b.quant.scale(0);
  const float sy = y.quant.scale(0);
  const double twice_max = 2.0 * std::max(static_cast<double>(sa), static_cast<double>(sb));
  p.ma = QuantizeMultiplier(static_cast<double>(sa) / twice_max);
  p.mb = QuantizeMultiplier(static_cast<double>(sb) / twice_max);
  p.my = QuantizeMultiplier(twice_max / (pow2 * static_cast<double>(sy)));
  p.ra32 = sa / sy;
  p.rb32 = sb / sy;
  p.ra64 = static_cast<double>(sa) / static_cast<double>(sy);
  p.rb64 = static_cast<double>(sb) / static_cast<double>(sy);
  return p;
}

Shape OutShape(const Node& node, const TensorInfo& a, const TensorInfo& b) {
  try {
    return BroadcastShapes(a.shape, b.shape);
  } catch (const Error& e) {
    Fail(node, e.what());
  }
}

void Infer(const Node& node, Graph& graph) {
  ExpectInputs(node, 2, 2);
  ExpectOutputs(node, 1);
  const TensorInfo& a = graph.Info(node.inputs[0]);
  const TensorInfo& b = graph.Info(node.inputs[1]);
  const Shape shape = OutShape(node, a, b);
  if (a.dtype == DType::kFloat32 && b.dtype == DType::kFloat32) {
    if (!node.requant.empty()) Fail(node, "explicit requant given for a float32 Add");
    SetOutput(graph, node, 0, DType::kFloat32, shape);
    return;
  }
  if (!IsQuantizedType(a.dtype) || !IsQuantizedType(b.dtype)) {
    Fail(node, "inputs are " + std::string(DTypeName(a.dtype)) + " and " +
                   std::string(DTypeName(b.dtype)) +
                   "; Add takes two float32 or two uint8/int8 tensors");
  }
  const DType out_dtype = ResolveOutputDType(node, graph, a.dtype);
  if (out_dtype == DType::kInt32) Fail(node, "a quantized Add gives uint8 or int8, not int32");
  CheckActivationQuant(node, a, "input A");
  CheckActivationQuant(node, b, "input B");
  SetOutput(graph, node, 0, out_dtype, shape);
  const TensorInfo& y = graph.Info(node.outputs[0]);
  CheckActivationQuant(node, y, "output");
  MakeAddParams(node, RequantMode::kTfliteDouble, a, b, y);
}

std::vector<Tensor> Run(const OpContext& ctx) {
  const Tensor& a = ctx.In(0);
  const Tensor& b = ctx.In(1);
  const TensorInfo& y_info = ctx.OutInfo(0);
  const Shape shape = OutShape(ctx.node, ctx.InInfo(0), ctx.InInfo(1));
  const std::vector<std::int64_t> ia = BroadcastIndex(a.shape(), shape);
  const std::vector<std::int64_t> ib = BroadcastIndex(b.shape(), shape);
  if (a.dtype() == DType::kFloat32) {
    const auto da = a.Data<float>();
    const auto db = b.Data<float>();
    std::vector<float> out(ia.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = da[static_cast<std::size_t>(ia[i])] + db[static_cast<std::size_t>(ib[i])];
    }
    return {Tensor::FromVector(shape, std::move(out))};
  }
  const AddParams p = MakeAddParams(ctx.node, ctx.mode, ctx.InInfo(0), ctx.InInfo(1), y_info);
  const std::vector<std::int32_t> va = CenteredValues(a, {}, 1, 1);
  const std::vector<std::int32_t> vb = CenteredValues(b, {}, 1, 1);
  std::vector<std::int32_t> out(ia.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = p.Apply(va[static_cast<std::size_t>(ia[i])], vb[static_cast<std::size_t>(ib[i])]);
  }
  return {IntTensor(y_info.dtype, shape, out)};
}

}  // namespace

AddFixedPoint QuantizedAddFixedPoint(const Node& node, const TensorInfo& a, const TensorInfo& b,
                                     const TensorInfo& y) {
  const AddParams p = MakeAddParams(node, RequantMode::kTfliteDouble, a, b, y);
  return {p.left_shift, p.ma, p.mb, p.my, p.za, p.zb, p.zy, p.qmin, p.qmax};
}

constexpr std::string_view kAddAttrs[] = {"left_shift", "output_dtype", "clamp_min", "clamp_max"};
const OpDef kAdd{"Add", Infer, Run, kAddAttrs};

}  // namespace qsa::golden::ops
