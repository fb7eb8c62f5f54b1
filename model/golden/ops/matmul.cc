// MatMul: matrix product, quantized (ONNX QLinearMatMul / MatMulInteger semantics) or float32
// (ONNX MatMul, NumPy's matmul; see the float contract at the end of this comment).
//
// Inputs   A [M, K] or [batch, M, K] uint8/int8, per-tensor scale s_a and zero point za.
//          B [K, N] or [batch, K, N] uint8/int8 ([N, K] / [batch, N, K] when transpose_b = 1),
//            per tensor or per axis along its N axis (one scale s_b[n] and zero point zb[n] per
//            output column; non-zero zero points allowed). B need not be constant.
//          Bias [N] int32, optional, at scale s_a · s_b[n] with zero point 0.
// Attrs    transpose_b (0), output_dtype, clamp_min / clamp_max (fused activation).
// Output   Y [M, N], or [batch, M, N] when A or B has a batch dimension. A 2-D operand, or a
//          batch of 1, is broadcast over the other's batch; other batch sizes must be equal.
//
// Integer contract. For each batch index and row i, column n:
//   acc = Bias[n] + Σ_{k < K} (A[i, k] − za) · (B[k, n] − zb[n])
// Every term and partial sum is an exact int32: Infer bounds |acc| ≤ |Bias[n]| + max|a − za| ·
// max_batch Σ_k |B[k, n] − zb[n]| with the constant B (K · max|a − za| · max|b − zb[n]| when B
// is not constant) and refuses the node, naming the bound, when that can exceed INT32_MAX. A bias
// that is not a constant is added in 64 bits at run time and an out-of-range sum is an error.
// Attribute x_zero_point_folded = 1 (the compiler's fold-zero-point pass; B a single matrix with
// zero points 0): the stored bias holds Bias[n] − za · Σ_k B[k, n]; the op adds za · Σ_k B[k, n]
// back, so acc above is unchanged.
// Output int32 (declared, or output_dtype "int32"): Y = acc (MatMulInteger). Otherwise
// Y = requant_n(acc): M_n = s_a · s_b[n] / s_y (or the node's explicit multipliers), rounding per
// the RequantMode, + zy, clamped to [clamp_min, clamp_max] within the output type.
//
// float32 (A and B float32, a host op; other dtypes take the integer path above, which refuses
// mixes): NumPy matmul semantics. A [..., M, K] or [K] (read as [1, K], M dropped from Y);
// B [..., K, N] ([..., N, K] when transpose_b = 1) or [K] (read as [K, 1], N dropped from Y); the
// leading (batch) dimensions broadcast as NumPy does, Y [broadcast batch..., M, N]. No bias, and
// output_dtype, clamp_min, clamp_max and explicit requant are refused. Per output element
//   Y[s, i, n] = float32( Σ_{k ascending} double(A[s, i, k]) · double(B[s, k, n]) ),
// each product exact in double, the sum in double in that order, rounded to float32 once (ties
// to even). NaN and ±inf propagate.
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

// A's K (its last dimension) must equal B's (its second-to-last, or last when B is transposed).
void CheckInnerDimensions(const Node& node, const TensorInfo& a, const TensorInfo& b,
                          std::int64_t a_depth, std::int64_t b_depth, bool transpose_b) {
  if (b_depth == a_depth) return;
  Fail(node, "inner dimensions differ: A " + TensorLabel(a) + " " + ShapeToString(a.shape) +
                 " has K = " + std::to_string(a_depth) + ", B " + TensorLabel(b) + " " +
                 ShapeToString(b.shape) + (transpose_b ? " (transposed)" : "") +
                 " has K = " + std::to_string(b_depth));
}

struct MatMulPlan {
  const TensorInfo* a = nullptr;
  const TensorInfo* b = nullptr;
  bool transpose_b = false;
  std::int64_t rows = 0;     // M
  std::int64_t depth = 0;    // K
  std::int64_t cols = 0;     // N
  std::int64_t batch = 1;    // output batch (1 when the output is 2-D)
  std::int64_t a_batch = 1;  // batch count of A (1 when A is 2-D)
  std::int64_t b_batch = 1;  // batch count of B (1 when B is 2-D)
  bool batched = false;
  DType out_dtype = DType::kInt32;
  bool raw = false;

  Shape OutShape() const { return batched ? Shape{batch, rows, cols} : Shape{rows, cols}; }
  // Stride, in elements, between consecutive entries of B's N axis (for CenteredValues).
  std::int64_t BInner() const { return transpose_b ? depth : 1; }
};

