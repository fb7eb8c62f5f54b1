// Helpers private to the float32 compute operators (the float paths of conv.cc and matmul.cc, and
// float_nn.cc): dtype checks, refusal of the quantized-only attributes, and the double-precision
// matrix-product kernel they share (docs/ops-float.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/golden/graph.h"
#include "model/golden/op_registry.h"

namespace qsa::golden::ops {

// True when inputs `a` and `b` of the node are present and both float32: the node takes its
// float path (Conv, MatMul). Otherwise the integer path decides (and refuses mixed dtypes).
bool FloatOperands(const Node& node, const Graph& graph, std::size_t a, std::size_t b);

// An operator with an integer and a float32 form (Conv, MatMul): inputs 0 and 1 decide which
// form infers and runs (FloatOperands).
template <void (*kInfer)(const Node&, Graph&), void (*kInferFloat)(const Node&, Graph&),
          std::vector<Tensor> (*kRun)(const OpContext&),
          std::vector<Tensor> (*kRunFloat)(const OpContext&)>
constexpr OpDef IntegerOrFloatOp(std::string_view name,
                                 std::span<const std::string_view> attributes) {
  return {name,
          [](const Node& node, Graph& graph) {
            (FloatOperands(node, graph, 0, 1) ? kInferFloat : kInfer)(node, graph);
          },
          [](const OpContext& ctx) {
            return (FloatOperands(ctx.node, ctx.graph, 0, 1) ? kRunFloat : kRun)(ctx);
          },
          attributes};
}

// Input i, which must be present and float32; `role` names it in the message
// ("Gemm 'fc': input C 'c' is int32; Gemm takes float32").
const TensorInfo& ExpectFloatInput(const Node& node, const Graph& graph, std::size_t i,
                                   const std::string& role);

// Refuses what only a requantizing op takes: explicit multipliers (node.requant), clamp_min /
// clamp_max and an output_dtype other than "float32".
void RefuseQuantizedAttributes(const Node& node);

// An optional per-channel float32 input (a bias, BatchNormalization's parameters): shape
// [channels] exactly.
void CheckChannelVector(const Node& node, const Graph& graph, std::size_t i,
                        const std::string& role, std::int64_t channels);

// acc[i · cols + n] += Σ_{k < depth} double(a[i · depth + k]) · double(b[k · cols + n]) for
// i < rows, n < cols. Each product of two floats is exact in double; the sum runs over k in
// ascending order, in double (the caller rounds to float32 once, at the end).
void MatMulAccumulate(const float* a, const float* b, std::int64_t rows, std::int64_t depth,
                      std::int64_t cols, double* acc);

// The [cols, rows] transpose of a row-major [rows, cols] matrix.
std::vector<float> Transposed(std::span<const float> m, std::int64_t rows, std::int64_t cols);

// Rounds every double to the nearest float32 (ties to even).
std::vector<float> RoundToFloat(const std::vector<double>& values);

}  // namespace qsa::golden::ops
