// Outlier channels and SmoothQuant (compiler/quantize_smooth.h): the float function is unchanged
// by the migration (golden engine before and after, ≤ 1e-5 relative), the weights and the
// activation maxima change as the closed form says, X / s goes into the producing Gemm when it
// can and into an inserted Mul otherwise.
#include "compiler/quantizer/smooth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "compiler/quantizer/plan.h"
#include "testkit/op_test.h"
#include "tests/compiler/quantizer/quantize_test_util.h"

namespace qsa::quantizer {
namespace {

using golden::Tensor;
using testkit::op_test::TestSeed;
using namespace quantize_test;

class SmoothTest : public ::testing::Test {
 protected:
  void SetUp() override { rng_.seed(TestSeed(11)); }

  // x [4, 6] → Gemm fc1 (W1 [6, 8], b1) → Relu → h [4, 8] → Gemm fc2 (W2 [8, 3], b2) → y, with
  // the columns 2 and 5 of W1 (and b1) scaled by 20: outlier channels 2 and 5 in h.
  FloatModel Mlp() {
    FloatModel m;
    m.Input("x", {4, 6}).Output("y");
    golden::Tensor w1 = Random({6, 8}, rng_);
    golden::Tensor b1 = Random({8}, rng_, 0.0f, 0.5f);
    for (std::int64_t r = 0; r < 6; ++r) {
      for (std::int64_t c : {2, 5}) w1.Data<float>()[static_cast<std::size_t>(r * 8 + c)] *= 20.0f;
    }
    for (std::size_t c : {2u, 5u}) b1.Data<float>()[c] *= 20.0f;
    m.Init("w1", w1).Init("b1", b1).Init("w2", Random({8, 3}, rng_)).Init("b2", Random({3}, rng_));
    m.Node("Gemm", {"x", "w1", "b1"}, {"g1"}, "fc1");
    m.Node("Relu", {"g1"}, {"h"}, "relu");
    m.Node("Gemm", {"h", "w2", "b2"}, {"y"}, "fc2");
    return m;
  }

  // Per-channel max |h| over `runs` random inputs.
  std::vector<float> ChannelMax(const onnx::ModelProto& model, const std::string& tensor,
                                const std::vector<golden::Tensor>& inputs) {
    const GoldenRunner runner(model, 1, "test");
    std::vector<float> absmax;
    for (const golden::Tensor& x : inputs) {
      const golden::Tensor h = runner.Run({{"x", x}}, true).at(tensor);
      const std::int64_t c = h.shape().back();
      absmax.resize(static_cast<std::size_t>(c), 0.0f);
      for (std::int64_t i = 0; i < h.size(); ++i) {
        float& m = absmax[static_cast<std::size_t>(i % c)];
        m = std::max(m, std::fabs(h.Data<float>()[static_cast<std::size_t>(i)]));
      }
    }
    return absmax;
  }