MatMulPlan Plan(const Node& node, const Graph& graph) {
  ExpectInputs(node, 2, 3);
  ExpectOutputs(node, 1);
  MatMulPlan p;
  p.a = &graph.Info(node.inputs[0]);
  p.b = &graph.Info(node.inputs[1]);
  const TensorInfo& a = *p.a;
  const TensorInfo& b = *p.b;
  for (const TensorInfo* t : {p.a, p.b}) {
    if (!IsQuantizedType(t->dtype)) {
      Fail(node, "input " + TensorLabel(*t) + " is " + std::string(DTypeName(t->dtype)) +
                     "; MatMul takes uint8 or int8 (or float32 A and B)");
    }
    if (t->shape.size() != 2 && t->shape.size() != 3) {
      Fail(node, "input " + TensorLabel(*t) + " has shape " + ShapeToString(t->shape) +
                     "; MatMul takes rank 2 or 3");
    }
  }
  const std::int64_t tb = node.attrs.GetInt("transpose_b", 0);
  if (tb != 0 && tb != 1) Fail(node, "transpose_b must be 0 or 1, is " + std::to_string(tb));
  p.transpose_b = tb == 1;
  const std::size_t ra = a.shape.size();
  const std::size_t rb = b.shape.size();
  p.rows = a.shape[ra - 2];
  p.depth = a.shape[ra - 1];
  const std::int64_t b_depth = p.transpose_b ? b.shape[rb - 1] : b.shape[rb - 2];
  p.cols = p.transpose_b ? b.shape[rb - 2] : b.shape[rb - 1];
  CheckInnerDimensions(node, a, b, p.depth, b_depth, p.transpose_b);
  p.a_batch = ra == 3 ? a.shape[0] : 1;
  p.b_batch = rb == 3 ? b.shape[0] : 1;
  if (p.a_batch != p.b_batch && p.a_batch != 1 && p.b_batch != 1) {
    Fail(node, "batch sizes differ: " + ShapeToString(a.shape) + " and " + ShapeToString(b.shape));
  }
  p.batched = ra == 3 || rb == 3;
  p.batch = std::max(p.a_batch, p.b_batch);
  CheckActivationQuant(node, a, "input A");
  CheckWeightQuant(node, b, "input B", static_cast<std::int64_t>(rb) - (p.transpose_b ? 2 : 1),
                   p.cols);
  CheckBias(node, graph, 2, p.cols);
  p.out_dtype = ResolveOutputDType(node, graph, a.dtype);
  p.raw = p.out_dtype == DType::kInt32;
  return p;
}

// B minus its zero points, laid out [b_batch][K][N] whatever transpose_b says.
std::vector<std::int32_t> CenteredB(const MatMulPlan& p, const Tensor& b) {
  std::vector<std::int32_t> v = CenteredValues(b, p.b->quant, p.cols, p.BInner());
  if (!p.transpose_b) return v;
  std::vector<std::int32_t> t(v.size());
  const std::int64_t kn = p.depth * p.cols;
  for (std::int64_t s = 0; s < p.b_batch; ++s) {
    for (std::int64_t n = 0; n < p.cols; ++n) {
      for (std::int64_t k = 0; k < p.depth; ++k) {
        t[static_cast<std::size_t>(s * kn + k * p.cols + n)] =
            v[static_cast<std::size_t>(s * kn + n * p.depth + k)];
      }
    }
  }
  return t;
}

// Largest |acc| per output column, checked against INT32_MAX (see the contract above).
void CheckBound(const Node& node, const Graph& graph, const MatMulPlan& p) {
  CheckAccumulatorBounds(
      node, graph, p.depth, p.cols,
      [&](const Tensor& b) {
        const std::vector<std::int32_t> bv = CenteredB(p, b);
        std::vector<std::int64_t> sums(static_cast<std::size_t>(p.cols), 0);
        for (std::int64_t n = 0; n < p.cols; ++n) {
          for (std::int64_t s = 0; s < p.b_batch; ++s) {
            std::int64_t sum = 0;
            for (std::int64_t k = 0; k < p.depth; ++k) {
              sum += std::abs(static_cast<std::int64_t>(
                  bv[static_cast<std::size_t>((s * p.depth + k) * p.cols + n)]));
            }
            sums[static_cast<std::size_t>(n)] = std::max(sums[static_cast<std::size_t>(n)], sum);
          }
        }
        return sums;
      },
      "output column");
}

