// The digits example (examples/digits, docs/examples.md): a CNN trained on scikit-learn's 8x8
// digits and quantized by ONNX Runtime's quantize_static, with ONNX Runtime's logits for the 540
// held-out test images and the accuracies in accuracy.json, all written by scripts/make_digits.py.
//
// The golden engine runs the QDQ and the QOperator model on every test image. In float32-rne mode
// (ONNX Runtime's requantization arithmetic) it must reproduce ONNX Runtime's integer logits
// exactly, and so reach the int8 top-1 accuracy that accuracy.json records. In tflite-double mode
// (the hardware's fixed-point arithmetic) it may differ by at most one LSB per requantizing layer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/compile.h"
#include "compiler/importer/load_model.h"
#include "compiler/run_compiled.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/npy.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::tools {
namespace {

using golden::Tensor;

const std::string kDir = QSA_SOURCE_DIR "/examples/digits/";
constexpr std::int64_t kClasses = 10;

// Requantizing layers from the input to the logits: conv1 (with the folded BatchNormalization),
// conv2, conv3, the global average pool and the fully connected layer.
constexpr std::int64_t kRequantStages = 5;

std::string ModelPath(const std::string& form) { return kDir + "digits_" + form + ".onnx"; }

// test_labels.npy: int64 '<i8', one dimension, which qsa's .npy reader (model/golden/npy.h) does
// not take, so it is parsed here: format 1.0 (2-byte header length) or 2.0/3.0 (4-byte); the data
// is little-endian, as the host's.
std::vector<std::int64_t> ReadLabels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    ADD_FAILURE() << path << ": not a .npy file";
    return {};
  }
  const auto byte = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[i]));
  };
  const bool v1 = bytes[6] == 1;
  const std::size_t header_len =
      v1 ? byte(8) | byte(9) << 8 : byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
  const std::size_t data_start = (v1 ? 10 : 12) + header_len;
  const std::string header = bytes.substr(v1 ? 10 : 12, header_len);
  EXPECT_NE(header.find("'descr': '<i8'"), std::string::npos) << path << ": " << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos) << path << ": " << header;
  const std::size_t shape = header.find("'shape': (");
  if (shape == std::string::npos || data_start > bytes.size()) {
    ADD_FAILURE() << path << ": bad header " << header;
    return {};
  }
  const std::size_t count = std::stoul(header.substr(shape + 10));
  EXPECT_EQ(bytes.size() - data_start, count * sizeof(std::int64_t)) << path;
  std::vector<std::int64_t> labels(count);
  std::memcpy(labels.data(), bytes.data() + data_start,
              std::min(bytes.size() - data_start, count * sizeof(std::int64_t)));
  return labels;
}

nlohmann::json ReadAccuracy() {
  std::ifstream in(kDir + "accuracy.json");
  return nlohmann::json::parse(in);
}

// The committed test images and their labels.
struct TestSet {
  Tensor images;  // float32 [T,1,8,8]
  std::vector<std::int64_t> labels;
  std::int64_t size() const { return images.shape().empty() ? 0 : images.shape()[0]; }
};

TestSet ReadTestSet() {
  TestSet set{golden::ReadNpy(kDir + "test_images.npy"), ReadLabels(kDir + "test_labels.npy")};
  EXPECT_EQ(set.images.dtype(), golden::DType::kFloat32);
  EXPECT_EQ(set.images.rank(), 4);
  return set;
}

// Image i of the test set, as the model's input: float32 [1,1,8,8].
Tensor Image(const TestSet& set, std::int64_t i) {
  const golden::Shape shape{1, 1, 8, 8};
  const auto n = static_cast<std::size_t>(golden::NumElements(shape));
  const auto image = set.images.Data<float>().subspan(static_cast<std::size_t>(i) * n, n);
  return Tensor::FromVector(shape, std::vector<float>(image.begin(), image.end()));
}

