// Conv: random graphs checked against a float64 re-derivation written here (dequantize, convolve
// in double with plain loops, quantize), against an exact int64 accumulator (int32 output), and
// against independent re-derivations of the four requantization modes; plus refused cases.
// Randomized; seed printed, QSA_TEST_SEED overrides it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/golden/ops/ops.h"
#include "testkit/compute_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::compute_test;

struct ConvCase {
  std::string label;
  std::int64_t n = 1, c = 3, h = 7, w = 7, m = 5, kh = 3, kw = 3, group = 1;
  std::vector<std::int64_t> strides = {1, 1};
  std::vector<std::int64_t> pads = {0, 0, 0, 0};  // top, left, bottom, right
  std::vector<std::int64_t> dilations = {1, 1};
  DType x_dtype = DType::kUInt8;
  DType w_dtype = DType::kInt8;
  bool per_channel = true;
  bool weight_zero_points = false;  // non-zero weight zero points
  bool bias = true;
  bool dyadic = false;  // exactly representable scales: float64-rne must equal the reference
  bool relu6 = false;   // fused clamp [zy, zy + q(6-like bound)]
  bool weight_constant = true;

  std::string Describe() const {
    return label + " x" + std::string(DTypeName(x_dtype)) + "[" + std::to_string(n) + "," +
           std::to_string(c) + "," + std::to_string(h) + "," + std::to_string(w) + "] w" +
           std::string(DTypeName(w_dtype)) + "[" + std::to_string(m) + "," +
           std::to_string(c / group) + "," + std::to_string(kh) + "," + std::to_string(kw) +
           "] group " + std::to_string(group) + " strides " + ShapeToString(strides) + " pads " +
           ShapeToString(pads) + " dilations " + ShapeToString(dilations) +
           (per_channel ? " per-channel" : " per-tensor") + (weight_zero_points ? " w-zp" : "") +
           (bias ? " bias" : "") + (dyadic ? " dyadic" : "") + (relu6 ? " relu6" : "");
  }
};

std::int64_t OutSize(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pb,
                     std::int64_t pe, std::int64_t d) {
  return (in + pb + pe - d * (k - 1) - 1) / s + 1;
}

