// Graph preparation for quantization, on the ONNX graph: node names, constants as initializers,
// BatchNormalization folding.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace qsa::quantizer {

// Gives every unnamed node a name (its first output's, made unique), so that the quantized model
// and the report name layers the same way.
void NameNodes(onnx::GraphProto& graph);

// Turns each Constant node holding a tensor ("value") into an initializer of the same name, so
// that weights given that way are seen as constants.
void ConstantsToInitializers(onnx::GraphProto& graph);

struct FoldedBatchNorm {
  std::string batch_norm;  // the BatchNormalization node removed
  std::string into;        // the Conv or Gemm node that absorbed it
};

// Folds each inference-mode BatchNormalization whose input X is the output of a Conv or Gemm
// (alpha = beta = 1) with constant float weights, read by nothing else, into that node's weights
// and bias, as golden::FoldBatchNorm computes them (model/golden/batchnorm_fold.h): per output
// channel c, with the BN's scale γ, offset β, mean μ, variance σ² and epsilon ε, in double and
// stored as float32,
//   f[c] = γ[c] / sqrt(σ²[c] + ε),   W'[c, …] = W[c, …] · f[c],   b'[c] = (b[c] − μ[c]) · f[c] +
//   β[c]
// (b = 0 when the node has no bias; for a Gemm, c is a column of B). The node then writes the
// BN's output and the BN is removed. Other BatchNormalization nodes are left as they are (they
// stay float). Weights shared with other nodes are copied, not changed in place.
std::vector<FoldedBatchNorm> FoldBatchNorms(onnx::ModelProto& model);

}  // namespace qsa::quantizer