// The index of the largest of `count` values starting at element `first` (the first one on a
// tie, as numpy.argmax).
std::int64_t ArgMax(const Tensor& values, std::int64_t first, std::int64_t count) {
  std::int64_t best = 0;
  for (std::int64_t k = 1; k < count; ++k) {
    if (values.GetDouble(first + k) > values.GetDouble(first + best)) best = k;
  }
  return best;
}

std::int64_t CountCorrect(const Tensor& logits, const std::vector<std::int64_t>& labels) {
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto row = static_cast<std::int64_t>(i) * kClasses;
    if (ArgMax(logits, row, kClasses) == labels[i]) ++correct;
  }
  return correct;
}

TEST(DigitsExampleFilesTest, AreConsistent) {
  const TestSet set = ReadTestSet();
  const nlohmann::json accuracy = ReadAccuracy();
  const std::int64_t count = set.size();
  ASSERT_EQ(set.images.shape(), (golden::Shape{count, 1, 8, 8}));
  EXPECT_EQ(count, accuracy.at("images").at("test").get<std::int64_t>());
  ASSERT_EQ(static_cast<std::int64_t>(set.labels.size()), count);
  std::vector<std::int64_t> per_class(kClasses);
  for (const std::int64_t label : set.labels) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, kClasses);
    ++per_class[static_cast<std::size_t>(label)];
  }
  // A stratified split: every digit is about a tenth of the test set.
  for (const std::int64_t n : per_class) {
    EXPECT_LE(std::abs(n - count / kClasses), 2) << "a digit has " << n << " test images";
  }
  for (const float v : set.images.Data<float>()) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }

  // accuracy.json agrees with ONNX Runtime's committed logits.
  const Tensor float_logits = golden::ReadNpy(kDir + "ort_float_logits.npy");
  ASSERT_EQ(float_logits.shape(), (golden::Shape{count, kClasses}));
  EXPECT_EQ(CountCorrect(float_logits, set.labels),
            accuracy.at("float").at("correct").get<std::int64_t>());
  for (const std::string form : {"qdq", "qop"}) {
    SCOPED_TRACE(form);
    const Tensor logits = golden::ReadNpy(kDir + "ort_" + form + "_logits.npy");
    const Tensor logits_q = golden::ReadNpy(kDir + "ort_" + form + "_q.npy");
    ASSERT_EQ(logits.shape(), (golden::Shape{count, kClasses}));
    ASSERT_EQ(logits_q.dtype(), golden::DType::kUInt8);
    ASSERT_EQ(logits_q.shape(), logits.shape());
    const nlohmann::json& entry = accuracy.at(form);
    EXPECT_EQ(CountCorrect(logits, set.labels), entry.at("correct").get<std::int64_t>());
    std::int64_t agree = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      if (ArgMax(logits, i * kClasses, kClasses) == ArgMax(float_logits, i * kClasses, kClasses)) {
        ++agree;
      }
    }
    EXPECT_EQ(agree, entry.at("argmax_agrees_with_float").get<std::int64_t>());
  }
}

// The integer tensor that the graph's final DequantizeLinear turns into the float logits.
std::string QuantizedLogits(const golden::Graph& graph) {
  for (const golden::Node& node : graph.nodes) {
    if (node.outputs.size() == 1 && node.outputs[0] == graph.outputs[0]) {
      EXPECT_EQ(node.op, "DequantizeLinear") << node.Label();
      return node.inputs.at(0);
    }
  }
  ADD_FAILURE() << "no node produces the graph output " << graph.outputs[0];
  return "";
}

// Parameters: the form ("qdq", "qop") and the requantization mode's name.
class DigitsExampleTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(DigitsExampleTest, GoldenEngineAgreesWithOnnxRuntime) {
  const auto& [form, mode_name] = GetParam();
  const std::optional<golden::RequantMode> mode = golden::ParseRequantMode(mode_name);
  ASSERT_TRUE(mode.has_value()) << mode_name;

