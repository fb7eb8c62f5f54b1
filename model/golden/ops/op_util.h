// Helpers shared by the operator definitions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/golden/graph.h"
#include "model/golden/op_registry.h"
#include "model/golden/quant.h"

namespace qsa::golden::ops {

// The attribute lists shared by several ops (OpDef::attributes): the fused requantization of an
// integer output, and the window of a pooling op with that requantization.
inline constexpr std::string_view kRequantAttrs[] = {"output_dtype", "clamp_min", "clamp_max"};
inline constexpr std::string_view kWindowAttrs[] = {
    "auto_pad",      "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
    "storage_order", "strides",   "output_dtype",      "clamp_min", "clamp_max"};

// Throws "<label>: expects between lo and hi inputs" unless lo <= present count <= hi, and checks
// that the first `lo` inputs are not absent.
void ExpectInputs(const Node& node, std::size_t lo, std::size_t hi);
void ExpectOutputs(const Node& node, std::size_t n);

// True when input i exists and is not "".
bool HasInput(const Node& node, std::size_t i);

// A copy of Graph::Info(name) with the name filled in, for error messages.
TensorInfo Named(const Graph& graph, const std::string& name);

// Creates output i's TensorInfo with dtype and shape, or, when the tensor is already declared,
// checks that it agrees (a declared dtype must match; a declared non-empty shape must match).
// Quantization parameters already declared are kept; `quant` fills them when none are declared.
void SetOutput(Graph& graph, const Node& node, std::size_t i, DType dtype, const Shape& shape,
               const QuantParams& quant = {});

// The fused clamp of a node whose output has integer type `out`: attributes "clamp_min" and
// "clamp_max" (quantized output domain), defaulting to the type's range; checked to lie in it.
std::int32_t ClampMin(const Node& node, DType out);
std::int32_t ClampMax(const Node& node, DType out);

// One Requantizer per output channel (`channels` of them, or 1 when everything is per-tensor) for
// an accumulator at scale s_in · s_w[c] going to output tensor `out`. Uses node.requant when
// given (size 1 or `channels`), else the scales. Includes the output zero point and fused clamp.
std::vector<Requantizer> ChannelRequantizers(const Node& node, RequantMode mode, float s_in,
                                             const QuantParams& weight, const TensorInfo& out,
                                             std::int64_t channels);

// NumPy broadcasting of two shapes; throws naming both shapes when incompatible.
Shape BroadcastShapes(const Shape& a, const Shape& b);
// For each element of `out_shape`, the flat index of the element of `in_shape` it reads when
// `in_shape` is broadcast to `out_shape`.
std::vector<std::int64_t> BroadcastIndex(const Shape& in_shape, const Shape& out_shape);

// Normalizes a possibly negative axis against rank; throws when out of range.
std::int64_t NormalizeAxis(std::int64_t axis, std::int64_t rank);

}  // namespace qsa::golden::ops
