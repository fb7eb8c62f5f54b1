// The arithmetic of folding an inference BatchNormalization into the float32 weights and bias of
// the Conv or Gemm before it, shared by the quantizer (on ONNX graphs, compiler/quantizer/fold.h)
// and the compiler's fold-batchnorm pass (on the graph IR). Each keeps its own graph rewiring.
//
// BatchNormalization computes, per channel c, y = γ[c] · (x − μ[c]) / sqrt(σ²[c] + ε) + β[c]; on
// x = Σ W[c]·X + b[c] that is the same layer with, in double and rounded to float32 once per
// value,
//   f[c]       = γ[c] / sqrt(σ²[c] + ε)
//   W'[c, …]   = W[c, …] · f[c]
//   b'[c]      = (b[c] − μ[c]) · f[c] + β[c]      (b = 0 without a bias)
// The folded layer is not bit-exact to the two ops: BatchNormalization rounds after every step,
// the folded layer rounds W' and b' once.
#pragma once

#include <span>
#include <vector>

#include "model/golden/tensor.h"

namespace qsa::golden {

// A BatchNormalization's float32 parameters, one per channel, and its epsilon (the float32 the
// op holds, widened).
struct BatchNormParams {
  std::span<const float> scale;   // γ
  std::span<const float> offset;  // β
  std::span<const float> mean;    // μ
  std::span<const float> var;     // σ²
  double epsilon = 1e-5;
};

struct FoldedBatchNorm {
  Tensor weight;            // W', float32, the shape of W
  std::vector<float> bias;  // b', one per channel
};

// Folds `bn` into `weight` (float32; its dimension `axis` indexes the channels: 0 for a Conv,
// the column axis of a Gemm's B) and `bias` (one per channel, or empty for none). Throws
// qsa::Error when the parameters, the weight's channel dimension or the bias disagree in size.
FoldedBatchNorm FoldBatchNorm(const Tensor& weight, int axis, std::span<const float> bias,
                              const BatchNormParams& bn);

}  // namespace qsa::golden