void CheckConv(const ConvCase& cc, Rng& rng, Tally& tally) {
  SCOPED_TRACE(cc.Describe());
  const std::int64_t cg = cc.c / cc.group, mg = cc.m / cc.group;
  const std::int64_t oh_n =
      OutSize(cc.h, cc.kh, cc.strides[0], cc.pads[0], cc.pads[2], cc.dilations[0]);
  const std::int64_t ow_n =
      OutSize(cc.w, cc.kw, cc.strides[1], cc.pads[1], cc.pads[3], cc.dilations[1]);
  ASSERT_GE(oh_n, 1);
  ASSERT_GE(ow_n, 1);

  // Inputs and their quantization.
  const Tensor x = rng.Values(cc.x_dtype, {cc.n, cc.c, cc.h, cc.w});
  const Tensor w = rng.Values(cc.w_dtype, {cc.m, cg, cc.kh, cc.kw});
  const float s_x = testkit::compute_test::RandomActivationScale(rng, cc.dyadic);
  const std::int32_t zx = rng.ZeroPoint(cc.x_dtype);
  const testkit::compute_test::WeightQuant wquant = testkit::compute_test::RandomWeightQuant(
      rng, cc.w_dtype, cc.m, cc.per_channel, cc.weight_zero_points, cc.dyadic);
  const auto sw_of = [&](std::int64_t m) { return wquant.Scale(m); };
  const auto zw_of = [&](std::int64_t m) { return wquant.ZeroPoint(m); };
  const std::vector<std::int32_t> bias =
      testkit::compute_test::RandomBias(rng, cc.m, cc.bias, 40000);

  // Reference: exact accumulator (int64) and real value (double), plain loops.
  const std::int64_t out_count = cc.n * cc.m * oh_n * ow_n;
  std::vector<std::int64_t> acc(static_cast<std::size_t>(out_count));
  std::vector<double> real(static_cast<std::size_t>(out_count));
  std::size_t o = 0;
  for (std::int64_t n = 0; n < cc.n; ++n) {
    for (std::int64_t m = 0; m < cc.m; ++m) {
      const std::int64_t g = m / mg;
      for (std::int64_t oh = 0; oh < oh_n; ++oh) {
        for (std::int64_t ow = 0; ow < ow_n; ++ow) {
          std::int64_t a = bias[static_cast<std::size_t>(m)];
          double r = static_cast<double>(s_x) * static_cast<double>(sw_of(m)) *
                     bias[static_cast<std::size_t>(m)];
          for (std::int64_t c = 0; c < cg; ++c) {
            for (std::int64_t kh = 0; kh < cc.kh; ++kh) {
              for (std::int64_t kw = 0; kw < cc.kw; ++kw) {
                const std::int64_t ih = oh * cc.strides[0] - cc.pads[0] + kh * cc.dilations[0];
                const std::int64_t iw = ow * cc.strides[1] - cc.pads[1] + kw * cc.dilations[1];
                if (ih < 0 || ih >= cc.h || iw < 0 || iw >= cc.w) continue;  // real 0
                const std::int64_t xq = x.GetInt(((n * cc.c + g * cg + c) * cc.h + ih) * cc.w + iw);
                const std::int64_t wq = w.GetInt(((m * cg + c) * cc.kh + kh) * cc.kw + kw);
                a += (xq - zx) * (wq - zw_of(m));
                const double xr = static_cast<double>(s_x) * static_cast<double>(xq - zx);
                const double wr =
                    static_cast<double>(sw_of(m)) * static_cast<double>(wq - zw_of(m));
                r += xr * wr;
              }
            }
          }
          acc[o] = a;
          real[o] = r;
          ++o;
        }
      }
    }
  }

  const OutQuant yq = testkit::compute_test::ChooseOutput(rng, real, cc.x_dtype, cc.dyadic);
  std::int64_t lo = 0, hi = 0;
  testkit::compute_test::OutputRange(cc.x_dtype, yq, cc.relu6, 40, lo, hi);

  // Graph.
  const auto build = [&](DType out_dtype, bool requantized) {
    Graph g;
    g.name = "conv";
    AddInput(g, "x", cc.x_dtype, x.shape(), PerTensor(s_x, zx));
    const QuantParams wq = wquant.Params(0);
    if (cc.weight_constant) {
      g.AddConstant("w", w, wq);
    } else {
      AddInput(g, "w", cc.w_dtype, w.shape(), wq);
    }
    Node node;
    node.name = "conv0";
    node.op = "Conv";
    node.inputs = {"x", "w"};
    if (cc.bias) {
      g.AddConstant("b", Tensor::FromVector<std::int32_t>({cc.m}, bias));
      node.inputs.push_back("b");
    }
    node.outputs = {"y"};
    node.attrs.Set("strides", cc.strides);
    node.attrs.Set("pads", cc.pads);
    node.attrs.Set("dilations", cc.dilations);
    node.attrs.Set("group", cc.group);
    if (requantized && cc.relu6) {
      node.attrs.Set("clamp_min", lo);
      node.attrs.Set("clamp_max", hi);
    }
    g.nodes.push_back(node);
    DeclareOutput(g, "y", out_dtype,
                  requantized ? PerTensor(yq.scale, yq.zero_point) : QuantParams{});
    g.Validate();
    return g;
  };
  std::map<std::string, Tensor> inputs = {{"x", x}};
  if (!cc.weight_constant) inputs["w"] = w;

  const Shape out_shape = {cc.n, cc.m, oh_n, ow_n};
  // int32 output: the accumulator itself.
  testkit::compute_test::ExpectAccumulator(build(DType::kInt32, false), inputs, out_shape, acc);
  // Requantized output.
  const std::int64_t plane = oh_n * ow_n;
  testkit::compute_test::ExpectRequantized(
      build(cc.x_dtype, true), inputs, out_shape, cc.x_dtype, acc, real, s_x, wquant, yq, lo, hi,
      cc.dyadic, [&](std::int64_t i) { return (i / plane) % cc.m; }, tally);
}

