// Helpers private to the integer compute operators (conv.cc, matmul.cc, add.cc, pool.cc,
// clip.cc): attribute parsing, zero-point handling and accumulator bounds. What the compiler reads
// too (the vector unit's add and pool parameters, window geometry) is public in
// model/golden/vector_params.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "model/golden/vector_params.h"

namespace qsa::golden::ops {

// Throws qsa::Error("<node label>: <message>").
[[noreturn]] void Fail(const Node& node, const std::string& message);

// "tensor 'x'" — how messages name a tensor.
std::string TensorLabel(const TensorInfo& info);

// True when any scale or zero point is given (QuantParams::empty() looks at scales only; a zero
// point may come without a scale when a node gives explicit multipliers).
bool HasAnyQuant(const QuantParams& quant);

// Checks that an activation's quantization is per tensor and its zero point fits `info.dtype`.
void CheckActivationQuant(const Node& node, const TensorInfo& info, const char* role);

// Checks a weight's quantization: empty, per tensor, or per axis along `axis` with exactly
// `channels` scales (or none, when zero points are given alone) and 0, 1 or `channels` zero
// points; zero points fit `info.dtype`.
void CheckWeightQuant(const Node& node, const TensorInfo& info, const char* role, std::int64_t axis,
                      std::int64_t channels);

// Largest |q − zero_point| over every value q of an integer dtype.
std::int64_t MaxCentered(DType dtype, std::int32_t zero_point);

// a · b for non-negative values, saturating at INT64_MAX.
std::int64_t SaturatingMul(std::int64_t a, std::int64_t b);

// Throws "<label>: <what> can reach <bound>, beyond int32 (2147483647)" when bound > INT32_MAX.
void CheckAccumulatorBound(const Node& node, std::int64_t bound, const std::string& what);

// Accumulator bounds of an op that sums `depth` products (input 0 − its zero point) · (input 1 −
// its zero point) per output channel, plus an optional int32 bias (input 2). For each channel
// c < channels the bound is
//   max|x − zx| · wsum[c] + |bias[c]|  (the bias term only when the bias is constant),
// wsum[c] being weight_sums(constant input 1)[c] when input 1 is constant, else
// depth · max|w − zw[c]|; each is checked with CheckAccumulatorBound, naming
// "the accumulator of <channel_noun> c".
using WeightSums = std::function<std::vector<std::int64_t>(const Tensor& weight)>;
void CheckAccumulatorBounds(const Node& node, const Graph& graph, std::int64_t depth,
                            std::int64_t channels, const WeightSums& weight_sums,
                            const std::string& channel_noun);

// Scale of a per-tensor activation, 0 when it has none (the s_in of ChannelRequantizers).
float ActivationScale(const QuantParams& quant);

// Declares output 0 of an accumulating op (Conv, MatMul) with `out_dtype` and `shape`, then
// checks its requantization: an int32 output refuses explicit requant multipliers; any other
// output must be per tensor, `input` (named `input_role` in messages) must have a scale unless
// explicit multipliers are given, and every channel's Requantizer must build.
void InferAccumulatorOutput(const Node& node, Graph& graph, DType out_dtype, const Shape& shape,
                            const TensorInfo& input, const char* input_role,
                            const QuantParams& weight, std::int64_t channels);

// Output element type of an op that can give either a raw int32 accumulator or a requantized
// uint8/int8 value: the declared output dtype when output 0 is already declared, else the
// "output_dtype" attribute, else `fallback`. Refuses anything but uint8, int8 and int32, and a
// declared dtype that contradicts the attribute.
DType ResolveOutputDType(const Node& node, const Graph& graph, DType fallback);

// Checks an optional int32 bias [channels] (input `index`): dtype, shape and zero zero points.
void CheckBias(const Node& node, const Graph& graph, std::size_t index, std::int64_t channels);

// Tensor values as int32, minus their zero point. The zero point of element i is that of
// index (i / inner) % channels of the quantized axis (pass channels = 1 for per tensor).
std::vector<std::int32_t> CenteredValues(const Tensor& tensor, const QuantParams& quant,
                                         std::int64_t channels, std::int64_t inner);

// For the attribute x_zero_point_folded = 1 of Conv and MatMul (the compiler's fold-zero-point
// pass): per output channel c, zx · Σ_k w[c · depth + k] — what the op adds back to a bias that
// holds B[c] − zx · Σ_k w[c, k]. All zeros without the attribute. Refuses the attribute when the
// weights have a nonzero zero point.
std::vector<std::int64_t> FoldedZeroPointTerms(const Node& node, const TensorInfo& x,
                                               const TensorInfo& w,
                                               const std::vector<std::int32_t>& weights,
                                               std::int64_t channels, std::int64_t depth);

// Builds an integer tensor of `dtype` from values already in its range.
Tensor IntTensor(DType dtype, const Shape& shape, const std::vector<std::int32_t>& values);

// dst[i] += w · src[i · stride] for 0 <= i < count: the inner loop of Conv and MatMul (unrolled
// for stride 1 so that independent sums proceed in parallel). The caller guarantees that no sum
// overflows (see the accumulator bounds of each op).
void AccumulateRow(std::int32_t* dst, const std::int32_t* src, std::int64_t count,
                   std::int64_t stride, std::int32_t w);

}  // namespace qsa::golden::ops
