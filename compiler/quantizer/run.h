// Running ONNX models (the float model, and QDQ models written on the way) on qsa's golden engine
// during quantization, and measuring quantization noise.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/quantizer/data.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

// The runtime inputs of a model (graph inputs that are not initializers); dynamic dimensions
// are −1. Throws qsa::Error naming an input that is not a tensor of a type qsa reads.
std::vector<ModelInput> OnnxModelInputs(const onnx::ModelProto& model);

// The batch size the quantizer runs a model with: the inputs' dimension 0 when fixed (the same
// for every input), else 1. Throws qsa::Error naming an input with another dynamic dimension.
std::int64_t RunBatch(const std::vector<ModelInput>& inputs);

// An ONNX model imported into the golden engine, dynamic input dimensions 0 fixed to `batch`.
class GoldenRunner {
 public:
  // Throws the importer's qsa::Error (prefixed with `source`) when qsa cannot run the model.
  GoldenRunner(const onnx::ModelProto& model, std::int64_t batch, const std::string& source,
               golden::RequantMode mode = golden::RequantMode::kTfliteDouble);

  const golden::Graph& graph() const { return graph_; }
  // Graph outputs (every tensor with keep_intermediates).
  std::map<std::string, golden::Tensor> Run(const std::map<std::string, golden::Tensor>& feeds,
                                            bool keep_intermediates = false) const;

 private:
  golden::Graph graph_;
  golden::RunOptions options_;
};

// Signal and noise energy of an approximation x̂ of x, accumulated over many tensors.
struct NoiseMeter {
  double signal = 0.0;  // Σ x²
  double noise = 0.0;   // Σ (x − x̂)²
  std::int64_t count = 0;

  // x and approximation: float32 tensors of equal size (throws qsa::Error otherwise).
  void Add(const golden::Tensor& x, const golden::Tensor& approximation);
  // 10 · log10(signal / noise) in dB; +infinity when there was no noise, NaN without data.
  double SqnrDb() const;
};

// The real values of an IR tensor: itself when float32, else dequantized with its graph
// quantization parameters.
golden::Tensor RealValues(const golden::Graph& graph, const std::string& tensor,
                          const golden::Tensor& value);

}  // namespace qsa::quantizer
