// Agreement of the importer and the golden model with ONNX Runtime on examples/tinycnn: a small
// CNN quantized by ONNX Runtime's own quantizer in QDQ and QOperator form, with ONNX Runtime's
// outputs for 16 inputs saved beside it by scripts/make_examples.py (docs/examples.md).
//
// The final outputs are dequantized logits; differences are counted in LSBs of the output scale.
// Every layer's integer output (ort16_layers/*.npy, and ort16_<form>_q.npy before the final
// DequantizeLinear) is compared too, so that a difference is located at the first layer that
// shows it.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "compiler/onnx_model/tensor.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/npy.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::importer {
namespace {

using golden::RequantMode;
using golden::Tensor;

constexpr std::int64_t kSamples = 16;
constexpr std::int64_t kOutputSize = 10;

// Requantizing stages on the path from the input to the logits: conv1, conv2, conv3, the
// residual add, the global average pool and the fully connected layer (the input quantization is
// the same float32 division and rounding in both engines; max pool and flatten only move values).
// Each stage may round one LSB differently from ONNX Runtime's float arithmetic, so a layer's
// output may differ by at most the number of stages up to it. That is the project's rule (one LSB
// per requantization), not a worst-case proof: a layer with gain above 1 can amplify an earlier
// difference. On this model it holds with margin (docs/examples.md).
constexpr std::int64_t kRequantStages = 6;

std::string ExampleDir() { return std::string(QSA_SOURCE_DIR) + "/examples/tinycnn/"; }
std::string ModelPath(const std::string& form) {
  return ExampleDir() + "tinycnn_" + form + ".onnx";
}

// Sample i of a [N, ...] tensor, reshaped to `shape`.
template <typename T>
Tensor Sample(const Tensor& batch, std::int64_t i, const golden::Shape& shape) {
  const std::int64_t n = golden::NumElements(shape);
  auto data = batch.Data<T>().subspan(static_cast<std::size_t>(i * n), static_cast<std::size_t>(n));
  return Tensor::FromVector(shape, std::vector<T>(data.begin(), data.end()));
}

struct OutputQuant {
  float scale = 0.0f;
  std::int32_t zero_point = 0;
};

// The output's scale and zero point, read straight from the ONNX file (not through the importer):
// the initializers of the DequantizeLinear node that produces the graph output.
OutputQuant ReadOutputQuant(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  onnx::ModelProto proto;
  if (!file || !proto.ParseFromIstream(&file)) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  const onnx::GraphProto& graph = proto.graph();
  const std::string& output = graph.output(0).name();
  for (const onnx::NodeProto& node : graph.node()) {
    if (node.output_size() != 1 || node.output(0) != output) continue;
    EXPECT_EQ(node.op_type(), "DequantizeLinear") << path;
    OutputQuant quant;
    for (const onnx::TensorProto& init : graph.initializer()) {
      if (init.name() == node.input(1))
        quant.scale = onnx_model::TensorFromProto(init).Data<float>()[0];
      if (init.name() == node.input(2)) {
        quant.zero_point = static_cast<std::int32_t>(onnx_model::TensorFromProto(init).GetInt(0));
      }
    }
    return quant;
  }
  ADD_FAILURE() << path << ": no node produces the graph output '" << output << "'";
  return {};
}

TEST(OrtReferenceFilesTest, AreConsistent) {
  const Tensor inputs = golden::ReadNpy(ExampleDir() + "inputs16.npy");
  ASSERT_EQ(inputs.dtype(), golden::DType::kFloat32);
  ASSERT_EQ(inputs.shape(), (golden::Shape{kSamples, 1, 1, 8, 8}));
  const Tensor input = golden::ReadNpy(ExampleDir() + "input.npy");
  EXPECT_EQ(input, Sample<float>(inputs, 0, {1, 1, 8, 8}));

  for (const std::string form : {"qdq", "qop"}) {
    SCOPED_TRACE(form);
    const OutputQuant quant = ReadOutputQuant(ModelPath(form));
    ASSERT_GT(quant.scale, 0.0f);
    const Tensor ort = golden::ReadNpy(ExampleDir() + "ort16_" + form + ".npy");
    const Tensor ort_q = golden::ReadNpy(ExampleDir() + "ort16_" + form + "_q.npy");
    ASSERT_EQ(ort.shape(), (golden::Shape{kSamples, 1, kOutputSize}));
    ASSERT_EQ(ort_q.dtype(), golden::DType::kUInt8);
    ASSERT_EQ(ort_q.shape(), ort.shape());
    // The float output is the dequantized integer output.
    for (std::int64_t i = 0; i < ort.size(); ++i) {
      const float want =
          (static_cast<float>(ort_q.GetInt(i)) - static_cast<float>(quant.zero_point)) *
          quant.scale;
      ASSERT_EQ(ort.Data<float>()[static_cast<std::size_t>(i)], want) << "element " << i;
    }
    EXPECT_EQ(golden::ReadNpy(ExampleDir() + "tinycnn_" + form + ".ort.npy"),
              Sample<float>(ort, 0, {1, kOutputSize}));
    EXPECT_EQ(golden::ReadNpy(ExampleDir() + "tinycnn_" + form + ".ort_q.npy"),
              Sample<std::uint8_t>(ort_q, 0, {1, kOutputSize}));
  }
}

// One layer of the example: its output tensor's name in each form (ONNX Runtime's quantizer names
// them after the float model's tensors; the importer keeps ONNX tensor names) and the number of
// requantizing stages up to and including it.
struct Layer {
  const char* name;  // ort16_layers/<name>.npy; "logits" is ort16_<form>_q.npy
  const char* qdq_tensor;
  const char* qop_tensor;
  std::int64_t stages;
};
constexpr Layer kLayers[] = {
    {"input", "input_QuantizeLinear_Output", "input_quantized", 0},
    {"conv1", "relu1_QuantizeLinear_Output", "conv1_quantized", 1},
    {"conv2", "relu2_QuantizeLinear_Output", "conv2_quantized", 2},
    {"pool", "pool_QuantizeLinear_Output", "pool_quantized", 2},
    {"conv3", "conv3_QuantizeLinear_Output", "conv3_quantized", 3},
    {"residual", "residual_QuantizeLinear_Output", "residual_quantized", 4},
    {"gap", "gap_QuantizeLinear_Output", "gap_quantized", 5},
    {"flat", "flat_QuantizeLinear_Output", "flat_quantized", 5},
    {"logits", "logits_QuantizeLinear_Output", "logits_quantized", kRequantStages},
};

Tensor ReadLayer(const std::string& form, const Layer& layer) {
  const std::string name = layer.name;
  return golden::ReadNpy(ExampleDir() + (name == "logits" ? "ort16_" + form + "_q.npy"
                                                          : "ort16_layers/" + name + ".npy"));
}

TEST(OrtReferenceFilesTest, LayerFilesHoldEverySample) {
  for (const Layer& layer : kLayers) {
    const Tensor t = ReadLayer("qdq", layer);
    EXPECT_EQ(t.dtype(), golden::DType::kUInt8) << layer.name;
    ASSERT_GE(t.rank(), 2) << layer.name;
    EXPECT_EQ(t.shape()[0], kSamples) << layer.name;
  }
}

// Differences between qsa's and ONNX Runtime's values of one tensor over all samples.
struct Agreement {
  std::int64_t compared = 0;
  std::int64_t exact = 0;
  std::int64_t max_diff = 0;     // in LSBs
  std::string first_difference;  // "sample 3 element 7: qsa 120 ORT 121"

