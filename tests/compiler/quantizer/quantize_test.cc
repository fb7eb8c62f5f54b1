// The quantization pipeline (compiler/quantize.h) on small float models built here: the plan
// (which nodes are quantized, fused activations, host ops), the QDQ graph written (weights, int32
// biases at s_in · s_w, per-channel axes, int4 values, shared parameters of move ops), that qsa's
// importer turns it into integer ops and that the golden engine's result stays close to the float
// model, the report, mixed precision, and the refusals.
#include "compiler/quantizer/quantize.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "compiler/onnx_model/graph.h"
#include "compiler/quantizer/plan.h"
#include "model/base/error.h"
#include "model/golden/npy.h"
#include "testkit/op_test.h"
#include "tests/compiler/quantizer/quantize_test_util.h"

namespace qsa::quantizer {
namespace {

namespace fs = std::filesystem;
using golden::DType;
using golden::Tensor;
using testkit::op_test::TestSeed;
using namespace quantize_test;

// x [1, 2, 6, 6] → Conv(2→4, 3×3, pad 1) → BatchNormalization → Relu → MaxPool 2×2
//   → Conv(4→6, 3×3, bias) → Relu → GlobalAveragePool → Flatten → Gemm(6→3, transB) → Softmax → y
FloatModel SmallCnn(std::mt19937& rng) {
  FloatModel m;
  m.Input("x", {1, 2, 6, 6}).Output("y");
  m.Init("w1", Random({4, 2, 3, 3}, rng, -0.5f, 0.5f));
  m.Init("bn_scale", Random({4}, rng, 0.5f, 1.5f)).Init("bn_bias", Random({4}, rng, 0.0f, 0.3f));
  m.Init("bn_mean", Random({4}, rng, -0.1f, 0.1f)).Init("bn_var", Random({4}, rng, 0.5f, 1.5f));
  m.Init("w2", Random({6, 4, 3, 3}, rng, -0.5f, 0.5f)).Init("b2", Random({6}, rng, -0.1f, 0.2f));
  m.Init("w3", Random({3, 6}, rng)).Init("b3", Random({3}, rng, -0.1f, 0.1f));
  Attr(m.Node("Conv", {"x", "w1"}, {"c1"}, "conv1"), "pads", std::vector<std::int64_t>{1, 1, 1, 1});
  m.Node("BatchNormalization", {"c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"n1"}, "bn1");
  m.Node("Relu", {"n1"}, {"r1"}, "relu1");
  onnx::NodeProto& pool = m.Node("MaxPool", {"r1"}, {"p1"}, "pool");
  Attr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  Attr(pool, "strides", std::vector<std::int64_t>{2, 2});
  Attr(m.Node("Conv", {"p1", "w2", "b2"}, {"c2"}, "conv2"), "pads",
       std::vector<std::int64_t>{1, 1, 1, 1});
  m.Node("Relu", {"c2"}, {"r2"}, "relu2");
  m.Node("GlobalAveragePool", {"r2"}, {"g"}, "gap");
  m.Node("Flatten", {"g"}, {"f"}, "flatten");
  Attr(m.Node("Gemm", {"f", "w3", "b3"}, {"logits"}, "fc"), "transB", std::int64_t{1});
  m.Node("Softmax", {"logits"}, {"y"}, "softmax");
  return m;
}

CalibrationData RandomData(std::mt19937& rng, std::int64_t n, golden::Shape sample) {
  sample.insert(sample.begin(), n);
  return CalibrationData{"random", {{"x", "random:x", Random(sample, rng, 0.0f, 1.0f)}}};
}

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

const onnx::NodeProto* FindNode(const onnx::ModelProto& m, const std::string& name) {
  for (const onnx::NodeProto& n : m.graph().node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// The initializer of that name, or nullptr.
const onnx::TensorProto* Init(const onnx::ModelProto& m, const std::string& name) {
  for (const onnx::TensorProto& t : m.graph().initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

// The node writing `tensor`, or nullptr.
const onnx::NodeProto* Producer(const onnx::ModelProto& m, const std::string& tensor) {
  for (const onnx::NodeProto& n : m.graph().node()) {
    for (const std::string& o : n.output()) {
      if (o == tensor) return &n;
    }
  }
  return nullptr;
}

class QuantizeTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(TestSeed(5)); }
  std::mt19937 rng_;
};

TEST_F(QuantizeTest, DefaultSchemeOnASmallCnn) {
  const FloatModel m = SmallCnn(rng_);
  const CalibrationData data = RandomData(rng_, 24, {2, 6, 6});
  const QuantizeResult r = QuantizeModel(m.Bytes(), "cnn.onnx", data, QuantizeOptions{});
  const onnx::ModelProto q = Parse(r.model);

  // The report: BN folded, Softmax left on the host, every layer with its fused activation.
  ASSERT_EQ(r.report.folded_batch_norms.size(), 1u);
  EXPECT_EQ(r.report.folded_batch_norms[0].into, "conv1");
  ASSERT_EQ(r.report.float_nodes.size(), 1u);
  EXPECT_EQ(r.report.float_nodes[0].op, "Softmax");
  EXPECT_NE(r.report.float_nodes[0].reason.find("not an op the quantizer handles"),
            std::string::npos);
  std::vector<std::string> layers;
  for (const LayerReport& l : r.report.layers) layers.push_back(l.name + ":" + l.kind);
  EXPECT_EQ(layers, (std::vector<std::string>{"conv1:weighted", "pool:move", "conv2:weighted",
                                              "gap:compute", "flatten:move", "fc:weighted"}));
  EXPECT_EQ(r.report.layers[0].activation, "Relu");
  EXPECT_EQ(r.report.layers[0].output, "r1");
  EXPECT_EQ(r.report.samples, 24);
  EXPECT_EQ(r.report.layers[2].weight_bytes, 6 * 4 * 9);
  EXPECT_EQ(r.report.layers[2].bias_bytes, 6 * 4);
  EXPECT_EQ(r.report.layers[2].weight_scheme, "int8 symmetric per-channel");

  // conv2's weight: an int8 initializer read through a per-channel DequantizeLinear (axis 0);
  // its bias an int32 initializer whose scales are s_in · s_w[c] exactly.
  const onnx::NodeProto* conv2 = FindNode(q, "conv2");
  ASSERT_NE(conv2, nullptr);
  const onnx::NodeProto* w_dq = Producer(q, conv2->input(1));
  ASSERT_NE(w_dq, nullptr);
  EXPECT_EQ(w_dq->op_type(), "DequantizeLinear");
  EXPECT_EQ(onnx_model::IntAttr(*w_dq, "axis"), 0);
  EXPECT_EQ(Init(q, w_dq->input(0))->data_type(), onnx::TensorProto::INT8);
  const golden::Tensor w_scale = onnx_model::TensorFromProto(*Init(q, w_dq->input(1)));
  ASSERT_EQ(w_scale.shape(), (golden::Shape{6}));
  const onnx::NodeProto* b_dq = Producer(q, conv2->input(2));
  ASSERT_NE(b_dq, nullptr);
  EXPECT_EQ(Init(q, b_dq->input(0))->data_type(), onnx::TensorProto::INT32);
  const golden::Tensor b_scale = onnx_model::TensorFromProto(*Init(q, b_dq->input(1)));
  const onnx::NodeProto* x_dq = Producer(q, conv2->input(0));
  ASSERT_EQ(x_dq->op_type(), "DequantizeLinear");
  const float s_in = onnx_model::TensorFromProto(*Init(q, x_dq->input(1))).Data<float>()[0];
  for (std::int64_t c = 0; c < 6; ++c) {
    EXPECT_EQ(b_scale.Data<float>()[static_cast<std::size_t>(c)],
              s_in * w_scale.Data<float>()[static_cast<std::size_t>(c)]);
  }
  // MaxPool and Flatten outputs share their inputs' parameters.
  for (const TensorReport& a : r.report.activations) {
    if (a.tensor == "p1") {
      EXPECT_EQ(a.shared_with, "r1");
    }
    if (a.tensor == "f") {
      EXPECT_EQ(a.shared_with, "g");
    }
  }
  // The float weights are gone; the graph output keeps its name.
  EXPECT_EQ(Init(q, "w2"), nullptr);
  EXPECT_EQ(q.graph().output(0).name(), "y");

  // qsa imports it as integer ops, and its output is close to the float model's.
  const GoldenRunner runner(q, 1, "quantized");
  std::map<std::string, int> ops;
  for (const golden::Node& n : runner.graph().nodes) {
    if (n.op == "Conv" || n.op == "MatMul") {
      EXPECT_EQ(runner.graph().Info(n.inputs[0]).dtype, golden::DType::kUInt8) << n.name;
      EXPECT_EQ(runner.graph().Info(n.inputs[1]).dtype, golden::DType::kInt8) << n.name;
    }
    ++ops[n.op];
  }
  EXPECT_EQ(ops["Conv"], 2);
  EXPECT_EQ(ops["MatMul"], 1);
  EXPECT_EQ(ops["MaxPool"], 1);
  EXPECT_EQ(ops["Softmax"], 1);
  NoiseMeter meter;
  for (int i = 0; i < 8; ++i) {
    const std::map<std::string, golden::Tensor> feeds = {
        {"x", Random({1, 2, 6, 6}, rng_, 0.0f, 1.0f)}};
    meter.Add(RunModel(m.proto, feeds).at("y"), runner.Run(feeds).at("y"));
  }
  EXPECT_GT(meter.SqnrDb(), 30.0);
  ASSERT_EQ(r.report.outputs.size(), 1u);
  EXPECT_GT(r.report.outputs[0].sqnr_db, 30.0);
  EXPECT_GT(r.report.float_parameter_bytes, 0);
}

TEST_F(QuantizeTest, SchemesAndMethods) {
  const FloatModel m = SmallCnn(rng_);
  const CalibrationData data = RandomData(rng_, 16, {2, 6, 6});
  double sqnr8 = 0.0;
  for (CalibrationMethod method : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                   CalibrationMethod::kMse, CalibrationMethod::kKl}) {
    QuantizeOptions o;
    o.method = method;
    const QuantizeResult r = QuantizeModel(m.Bytes(), "cnn.onnx", data, o);
    SCOPED_TRACE(std::string(CalibrationMethodName(method)));
    EXPECT_GT(r.report.outputs[0].sqnr_db, 25.0);
    if (method == CalibrationMethod::kMinMax) sqnr8 = r.report.outputs[0].sqnr_db;
  }
  // int8 symmetric activations: zero points 0 on every activation QuantizeLinear.
  QuantizeOptions sym;
  sym.activations = {golden::DType::kInt8, true};
  sym.weights.per_channel = false;
  sym.weights.symmetric = false;
  const onnx::ModelProto q = Parse(QuantizeModel(m.Bytes(), "cnn.onnx", data, sym).model);
  int quantize_nodes = 0;
  for (const onnx::NodeProto& n : q.graph().node()) {
    if (n.op_type() != "QuantizeLinear") continue;
    ++quantize_nodes;
    const golden::Tensor z = onnx_model::TensorFromProto(*Init(q, n.input(2)));
    EXPECT_EQ(z.dtype(), golden::DType::kInt8);
    EXPECT_EQ(z.GetInt(0), 0);
  }
  EXPECT_EQ(quantize_nodes, 7);  // x, r1, p1, r2, g, f, logits
  // Per-tensor weights: scalar scales, no axis.
  const onnx::NodeProto* w_dq = Producer(q, FindNode(q, "conv1")->input(1));
  EXPECT_EQ(onnx_model::IntAttr(*w_dq, "axis"), std::nullopt);
  EXPECT_EQ(Init(q, w_dq->input(1))->dims_size(), 0);
  // 4-bit weights: values in [−8, 7], and a lower SQNR than 8-bit.
  QuantizeOptions four;
  four.weights.bits = 4;
  const QuantizeResult r4 = QuantizeModel(m.Bytes(), "cnn.onnx", data, four);
  const onnx::ModelProto q4 = Parse(r4.model);
  const golden::Tensor w4 = onnx_model::TensorFromProto(
      *Init(q4, Producer(q4, FindNode(q4, "conv2")->input(1))->input(0)));
  std::int64_t lo = 0, hi = 0;
  for (std::int64_t i = 0; i < w4.size(); ++i) {
    lo = std::min(lo, w4.GetInt(i));
    hi = std::max(hi, w4.GetInt(i));
  }
  EXPECT_GE(lo, -7);
  EXPECT_EQ(hi, 7);
  EXPECT_LT(r4.report.outputs[0].sqnr_db, sqnr8 - 6.0);
  EXPECT_EQ(r4.report.layers[2].weight_bytes, (6 * 4 * 9 + 1) / 2);
  EXPECT_EQ(r4.report.weight_scheme, "int4 symmetric per-channel");
}

TEST_F(QuantizeTest, MixedPrecisionUnderABudget) {
  const FloatModel m = SmallCnn(rng_);
  const CalibrationData data = RandomData(rng_, 16, {2, 6, 6});
  QuantizeOptions o;
  o.weight_budget = "75%";
  const QuantizeResult r = QuantizeModel(m.Bytes(), "cnn.onnx", data, o);
  ASSERT_TRUE(r.report.mixed_precision.has_value());
  const auto& mp = *r.report.mixed_precision;
  EXPECT_EQ(mp.cost_all8, 72.0 + 216.0 + 18.0);
  EXPECT_LE(mp.cost, 0.75 * mp.cost_all8);
  // Every weighted layer was measured alone, at 8 and at 4 bits; 4 bits is worse.
  int four = 0;
  double bytes = 0.0;
  for (const LayerReport& l : r.report.layers) {
    if (l.kind != "weighted") continue;
    ASSERT_TRUE(l.sensitivity8_db.has_value()) << l.name;
    EXPECT_GT(*l.sensitivity8_db, *l.sensitivity4_db) << l.name;
    four += l.weight_bits == 4 ? 1 : 0;
    bytes += static_cast<double>(l.weight_bytes);
  }
  EXPECT_GE(four, 1);
  EXPECT_EQ(bytes, mp.cost);
  // The bit widths are recorded in the model's metadata.
  const onnx::ModelProto q = Parse(r.model);
  ASSERT_EQ(q.metadata_props_size(), 1);
  EXPECT_EQ(q.metadata_props(0).key(), "qsa.weight_bits");
  EXPECT_NE(q.metadata_props(0).value().find("\"conv2\":"), std::string::npos);
  // An impossible budget is refused.
  o.weight_budget = "10";
  EXPECT_THROW(QuantizeModel(m.Bytes(), "cnn.onnx", data, o), Error);
}

TEST_F(QuantizeTest, MatMulAddAndConcat) {
  // x [2, 4] → MatMul(W1 [4, 5]) → Add(constant [5]) → Relu → a
  // x → MatMul(W2 [4, 5]) → b;   s = Add(a, b);   y = Concat(s, a) along axis 1.
  FloatModel m;
  m.Input("x", {2, 4}).Output("y");
  m.Init("w1", Random({4, 5}, rng_)).Init("w2", Random({4, 5}, rng_));
  m.Init("c", Random({5}, rng_, -0.5f, 0.5f));
  m.Node("MatMul", {"x", "w1"}, {"m1"}, "mm1");
  m.Node("Add", {"m1", "c"}, {"a1"}, "add_const");
  m.Node("Relu", {"a1"}, {"a"}, "relu_a");
  m.Node("MatMul", {"x", "w2"}, {"b"}, "mm2");
  m.Node("Add", {"a", "b"}, {"s"}, "add");
  Attr(m.Node("Concat", {"s", "a"}, {"y"}, "concat"), "axis", std::int64_t{1});
  // 16 samples [16, 4]; the model takes batches of 2: 8 runs.
  const CalibrationData data = RandomData(rng_, 16, {4});
  const QuantizeResult r = QuantizeModel(m.Bytes(), "mlp.onnx", data, QuantizeOptions{});
  EXPECT_EQ(r.report.samples, 16);
  EXPECT_TRUE(r.report.float_nodes.empty()) << r.report.float_nodes[0].name;
  bool constant = false;
  for (const TensorReport& a : r.report.activations)
    constant = constant || a.note == "constant operand";
  EXPECT_TRUE(constant);
  const GoldenRunner runner(Parse(r.model), 2, "quantized");
  std::set<std::string> ops;
  for (const golden::Node& n : runner.graph().nodes) ops.insert(n.op);
  EXPECT_EQ(ops, (std::set<std::string>{"QuantizeLinear", "MatMul", "Add", "Concat",
                                        "DequantizeLinear"}));
  EXPECT_GT(r.report.outputs[0].sqnr_db, 30.0);
  // The outlier report covers the MatMul inputs (no Gemm here: both MatMuls read x).
  EXPECT_EQ(r.report.outliers.size(), 2u);
}

TEST_F(QuantizeTest, SmoothQuantOnOutlierChannels) {
  // x → Gemm fc1 → Relu → h → Gemm fc2 → y, with h's channel 1 a hundred times the others and
  // its weights in fc2 a hundred times smaller (every channel matters as much to y): per-tensor
  // quantization of h leaves the other channels a few levels.
  FloatModel m;
  m.Input("x", {1, 4}).Output("y");
  golden::Tensor w1 = Random({4, 6}, rng_, 0.0f, 1.0f);
  for (std::int64_t r = 0; r < 4; ++r)
    w1.Data<float>()[static_cast<std::size_t>(r * 6 + 1)] *= 100.0f;
  golden::Tensor w2 = Random({6, 3}, rng_);
  for (std::int64_t c = 0; c < 3; ++c) w2.Data<float>()[static_cast<std::size_t>(3 + c)] /= 100.0f;
  m.Init("w1", w1).Init("w2", w2);
  m.Node("Gemm", {"x", "w1"}, {"g1"}, "fc1");
  m.Node("Relu", {"g1"}, {"h"}, "relu");
  m.Node("Gemm", {"h", "w2"}, {"y"}, "fc2");
  const CalibrationData data = RandomData(rng_, 32, {4});
  QuantizeOptions plain;
  plain.outlier_threshold = 20.0f;
  const QuantizeResult before = QuantizeModel(m.Bytes(), "mlp.onnx", data, plain);
  QuantizeOptions smooth = plain;
  smooth.smoothquant_alpha = 0.5;
  const QuantizeResult after = QuantizeModel(m.Bytes(), "mlp.onnx", data, smooth);
  // The outlier report names h's channel 1 for fc2.
  const QuantizeReport::Outliers* fc2 = nullptr;
  for (const auto& o : before.report.outliers) {
    if (o.layer == "fc2") fc2 = &o;
  }
  ASSERT_NE(fc2, nullptr);
  ASSERT_EQ(fc2->outliers.size(), 1u);
  EXPECT_EQ(fc2->outliers[0].first, 1);
  ASSERT_EQ(after.report.smoothquant.size(), 1u);
  EXPECT_EQ(after.report.smoothquant[0].migrated_into, "fc1");
  // The per-tensor activation h is quantized much better after smoothing.
  EXPECT_GT(after.report.outputs[0].sqnr_db, before.report.outputs[0].sqnr_db + 3.0);
}

TEST_F(QuantizeTest, Refusals) {
  const FloatModel m = SmallCnn(rng_);
  // Calibration data of the wrong shape, or dtype.
  const CalibrationData shape = RandomData(rng_, 4, {2, 6, 5});
  try {
    QuantizeModel(m.Bytes(), "cnn.onnx", shape, QuantizeOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "calibration array 'random:x' is float32[4,2,6,5] but model input 'x' takes "
              "float32[N,2,6,6]");
  }
  // Not a model.
  EXPECT_THROW(
      QuantizeModel("garbage", "cnn.onnx", RandomData(rng_, 4, {2, 6, 6}), QuantizeOptions{}),
      Error);
  // Opset 12 with per-channel weights; opset 9 at all.
  FloatModel old = SmallCnn(rng_);
  old.proto.mutable_opset_import(0)->set_version(12);
  try {
    QuantizeModel(old.Bytes(), "old.onnx", RandomData(rng_, 4, {2, 6, 6}), QuantizeOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("per-channel weights need opset 13"), std::string::npos)
        << e.what();
  }
  old.proto.mutable_opset_import(0)->set_version(9);
  QuantizeOptions per_tensor;
  per_tensor.weights.per_channel = false;
  EXPECT_THROW(QuantizeModel(old.Bytes(), "old.onnx", RandomData(rng_, 4, {2, 6, 6}), per_tensor),
               Error);
  // A model qsa cannot run in float: the importer's message.
  FloatModel unknown;
  unknown.Input("x", {1, 2}).Output("y");
  unknown.Node("Erf", {"x"}, {"y"}, "erf");
  EXPECT_THROW(
      QuantizeModel(unknown.Bytes(), "erf.onnx", RandomData(rng_, 2, {2}), QuantizeOptions{}),
      Error);
}

TEST_F(QuantizeTest, FilesAreWrittenWholeOrNotAtAll) {
  std::string pattern = (fs::temp_directory_path() / "qsa_quantize_XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const FloatModel m = SmallCnn(rng_);
  std::ofstream(dir / "cnn.onnx", std::ios::binary) << m.Bytes();
  golden::WriteNpy((dir / "good.npy").string(), Random({4, 2, 6, 6}, rng_, 0.0f, 1.0f));
  golden::WriteNpy((dir / "bad.npy").string(), Random({4, 2, 6, 5}, rng_, 0.0f, 1.0f));
  fs::create_directory(dir / "good");
  fs::copy(dir / "good.npy", dir / "good" / "x.npy");
  fs::create_directory(dir / "bad");
  fs::copy(dir / "bad.npy", dir / "bad" / "x.npy");

  const std::string out = (dir / "q.onnx").string();
  const std::string report = (dir / "q.json").string();
  EXPECT_THROW(QuantizeFile((dir / "cnn.onnx").string(), (dir / "bad").string(), out,
                            QuantizeOptions{}, report),
               Error);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(report));
  const QuantizeReport r = QuantizeFile((dir / "cnn.onnx").string(), (dir / "good").string(), out,
                                        QuantizeOptions{}, report);
  EXPECT_EQ(r.samples, 4);
  EXPECT_TRUE(fs::exists(out));
  EXPECT_TRUE(fs::exists(report));
  // Only the two outputs and the inputs: no temporary files left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 5);
  // An output folder that does not exist.
  EXPECT_THROW(QuantizeFile((dir / "cnn.onnx").string(), (dir / "good").string(),
                            (dir / "missing" / "q.onnx").string(), QuantizeOptions{}),
               Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qsa::quantizer
