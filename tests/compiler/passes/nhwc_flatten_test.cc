// nhwc-flatten: Flatten or Reshape of [N, C, H, W] into an integer MatMul becomes Transpose to
// NHWC → Reshape → MatMul with B's rows (columns when transposed) permuted, bit-exact in every
// mode; a flatten of 1×1 images, one whose output is read elsewhere and one into a MatMul with a
// runtime B are left alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/passes/pass.h"
#include "tests/compiler/passes/pass_test_util.h"

namespace qsa::compiler {
namespace {

using namespace pass_test;

constexpr std::int64_t kN = 2, kC = 3, kH = 2, kW = 3, kK = kC * kH * kW, kCols = 5;

// x uint8 [N, C, H, W] → `flatten_op` 'flat' → f [N, C·H·W] → MatMul 'fc' (B int8, per column,
// bias) → y uint8.
Graph FlattenMatMul(Rng& rng, const std::string& flatten_op, bool transpose_b,
                    Shape x_shape = {kN, kC, kH, kW}) {
  const std::int64_t k = x_shape[1] * x_shape[2] * x_shape[3];
  Graph g;
  g.name = "flatten_matmul";
  AddInput(g, "x", DType::kUInt8, x_shape, PerTensor(0.02f, 117));
  g.AddConstant(
      "b", rng.Values(DType::kInt8, transpose_b ? Shape{kCols, k} : Shape{k, kCols}),
      {rng.Reals(kCols, 0.004f, 0.01f), std::vector<std::int32_t>(kCols, 0), transpose_b ? 0 : 1});
  g.AddConstant("bias", rng.Values(DType::kInt32, {kCols}, -1000, 1000));
  Declare(g, "y", DType::kUInt8, PerTensor(0.1f, 128));
  if (flatten_op == "Flatten") {
    AddNode(g, "flat", "Flatten", {"x"}, {"f"}, Attrs({{"axis", std::int64_t{1}}}));
  } else {
    AddNode(g, "flat", "Reshape", {"x"}, {"f"},
            Attrs({{"shape", std::vector<std::int64_t>{0, -1}}}));
  }
  AddNode(g, "fc", "MatMul", {"f", "b", "bias"}, {"y"},
          Attrs({{"transpose_b", std::int64_t{transpose_b ? 1 : 0}}}));
  g.outputs = {"y"};
  g.Validate();
  return g;
}

TEST(NhwcFlattenPassTest, FlattensInNhwcOrder) {
  for (const std::string& op : std::vector<std::string>{"Flatten", "Reshape"}) {
    for (const bool transpose_b : {false, true}) {
      SCOPED_TRACE(op + (transpose_b ? ", transpose_b" : ""));
      Rng rng(Seed(51));
      Graph g = FlattenMatMul(rng, op, transpose_b);
      const Graph before = g;
      PassContext ctx;
      ASSERT_TRUE(RunPass(NhwcFlatten, g, ctx));
      ASSERT_EQ(g.nodes.size(), 3u);
      const golden::Node& t = g.nodes[0];
      EXPECT_EQ(t.op, "Transpose");
      EXPECT_EQ(t.inputs, std::vector<std::string>{"x"});
      EXPECT_EQ(t.attrs.GetInts("perm"), (std::vector<std::int64_t>{0, 2, 3, 1}));
      EXPECT_EQ(g.Info(t.outputs[0]).shape, (Shape{kN, kH, kW, kC}));
      const golden::Node& r = g.nodes[1];
      EXPECT_EQ(r.name, "flat");
      EXPECT_EQ(r.op, "Reshape");
      EXPECT_EQ(r.inputs, t.outputs);
      // A new name: the flattened elements are in another order than the old "f"'s.
      EXPECT_EQ(r.outputs, std::vector<std::string>{"f_nhwc"});
      EXPECT_FALSE(g.HasTensor("f"));
      EXPECT_EQ(r.attrs.GetInts("shape"), (std::vector<std::int64_t>{kN, kK}));
      const golden::Node& fc = g.nodes[2];
      EXPECT_EQ(fc.inputs[0], "f_nhwc");
      ASSERT_NE(fc.inputs[1], "b");
      EXPECT_EQ(g.Info(fc.inputs[1]).quant, before.Info("b").quant);
      // New K index (h·W + w)·C + c holds old K index c·H·W + h·W + w.
      const Tensor& nb = g.Constant(fc.inputs[1]);
      const Tensor& ob = before.Constant("b");
      for (std::int64_t c = 0; c < kC; ++c) {
        for (std::int64_t p = 0; p < kH * kW; ++p) {
          for (std::int64_t n = 0; n < kCols; ++n) {
            const std::int64_t nk = p * kC + c, ok = c * kH * kW + p;
            EXPECT_EQ(transpose_b ? nb.GetInt(n * kK + nk) : nb.GetInt(nk * kCols + n),
                      transpose_b ? ob.GetInt(n * kK + ok) : ob.GetInt(ok * kCols + n));
          }
        }
      }
      EXPECT_TRUE(Logged(ctx, "nhwc-flatten: Flatten 'flat'") ||
                  Logged(ctx, "nhwc-flatten: Reshape 'flat'"));
      ExpectSameOutputs(before, g, rng);
    }
  }
}

TEST(NhwcFlattenPassTest, LeavesOneByOneImages) {
  Rng rng(Seed(52));
  Graph g = FlattenMatMul(rng, "Flatten", false, {1, 16, 1, 1});
  PassContext ctx;
  ExpectRefused(NhwcFlatten, g, ctx);
}

TEST(NhwcFlattenPassTest, RefusesAFlattenReadElsewhere) {
  Rng rng(Seed(53));
  Graph g = FlattenMatMul(rng, "Flatten", false);
  AddNode(g, "other", "Clip", {"f"}, {"y2"}, Attrs({{"min", std::int64_t{117}}}));
  g.outputs.push_back("y2");
  g.Validate();
  PassContext ctx;
  ExpectRefused(NhwcFlatten, g, ctx);
  EXPECT_TRUE(Logged(ctx,
                     "Flatten 'flat' left alone: its output 'f' does not feed exactly one "
                     "node"));
}

TEST(NhwcFlattenPassTest, RefusesARuntimeB) {
  Rng rng(Seed(54));
  Graph g = FlattenMatMul(rng, "Flatten", false);
  g.tensors["b"] = g.Info("b");
  g.constants.erase("b");
  g.inputs.push_back("b");
  g.Validate();
  PassContext ctx;
  ExpectRefused(NhwcFlatten, g, ctx);
  EXPECT_TRUE(Logged(ctx, "input B 'b' of MatMul 'fc' is not constant"));
}

}  // namespace
}  // namespace qsa::compiler