  std::mt19937 rng_;
};

TEST_F(SmoothTest, FindsOutlierChannels) {
  const ChannelOutliers o = FindOutliers("fc2", "h", {1.0f, 2.0f, 40.0f, 0.5f, 7.0f}, 6.0f);
  EXPECT_EQ(o.channels, 5);
  EXPECT_EQ(o.max_absmax, 40.0f);
  EXPECT_EQ(o.median_absmax, 2.0f);
  ASSERT_EQ(o.outliers.size(), 2u);
  EXPECT_EQ(o.outliers[0].index, 2);
  EXPECT_EQ(o.outliers[1].index, 4);
  EXPECT_EQ(o.outliers[1].absmax, 7.0f);
}

TEST_F(SmoothTest, MigratesIntoTheProducingGemm) {
  FloatModel m = Mlp();
  std::vector<golden::Tensor> inputs;
  for (int i = 0; i < 8; ++i) inputs.push_back(Random({4, 6}, rng_));
  const std::vector<float> absmax = ChannelMax(m.proto, "h", inputs);
  EXPECT_GT(absmax[2], 5.0f * absmax[0]);

  const GoldenRunner before(m.proto, 1, "test");
  onnx::GraphProto& graph = *m.proto.mutable_graph();
  const QuantPlan plan = PlanQuantization(onnx_model::OnnxGraph(graph), before.graph().tensors);
  const LayerPlan* fc2 = plan.Find("fc2");
  ASSERT_NE(fc2, nullptr);
  const golden::Tensor w2 = onnx_model::OnnxGraph(graph).Value("w2");

  onnx::ModelProto smoothed = m.proto;
  const double alpha = 0.5;
  const SmoothedLayer s = SmoothLayer(smoothed, *fc2, absmax, alpha, before.graph().tensors);
  EXPECT_EQ(s.migrated_into, "fc1");
  EXPECT_FALSE(s.inserted_mul);
  EXPECT_EQ(smoothed.graph().node_size(), 3);

  // W2'[j, :] = s_j · W2[j, :] with s_j = a_j^α / max_k |W2[j, k]|^(1 − α).
  onnx::GraphProto smoothed_graph = smoothed.graph();
  const onnx_model::OnnxGraph after(smoothed_graph);
  const golden::Tensor w2s = after.Value(smoothed.graph().node(2).input(1));
  for (std::int64_t j = 0; j < 8; ++j) {
    double wmax = 0.0;
    for (std::int64_t k = 0; k < 3; ++k) wmax = std::max(wmax, std::fabs(w2.GetDouble(j * 3 + k)));
    const double sj =
        std::pow(absmax[static_cast<std::size_t>(j)], alpha) / std::pow(wmax, 1 - alpha);
    for (std::int64_t k = 0; k < 3; ++k) {
      EXPECT_NEAR(w2s.GetDouble(j * 3 + k), w2.GetDouble(j * 3 + k) * sj, 1e-5 * std::fabs(sj))
          << j << "," << k;
    }
  }
  // The float function is unchanged.
  for (const golden::Tensor& x : inputs) {
    EXPECT_LE(RelativeDifference(RunModel(m.proto, {{"x", x}}).at("y"),
                                 RunModel(smoothed, {{"x", x}}).at("y")),
              1e-5);
  }
  // And the activation's channel maxima are evened out: a_j / s_j = (a_j · max|W_j|)^(1 − α).
  const std::vector<float> after_max = ChannelMax(smoothed, "h", inputs);
  const auto spread = [](const std::vector<float>& v) {
    return *std::max_element(v.begin(), v.end()) / *std::min_element(v.begin(), v.end());
  };
  EXPECT_LT(spread(after_max), 0.5f * spread(absmax));
}

TEST_F(SmoothTest, InsertsAMulWhenTheInputComesFromTheGraph) {
  // Smoothing fc1, whose input is the graph input x: a Mul by 1/s goes before it.
  FloatModel m = Mlp();
  std::vector<golden::Tensor> inputs;
  for (int i = 0; i < 4; ++i) inputs.push_back(Random({4, 6}, rng_, -3.0f, 3.0f));
  const std::vector<float> absmax = ChannelMax(m.proto, "x", inputs);
  const GoldenRunner before(m.proto, 1, "test");
  const QuantPlan plan =
      PlanQuantization(onnx_model::OnnxGraph(*m.proto.mutable_graph()), before.graph().tensors);
  onnx::ModelProto smoothed = m.proto;
  const SmoothedLayer s =
      SmoothLayer(smoothed, *plan.Find("fc1"), absmax, 0.8, before.graph().tensors);
  EXPECT_TRUE(s.inserted_mul);
  ASSERT_EQ(smoothed.graph().node_size(), 4);
  EXPECT_EQ(smoothed.graph().node(0).op_type(), "Mul");
  EXPECT_EQ(smoothed.graph().node(1).input(0), smoothed.graph().node(0).output(0));
  for (const golden::Tensor& x : inputs) {
    EXPECT_LE(RelativeDifference(RunModel(m.proto, {{"x", x}}).at("y"),
                                 RunModel(smoothed, {{"x", x}}).at("y")),
              1e-5);
  }
}

TEST_F(SmoothTest, RefusesOtherLayersAndBadStrengths) {
  FloatModel m = Mlp();
  const GoldenRunner before(m.proto, 1, "test");
  const QuantPlan plan =
      PlanQuantization(onnx_model::OnnxGraph(*m.proto.mutable_graph()), before.graph().tensors);
  LayerPlan relu_like = *plan.Find("fc2");
  relu_like.kind = LayerKind::kCompute;
  EXPECT_THROW(
      SmoothLayer(m.proto, relu_like, std::vector<float>(8, 1.0f), 0.5, before.graph().tensors),
      Error);
  EXPECT_THROW(SmoothLayer(m.proto, *plan.Find("fc2"), std::vector<float>(8, 1.0f), 1.5,
                           before.graph().tensors),
               Error);
  EXPECT_THROW(SmoothLayer(m.proto, *plan.Find("fc2"), std::vector<float>(7, 1.0f), 0.5,
                           before.graph().tensors),
               Error);
}

}  // namespace
}  // namespace qsa::quantizer