ConvCase RandomCase(Rng& rng, int index) {
  ConvCase cc;
  cc.label = "random#" + std::to_string(index);
  cc.group = rng.Pick<std::int64_t>({1, 1, 2, 3});
  cc.c = cc.group * rng.Int(1, 4);
  cc.m = cc.group * rng.Int(1, 4);
  if (rng.Chance(0.2)) {  // depthwise
    cc.group = cc.c;
    cc.m = cc.c;
  }
  cc.n = rng.Int(1, 2);
  cc.kh = rng.Int(1, 3);
  cc.kw = rng.Int(1, 3);
  cc.strides = {rng.Int(1, 2), rng.Int(1, 2)};
  cc.dilations = {rng.Int(1, 2), rng.Int(1, 2)};
  cc.pads = {rng.Int(0, 2), rng.Int(0, 2), rng.Int(0, 2), rng.Int(0, 2)};
  cc.h = std::max<std::int64_t>(rng.Int(3, 9), cc.dilations[0] * (cc.kh - 1) + 1);
  cc.w = std::max<std::int64_t>(rng.Int(3, 9), cc.dilations[1] * (cc.kw - 1) + 1);
  cc.x_dtype = rng.Chance(0.5) ? DType::kUInt8 : DType::kInt8;
  cc.w_dtype = rng.Chance(0.8) ? DType::kInt8 : DType::kUInt8;
  cc.per_channel = rng.Chance(0.7);
  cc.weight_zero_points = rng.Chance(0.5);
  cc.bias = rng.Chance(0.7);
  cc.dyadic = rng.Chance(0.4);
  cc.relu6 = rng.Chance(0.2);
  return cc;
}

TEST(OpsConv, MatchesFloat64ReferenceOnChosenShapes) {
  Rng rng(testkit::compute_test::TestSeed());
  Tally tally;
  std::vector<ConvCase> cases;
  {
    ConvCase c;  // odd channel counts, uint8 activations, per-channel int8 weights, bias
    c.label = "odd-channels";
    c.c = 3;
    c.m = 5;
    cases.push_back(c);
    c.label = "odd-channels-dyadic";
    c.dyadic = true;
    cases.push_back(c);
  }
  {
    ConvCase c;  // stride 2, asymmetric pads, int8 activations
    c.label = "stride2-asym-pads";
    c.x_dtype = DType::kInt8;
    c.h = 9;
    c.w = 8;
    c.strides = {2, 2};
    c.pads = {1, 0, 2, 1};
    cases.push_back(c);
    c.dyadic = true;
    c.label = "stride2-asym-pads-dyadic";
    cases.push_back(c);
  }
  {
    ConvCase c;  // dilation 2
    c.label = "dilation2";
    c.h = 9;
    c.w = 10;
    c.dilations = {2, 2};
    c.pads = {2, 2, 2, 2};
    cases.push_back(c);
  }
  {
    ConvCase c;  // two groups, non-zero weight zero points, uint8 weights
    c.label = "groups2-wzp";
    c.c = 6;
    c.m = 4;
    c.group = 2;
    c.w_dtype = DType::kUInt8;
    c.weight_zero_points = true;
    cases.push_back(c);
    c.dyadic = true;
    c.label = "groups2-wzp-dyadic";
    cases.push_back(c);
  }
  {
    ConvCase c;  // depthwise 3x3, stride 2, pads 1, per-channel scales and zero points
    c.label = "depthwise";
    c.c = 7;
    c.m = 7;
    c.group = 7;
    c.h = 8;
    c.w = 8;
    c.strides = {2, 2};
    c.pads = {1, 1, 1, 1};
    c.weight_zero_points = true;
    cases.push_back(c);
  }
  {
    ConvCase c;  // per-tensor weights without bias, batch 2
    c.label = "per-tensor-nobias";
    c.n = 2;
    c.per_channel = false;
    c.bias = false;
    cases.push_back(c);
  }
  {
    ConvCase c;  // fused ReLU6-style clamp
    c.label = "relu6";
    c.relu6 = true;
    cases.push_back(c);
  }
  {
    ConvCase c;  // weight given at run time (not a constant)
    c.label = "runtime-weight";
    c.weight_constant = false;
    c.weight_zero_points = true;
    cases.push_back(c);
  }
  for (const ConvCase& c : cases) CheckConv(c, rng, tally);
  tally.Report("OpsConv.Chosen");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat64Rne), 0.999);
}

