// Golden-engine runs during quantization (quantize_run.h).
#include "compiler/quantizer/run.h"

#include <cmath>
#include <limits>
#include <set>

#include "compiler/importer/onnx_import.h"
#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"
#include "model/golden/quant.h"

namespace qsa::quantizer {

std::vector<ModelInput> OnnxModelInputs(const onnx::ModelProto& model) {
  std::set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) initializers.insert(t.name());
  std::vector<ModelInput> inputs;
  for (const onnx::ValueInfoProto& v : model.graph().input()) {
    if (initializers.count(v.name()) != 0) continue;
    const std::string what = "model input '" + v.name() + "'";
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) {
      throw Error(what + " is not a tensor of known rank");
    }
    const std::int32_t elem = v.type().tensor_type().elem_type();
    const std::optional<golden::DType> dtype = onnx_model::DTypeFromOnnx(elem);
    if (!dtype) {
      throw Error(what + " has element type " + onnx_model::OnnxTypeName(elem) +
                  "; qsa reads UINT8, INT8, INT32 and FLOAT inputs");
    }
    ModelInput input{v.name(), *dtype, {}};
    for (const onnx::TensorShapeProto_Dimension& d : v.type().tensor_type().shape().dim()) {
      input.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
    }
    inputs.push_back(std::move(input));
  }
  if (inputs.empty()) throw Error("the model has no runtime inputs to calibrate with");
  return inputs;
}

std::int64_t RunBatch(const std::vector<ModelInput>& inputs) {
  std::int64_t batch = -1;
  for (const ModelInput& input : inputs) {
    for (std::size_t d = 1; d < input.shape.size(); ++d) {
      if (input.shape[d] < 0) {
        throw Error("model input '" + input.name + "' has a dynamic dimension at index " +
                    std::to_string(d) + "; only the batch dimension (0) may be dynamic");
      }
    }
    if (input.shape.empty()) {
      throw Error("model input '" + input.name + "' is a scalar; calibration needs a batch axis");
    }
    if (input.shape[0] >= 0) {
      if (batch >= 0 && batch != input.shape[0]) {
        throw Error("model inputs have different batch sizes (" + std::to_string(batch) + " and " +
                    std::to_string(input.shape[0]) + " for '" + input.name + "')");
      }
      batch = input.shape[0];
    }
  }
  return batch > 0 ? batch : 1;
}

GoldenRunner::GoldenRunner(const onnx::ModelProto& model, std::int64_t batch,
                           const std::string& source, golden::RequantMode mode) {
  onnx::ModelProto fixed = model;
  for (onnx::ValueInfoProto& v : *fixed.mutable_graph()->mutable_input()) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) continue;
    auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() > 0 && !shape->dim(0).has_dim_value()) {
      shape->mutable_dim(0)->set_dim_value(batch);
    }
  }
  // Declared output shapes may name the dynamic batch; the importer infers them anyway.
  for (onnx::ValueInfoProto& v : *fixed.mutable_graph()->mutable_output()) {
    if (v.type().has_tensor_type()) v.mutable_type()->mutable_tensor_type()->clear_shape();
  }
  fixed.mutable_graph()->clear_value_info();
  const std::string bytes = fixed.SerializeAsString();
  graph_ = importer::ImportOnnxBytes(bytes, source).graph;
  options_.mode = mode;
}

std::map<std::string, golden::Tensor> GoldenRunner::Run(
    const std::map<std::string, golden::Tensor>& feeds, bool keep_intermediates) const {
  golden::RunOptions options = options_;
  options.keep_intermediates = keep_intermediates;
  return golden::RunGraph(graph_, feeds, options);
}

void NoiseMeter::Add(const golden::Tensor& x, const golden::Tensor& approximation) {
  const std::span<const float> a = x.Data<float>();
  const std::span<const float> b = approximation.Data<float>();
  if (a.size() != b.size()) {
    throw Error("cannot compare " + x.Describe() + " with " + approximation.Describe());
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    signal += static_cast<double>(a[i]) * static_cast<double>(a[i]);
    noise += d * d;
  }
  count += static_cast<std::int64_t>(a.size());
}

double NoiseMeter::SqnrDb() const {
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  if (noise == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

golden::Tensor RealValues(const golden::Graph& graph, const std::string& tensor,
                          const golden::Tensor& value) {
  if (value.dtype() == golden::DType::kFloat32) return value;
  return golden::DequantizeTensor(value, graph.Info(tensor).quant);
}

}  // namespace qsa::quantizer