void Infer(const Node& node, Graph& graph) {
  const MatMulPlan p = Plan(node, graph);
  CheckBound(node, graph, p);
  InferAccumulatorOutput(node, graph, p.out_dtype, p.OutShape(), *p.a, "input A", p.b->quant,
                         p.cols);
}

std::vector<Tensor> Run(const OpContext& ctx) {
  const Node& node = ctx.node;
  const MatMulPlan p = Plan(node, ctx.graph);
  const std::vector<std::int32_t> av = CenteredValues(ctx.In(0), p.a->quant, 1, 1);
  const std::vector<std::int32_t> bv = CenteredB(p, ctx.In(1));
  const bool has_bias = ctx.HasIn(2);
  std::vector<std::int64_t> unfold(static_cast<std::size_t>(p.cols), 0);
  if (node.attrs.GetInt("x_zero_point_folded", 0) == 1) {
    if (p.b_batch != 1) Fail(node, "x_zero_point_folded needs a single matrix B");
    // Per column n: Σ_k B[k, n], as [n][k] for FoldedZeroPointTerms.
    std::vector<std::int32_t> bt(static_cast<std::size_t>(p.cols * p.depth));
    for (std::int64_t k = 0; k < p.depth; ++k) {
      for (std::int64_t n = 0; n < p.cols; ++n) {
        bt[static_cast<std::size_t>(n * p.depth + k)] =
            bv[static_cast<std::size_t>(k * p.cols + n)];
      }
    }
    unfold = FoldedZeroPointTerms(node, *p.a, *p.b, bt, p.cols, p.depth);
  }
  std::vector<Requantizer> rq;
  if (!p.raw) {
    rq = ChannelRequantizers(node, ctx.mode, ActivationScale(p.a->quant), p.b->quant,
                             ctx.OutInfo(0), p.cols);
  }
  std::vector<std::int32_t> out(static_cast<std::size_t>(NumElements(p.OutShape())));
  std::vector<std::int32_t> acc(static_cast<std::size_t>(p.cols));
  for (std::int64_t s = 0; s < p.batch; ++s) {
    const std::int32_t* a_mat = av.data() + (p.a_batch > 1 ? s : 0) * p.rows * p.depth;
    const std::int32_t* b_mat = bv.data() + (p.b_batch > 1 ? s : 0) * p.depth * p.cols;
    for (std::int64_t i = 0; i < p.rows; ++i) {
      std::fill(acc.begin(), acc.end(), 0);
      for (std::int64_t k = 0; k < p.depth; ++k) {
        const std::int32_t a_ik = a_mat[i * p.depth + k];
        if (a_ik == 0) continue;
        AccumulateRow(acc.data(), b_mat + k * p.cols, p.cols, 1, a_ik);
      }
      std::int32_t* dst = out.data() + (s * p.rows + i) * p.cols;
      for (std::int64_t n = 0; n < p.cols; ++n) {
        const std::int64_t total = (has_bias ? ctx.In(2).GetInt(n) : 0) +
                                   unfold[static_cast<std::size_t>(n)] +
                                   acc[static_cast<std::size_t>(n)];
        if (total < std::numeric_limits<std::int32_t>::min() ||
            total > std::numeric_limits<std::int32_t>::max()) {
          Fail(node, "the accumulator of output column " + std::to_string(n) +
                         " overflows int32 after adding the bias (" + std::to_string(total) + ")");
        }
        const auto t32 = static_cast<std::int32_t>(total);
        dst[n] = p.raw ? t32 : rq[static_cast<std::size_t>(n)].Apply(t32);
      }
    }
  }
  return {IntTensor(p.out_dtype, p.OutShape(), out)};
}

// ---- float32 ------------------------------------------------------------------------------------

struct FloatMatMulPlan {
  Shape a_batch, b_batch, batch;  // leading dimensions; batch is their broadcast
  std::int64_t rows = 1, depth = 0, cols = 1;
  bool a_vector = false;  // A is 1-D [K]: read as [1, K], the M axis dropped from Y
  bool b_vector = false;  // B is 1-D [K]: read as [K, 1], the N axis dropped from Y
  bool transpose_b = false;

  Shape OutShape() const {
    Shape s = batch;
    if (!a_vector) s.push_back(rows);
    if (!b_vector) s.push_back(cols);
    return s;
  }
};