TEST(OpsConv, MatchesFloat64ReferenceOnRandomShapes) {
  Rng rng(testkit::compute_test::TestSeed() + 1);
  Tally tally;
  for (int i = 0; i < 40; ++i) CheckConv(RandomCase(rng, i), rng, tally);
  tally.Report("OpsConv.Random");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat64Rne), 0.999);
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat32Rne), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kTfliteDouble), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kSingleRounding), 0.99);
}

TEST(OpsConv, InfersShapeAndDefaults) {
  Graph g;
  AddInput(g, "x", DType::kInt8, {1, 2, 5, 6}, PerTensor(0.1f, 0));
  g.AddConstant("w", Tensor(DType::kInt8, {4, 2, 3, 2}), PerTensor(0.1f, 0));
  Node node{"c", "Conv", {"x", "w"}, {"y"}, {}, {}};
  node.attrs.Set("strides", std::vector<std::int64_t>{2, 1});
  node.attrs.Set("pads", std::vector<std::int64_t>{1, 0, 0, 1});
  node.attrs.Set("output_dtype", std::string("int32"));
  g.nodes.push_back(node);
  g.outputs = {"y"};
  g.Validate();
  // H: floor((5 + 1 + 0 − 2 − 1) / 2) + 1 = 2; W: floor((6 + 0 + 1 − 1 − 1) / 1) + 1 = 6.
  EXPECT_EQ(g.Info("y").dtype, DType::kInt32);
  EXPECT_EQ(g.Info("y").shape, (Shape{1, 4, 2, 6}));
}

TEST(OpsConv, PaddingContributesNothingWithNonZeroZeroPoints) {
  // 1×1×1×1 input x = zx + 1 = 101, 3×3 kernel all (w − zw) = 2, pads 1: the one output is
  // (101 − 100) · 2 = 2 (the eight padded taps read zx and add 0).
  Graph g;
  AddInput(g, "x", DType::kUInt8, {1, 1, 1, 1}, PerTensor(0.5f, 100));
  g.AddConstant("w", Tensor::FromVector<std::int8_t>({1, 1, 3, 3}, std::vector<std::int8_t>(9, 5)),
                PerTensor(0.25f, 3));
  Node node{"c", "Conv", {"x", "w"}, {"y"}, {}, {}};
  node.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(node);
  DeclareOutput(g, "y", DType::kInt32);
  g.Validate();
  const Tensor y = RunOne(g, {{"x", Tensor::FromVector<std::uint8_t>({1, 1, 1, 1}, {101})}},
                          RequantMode::kTfliteDouble);
  EXPECT_EQ(y, Tensor::FromVector<std::int32_t>({1, 1, 1, 1}, {2}));
}

