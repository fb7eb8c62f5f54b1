// Activation outliers and SmoothQuant (Xiao et al., 2023) for the inputs of MatMul / Gemm layers.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/quantizer/plan.h"
#include "model/golden/graph.h"

namespace qsa::quantizer {

// The input channels of one MatMul / Gemm layer whose largest magnitude over the calibration set
// exceeds a threshold — outlier features in the sense of LLM.int8() (Dettmers et al., 2022, who
// use 6.0 on transformer hidden states).
struct ChannelOutliers {
  std::string layer;
  std::string tensor;  // the layer's input
  std::int64_t channels = 0;
  float threshold = 0.0f;
  float max_absmax = 0.0f;     // over all channels
  float median_absmax = 0.0f;  // over all channels
  struct Channel {
    std::int64_t index = 0;
    float absmax = 0.0f;
  };
  std::vector<Channel> outliers;  // by channel index
};

// `absmax`: max |x| per input channel (last dimension of the input).
ChannelOutliers FindOutliers(const std::string& layer, const std::string& tensor,
                             const std::vector<float>& absmax, float threshold);

struct SmoothedLayer {
  std::string layer;
  std::string tensor;  // the input whose channels were divided
  double alpha = 0.0;
  float min_factor = 0.0f;  // smallest and largest s_j
  float max_factor = 0.0f;
  // Where X / s went: the producing node whose output channels absorbed 1/s, or the Mul node
  // inserted before the layer.
  std::string migrated_into;
  bool inserted_mul = false;
};

// SmoothQuant on weighted MatMul / Gemm layer `layer` (planned on `model`'s graph), whose input X
// has per-channel maxima `absmax`: per input channel j,
//   s_j = max|X_j|^α / max|W_j|^(1 − α)    (1 when either maximum is 0; clamped to [1e-5, 1e5])
//   X'_j = X_j / s_j,   W'_j = s_j · W_j   (W_j the weight row of input channel j)
// so that X'·W' = X·W exactly in real numbers. W is scaled in place (copied when shared). X / s is
// folded into the node producing X when X reaches it only through per-channel positively
// homogeneous ops (Relu, LeakyRelu, MaxPool, AveragePool, GlobalAveragePool, and Flatten /
// Reshape of [N, C, 1, 1] to [N, C]), each read by nothing else, and that node is a Conv, Gemm or
// MatMul with a constant float weight (its output channel c, and its bias, divided by s_c).
// Otherwise a Mul by 1/s is inserted before the layer (a float host op). `infos` gives tensor
// shapes (the float graph as imported).
SmoothedLayer SmoothLayer(onnx::ModelProto& model, const LayerPlan& layer,
                          const std::vector<float>& absmax, double alpha,
                          const std::map<std::string, golden::TensorInfo>& infos);

}  // namespace qsa::quantizer
