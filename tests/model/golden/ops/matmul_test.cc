// MatMul: random graphs checked against a float64 re-derivation written here, an exact int64
// accumulator (int32 output) and re-derivations of the four requantization modes; plus refused
// cases. Randomized; seed printed, QSA_TEST_SEED overrides it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/golden/ops/ops.h"
#include "testkit/compute_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::compute_test;

struct MatMulCase {
  std::string label;
  std::int64_t a_batch = 0;  // 0: A is 2-D
  std::int64_t b_batch = 0;  // 0: B is 2-D
  std::int64_t m = 4, k = 9, n = 5;
  bool transpose_b = false;
  DType a_dtype = DType::kUInt8;
  DType b_dtype = DType::kInt8;
  bool per_column = true;
  bool b_zero_points = false;
  bool b_constant = true;  // false: activation × activation
  bool bias = true;
  bool dyadic = false;
  bool relu6 = false;

  std::string Describe() const {
    return label + " a" + std::string(DTypeName(a_dtype)) + " batch " + std::to_string(a_batch) +
           " b" + std::string(DTypeName(b_dtype)) + " batch " + std::to_string(b_batch) + " M" +
           std::to_string(m) + " K" + std::to_string(k) + " N" + std::to_string(n) +
           (transpose_b ? " transB" : "") + (per_column ? " per-column" : " per-tensor") +
           (b_zero_points ? " b-zp" : "") + (b_constant ? "" : " runtime-B") +
           (bias ? " bias" : "") + (dyadic ? " dyadic" : "") + (relu6 ? " relu6" : "");
  }
};