TEST(OpsConv, ConvIntegerWithZeroPointsOnly) {
  // ONNX ConvInteger: zero points without scales, per output channel on the weight, int32 out.
  // x − zx = [12 − 10, 7 − 10] = [2, −3]; channel 0: w − 1 = [2, 0] → 4; channel 1:
  // w + 2 = [2, 4] → 2·2 − 3·4 = −8.
  Graph g;
  AddInput(g, "x", DType::kUInt8, {1, 1, 1, 2}, QuantParams{{}, {10}, -1});
  g.AddConstant("w", Tensor::FromVector<std::int8_t>({2, 1, 1, 2}, {3, 1, 0, 2}),
                QuantParams{{}, {1, -2}, 0});
  g.nodes.push_back(Node{"ci", "Conv", {"x", "w"}, {"y"}, {}, {}});
  DeclareOutput(g, "y", DType::kInt32);
  g.Validate();
  EXPECT_EQ(RunOne(g, {{"x", Tensor::FromVector<std::uint8_t>({1, 1, 1, 2}, {12, 7})}},
                   RequantMode::kTfliteDouble),
            Tensor::FromVector<std::int32_t>({1, 2, 1, 1}, {4, -8}));
  // Requantizing such a weight needs a scale (or explicit multipliers).
  g.tensors["y"] = testkit::compute_test::MakeInfo("y", DType::kUInt8, {}, PerTensor(0.5f, 0));
  ExpectRefused(ops::kConv.infer, g, "has no scale");
}

// ---- Refused cases ------------------------------------------------------------------------------

struct BadConv {
  Graph g;
  BadConv(Shape x_shape, Shape w_shape, std::int64_t group) {
    AddInput(g, "x", DType::kUInt8, x_shape, PerTensor(0.1f, 128));
    g.AddConstant("w", Tensor(DType::kInt8, w_shape), PerTensor(0.05f, 0));
    Node node{"bad_conv", "Conv", {"x", "w"}, {"y"}, {}, {}};
    node.attrs.Set("group", group);
    g.nodes.push_back(node);
    DeclareOutput(g, "y", DType::kUInt8, PerTensor(0.2f, 0));
  }
  void Refused(const std::string& fragment) { ExpectRefused(ops::kConv.infer, g, fragment); }
};

TEST(OpsConv, RefusesChannelMismatch) {
  BadConv bad({1, 4, 5, 5}, {8, 3, 3, 3}, 1);
  bad.Refused("has 3 input channels per group but input tensor 'x' has 4 channels");
}

TEST(OpsConv, RefusesBadGroup) {
  BadConv bad_in({1, 4, 5, 5}, {6, 1, 3, 3}, 3);
  bad_in.Refused("group 3 does not divide the 4 input channels");
  BadConv bad_out({1, 4, 5, 5}, {6, 2, 3, 3}, 2);
  EXPECT_NO_THROW(ops::kConv.infer(bad_out.g.nodes[0], bad_out.g));
  BadConv bad_m({1, 4, 5, 5}, {5, 2, 3, 3}, 2);
  bad_m.Refused("group 2 does not divide the 5 output channels");
  BadConv zero({1, 4, 5, 5}, {4, 4, 3, 3}, 0);
  zero.Refused("group must be >= 1");
}

TEST(OpsConv, RefusesBadWindowAttributes) {
  BadConv stride({1, 2, 5, 5}, {2, 2, 3, 3}, 1);
  stride.g.nodes[0].attrs.Set("strides", std::vector<std::int64_t>{0, 1});
  stride.Refused("strides must be >= 1");
  BadConv pads({1, 2, 5, 5}, {2, 2, 3, 3}, 1);
  pads.g.nodes[0].attrs.Set("pads", std::vector<std::int64_t>{0, -1, 0, 0});
  pads.Refused("pads must be non-negative");
  BadConv big({1, 2, 2, 5}, {2, 2, 3, 3}, 1);
  big.Refused("exceeds that of the padded input");
  BadConv kshape({1, 2, 5, 5}, {2, 2, 3, 3}, 1);
  kshape.g.nodes[0].attrs.Set("kernel_shape", std::vector<std::int64_t>{3, 2});
  kshape.Refused("kernel_shape [3,2] disagrees");
  BadConv autopad({1, 2, 5, 5}, {2, 2, 3, 3}, 1);
  autopad.g.nodes[0].attrs.Set("auto_pad", std::string("SAME_UPPER"));
  autopad.Refused("auto_pad 'SAME_UPPER' is not supported");
}

