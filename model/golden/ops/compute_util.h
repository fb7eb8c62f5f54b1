// Helpers private to the integer compute operators (conv.cc, matmul.cc, add.cc, pool.cc,
// clip.cc): attribute parsing, zero-point handling, 2-D window geometry and accumulator bounds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::golden::ops {

// Throws qsa::Error("<node label>: <message>").
[[noreturn]] void Fail(const Node& node, const std::string& message);

// "tensor 'x'" — how messages name a tensor.
std::string TensorLabel(const TensorInfo& info);

// True when any scale or zero point is given (QuantParams::empty() looks at scales only; a zero
// point may come without a scale when a node gives explicit multipliers).
bool HasAnyQuant(const QuantParams& quant);

// Zero point of index `channel` of the quantized axis: 0 when the params are empty or give no
// zero point, the single entry when there is one, else entry `channel`.
std::int32_t ZeroPointAt(const QuantParams& quant, std::int64_t channel);

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

// The fixed-point parameters of a quantized Add (model/golden/ops/add.cc, tflite-double and
// single-rounding): left shift, input and output multipliers, zero points and fused clamp — what
// the vector unit's descriptor holds. Throws as the op's Infer does.
struct AddFixedPoint {
  int left_shift = 20;
  FixedPointMultiplier ma, mb, my;
  std::int32_t za = 0, zb = 0, zy = 0, qmin = 0, qmax = 0;
};
AddFixedPoint QuantizedAddFixedPoint(const Node& node, const TensorInfo& a, const TensorInfo& b,
                                     const TensorInfo& y);

// Builds an integer tensor of `dtype` from values already in its range.
Tensor IntTensor(DType dtype, const Shape& shape, const std::vector<std::int32_t>& values);

// dst[i] += w · src[i · stride] for 0 <= i < count: the inner loop of Conv and MatMul (unrolled
// for stride 1 so that independent sums proceed in parallel). The caller guarantees that no sum
// overflows (see the accumulator bounds of each op).
void AccumulateRow(std::int32_t* dst, const std::int32_t* src, std::int64_t count,
                   std::int64_t stride, std::int32_t w);

// Geometry of a 2-D sliding window over the last two dimensions of an NCHW tensor, as in ONNX
// Conv and the pools. Output index o of axis a covers input positions
//   o · stride[a] − pad_begin[a] + k · dilation[a],  k = 0 .. kernel[a] − 1.
struct Window2d {
  std::int64_t in[2] = {1, 1};
  std::int64_t kernel[2] = {1, 1};
  std::int64_t stride[2] = {1, 1};
  std::int64_t dilation[2] = {1, 1};
  std::int64_t pad_begin[2] = {0, 0};  // top, left
  std::int64_t pad_end[2] = {0, 0};    // bottom, right
  std::int64_t out[2] = {1, 1};

  // First input position of output index o along axis a (may be negative: padding).
  std::int64_t Start(int a, std::int64_t o) const { return o * stride[a] - pad_begin[a]; }
  // Taps k of output index o along axis a that fall inside the input.
  std::int64_t TapsInside(int a, std::int64_t o) const;
};

// Reads strides [2], pads [4] (ONNX order top, left, bottom, right), dilations [2] and, when
// allow_ceil, ceil_mode; computes the output size per axis
//   floor_or_ceil((in + pad_begin + pad_end − dilation · (kernel − 1) − 1) / stride) + 1,
// dropping, in ceil mode, a last window that would start inside the end padding. Refuses
// auto_pad other than NOTSET, bad attribute sizes or values, and an empty output.
Window2d ReadWindow(const Node& node, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel_h,
                    std::int64_t kernel_w, bool allow_ceil);

}  // namespace qsa::golden::ops
