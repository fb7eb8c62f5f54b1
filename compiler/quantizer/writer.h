// The QDQ writer: a float ONNX model and a quantization plan with chosen parameters → a QDQ ONNX
// model that qsa's importer and ONNX Runtime both load.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/quantizer/plan.h"
#include "compiler/quantizer/scheme.h"
#include "model/golden/quant.h"

namespace qsa::quantizer {

struct QdqSpec {
  const QuantPlan* plan = nullptr;
  // Scale and zero point of every tensor in plan->tensors and plan->constants.
  std::map<std::string, golden::QuantParams> params;
  ActivationScheme activations;
  WeightScheme weights;
  // Weight bit width per weighted layer (by name); weights.bits when absent.
  std::map<std::string, int> bits;
};

// What the writer did to one weighted layer.
struct WrittenLayer {
  std::string name;
  int bits = 8;
  golden::QuantParams weight_params;
  golden::QuantParams bias_params;  // empty without a bias
  std::int64_t weight_count = 0;
  std::int64_t bias_count = 0;
};

struct QdqModel {
  onnx::ModelProto model;
  std::vector<WrittenLayer> layers;
  // Each quantized activation tensor → the name of its integer (QuantizeLinear output) tensor.
  std::map<std::string, std::string> quantized_names;
};

// Writes the QDQ form of `prepared`:
//  - each activation tensor t of the plan: t → QuantizeLinear → t_quantized → DequantizeLinear →
//    t_dequantized, which every reader of t then reads (for a graph output, the producer writes
//    t_prequant and the DequantizeLinear writes t, so the graph keeps its output names);
//  - each weighted layer: its weight as an int8 initializer (values in [−8, 7] for 4 bits) with
//    a DequantizeLinear (attribute axis when per-channel), its bias as an int32 initializer at
//    s_in · s_w with a DequantizeLinear of zero point 0 (quantize_scheme.h);
//  - constant activation operands: an int8/uint8 initializer with a DequantizeLinear;
//  - float weights and biases no node reads any more are dropped; metadata "qsa.weight_bits"
//    lists the weight bit width of each layer as JSON ({"conv1": 8, "fc": 4}).
// Per-axis DequantizeLinear needs opset 13; the caller checks the model's opset.
// Throws qsa::Error when a tensor of the plan has no parameters.
QdqModel WriteQdqModel(const onnx::ModelProto& prepared, const QdqSpec& spec);

}  // namespace qsa::quantizer
