// float32 neural-network host operators (docs/ops-float.md): Gemm, BatchNormalization, Softmax,
// Sigmoid, Tanh, LeakyRelu. The golden engine runs float models with them (calibration of the
// quantizer, host fallback between accelerator segments). Every input and output is float32.
//
// Numeric contracts, per op:
//   Gemm        products exact in double, summed in double over k ascending, then
//               alpha · acc + beta · C in double, rounded to float32 once.
//   BatchNorm   ONNX's reference formula, each step a float32 operation, left to right:
//               y = ((scale · (x − mean)) / sqrt(var + epsilon)) + B, epsilon as float32.
//               Bit-exact with the ONNX reference implementation.
//   Softmax     x − max in float32 (as ONNX's reference and ONNX Runtime do), then exp, the sum
//               (ascending index) and the division in double, rounded to float32 once.
//   Sigmoid     1 / (1 + exp(−x)) in double, rounded to float32 once.
//   Tanh        tanh(x) in double, rounded to float32 once.
//   LeakyRelu   x < 0 ? x · alpha : x, one float32 multiplication (alpha as float32). Bit-exact
//               with the ONNX reference implementation.
// NaN propagates through all of them (a NaN in a Softmax row makes the whole row NaN, as NumPy's
// max does in the reference).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/golden/ops/compute_util.h"
#include "model/golden/ops/float_util.h"
#include "model/golden/ops/op_util.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden::ops {
namespace {

// ---- Gemm ---------------------------------------------------------------------------------------

// Y [M, N] = alpha · A' · B' + beta · C with A' = A [M, K] (A^T of [K, M] when transA = 1),
// B' = B [K, N] (B^T of [N, K] when transB = 1) and C, optional, broadcast to [M, N].
struct GemmPlan {
  std::int64_t rows = 0, depth = 0, cols = 0;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 1.0;
};

bool ReadFlag(const Node& node, const char* name) {
  const std::int64_t v = node.attrs.GetInt(name, 0);
  if (v != 0 && v != 1) Fail(node, std::string(name) + " must be 0 or 1, is " + std::to_string(v));
  return v == 1;
}

GemmPlan PlanGemm(const Node& node, const Graph& graph) {
  ExpectInputs(node, 2, 3);
  ExpectOutputs(node, 1);
  const TensorInfo& a = ExpectFloatInput(node, graph, 0, "input A");
  const TensorInfo& b = ExpectFloatInput(node, graph, 1, "input B");
  GemmPlan p;
  p.trans_a = ReadFlag(node, "transA");
  p.trans_b = ReadFlag(node, "transB");
  p.alpha = node.attrs.GetFloat("alpha", 1.0);
  p.beta = node.attrs.GetFloat("beta", 1.0);
  for (const TensorInfo* t : {&a, &b}) {
    if (t->shape.size() != 2) {
      Fail(node, "input " + TensorLabel(*t) + " has shape " + ShapeToString(t->shape) +
                     "; Gemm takes matrices");
    }
  }
  p.rows = a.shape[p.trans_a ? 1 : 0];
  p.depth = a.shape[p.trans_a ? 0 : 1];
  const std::int64_t b_depth = b.shape[p.trans_b ? 1 : 0];
  p.cols = b.shape[p.trans_b ? 0 : 1];
  if (b_depth != p.depth) {
    Fail(node, "inner dimensions differ: A " + ShapeToString(a.shape) +
                   (p.trans_a ? " (transposed)" : "") + " has K = " + std::to_string(p.depth) +
                   ", B " + ShapeToString(b.shape) + (p.trans_b ? " (transposed)" : "") +
                   " has K = " + std::to_string(b_depth));
  }
  if (HasInput(node, 2)) {
    const TensorInfo& c = ExpectFloatInput(node, graph, 2, "input C");
    const Shape out = {p.rows, p.cols};
    bool fits = c.shape.size() <= 2;
    try {
      fits = fits && BroadcastShapes(c.shape, out) == out;
    } catch (const Error&) {
      fits = false;
    }
    if (!fits) {
      Fail(node, "input C " + TensorLabel(c) + " has shape " + ShapeToString(c.shape) +
                     ", which does not broadcast to the output " + ShapeToString(out));
    }
  }
  RefuseQuantizedAttributes(node);
  return p;
}

void InferGemm(const Node& node, Graph& graph) {
  const GemmPlan p = PlanGemm(node, graph);
  SetOutput(graph, node, 0, DType::kFloat32, {p.rows, p.cols});
}

std::vector<Tensor> RunGemm(const OpContext& ctx) {
  const GemmPlan p = PlanGemm(ctx.node, ctx.graph);
  const std::span<const float> a_in = ctx.In(0).Data<float>();
  const std::span<const float> b_in = ctx.In(1).Data<float>();
  // Both operands in canonical layout: A' [M, K], B' [K, N].
  const std::vector<float> a =
      p.trans_a ? Transposed(a_in, p.depth, p.rows) : std::vector<float>(a_in.begin(), a_in.end());
  const std::vector<float> b =
      p.trans_b ? Transposed(b_in, p.cols, p.depth) : std::vector<float>(b_in.begin(), b_in.end());
  std::vector<double> acc(static_cast<std::size_t>(p.rows * p.cols), 0.0);
  MatMulAccumulate(a.data(), b.data(), p.rows, p.depth, p.cols, acc.data());
  const Shape out_shape = {p.rows, p.cols};
  for (double& v : acc) v *= p.alpha;
  if (ctx.HasIn(2)) {
    const std::span<const float> c = ctx.In(2).Data<float>();
    const std::vector<std::int64_t> c_index = BroadcastIndex(ctx.In(2).shape(), out_shape);
    for (std::size_t i = 0; i < acc.size(); ++i) {
      acc[i] += p.beta * static_cast<double>(c[static_cast<std::size_t>(c_index[i])]);
    }
  }
  return {Tensor::FromVector(out_shape, RoundToFloat(acc))};
}

// ---- BatchNormalization (inference) -------------------------------------------------------------

// X [N, C, ...] (rank >= 2); scale, B, mean, var [C].
void CheckBatchNorm(const Node& node, const Graph& graph) {
  ExpectInputs(node, 5, 5);
  ExpectOutputs(node, 1);
  const TensorInfo& x = ExpectFloatInput(node, graph, 0, "input X");
  if (x.shape.size() < 2) {
    Fail(node, "input " + TensorLabel(x) + " has shape " + ShapeToString(x.shape) +
                   "; BatchNormalization takes N, C, ... (rank 2 or more)");
  }
  const char* roles[4] = {"scale", "B", "mean", "var"};
  for (std::size_t i = 1; i < 5; ++i) CheckChannelVector(node, graph, i, roles[i - 1], x.shape[1]);
  const double eps = node.attrs.GetFloat("epsilon", 1e-5);
  if (!std::isfinite(eps) || eps < 0.0) {
    Fail(node, "epsilon " + std::to_string(eps) + " must be finite and non-negative");
  }
}

void InferBatchNorm(const Node& node, Graph& graph) {
  CheckBatchNorm(node, graph);
  SetOutput(graph, node, 0, DType::kFloat32, graph.Info(node.inputs[0]).shape);
}

std::vector<Tensor> RunBatchNorm(const OpContext& ctx) {
  CheckBatchNorm(ctx.node, ctx.graph);
  const Tensor& x_in = ctx.In(0);
  const auto eps = static_cast<float>(ctx.node.attrs.GetFloat("epsilon", 1e-5));
  const std::span<const float> scale = ctx.In(1).Data<float>();
  const std::span<const float> bias = ctx.In(2).Data<float>();
  const std::span<const float> mean = ctx.In(3).Data<float>();
  const std::span<const float> var = ctx.In(4).Data<float>();
  const std::int64_t channels = x_in.shape()[1];
  const std::int64_t inner = x_in.size() / std::max<std::int64_t>(1, x_in.shape()[0] * channels);
  // One float32 operation per statement, in the reference's order.
  std::vector<float> den(static_cast<std::size_t>(channels));
  for (std::size_t c = 0; c < den.size(); ++c) {
    const float shifted = var[c] + eps;
    den[c] = std::sqrt(shifted);
  }
  Tensor y = x_in;
  const std::span<float> v = y.Data<float>();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % channels);
    const float centered = v[i] - mean[c];
    const float scaled = scale[c] * centered;
    const float normalized = scaled / den[c];
    v[i] = normalized + bias[c];
  }
  return {y};
}

