// Outliers and SmoothQuant (quantize_smooth.h).
#include "compiler/quantizer/smooth.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "model/base/error.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {

namespace {

constexpr double kMinFactor = 1e-5;
constexpr double kMaxFactor = 1e5;

int FindNode(const onnx_model::OnnxGraph& g, const std::string& name) {
  for (int i = 0; i < g.node_count(); ++i) {
    if (g.NodeName(i) == name) return i;
  }
  throw Error("no node named '" + name + "'");
}

const golden::Shape* ShapeOf(const std::map<std::string, golden::TensorInfo>& infos,
                             const std::string& t) {
  auto it = infos.find(t);
  return it == infos.end() ? nullptr : &it->second.shape;
}

// The dimension of a weight that holds a node's output channels, for Conv / Gemm / MatMul with a
// constant float weight; nullopt for other nodes.
std::optional<int> OutputChannelAxis(const onnx_model::OnnxGraph& g, const onnx::NodeProto& n) {
  if (n.input_size() < 2 || !g.IsFloatInitializer(n.input(1))) return std::nullopt;
  if (n.op_type() == "Conv") return 0;
  if (n.op_type() == "Gemm") return onnx_model::IntAttr(n, "transB").value_or(0) != 0 ? 0 : 1;
  if (n.op_type() == "MatMul") return g.Initializer(n.input(1))->dims_size() - 1;
  return std::nullopt;
}

// The node whose output channels carry X's channels unchanged up to positive per-channel
// scaling, or −1.
int HomogeneousProducer(const onnx_model::OnnxGraph& g, const std::string& x, std::int64_t channels,
                        const std::map<std::string, golden::TensorInfo>& infos) {
  std::string t = x;
  for (;;) {
    const int p = g.Producer(t);
    if (p < 0 || g.Readers(t).size() != 1 || g.IsGraphOutput(t)) return -1;
    const onnx::NodeProto& n = g.node(p);
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") return -1;
    if (op == "Relu" || op == "LeakyRelu" || op == "MaxPool" || op == "AveragePool" ||
        op == "GlobalAveragePool") {
      if (op == "MaxPool" && n.output_size() > 1 && !n.output(1).empty()) return -1;
      const golden::Shape* in = ShapeOf(infos, n.input(0));
      const bool pool = op != "Relu" && op != "LeakyRelu";
      if (pool && (in == nullptr || in->size() != 4)) return -1;  // NCHW: channels in dim 1
      t = n.input(0);
      continue;
    }
    if (op == "Flatten" || op == "Reshape") {
      const golden::Shape* in = ShapeOf(infos, n.input(0));
      const golden::Shape* out = ShapeOf(infos, t);
      if (in == nullptr || out == nullptr || out->size() != 2 || (*out)[1] != channels ||
          in->size() < 2 || (*in)[1] != channels ||
          !std::all_of(in->begin() + 2, in->end(), [](std::int64_t d) { return d == 1; })) {
        return -1;
      }
      t = n.input(0);
      continue;
    }
    const std::optional<int> axis = OutputChannelAxis(g, n);
    const golden::Shape* out = ShapeOf(infos, t);
    if (!axis || out == nullptr || out->size() < 2) return -1;
    // The channel dimension of the producer's output: 1 for Conv (NCHW), the last for a product.
    const std::size_t channel_dim = op == "Conv" ? 1 : out->size() - 1;
    return (*out)[channel_dim] == channels ? p : -1;
  }
}

// Divides output channel c of node p's weight and bias by s_c.
void DivideOutputChannels(onnx_model::OnnxGraph& g, int p, const std::vector<double>& factors) {
  std::vector<double> inverse;
  for (double s : factors) inverse.push_back(1.0 / s);
  const onnx::NodeProto& n = g.node(p);
  const int axis = *OutputChannelAxis(g, n);
  golden::Tensor w = g.Value(n.input(1));
  onnx_model::ScaleChannels(w, axis, inverse);
  const std::string w_name = g.OwnName(n.input(1), p, "_smoothed");
  g.SetInitializer(w_name, w);
  g.proto().mutable_node(p)->set_input(1, w_name);
  if (n.op_type() != "MatMul" && n.input_size() > 2 && !n.input(2).empty()) {
    golden::Tensor b = g.Value(n.input(2));
    if (b.size() == 1) {
      b = golden::Tensor::FromVector<float>({static_cast<std::int64_t>(factors.size())},
                                            std::vector<float>(factors.size(), b.Data<float>()[0]));
    }
    b = b.Reshaped({b.size()});
    onnx_model::ScaleChannels(b, 0, inverse);
    const std::string b_name = g.OwnName(n.input(2), p, "_smoothed");
    g.SetInitializer(b_name, b);
    g.proto().mutable_node(p)->set_input(2, b_name);
  }
  g.Reindex();
}

// Inserts y = x · (1 / s) before node `reader` and points it at y.
std::string InsertMul(onnx_model::OnnxGraph& g, int reader, const std::string& x,
                      const std::vector<double>& factors) {
  std::vector<float> inverse;
  for (double s : factors) inverse.push_back(static_cast<float>(1.0 / s));
  const std::string name = g.NewName(x + "_smoothquant");
  const std::string scale = g.NewName(x + "_smoothquant_scale");
  const std::string y = g.NewName(x + "_smoothed");
  g.SetInitializer(scale, golden::Tensor::FromVector<float>(
                              {static_cast<std::int64_t>(inverse.size())}, inverse));
  onnx::NodeProto mul;
  mul.set_name(name);
  mul.set_op_type("Mul");
  mul.add_input(x);
  mul.add_input(scale);
  mul.add_output(y);
  auto* nodes = g.proto().mutable_node();
  nodes->Add(std::move(mul));
  // Move the new last node to position `reader`.
  for (int k = nodes->size() - 1; k > reader; --k) nodes->SwapElements(k, k - 1);
  onnx::NodeProto& consumer = *nodes->Mutable(reader + 1);
  for (int k = 0; k < consumer.input_size(); ++k) {
    if (consumer.input(k) == x) consumer.set_input(k, y);
  }
  g.Reindex();
  return name;
}

}  // namespace

