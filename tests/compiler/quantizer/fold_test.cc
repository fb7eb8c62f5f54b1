// Graph preparation (compiler/quantize_fold.h): BatchNormalization folded into the Conv or Gemm
// before it preserves the float model's outputs (golden engine, before and after, ≤ 1e-5
// relative), the folded weights are the closed-form ones, and the BNs that cannot be folded stay.
#include "compiler/quantizer/fold.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compiler/onnx_model/graph.h"
#include "testkit/op_test.h"
#include "tests/compiler/quantizer/quantize_test_util.h"

namespace qsa::quantizer {
namespace {

using golden::Tensor;
using testkit::op_test::TestSeed;
using namespace quantize_test;

// BN parameters for `c` channels: scale, bias, mean, positive variance.
void AddBatchNorm(FloatModel& m, const std::string& prefix, std::int64_t c, std::mt19937& rng) {
  m.Init(prefix + "_scale", Random({c}, rng, 0.5f, 2.0f));
  m.Init(prefix + "_bias", Random({c}, rng, -1.0f, 1.0f));
  m.Init(prefix + "_mean", Random({c}, rng, -0.5f, 0.5f));
  m.Init(prefix + "_var", Random({c}, rng, 0.1f, 3.0f));
}

std::vector<std::string> BnInputs(const std::string& x, const std::string& p) {
  return {x, p + "_scale", p + "_bias", p + "_mean", p + "_var"};
}

int Count(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const onnx::NodeProto& node : m.graph().node()) n += node.op_type() == op ? 1 : 0;
  return n;
}

class FoldTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(TestSeed(7)); }
  std::mt19937 rng_;
};

TEST_F(FoldTest, ConvBatchNormPreservesOutputs) {
  // x → Conv(3→4, bias) → BN → Relu → Conv(4→2, no bias) → BN(epsilon 1e-3) → y
  FloatModel m;
  m.Input("x", {1, 3, 6, 6}).Output("y");
  m.Init("w1", Random({4, 3, 3, 3}, rng_)).Init("b1", Random({4}, rng_));
  m.Init("w2", Random({2, 4, 1, 1}, rng_));
  AddBatchNorm(m, "bn1", 4, rng_);
  AddBatchNorm(m, "bn2", 2, rng_);
  Attr(m.Node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads",
       std::vector<std::int64_t>{1, 1, 1, 1});
  m.Node("BatchNormalization", BnInputs("c1", "bn1"), {"n1"}, "bn1");
  m.Node("Relu", {"n1"}, {"r1"}, "relu1");
  m.Node("Conv", {"r1", "w2"}, {"c2"}, "conv2");
  Attr(m.Node("BatchNormalization", BnInputs("c2", "bn2"), {"y"}, "bn2"), "epsilon", 1e-3f);

  onnx::ModelProto folded = m.proto;
  const std::vector<FoldedBatchNorm> done = FoldBatchNorms(folded);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].batch_norm, "bn1");
  EXPECT_EQ(done[0].into, "conv1");
  EXPECT_EQ(done[1].into, "conv2");
  EXPECT_EQ(Count(folded, "BatchNormalization"), 0);
  EXPECT_EQ(folded.graph().node_size(), 3);
  // conv2 got a bias; the BN parameters are gone.
  EXPECT_EQ(folded.graph().node(2).input_size(), 3);
  for (const onnx::TensorProto& t : folded.graph().initializer()) {
    EXPECT_EQ(t.name().find("bn"), std::string::npos) << t.name();
  }

  // Closed form for one weight: W'[c] = W[c] · γ[c] / sqrt(σ²[c] + ε).
  onnx::GraphProto original_graph = m.proto.graph();
  onnx::GraphProto folded_graph = folded.graph();
  const onnx_model::OnnxGraph before(original_graph);
  const onnx_model::OnnxGraph after(folded_graph);
  const golden::Tensor w = before.Value("w1");
  const golden::Tensor gamma = before.Value("bn1_scale");
  const golden::Tensor var = before.Value("bn1_var");
  const golden::Tensor w_folded = after.Value(folded.graph().node(0).input(1));
  const double f2 = gamma.GetDouble(2) / std::sqrt(var.GetDouble(2) + 1e-5);
  EXPECT_FLOAT_EQ(static_cast<float>(w_folded.GetDouble(2 * 27 + 5)),
                  static_cast<float>(w.GetDouble(2 * 27 + 5) * f2));

  for (int trial = 0; trial < 5; ++trial) {
    const std::map<std::string, golden::Tensor> feeds = {
        {"x", Random({1, 3, 6, 6}, rng_, -2.0f, 2.0f)}};
    const golden::Tensor y0 = RunModel(m.proto, feeds).at("y");
    const golden::Tensor y1 = RunModel(folded, feeds).at("y");
    EXPECT_LE(RelativeDifference(y0, y1), 1e-5);
  }
}