void CheckMatMul(const MatMulCase& mc, Rng& rng, Tally& tally) {
  SCOPED_TRACE(mc.Describe());
  const std::int64_t batch = std::max<std::int64_t>({mc.a_batch, mc.b_batch, 1});
  const bool batched = mc.a_batch > 0 || mc.b_batch > 0;
  Shape a_shape = {mc.m, mc.k};
  if (mc.a_batch > 0) a_shape.insert(a_shape.begin(), mc.a_batch);
  Shape b_shape = mc.transpose_b ? Shape{mc.n, mc.k} : Shape{mc.k, mc.n};
  if (mc.b_batch > 0) b_shape.insert(b_shape.begin(), mc.b_batch);
  const Tensor a = rng.Values(mc.a_dtype, a_shape);
  const Tensor b = rng.Values(mc.b_dtype, b_shape);
  const float s_a = testkit::compute_test::RandomActivationScale(rng, mc.dyadic);
  const std::int32_t za = rng.ZeroPoint(mc.a_dtype);
  const testkit::compute_test::WeightQuant bquant = testkit::compute_test::RandomWeightQuant(
      rng, mc.b_dtype, mc.n, mc.per_column, mc.b_zero_points, mc.dyadic);
  const auto sb_of = [&](std::int64_t n) { return bquant.Scale(n); };
  const auto zb_of = [&](std::int64_t n) { return bquant.ZeroPoint(n); };
  const std::vector<std::int32_t> bias =
      testkit::compute_test::RandomBias(rng, mc.n, mc.bias, 30000);

  // Reference, plain loops.
  std::vector<std::int64_t> acc;
  std::vector<double> real;
  for (std::int64_t s = 0; s < batch; ++s) {
    const std::int64_t sa = mc.a_batch > 1 ? s : 0;  // a batch of 1 broadcasts
    const std::int64_t sb = mc.b_batch > 1 ? s : 0;
    for (std::int64_t i = 0; i < mc.m; ++i) {
      for (std::int64_t n = 0; n < mc.n; ++n) {
        std::int64_t v = bias[static_cast<std::size_t>(n)];
        double r = static_cast<double>(s_a) * static_cast<double>(sb_of(n)) *
                   bias[static_cast<std::size_t>(n)];
        for (std::int64_t k = 0; k < mc.k; ++k) {
          const std::int64_t aq = a.GetInt((sa * mc.m + i) * mc.k + k);
          const std::int64_t bq = mc.transpose_b ? b.GetInt((sb * mc.n + n) * mc.k + k)
                                                 : b.GetInt((sb * mc.k + k) * mc.n + n);
          v += (aq - za) * (bq - zb_of(n));
          r += (static_cast<double>(s_a) * static_cast<double>(aq - za)) *
               (static_cast<double>(sb_of(n)) * static_cast<double>(bq - zb_of(n)));
        }
        acc.push_back(v);
        real.push_back(r);
      }
    }
  }
  const OutQuant yq = testkit::compute_test::ChooseOutput(rng, real, mc.a_dtype, mc.dyadic);
  std::int64_t lo = 0, hi = 0;
  testkit::compute_test::OutputRange(mc.a_dtype, yq, mc.relu6, 50, lo, hi);

  const auto build = [&](DType out_dtype, bool requantized) {
    Graph g;
    AddInput(g, "a", mc.a_dtype, a_shape, PerTensor(s_a, za));
    const int n_axis = static_cast<int>(b_shape.size()) - (mc.transpose_b ? 2 : 1);
    const QuantParams bq = bquant.Params(n_axis);
    if (mc.b_constant) {
      g.AddConstant("b", b, bq);
    } else {
      AddInput(g, "b", mc.b_dtype, b_shape, bq);
    }
    Node node{"mm0", "MatMul", {"a", "b"}, {"y"}, {}, {}};
    if (mc.bias) {
      g.AddConstant("bias", Tensor::FromVector<std::int32_t>({mc.n}, bias));
      node.inputs.push_back("bias");
    }
    if (mc.transpose_b) node.attrs.Set("transpose_b", std::int64_t{1});
    if (requantized && mc.relu6) {
      node.attrs.Set("clamp_min", lo);
      node.attrs.Set("clamp_max", hi);
    }
    g.nodes.push_back(node);
    DeclareOutput(g, "y", out_dtype,
                  requantized ? PerTensor(yq.scale, yq.zero_point) : QuantParams{});
    g.Validate();
    return g;
  };
  std::map<std::string, Tensor> inputs = {{"a", a}};
  if (!mc.b_constant) inputs["b"] = b;
  const Shape out_shape = batched ? Shape{batch, mc.m, mc.n} : Shape{mc.m, mc.n};

  testkit::compute_test::ExpectAccumulator(build(DType::kInt32, false), inputs, out_shape, acc);
  testkit::compute_test::ExpectRequantized(
      build(mc.a_dtype, true), inputs, out_shape, mc.a_dtype, acc, real, s_a, bquant, yq, lo, hi,
      mc.dyadic, [&](std::int64_t i) { return i % mc.n; }, tally);
}

TEST(OpsMatMul, MatchesFloat64ReferenceOnChosenShapes) {
  Rng rng(testkit::compute_test::TestSeed() + 10);
  Tally tally;
  std::vector<MatMulCase> cases;
  MatMulCase base;
  base.label = "2d";
  cases.push_back(base);
  {
    MatMulCase c = base;
    c.label = "3d-batched";
    c.a_batch = 3;
    c.b_batch = 3;
    c.a_dtype = DType::kInt8;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "broadcast-b";
    c.a_batch = 2;
    c.b_zero_points = true;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "broadcast-a";
    c.b_batch = 2;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "batch-of-1-broadcast";
    c.a_batch = 1;
    c.b_batch = 3;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "transpose-b";
    c.transpose_b = true;
    c.b_zero_points = true;
    c.b_dtype = DType::kUInt8;
    cases.push_back(c);
    c.label = "transpose-b-batched-dyadic";
    c.a_batch = 2;
    c.b_batch = 2;
    c.dyadic = true;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;  // activation × activation: both uint8, per-tensor, non-zero zero points
    c.label = "act-x-act";
    c.a_batch = 2;
    c.b_batch = 2;
    c.b_dtype = DType::kUInt8;
    c.per_column = false;
    c.b_zero_points = true;
    c.b_constant = false;
    c.bias = false;
    cases.push_back(c);
    c.label = "act-x-act-dyadic";
    c.dyadic = true;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "relu6-dyadic";
    c.relu6 = true;
    c.dyadic = true;
    cases.push_back(c);
  }
  {
    MatMulCase c = base;
    c.label = "fc-large-k";
    c.m = 2;
    c.k = 300;
    c.n = 10;
    cases.push_back(c);
  }
  for (const MatMulCase& c : cases) CheckMatMul(c, rng, tally);
  tally.Report("OpsMatMul.Chosen");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat64Rne), 0.999);
}