// ---- Softmax ------------------------------------------------------------------------------------

void InferSoftmax(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  const TensorInfo& x = ExpectFloatInput(node, graph, 0, "input");
  try {
    NormalizeAxis(node.attrs.GetInt("axis", -1), static_cast<std::int64_t>(x.shape.size()));
  } catch (const Error& e) {
    Fail(node, std::string(e.what()) + " (input shape " + ShapeToString(x.shape) + ")");
  }
  SetOutput(graph, node, 0, DType::kFloat32, x.shape);
}

std::vector<Tensor> RunSoftmax(const OpContext& ctx) {
  Tensor y = ctx.In(0);
  const Shape& shape = y.shape();
  const auto axis = static_cast<std::size_t>(
      NormalizeAxis(ctx.node.attrs.GetInt("axis", -1), static_cast<std::int64_t>(shape.size())));
  const std::int64_t len = shape[axis];
  std::int64_t inner = 1;
  for (std::size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t outer = len * inner == 0 ? 0 : y.size() / (len * inner);
  const std::span<float> v = y.Data<float>();
  std::vector<double> e(static_cast<std::size_t>(len));
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t in = 0; in < inner; ++in) {
      float* row = v.data() + o * len * inner + in;  // element j at row[j · inner]
      float max = row[0];
      for (std::int64_t j = 1; j < len && !std::isnan(max); ++j) {
        const float x = row[j * inner];
        max = std::isnan(x) || x > max ? x : max;
      }
      double sum = 0.0;
      for (std::int64_t j = 0; j < len; ++j) {
        const float shifted = row[j * inner] - max;
        e[static_cast<std::size_t>(j)] = std::exp(static_cast<double>(shifted));
        sum += e[static_cast<std::size_t>(j)];
      }
      for (std::int64_t j = 0; j < len; ++j) {
        row[j * inner] = static_cast<float>(e[static_cast<std::size_t>(j)] / sum);
      }
    }
  }
  return {y};
}