  const TestSet set = ReadTestSet();
  const std::int64_t count = set.size();
  ASSERT_GE(count, 100);
  ASSERT_EQ(static_cast<std::int64_t>(set.labels.size()), count);
  const Tensor ort_logits = golden::ReadNpy(kDir + "ort_" + form + "_logits.npy");
  const Tensor ort_q = golden::ReadNpy(kDir + "ort_" + form + "_q.npy");
  ASSERT_EQ(ort_logits.shape(), (golden::Shape{count, kClasses}));
  ASSERT_EQ(ort_q.shape(), ort_logits.shape());

  const importer::LoadedModel loaded = importer::LoadModel(ModelPath(form), {});
  const golden::Graph& graph = loaded.graph;
  ASSERT_EQ(graph.inputs.size(), 1u);
  ASSERT_EQ(graph.outputs.size(), 1u);
  const std::string logits_q_name = QuantizedLogits(graph);
  ASSERT_FALSE(logits_q_name.empty());
  golden::RunOptions options;
  options.mode = *mode;
  options.keep_intermediates = true;  // for the integer logits before the final dequantization

  std::int64_t exact = 0;         // integer logits equal to ONNX Runtime's
  std::int64_t float_exact = 0;   // float logits bit-equal to ONNX Runtime's
  std::int64_t max_lsb = 0;       // largest integer difference
  std::int64_t correct = 0;       // top-1 against the labels
  std::int64_t argmax_agree = 0;  // same top-1 class as ONNX Runtime's int8 model
  std::string first_difference;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::map<std::string, Tensor> result =
        golden::RunGraph(graph, {{graph.inputs[0], Image(set, i)}}, options);
    const Tensor& logits = result.at(graph.outputs[0]);
    const Tensor& logits_q = result.at(logits_q_name);
    ASSERT_EQ(logits.dtype(), golden::DType::kFloat32);
    ASSERT_EQ(logits.size(), kClasses);
    ASSERT_EQ(logits_q.size(), kClasses);
    for (std::int64_t k = 0; k < kClasses; ++k) {
      const std::int64_t got = logits_q.GetInt(k);
      const std::int64_t want = ort_q.GetInt(i * kClasses + k);
      if (got == want) ++exact;
      if (got != want && first_difference.empty()) {
        first_difference = "image " + std::to_string(i) + " class " + std::to_string(k) + ": qsa " +
                           std::to_string(got) + ", ONNX Runtime " + std::to_string(want);
      }
      max_lsb = std::max(max_lsb, std::abs(got - want));
      if (logits.GetDouble(k) == ort_logits.GetDouble(i * kClasses + k)) ++float_exact;
    }
    const std::int64_t top = ArgMax(logits, 0, kClasses);
    if (top == set.labels[static_cast<std::size_t>(i)]) ++correct;
    if (top == ArgMax(ort_logits, i * kClasses, kClasses)) ++argmax_agree;
  }

  const std::int64_t total = count * kClasses;
  std::cout << "[ digits_" << form << " " << mode_name << " ] logits exact " << exact << "/"
            << total << ", max " << max_lsb << " LSB; top-1 " << correct << "/" << count
            << "; top-1 class as ONNX Runtime's on " << argmax_agree << "/" << count
            << (first_difference.empty() ? "" : "; first difference: " + first_difference) << "\n";
  RecordProperty("exact", std::to_string(exact));
  RecordProperty("compared", std::to_string(total));
  RecordProperty("max_lsb", std::to_string(max_lsb));
  RecordProperty("correct", std::to_string(correct));

  // The float logits are the dequantized integers: both comparisons tell the same story.
  EXPECT_EQ(float_exact, exact);
  if (*mode == golden::RequantMode::kFloat32Rne) {
    EXPECT_EQ(exact, total) << first_difference;
    EXPECT_EQ(argmax_agree, count);
    EXPECT_EQ(correct, ReadAccuracy().at(form).at("correct").get<std::int64_t>());
  } else {
    EXPECT_LE(max_lsb, kRequantStages) << first_difference;
  }
}