TEST(OpsMatMul, MatchesFloat64ReferenceOnRandomShapes) {
  Rng rng(testkit::compute_test::TestSeed() + 11);
  Tally tally;
  for (int i = 0; i < 60; ++i) {
    MatMulCase c;
    c.label = "random#" + std::to_string(i);
    const int layout = static_cast<int>(rng.Int(0, 3));
    const std::int64_t batch = rng.Int(1, 3);
    c.a_batch = layout == 1 || layout == 3 ? batch : 0;
    c.b_batch = layout == 2 || layout == 3 ? batch : 0;
    c.m = rng.Int(1, 6);
    c.k = rng.Int(1, 40);
    c.n = rng.Int(1, 7);
    c.transpose_b = rng.Chance(0.5);
    c.a_dtype = rng.Chance(0.5) ? DType::kUInt8 : DType::kInt8;
    c.b_dtype = rng.Chance(0.7) ? DType::kInt8 : DType::kUInt8;
    c.per_column = rng.Chance(0.6);
    c.b_zero_points = rng.Chance(0.5);
    c.b_constant = rng.Chance(0.7);
    c.bias = rng.Chance(0.6);
    c.dyadic = rng.Chance(0.4);
    c.relu6 = rng.Chance(0.2);
    CheckMatMul(c, rng, tally);
  }
  tally.Report("OpsMatMul.Random");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat64Rne), 0.999);
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat32Rne), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kTfliteDouble), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kSingleRounding), 0.99);
}

TEST(OpsMatMul, ExplicitRequantMultipliersOverrideScales) {
  // A = [[3, 5]] (za = 1), B = [[2, 0], [0, 4]] (zb = 0): acc = [4, 16]. With explicit
  // multipliers {2^30, −1} (0.25) and {2^30, 0} (0.5) per column and zy = 10:
  // 4 · 0.25 + 10 = 11 and 16 · 0.5 + 10 = 18 in every mode. The scales (absurd on purpose) are
  // ignored; the output may also give its zero point without a scale.
  for (const QuantParams& yq : {PerTensor(0.001f, 10), QuantParams{{}, {10}, -1}}) {
    Graph g;
    AddInput(g, "a", DType::kUInt8, {1, 2}, PerTensor(123.0f, 1));
    g.AddConstant("b", Tensor::FromVector<std::int8_t>({2, 2}, {2, 0, 0, 4}), PerTensor(7.0f, 0));
    Node node{"mm", "MatMul", {"a", "b"}, {"y"}, {}, {{1 << 30, -1}, {1 << 30, 0}}};
    g.nodes.push_back(node);
    DeclareOutput(g, "y", DType::kUInt8, yq);
    g.Validate();
    for (RequantMode mode : kModes) {
      EXPECT_EQ(RunOne(g, {{"a", Tensor::FromVector<std::uint8_t>({1, 2}, {3, 5})}}, mode),
                Tensor::FromVector<std::uint8_t>({1, 2}, {11, 18}))
          << RequantModeName(mode) << (yq.scales.empty() ? " (zero point only)" : "");
    }
  }
}

// ---- Refused cases ------------------------------------------------------------------------------

struct BadMatMul {
  Graph g;
  BadMatMul(Shape a_shape, Shape b_shape) {
    AddInput(g, "a", DType::kUInt8, a_shape, PerTensor(0.1f, 128));
    g.AddConstant("b", Tensor(DType::kInt8, b_shape), PerTensor(0.05f, 0));
    g.nodes.push_back(Node{"bad_mm", "MatMul", {"a", "b"}, {"y"}, {}, {}});
    DeclareOutput(g, "y", DType::kUInt8, PerTensor(0.2f, 0));
  }
  void Refused(const std::string& fragment) { ExpectRefused(ops::kMatMul.infer, g, fragment); }
};

