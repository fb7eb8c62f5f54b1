// The QDQ writer (quantize_writer.h).
#include "compiler/quantizer/writer.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "compiler/quantizer/observer.h"
#include "model/base/error.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

namespace {

using golden::DType;
using golden::QuantParams;
using golden::Tensor;

class Writer {
 public:
  // Rewrites `model` (a copy of the prepared model) in place.
  Writer(onnx::ModelProto& model, const QdqSpec& spec)
      : model_(model), g_(*model.mutable_graph()), spec_(spec), plan_(*spec.plan) {}

  QdqModel Run();

 private:
  const golden::QuantParams& Params(const std::string& tensor) const {
    auto it = spec_.params.find(tensor);
    if (it == spec_.params.end()) {
      throw Error("internal: no quantization parameters chosen for tensor '" + tensor + "'");
    }
    return it->second;
  }
  // Scale and zero-point initializers for `params` (scalars per tensor, vectors per axis).
  std::pair<std::string, std::string> ParamInitializers(const std::string& base,
                                                        const golden::QuantParams& params,
                                                        golden::DType dtype);
  // DequantizeLinear of integer initializer `quantized` into a new tensor; returns its name.
  std::string Dequantize(const std::string& base, const std::string& quantized,
                         const golden::QuantParams& params, golden::DType dtype);
  void QuantizeActivation(const std::string& tensor);
  void QuantizeWeighted(const LayerPlan& layer, onnx::NodeProto& node, QdqModel& out);
  void QuantizeConstant(const std::string& tensor, onnx::NodeProto& node, int input);

