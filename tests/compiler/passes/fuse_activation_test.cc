// fuse-activation: an integer Clip after each op with a requantized output (Conv, MatMul, Add,
// AveragePool, GlobalAveragePool) moves into the op's clamp, intersected with a clamp the op
// already has, bit-exact in every requantization mode; an empty intersection, a producer output
// read elsewhere or a producer output that is a graph output are refused, as is a Clip on an
// int32 accumulator.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

// Builds the producer 'op' writing "p" (quantization declared), then Clip 'act' p → y.
struct Case {
  std::string op;
  std::function<void(Graph&, Rng&)> build;
  std::int64_t clip_min, clip_max;
  std::int64_t want_min, want_max;  // the fused clamp
};

std::vector<float> Scales(Rng& rng, std::size_t n) { return rng.Reals(n, 0.004f, 0.012f); }

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back({"Conv",
                   [](Graph& g, Rng& rng) {
                     AddInput(g, "x", DType::kUInt8, {1, 3, 5, 5}, PerTensor(0.02f, 128));
                     g.AddConstant("w", rng.Values(DType::kInt8, {4, 3, 3, 3}),
                                   {Scales(rng, 4), {0, 0, 0, 0}, 0});
                     g.AddConstant("b", rng.Values(DType::kInt32, {4}, -2000, 2000));
                     Declare(g, "p", DType::kUInt8, PerTensor(0.05f, 100));
                     AddNode(g, "op", "Conv", {"x", "w", "b"}, {"p"},
                             Attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
                   },
                   100, 140, 100, 140});
  cases.push_back({"MatMul",
                   [](Graph& g, Rng& rng) {
                     AddInput(g, "x", DType::kInt8, {3, 8}, PerTensor(0.03f, -5));
                     g.AddConstant("w", rng.Values(DType::kInt8, {8, 6}),
                                   {Scales(rng, 6), std::vector<std::int32_t>(6, 0), 1});
                     Declare(g, "p", DType::kInt8, PerTensor(0.05f, -10));
                     AddNode(g, "op", "MatMul", {"x", "w"}, {"p"});
                   },
                   -10, 50, -10, 50});
  cases.push_back(
      {"Add",
       [](Graph& g, Rng&) {
         AddInput(g, "x", DType::kUInt8, {2, 6}, PerTensor(0.1f, 120));
         AddInput(g, "x2", DType::kUInt8, {2, 6}, PerTensor(0.07f, 90));
         Declare(g, "p", DType::kUInt8, PerTensor(0.08f, 128));
         AddNode(g, "op", "Add", {"x", "x2"}, {"p"}, Attrs({{"clamp_max", std::int64_t{230}}}));
       },
       128, 255, 128, 230});
  cases.push_back({"AveragePool",
                   [](Graph& g, Rng&) {
                     AddInput(g, "x", DType::kInt8, {1, 2, 5, 5}, PerTensor(0.1f, 3));
                     Declare(g, "p", DType::kInt8, PerTensor(0.05f, 0));
                     AddNode(g, "op", "AveragePool", {"x"}, {"p"},
                             Attrs({{"kernel_shape", std::vector<std::int64_t>{3, 3}},
                                    {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}}));
                   },
                   0, 100, 0, 100});
  cases.push_back(
      {"GlobalAveragePool",
       [](Graph& g, Rng&) {
         AddInput(g, "x", DType::kUInt8, {1, 3, 4, 4}, PerTensor(0.1f, 130));
         Declare(g, "p", DType::kUInt8, PerTensor(0.02f, 60));
         AddNode(g, "op", "GlobalAveragePool", {"x"}, {"p"},
                 Attrs({{"clamp_min", std::int64_t{70}}, {"clamp_max", std::int64_t{250}}}));
       },
       60, 120, 70, 120});
  return cases;
}