TEST_F(FoldTest, GemmBatchNormPreservesOutputs) {
  // x [2, 5] → Gemm(transB = 1, no bias) → BN → y, and a second Gemm (transB = 0, bias [1, 3]).
  for (int trans_b : {1, 0}) {
    SCOPED_TRACE("transB = " + std::to_string(trans_b));
    FloatModel m;
    m.Input("x", {2, 5}).Output("y");
    m.Init("w", Random(trans_b ? golden::Shape{3, 5} : golden::Shape{5, 3}, rng_));
    if (!trans_b) m.Init("b", Random({1, 3}, rng_));
    AddBatchNorm(m, "bn", 3, rng_);
    onnx::NodeProto& gemm = m.Node(
        "Gemm",
        trans_b ? std::vector<std::string>{"x", "w"} : std::vector<std::string>{"x", "w", "b"},
        {"g"}, "fc");
    Attr(gemm, "transB", static_cast<std::int64_t>(trans_b));
    m.Node("BatchNormalization", BnInputs("g", "bn"), {"y"}, "bn");
    onnx::ModelProto folded = m.proto;
    ASSERT_EQ(FoldBatchNorms(folded).size(), 1u);
    EXPECT_EQ(Count(folded, "BatchNormalization"), 0);
    const std::map<std::string, golden::Tensor> feeds = {{"x", Random({2, 5}, rng_)}};
    EXPECT_LE(RelativeDifference(RunModel(m.proto, feeds).at("y"), RunModel(folded, feeds).at("y")),
              1e-5);
  }
}

TEST_F(FoldTest, LeavesWhatCannotBeFolded) {
  // BN on a graph input; BN after a Conv whose output is also a graph output; a Conv weight
  // shared with another Conv is copied, not changed for both.
  FloatModel m;
  m.Input("x", {1, 2, 4, 4}).Output("a").Output("c").Output("d");
  AddBatchNorm(m, "bn0", 2, rng_);
  AddBatchNorm(m, "bn1", 2, rng_);
  AddBatchNorm(m, "bn2", 2, rng_);
  m.Init("w", Random({2, 2, 1, 1}, rng_));
  m.Node("BatchNormalization", BnInputs("x", "bn0"), {"a"}, "bn_input");
  m.Node("Conv", {"x", "w"}, {"c"}, "conv_shared_output");
  m.Node("BatchNormalization", BnInputs("c", "bn1"), {"b"}, "bn_not_folded");
  m.Node("Conv", {"b", "w"}, {"e"}, "conv_shared_weight");
  m.Node("BatchNormalization", BnInputs("e", "bn2"), {"d"}, "bn_folded");
  onnx::ModelProto folded = m.proto;
  const std::vector<FoldedBatchNorm> done = FoldBatchNorms(folded);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].batch_norm, "bn_folded");
  EXPECT_EQ(Count(folded, "BatchNormalization"), 2);
  // The first Conv still reads the original weight "w"; the folded one reads a copy.
  EXPECT_EQ(folded.graph().node(1).input(1), "w");
  EXPECT_NE(folded.graph().node(3).input(1), "w");
  const std::map<std::string, golden::Tensor> feeds = {{"x", Random({1, 2, 4, 4}, rng_)}};
  const auto before = RunModel(m.proto, feeds);
  const auto after = RunModel(folded, feeds);
  for (const char* out : {"a", "c", "d"}) {
    EXPECT_LE(RelativeDifference(before.at(out), after.at(out)), 1e-5) << out;
  }
}

TEST_F(FoldTest, NamesNodesAndLiftsConstants) {
  FloatModel m;
  m.Input("x", {1, 2}).Output("z");
  onnx::NodeProto& c = m.Node("Constant", {}, {"k"});
  onnx::AttributeProto* value = c.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  *value->mutable_t() =
      onnx_model::TensorToProto("", golden::Tensor::FromVector<float>({2}, {1.0f, 2.0f}));
  m.Node("Add", {"x", "k"}, {"y"});
  m.Node("Relu", {"y"}, {"z"}, "y");  // a node already named like the Add's output
  onnx::GraphProto& g = *m.proto.mutable_graph();
  NameNodes(g);
  ConstantsToInitializers(g);
  ASSERT_EQ(g.node_size(), 2);
  EXPECT_EQ(g.node(0).name(), "y_1");
  EXPECT_EQ(g.initializer_size(), 1);
  EXPECT_EQ(g.initializer(0).name(), "k");
}

}  // namespace
}  // namespace qsa::quantizer