// ---- Sigmoid, Tanh, LeakyRelu -------------------------------------------------------------------

void InferUnaryFloat(const Node& node, Graph& graph) {
  ExpectInputs(node, 1, 1);
  ExpectOutputs(node, 1);
  SetOutput(graph, node, 0, DType::kFloat32, ExpectFloatInput(node, graph, 0, "input").shape);
}

template <typename F>
std::vector<Tensor> MapFloat(const OpContext& ctx, F f) {
  Tensor y = ctx.In(0);
  for (float& v : y.Data<float>()) v = f(v);
  return {y};
}

std::vector<Tensor> RunSigmoid(const OpContext& ctx) {
  return MapFloat(ctx, [](float x) {
    return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
  });
}

std::vector<Tensor> RunTanh(const OpContext& ctx) {
  return MapFloat(ctx,
                  [](float x) { return static_cast<float>(std::tanh(static_cast<double>(x))); });
}

// ONNX's default alpha, 0.01 as float32.
constexpr double kLeakyReluAlpha = static_cast<double>(0.01f);

void InferLeakyRelu(const Node& node, Graph& graph) {
  const double alpha = node.attrs.GetFloat("alpha", kLeakyReluAlpha);
  if (!std::isfinite(alpha)) Fail(node, "alpha must be finite");
  InferUnaryFloat(node, graph);
}

std::vector<Tensor> RunLeakyRelu(const OpContext& ctx) {
  const auto alpha = static_cast<float>(ctx.node.attrs.GetFloat("alpha", kLeakyReluAlpha));
  return MapFloat(ctx, [alpha](float x) { return x < 0.0f ? x * alpha : x; });
}

}  // namespace

constexpr std::string_view kBatchNormAttrs[] = {"epsilon", "momentum", "training_mode"};
constexpr std::string_view kGemmAttrs[] = {"alpha", "beta", "transA", "transB"};
constexpr std::string_view kAlphaAttrs[] = {"alpha"};
constexpr std::string_view kAxisAttrs[] = {"axis"};
const OpDef kBatchNormalization{"BatchNormalization", InferBatchNorm, RunBatchNorm,
                                kBatchNormAttrs};
const OpDef kGemm{"Gemm", InferGemm, RunGemm, kGemmAttrs};
const OpDef kLeakyRelu{"LeakyRelu", InferLeakyRelu, RunLeakyRelu, kAlphaAttrs};
const OpDef kSigmoid{"Sigmoid", InferUnaryFloat, RunSigmoid};
const OpDef kSoftmax{"Softmax", InferSoftmax, RunSoftmax, kAxisAttrs};
const OpDef kTanh{"Tanh", InferUnaryFloat, RunTanh};

}  // namespace qsa::golden::ops