Graph Build(const Case& c, Rng& rng) {
  Graph g;
  g.name = "fuse_" + c.op;
  c.build(g, rng);
  AddNode(g, "act", "Clip", {"p"}, {"y"}, Attrs({{"min", c.clip_min}, {"max", c.clip_max}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(FuseActivationPassTest, FusesIntoEachRequantizingOp) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.op);
    Rng rng(Seed(31));
    Graph g = Build(c, rng);
    const Graph before = g;
    PassContext ctx;
    ASSERT_TRUE(RunPass(FuseActivation, g, ctx));
    ASSERT_EQ(g.nodes.size(), 1u);
    const golden::Node& op = g.nodes[0];
    EXPECT_EQ(op.op, c.op);
    EXPECT_EQ(op.outputs, std::vector<std::string>{"y"});
    EXPECT_EQ(op.attrs.GetInt("clamp_min"), c.want_min);
    EXPECT_EQ(op.attrs.GetInt("clamp_max"), c.want_max);
    EXPECT_FALSE(g.HasTensor("p"));
    EXPECT_EQ(g.Info("y").quant, before.Info("y").quant);
    EXPECT_TRUE(Logged(ctx, "fuse-activation: Clip 'act' fused into " + c.op + " 'op'"));
    ExpectSameOutputs(before, g, rng, 8);

    // The Clip does clip: where its bound is tighter than the op's own clamp, the op's output
    // before the Clip crosses it.
    const golden::Node& op_before = NodeNamed(before, "op");
    const golden::DType type = before.Info("p").dtype;
    const bool tighter_min =
        c.clip_min > op_before.attrs.GetInt("clamp_min", golden::DTypeMin(type));
    const bool tighter_max =
        c.clip_max < op_before.attrs.GetInt("clamp_max", golden::DTypeMax(type));
    ASSERT_TRUE(tighter_min || tighter_max);
    bool below = false, above = false;
    for (int trial = 0; trial < 8; ++trial) {
      golden::RunOptions options;
      options.keep_intermediates = true;
      const Tensor p = golden::RunGraph(before, RandomFeeds(before, rng), options).at("p");
      for (std::int64_t i = 0; i < p.size(); ++i) {
        below = below || p.GetInt(i) < c.clip_min;
        above = above || p.GetInt(i) > c.clip_max;
      }
    }
    EXPECT_EQ(below, tighter_min);
    EXPECT_EQ(above, tighter_max);
  }
}

TEST(FuseActivationPassTest, RefusesAnEmptyInterval) {
  Case c = Cases().back();  // GlobalAveragePool clamped to [70, 250]
  c.clip_min = 251;
  c.clip_max = 255;
  Rng rng(Seed(32));
  Graph g = Build(c, rng);
  PassContext ctx;
  ExpectRefused(FuseActivation, g, ctx);
  EXPECT_TRUE(Logged(ctx,
                     "Clip 'act' left alone: its range and the clamp of GlobalAveragePool "
                     "'op' do not overlap (251 > 250)"));
}

TEST(FuseActivationPassTest, RefusesAProducerOutputReadElsewhere) {
  Rng rng(Seed(33));
  Graph g = Build(Cases().front(), rng);
  AddNode(g, "other", "Clip", {"p"}, {"y2"}, Attrs({{"max", std::int64_t{200}}}));
  g.outputs.push_back("y2");
  g.Validate();
  PassContext ctx;
  ExpectRefused(FuseActivation, g, ctx);
  EXPECT_TRUE(Logged(ctx, "Clip 'act' left alone: its input 'p' has other consumers"));
  EXPECT_TRUE(Logged(ctx, "Clip 'other' left alone: its input 'p' has other consumers"));
}

TEST(FuseActivationPassTest, RefusesAProducerOutputThatIsAGraphOutput) {
  Rng rng(Seed(34));
  Graph g = Build(Cases()[1], rng);
  g.outputs.push_back("p");
  PassContext ctx;
  ExpectRefused(FuseActivation, g, ctx);
  EXPECT_TRUE(Logged(ctx, "Clip 'act' left alone: its input 'p' is a graph output"));
}

TEST(FuseActivationPassTest, LeavesAClipOnAnInt32Accumulator) {
  Rng rng(Seed(35));
  Graph g;
  g.name = "int32";
  AddInput(g, "x", DType::kInt8, {2, 4}, PerTensor(0.1f, 0));
  g.AddConstant("w", rng.Values(DType::kInt8, {4, 3}), PerTensor(0.01f, 0));
  Declare(g, "p", DType::kInt32);
  AddNode(g, "op", "MatMul", {"x", "w"}, {"p"});
  AddNode(g, "act", "Clip", {"p"}, {"y"}, Attrs({{"min", std::int64_t{0}}}));
  g.outputs = {"y"};
  g.Validate();
  PassContext ctx;
  ExpectRefused(FuseActivation, g, ctx);
}

}  // namespace
}  // namespace qsa::compiler
