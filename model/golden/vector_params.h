// The parameters the operators compute that the accelerator's vector unit takes as they are: a
// quantized Add's fixed-point descriptor, a pool's 2-D window geometry and per-channel zero
// points. The compiler's lowering reads them from here so that a compiled program and the golden
// model compute the same integers (docs/compiler.md, "Lowering"). Defined by
// the operators (model/golden/ops/add.cc, compute_util.cc); the rest of their helpers are private
// (ops/compute_util.h).
#pragma once

#include <cstdint>

#include "model/golden/graph.h"
#include "model/golden/quant.h"

namespace qsa::golden::ops {

// Zero point of index `channel` of the quantized axis: 0 when the params are empty or give no
// zero point, the single entry when there is one, else entry `channel`.
std::int32_t ZeroPointAt(const QuantParams& quant, std::int64_t channel);

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
  // True when some output's window has no tap inside the input (along either axis). Visits every
  // output row and column once.
  bool SomeWindowOnlyInPadding() const;
};

// Reads strides [2], pads [4] (ONNX order top, left, bottom, right), dilations [2] and, when
// allow_ceil, ceil_mode; computes the output size per axis
//   floor_or_ceil((in + pad_begin + pad_end − dilation · (kernel − 1) − 1) / stride) + 1,
// dropping, in ceil mode, a last window that would start inside the end padding. Refuses
// auto_pad other than NOTSET, bad attribute sizes or values, and an empty output.
Window2d ReadWindow(const Node& node, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel_h,
                    std::int64_t kernel_w, bool allow_ceil);

}  // namespace qsa::golden::ops