FloatMatMulPlan FloatPlan(const Node& node, const Graph& graph) {
  if (node.inputs.size() > 2) {
    Fail(node, "a float32 MatMul takes no bias (ONNX MatMul has none; use Gemm, or an Add)");
  }
  ExpectInputs(node, 2, 2);
  ExpectOutputs(node, 1);
  RefuseQuantizedAttributes(node);
  const TensorInfo& a = graph.Info(node.inputs[0]);
  const TensorInfo& b = graph.Info(node.inputs[1]);
  for (const TensorInfo* t : {&a, &b}) {
    if (t->shape.empty()) {
      Fail(node, "input " + TensorLabel(*t) + " is a scalar; MatMul takes rank 1 or more");
    }
  }
  FloatMatMulPlan p;
  const std::int64_t tb = node.attrs.GetInt("transpose_b", 0);
  if (tb != 0 && tb != 1) Fail(node, "transpose_b must be 0 or 1, is " + std::to_string(tb));
  p.transpose_b = tb == 1;
  const std::size_t ra = a.shape.size();
  const std::size_t rb = b.shape.size();
  p.a_vector = ra == 1;
  p.b_vector = rb == 1;
  if (p.transpose_b && p.b_vector) {
    Fail(node, "transpose_b needs B of rank 2 or more, " + TensorLabel(b) + " has shape " +
                   ShapeToString(b.shape));
  }
  p.rows = p.a_vector ? 1 : a.shape[ra - 2];
  p.depth = a.shape[ra - 1];
  std::int64_t b_depth = b.shape[0];
  if (!p.b_vector) {
    b_depth = p.transpose_b ? b.shape[rb - 1] : b.shape[rb - 2];
    p.cols = p.transpose_b ? b.shape[rb - 2] : b.shape[rb - 1];
  }
  CheckInnerDimensions(node, a, b, p.depth, b_depth, p.transpose_b);
  p.a_batch = ra > 2 ? Shape(a.shape.begin(), a.shape.end() - 2) : Shape{};
  p.b_batch = rb > 2 ? Shape(b.shape.begin(), b.shape.end() - 2) : Shape{};
  try {
    p.batch = BroadcastShapes(p.a_batch, p.b_batch);
  } catch (const Error&) {
    Fail(node, "batch dimensions do not broadcast: " + ShapeToString(a.shape) + " and " +
                   ShapeToString(b.shape));
  }
  return p;
}

// Y[s, i, n] = float32(Σ_k double(A[s, i, k]) · double(B[s, k, n])), k ascending (see the float
// contract at the top).
std::vector<Tensor> RunFloat(const OpContext& ctx) {
  const FloatMatMulPlan p = FloatPlan(ctx.node, ctx.graph);
  const std::int64_t a_size = p.rows * p.depth;
  const std::int64_t b_size = p.depth * p.cols;
  const std::vector<std::int64_t> a_index = BroadcastIndex(p.a_batch, p.batch);
  const std::vector<std::int64_t> b_index = BroadcastIndex(p.b_batch, p.batch);
  const float* a = ctx.In(0).Data<float>().data();
  std::span<const float> b = ctx.In(1).Data<float>();
  std::vector<float> b_kn;  // B as [b_batch][K][N] when transpose_b
  if (p.transpose_b) {
    for (std::int64_t s = 0; s < NumElements(p.b_batch); ++s) {
      const std::vector<float> t = Transposed(
          b.subspan(static_cast<std::size_t>(s * b_size), static_cast<std::size_t>(b_size)), p.cols,
          p.depth);
      b_kn.insert(b_kn.end(), t.begin(), t.end());
    }
    b = b_kn;
  }
  Tensor y(DType::kFloat32, p.OutShape());
  float* out = y.Data<float>().data();
  std::vector<double> acc(static_cast<std::size_t>(p.rows * p.cols));
  for (std::size_t s = 0; s < a_index.size(); ++s) {
    std::fill(acc.begin(), acc.end(), 0.0);
    MatMulAccumulate(a + a_index[s] * a_size, b.data() + b_index[s] * b_size, p.rows, p.depth,
                     p.cols, acc.data());
    float* dst = out + static_cast<std::int64_t>(s) * p.rows * p.cols;
    for (std::size_t i = 0; i < acc.size(); ++i) dst[i] = static_cast<float>(acc[i]);
  }
  return {y};
}

void InferFloat(const Node& node, Graph& graph) {
  SetOutput(graph, node, 0, DType::kFloat32, FloatPlan(node, graph).OutShape());
}

}  // namespace

constexpr std::string_view kMatMulAttrs[] = {"transpose_b", "output_dtype", "clamp_min",
                                             "clamp_max", "x_zero_point_folded"};
const OpDef kMatMul = IntegerOrFloatOp<Infer, InferFloat, Run, RunFloat>("MatMul", kMatMulAttrs);

}  // namespace qsa::golden::ops