TEST(OpsMatMul, RefusesShapeMismatches) {
  BadMatMul k({3, 4}, {5, 2});
  k.Refused("inner dimensions differ");
  BadMatMul t({3, 4}, {4, 2});
  t.g.nodes[0].attrs.Set("transpose_b", std::int64_t{1});
  t.Refused("(transposed) has K = 2");
  BadMatMul batch({2, 3, 4}, {3, 4, 2});
  batch.Refused("batch sizes differ");
  BadMatMul one({1, 3, 4}, {3, 4, 2});  // a batch of 1 broadcasts
  EXPECT_NO_THROW(ops::kMatMul.infer(one.g.nodes[0], one.g));
  EXPECT_EQ(one.g.Info("y").shape, (Shape{3, 3, 2}));
  BadMatMul rank({2, 2, 3, 4}, {4, 2});
  rank.Refused("MatMul takes rank 2 or 3");
  BadMatMul tb({3, 4}, {4, 2});
  tb.g.nodes[0].attrs.Set("transpose_b", std::int64_t{2});
  tb.Refused("transpose_b must be 0 or 1");
}

TEST(OpsMatMul, RefusesWrongScaleCount) {
  BadMatMul bad({3, 4}, {4, 6});
  bad.g.MutableInfo("b").quant = QuantParams{{0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 1};
  bad.Refused("has 4 scales for 6 output channels");
  BadMatMul axis({3, 4}, {4, 6});  // per-row scales are not per output column
  axis.g.MutableInfo("b").quant = QuantParams{{0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 0};
  axis.Refused("quantized along axis 0; only axis 1");
}

TEST(OpsMatMul, RefusesNonInt32Bias) {
  BadMatMul bad({3, 4}, {4, 6});
  bad.g.AddConstant("bias", Tensor(DType::kFloat32, {6}));
  bad.g.nodes[0].inputs.push_back("bias");
  bad.Refused("bias tensor 'bias' is float32; it must be int32");
}

TEST(OpsMatMul, RefusesOverflowingAccumulator) {
  // Activation × activation, uint8 with zero points 0: K · 255 · 255 > INT32_MAX once
  // K > 33025. K = 40000 gives 2 601 000 000.
  Graph g;
  AddInput(g, "a", DType::kUInt8, {1, 40000}, PerTensor(0.1f, 0));
  AddInput(g, "b", DType::kUInt8, {40000, 1}, PerTensor(0.1f, 0));
  g.nodes.push_back(Node{"big_mm", "MatMul", {"a", "b"}, {"y"}, {}, {}});
  DeclareOutput(g, "y", DType::kInt32);
  ExpectRefused(ops::kMatMul.infer, g,
                "the accumulator of output column 0 can reach 2601000000, beyond int32");
  // Constant B: only the actual weights count. 40000 · 255 · |1 − 0| = 10 200 000 plus the bias.
  Graph h;
  AddInput(h, "a", DType::kUInt8, {1, 40000}, PerTensor(0.1f, 0));
  h.AddConstant("b",
                Tensor::FromVector<std::int8_t>({40000, 1}, std::vector<std::int8_t>(40000, 1)),
                PerTensor(0.1f, 0));
  h.AddConstant("bias", Tensor::FromVector<std::int32_t>({1}, {2147483647 - 10200000}));
  h.nodes.push_back(Node{"big_mm", "MatMul", {"a", "b", "bias"}, {"y"}, {}, {}});
  DeclareOutput(h, "y", DType::kInt32);
  EXPECT_NO_THROW(ops::kMatMul.infer(h.nodes[0], h));
  h.constants["bias"] = Tensor::FromVector<std::int32_t>({1}, {2147483647 - 10199999});
  ExpectRefused(ops::kMatMul.infer, h, "can reach 2147483648");
}

}  // namespace
}  // namespace qsa::golden