  void Add(std::int64_t sample, std::int64_t element, double got, double want, double lsb) {
    const std::int64_t diff = std::llround(std::fabs(got - want) / lsb);
    ++compared;
    if (got == want) ++exact;
    max_diff = std::max(max_diff, diff);
    if (got != want && first_difference.empty()) {
      std::ostringstream text;
      text << "sample " << sample << " element " << element << ": qsa " << got << " ORT " << want;
      first_difference = text.str();
    }
  }
  std::string Summary() const {
    std::ostringstream text;
    text << "exact " << exact << "/" << compared << " ("
         << 100.0 * static_cast<double>(exact) /
                static_cast<double>(std::max<std::int64_t>(compared, 1))
         << "%), max " << max_diff << " LSB";
    if (!first_difference.empty()) text << "; first: " << first_difference;
    return text.str();
  }
};

// Parameters: the form ("qdq", "qop") and the requantization mode's name.
class OrtAgreementTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(OrtAgreementTest, AgreesWithOnnxRuntime) {
  const auto& [form, mode_name] = GetParam();
  const std::optional<RequantMode> parsed = golden::ParseRequantMode(mode_name);
  ASSERT_TRUE(parsed.has_value()) << mode_name;
  const RequantMode mode = *parsed;

  const ImportResult imported = ImportOnnxFile(ModelPath(form));
  const golden::Graph& graph = imported.graph;
  ASSERT_EQ(graph.inputs.size(), 1u);
  ASSERT_EQ(graph.outputs.size(), 1u);
  const OutputQuant quant = ReadOutputQuant(ModelPath(form));
  ASSERT_GT(quant.scale, 0.0f);