// The compiled model on the accelerator (ISA simulator, default 16x16 array): every image's
// logits equal the golden model's in tflite-double, so the accelerator's accuracy is the int8
// model's; against ONNX Runtime (which requantizes in float) the agreement rate and the largest
// difference are reported.
class DigitsAcceleratorTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DigitsAcceleratorTest, CompiledModelMatchesTheGoldenModel) {
  const std::string& form = GetParam();
  const TestSet set = ReadTestSet();
  const std::int64_t count = set.size();
  const Tensor ort_q = golden::ReadNpy(kDir + "ort_" + form + "_q.npy");
  const Tensor float_logits = golden::ReadNpy(kDir + "ort_float_logits.npy");
  const importer::LoadedModel loaded = importer::LoadModel(ModelPath(form), {});
  const golden::Graph& graph = loaded.graph;
  const std::string logits_q_name = QuantizedLogits(graph);
  compiler::CompileOptions options;
  options.arch = isa::DefaultArchConfig();
  const compiler::CompiledModel cm = compiler::Compile(graph, options);
  ASSERT_EQ(cm.programs.size(), 1u);
  const compiler::ProgramEngine isa = compiler::IsaEngine(options.arch);
  golden::RunOptions golden;
  golden.keep_intermediates = true;
  std::int64_t correct = 0, float_correct = 0, ort_exact = 0, max_lsb = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::map<std::string, Tensor> feeds = {{graph.inputs[0], Image(set, i)}};
    const auto acc = compiler::RunCompiled(cm, feeds, isa);
    const auto ref = golden::RunGraph(graph, feeds, golden);
    const Tensor& logits_q = acc.at(logits_q_name);
    ASSERT_TRUE(logits_q == ref.at(logits_q_name)) << "image " << i;
    ASSERT_TRUE(acc.at(graph.outputs[0]) == ref.at(graph.outputs[0])) << "image " << i;
    for (std::int64_t k = 0; k < kClasses; ++k) {
      const std::int64_t d = std::abs(logits_q.GetInt(k) - ort_q.GetInt(i * kClasses + k));
      ort_exact += d == 0 ? 1 : 0;
      max_lsb = std::max(max_lsb, d);
    }
    const std::int64_t label = set.labels[static_cast<std::size_t>(i)];
    correct += ArgMax(acc.at(graph.outputs[0]), 0, kClasses) == label ? 1 : 0;
    float_correct += ArgMax(float_logits, i * kClasses, kClasses) == label ? 1 : 0;
  }
  std::cout << "[ digits_" << form << " on the accelerator ] top-1 " << correct << "/" << count
            << " (float model " << float_correct << "/" << count << "); integer logits as ONNX "
            << "Runtime's " << ort_exact << "/" << count * kClasses << ", max " << max_lsb
            << " LSB\n";
  // Within one point of the float model's accuracy.
  EXPECT_GE(100 * correct, 100 * float_correct - count);
  EXPECT_LE(max_lsb, kRequantStages);
}

std::string ParamName(const ::testing::TestParamInfo<DigitsExampleTest::ParamType>& info) {
  std::string name = std::get<0>(info.param) + "_";
  for (const char c : std::get<1>(info.param)) {
    if (c != '-') name += c;
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Digits, DigitsAcceleratorTest, ::testing::Values("qdq", "qop"));

INSTANTIATE_TEST_SUITE_P(Digits, DigitsExampleTest,
                         ::testing::Combine(::testing::Values("qdq", "qop"),
                                            ::testing::Values("float32-rne", "tflite-double")),
                         ParamName);

}  // namespace
}  // namespace qsa::tools