  onnx::ModelProto& model_;
  onnx_model::OnnxGraph g_;
  const QdqSpec& spec_;
  const QuantPlan& plan_;
  std::vector<onnx::NodeProto> nodes_;
  std::map<std::string, std::string> read_as_;  // tensor → the DequantizeLinear output readers use
  std::map<std::string, std::string> source_;   // graph output → the producer's renamed output
  std::map<std::string, std::string> quantized_;
};

std::pair<std::string, std::string> Writer::ParamInitializers(const std::string& base,
                                                              const golden::QuantParams& params,
                                                              golden::DType dtype) {
  const std::string scale = g_.NewName(base + "_scale");
  const std::string zero_point = g_.NewName(base + "_zero_point");
  const auto n = static_cast<std::int64_t>(params.scales.size());
  const golden::Shape shape = params.per_axis() ? golden::Shape{n} : golden::Shape{};
  g_.SetInitializer(scale, golden::Tensor::FromVector<float>(shape, params.scales));
  golden::Tensor z(dtype, shape);
  for (std::int64_t c = 0; c < n; ++c) z.SetInt(c, params.zero_point(c));
  g_.SetInitializer(zero_point, z);
  return {scale, zero_point};
}

std::string Writer::Dequantize(const std::string& base, const std::string& quantized,
                               const golden::QuantParams& params, golden::DType dtype) {
  const auto [scale, zero_point] = ParamInitializers(base, params, dtype);
  const std::string out = g_.NewName(base + "_dequantized");
  onnx::NodeProto dq;
  dq.set_name(g_.NewName(base + "_DequantizeLinear"));
  dq.set_op_type("DequantizeLinear");
  dq.add_input(quantized);
  dq.add_input(scale);
  dq.add_input(zero_point);
  dq.add_output(out);
  if (params.per_axis()) onnx_model::SetIntAttr(dq, "axis", params.axis);
  nodes_.push_back(std::move(dq));
  return out;
}

void Writer::QuantizeActivation(const std::string& tensor) {
  const golden::QuantParams& params = Params(tensor);
  const golden::DType dtype = spec_.activations.dtype;
  const auto [scale, zero_point] = ParamInitializers(tensor, params, dtype);
  onnx::NodeProto q;
  q.set_name(g_.NewName(tensor + "_QuantizeLinear"));
  q.set_op_type("QuantizeLinear");
  q.add_input(source_.count(tensor) != 0 ? source_.at(tensor) : tensor);
  q.add_input(scale);
  q.add_input(zero_point);
  q.add_output(quantized_.at(tensor));
  onnx::NodeProto dq;
  dq.set_name(g_.NewName(tensor + "_DequantizeLinear"));
  dq.set_op_type("DequantizeLinear");
  dq.add_input(quantized_.at(tensor));
  dq.add_input(scale);
  dq.add_input(zero_point);
  dq.add_output(read_as_.at(tensor));
  nodes_.push_back(std::move(q));
  nodes_.push_back(std::move(dq));
}

void Writer::QuantizeWeighted(const LayerPlan& layer, onnx::NodeProto& node, QdqModel& out) {
  auto bits = spec_.bits.find(layer.name);
  const int b = bits == spec_.bits.end() ? spec_.weights.bits : bits->second;
  const TensorScheme scheme = WeightTensorScheme(spec_.weights, b);
  const golden::Tensor w = g_.Value(layer.weight);
  WrittenLayer written;
  written.name = layer.name;
  written.bits = b;
  const int axis = spec_.weights.per_channel ? layer.weight_axis : -1;
  std::vector<RealRange> ranges;
  for (const std::vector<float>& values : WeightChannels(w, axis)) {
    ranges.push_back(ChooseRange(values, spec_.weights.clipping, scheme));
  }
  written.weight_params = WeightParams(ranges, axis, scheme);
  written.weight_count = w.size();
  const std::string w_q = g_.NewName(layer.weight + "_quantized");
  g_.SetInitializer(w_q, QuantizeWeights(w, written.weight_params, scheme));
  node.set_input(1, Dequantize(layer.weight, w_q, written.weight_params, golden::DType::kInt8));
  if (!layer.bias.empty()) {
    const float input_scale = Params(layer.inputs[0]).scale(0);
    golden::Tensor bias = QuantizeBias(g_.Value(layer.bias), input_scale, written.weight_params,
                                       layer.channels, written.bias_params);
    written.bias_count = bias.size();
    golden::QuantParams dq_params = written.bias_params;
    if (!written.weight_params.per_axis()) {  // one scale: a per-tensor DequantizeLinear
      dq_params = golden::QuantParams{{dq_params.scales[0]}, {0}, -1};
    }
    const std::string b_q = g_.NewName(layer.bias + "_quantized");
    g_.SetInitializer(b_q, bias);
    node.set_input(2, Dequantize(layer.bias, b_q, dq_params, golden::DType::kInt32));
  }
  out.layers.push_back(std::move(written));
}

void Writer::QuantizeConstant(const std::string& tensor, onnx::NodeProto& node, int input) {
  const golden::QuantParams& params = Params(tensor);
  const golden::DType dtype = spec_.activations.dtype;
  const std::string q = g_.NewName(tensor + "_quantized");
  g_.SetInitializer(q, golden::QuantizeTensor(g_.Value(tensor), params, dtype));
  node.set_input(input, Dequantize(tensor, q, params, dtype));
}

QdqModel Writer::Run() {
  QdqModel out;
  for (const std::string& t : plan_.tensors) {
    quantized_[t] = g_.NewName(t + "_quantized");
    if (g_.IsGraphOutput(t)) {
      source_[t] = g_.NewName(t + "_prequant");
      read_as_[t] = t;
    } else {
      read_as_[t] = g_.NewName(t + "_dequantized");
    }
  }
  std::map<int, const LayerPlan*> layer_at;
  for (const LayerPlan& l : plan_.layers) layer_at[l.node] = &l;
  std::set<std::string> replaced;  // float initializers that may now be unused

  for (const std::string& t : plan_.tensors) {
    if (g_.Producer(t) < 0) QuantizeActivation(t);  // a graph input
  }
  for (int i = 0; i < g_.node_count(); ++i) {
    onnx::NodeProto node = g_.node(i);
    if (auto it = layer_at.find(i); it != layer_at.end()) {
      const LayerPlan& layer = *it->second;
      if (layer.kind == LayerKind::kWeighted) {
        QuantizeWeighted(layer, node, out);
        replaced.insert(layer.weight);
        if (!layer.bias.empty()) replaced.insert(layer.bias);
      }
      for (int k = 0; k < node.input_size(); ++k) {
        if (plan_.constants.count(node.input(k)) != 0) {
          replaced.insert(node.input(k));
          QuantizeConstant(node.input(k), node, k);
        }
      }
    }
    for (int k = 0; k < node.input_size(); ++k) {
      if (auto it = read_as_.find(node.input(k)); it != read_as_.end()) {
        node.set_input(k, it->second);
      }
    }
    for (int k = 0; k < node.output_size(); ++k) {
      if (auto it = source_.find(node.output(k)); it != source_.end()) {
        node.set_output(k, it->second);
      }
    }
    const std::vector<std::string> outputs(g_.node(i).output().begin(), g_.node(i).output().end());
    nodes_.push_back(std::move(node));
    for (const std::string& t : outputs) {
      if (quantized_.count(t) != 0) QuantizeActivation(t);
    }
  }

  g_.proto().clear_node();
  for (onnx::NodeProto& n : nodes_) *g_.proto().add_node() = std::move(n);
  g_.Reindex();
  for (const std::string& t : replaced) g_.RemoveIfUnused(t);

  nlohmann::ordered_json bits = nlohmann::ordered_json::object();
  for (const WrittenLayer& l : out.layers) bits[l.name] = l.bits;
  onnx::StringStringEntryProto* entry = model_.add_metadata_props();
  entry->set_key("qsa.weight_bits");
  entry->set_value(bits.dump());
  out.quantized_names = quantized_;
  return out;
}

}  // namespace

QdqModel WriteQdqModel(const onnx::ModelProto& prepared, const QdqSpec& spec) {
  onnx::ModelProto model = prepared;
  Writer writer(model, spec);
  QdqModel out = writer.Run();
  out.model = std::move(model);
  return out;
}

}  // namespace qsa::quantizer