  const Tensor inputs = golden::ReadNpy(ExampleDir() + "inputs16.npy");
  const Tensor ort = golden::ReadNpy(ExampleDir() + "ort16_" + form + ".npy");
  ASSERT_EQ(inputs.shape(), (golden::Shape{kSamples, 1, 1, 8, 8}));
  ASSERT_EQ(ort.shape(), (golden::Shape{kSamples, 1, kOutputSize}));
  std::vector<Tensor> ort_layers;
  for (const Layer& layer : kLayers) ort_layers.push_back(ReadLayer(form, layer));

  golden::RunOptions options;
  options.mode = mode;
  options.keep_intermediates = true;
  Agreement logits;
  std::vector<Agreement> layers(std::size(kLayers));
  for (std::int64_t i = 0; i < kSamples; ++i) {
    const std::map<std::string, Tensor> feed{
        {graph.inputs[0], Sample<float>(inputs, i, {1, 1, 8, 8})}};
    const std::map<std::string, Tensor> result = golden::RunGraph(graph, feed, options);

    const Tensor& out = result.at(graph.outputs[0]);
    ASSERT_EQ(out.dtype(), golden::DType::kFloat32);
    ASSERT_EQ(out.size(), kOutputSize);
    for (std::int64_t k = 0; k < kOutputSize; ++k) {
      logits.Add(i, k, out.GetDouble(k), ort.GetDouble(i * kOutputSize + k), quant.scale);
    }

    for (std::size_t l = 0; l < std::size(kLayers); ++l) {
      const std::string tensor = form == "qdq" ? kLayers[l].qdq_tensor : kLayers[l].qop_tensor;
      const auto it = result.find(tensor);
      ASSERT_NE(it, result.end()) << "the imported graph has no tensor '" << tensor << "'";
      const Tensor& got = it->second;
      const std::int64_t n = ort_layers[l].size() / kSamples;
      ASSERT_EQ(got.size(), n) << tensor;
      for (std::int64_t k = 0; k < n; ++k) {
        layers[l].Add(i, k, got.GetDouble(k), ort_layers[l].GetDouble(i * n + k), 1.0);
      }
    }
  }

  std::cout << "[ tinycnn_" << form << " " << mode_name << " ] logits: " << logits.Summary()
            << " of scale " << quant.scale << "\n";
  for (std::size_t l = 0; l < std::size(kLayers); ++l) {
    std::cout << "    " << kLayers[l].name << ": " << layers[l].Summary() << "\n";
  }
  RecordProperty("exact", std::to_string(logits.exact));
  RecordProperty("compared", std::to_string(logits.compared));
  RecordProperty("max_lsb", std::to_string(logits.max_diff));

  EXPECT_EQ(logits.compared, kSamples * kOutputSize);
  // The float logits are the dequantized final integers: both comparisons tell the same story.
  EXPECT_EQ(logits.exact, layers.back().exact);
  EXPECT_EQ(logits.max_diff, layers.back().max_diff);
  for (std::size_t l = 0; l < std::size(kLayers); ++l) {
    SCOPED_TRACE(kLayers[l].name);
    if (mode == RequantMode::kFloat32Rne) {
      // Measured: float32-rne reproduces ONNX Runtime bit for bit at every layer
      // (docs/examples.md).
      EXPECT_EQ(layers[l].exact, layers[l].compared) << layers[l].first_difference;
    } else {
      EXPECT_LE(layers[l].max_diff, kLayers[l].stages) << layers[l].first_difference;
    }
  }
  if (mode == RequantMode::kFloat32Rne) {
    EXPECT_EQ(logits.exact, logits.compared) << logits.first_difference;
  }
  EXPECT_LE(logits.max_diff, kRequantStages) << logits.first_difference;
}

std::string ParamName(const ::testing::TestParamInfo<OrtAgreementTest::ParamType>& info) {
  std::string name = std::get<0>(info.param) + "_";
  for (char c : std::get<1>(info.param)) {
    if (c != '-') name += c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(TinyCnn, OrtAgreementTest,
                         ::testing::Combine(::testing::Values("qdq", "qop"),
                                            ::testing::Values("float32-rne", "tflite-double",
                                                              "single-rounding", "float64-rne")),
                         ParamName);

}  // namespace
}  // namespace qsa::importer