ChannelOutliers FindOutliers(const std::string& layer, const std::string& tensor,
                             const std::vector<float>& absmax, float threshold) {
  ChannelOutliers report;
  report.layer = layer;
  report.tensor = tensor;
  report.channels = static_cast<std::int64_t>(absmax.size());
  report.threshold = threshold;
  if (absmax.empty()) return report;
  std::vector<float> sorted = absmax;
  std::sort(sorted.begin(), sorted.end());
  report.max_absmax = sorted.back();
  report.median_absmax = sorted[sorted.size() / 2];
  for (std::size_t c = 0; c < absmax.size(); ++c) {
    if (absmax[c] > threshold) report.outliers.push_back({static_cast<std::int64_t>(c), absmax[c]});
  }
  return report;
}

SmoothedLayer SmoothLayer(onnx::ModelProto& model, const LayerPlan& layer,
                          const std::vector<float>& absmax, double alpha,
                          const std::map<std::string, golden::TensorInfo>& infos) {
  if (layer.kind != LayerKind::kWeighted || (layer.op != "MatMul" && layer.op != "Gemm")) {
    throw Error(layer.op + " '" + layer.name + "': SmoothQuant applies to MatMul and Gemm layers");
  }
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    throw Error("SmoothQuant strength " + std::to_string(alpha) + " is outside [0, 1]");
  }
  onnx_model::OnnxGraph g(*model.mutable_graph());
  const int node = FindNode(g, layer.name);
  const std::string x = g.node(node).input(0);
  golden::Tensor w = g.Value(layer.weight);
  const auto channels = w.shape()[static_cast<std::size_t>(layer.weight_in_axis)];
  if (static_cast<std::int64_t>(absmax.size()) != channels) {
    throw Error(layer.op + " '" + layer.name + "': " + std::to_string(absmax.size()) +
                " input channel maxima for " + std::to_string(channels) + " weight rows");
  }
  // max |W_j| per input channel j.
  std::vector<double> w_max(static_cast<std::size_t>(channels), 0.0);
  const std::span<const float> wv = w.Data<float>();
  const std::int64_t cols = w.shape()[static_cast<std::size_t>(1 - layer.weight_in_axis)];
  for (std::size_t i = 0; i < wv.size(); ++i) {
    const auto row = static_cast<std::int64_t>(i) / cols;
    const auto col = static_cast<std::int64_t>(i) % cols;
    const auto j = static_cast<std::size_t>(layer.weight_in_axis == 0 ? row : col);
    w_max[j] = std::max(w_max[j], std::fabs(static_cast<double>(wv[i])));
  }
  std::vector<double> factors;
  for (std::size_t j = 0; j < w_max.size(); ++j) {
    const double a = absmax[j];
    double s = 1.0;
    if (a > 0.0 && w_max[j] > 0.0) s = std::pow(a, alpha) / std::pow(w_max[j], 1.0 - alpha);
    factors.push_back(std::clamp(s, kMinFactor, kMaxFactor));
  }

  SmoothedLayer result;
  result.layer = layer.name;
  result.tensor = x;
  result.alpha = alpha;
  result.min_factor = static_cast<float>(*std::min_element(factors.begin(), factors.end()));
  result.max_factor = static_cast<float>(*std::max_element(factors.begin(), factors.end()));

  onnx_model::ScaleChannels(w, layer.weight_in_axis, factors);
  const std::string w_name = g.OwnName(layer.weight, node, "_smoothed");
  g.SetInitializer(w_name, w);
  g.proto().mutable_node(node)->set_input(1, w_name);
  g.Reindex();

  const int producer = HomogeneousProducer(g, x, channels, infos);
  if (producer >= 0) {
    DivideOutputChannels(g, producer, factors);
    result.migrated_into = g.NodeName(producer);
  } else {
    result.migrated_into = InsertMul(g, node, x, factors);
    result.inserted_mul = true;
  }
  if (w_name != layer.weight) g.RemoveIfUnused(layer.weight);
  return result;
}

}  // namespace qsa::quantizer