TEST(OpsConv, RefusesOverflowingAccumulator) {
  // K = 1·260·260 = 67600 taps of max |x − zx| = 255 (zx = 0) times |w − zw| = 128 (w = −128):
  // 255 · 128 · 67600 = 2 206 464 000 > INT32_MAX.
  Graph g;
  AddInput(g, "x", DType::kUInt8, {1, 1, 260, 260}, PerTensor(0.1f, 0));
  g.AddConstant(
      "w",
      Tensor::FromVector<std::int8_t>({1, 1, 260, 260}, std::vector<std::int8_t>(260 * 260, -128)),
      PerTensor(0.01f, 0));
  g.nodes.push_back(Node{"huge_conv", "Conv", {"x", "w"}, {"y"}, {}, {}});
  DeclareOutput(g, "y", DType::kInt32);
  ExpectRefused(ops::kConv.infer, g, "the accumulator of output channel 0 can reach 2206464000");
  // The same weights at −64 give 255 · 64 · 67600 = 1 103 232 000: accepted.
  g.constants["w"] =
      Tensor::FromVector<std::int8_t>({1, 1, 260, 260}, std::vector<std::int8_t>(260 * 260, -64));
  EXPECT_NO_THROW(ops::kConv.infer(g.nodes[0], g));
  // A weight that is not constant is bounded by its dtype: 67600 · 255 · 128.
  Graph h;
  AddInput(h, "x", DType::kUInt8, {1, 1, 260, 260}, PerTensor(0.1f, 0));
  AddInput(h, "w", DType::kInt8, {1, 1, 260, 260}, PerTensor(0.01f, 0));
  h.nodes.push_back(Node{"huge_conv", "Conv", {"x", "w"}, {"y"}, {}, {}});
  DeclareOutput(h, "y", DType::kInt32);
  ExpectRefused(ops::kConv.infer, h, "can reach 2206464000, beyond int32");
}

TEST(OpsConv, RefusesWrongScaleCount) {
  BadConv bad({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  bad.g.MutableInfo("w").quant = QuantParams{{0.1f, 0.2f, 0.3f}, {0, 0, 0}, 0};
  bad.Refused("has 3 scales for 4 output channels");
  BadConv axis({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  axis.g.MutableInfo("w").quant = QuantParams{{0.1f, 0.2f}, {0, 0}, 1};
  axis.Refused("quantized along axis 1");
}

TEST(OpsConv, RefusesNonInt32Bias) {
  BadConv bad({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  bad.g.AddConstant("b", Tensor(DType::kInt8, {4}));
  bad.g.nodes[0].inputs.push_back("b");
  bad.Refused("bias tensor 'b' is int8; it must be int32");
  BadConv shape({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  shape.g.AddConstant("b", Tensor(DType::kInt32, {3}));
  shape.g.nodes[0].inputs.push_back("b");
  shape.Refused("has shape [3], expected [4]");
}

TEST(OpsConv, RefusesBadDtypesAndMissingScales) {
  BadConv fl({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  fl.g.MutableInfo("x").dtype = DType::kFloat32;
  fl.Refused("is float32; Conv takes uint8 or int8");
  BadConv out({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  out.g.MutableInfo("y").quant = {};
  out.Refused("has no scale");
  BadConv odt({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  odt.g.nodes[0].attrs.Set("output_dtype", std::string("int32"));
  odt.Refused("contradicts output 'y' declared uint8");
  BadConv zp({1, 2, 5, 5}, {4, 2, 3, 3}, 1);
  zp.g.MutableInfo("w").quant = PerTensor(0.1f, 200);
  zp.Refused("has zero point 200, outside int8");
}

}  // namespace
}  // namespace qsa::golden
