// MaxPool, AveragePool, GlobalAveragePool: random graphs checked against references written here
// (plain loops; the average pools dequantize and average in float64), re-derivations of each
// requantization mode with M_n = s_x / (s_y · n), and refused cases. Randomized; seed printed,
// QSA_TEST_SEED overrides it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/golden/ops/ops.h"
#include "testkit/compute_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::compute_test;

struct PoolCase {
  std::string label;
  Shape x_shape = {1, 2, 7, 7};
  std::vector<std::int64_t> kernel = {3, 3};
  std::vector<std::int64_t> strides = {1, 1};
  std::vector<std::int64_t> pads = {0, 0, 0, 0};
  std::vector<std::int64_t> dilations = {1, 1};
  bool ceil_mode = false;
  bool count_include_pad = false;
  DType dtype = DType::kUInt8;

  std::string Describe() const {
    return label + " " + std::string(DTypeName(dtype)) + ShapeToString(x_shape) + " kernel " +
           ShapeToString(kernel) + " strides " + ShapeToString(strides) + " pads " +
           ShapeToString(pads) + " dilations " + ShapeToString(dilations) +
           (ceil_mode ? " ceil" : "") + (count_include_pad ? " count_include_pad" : "");
  }
};

// Output size along one axis, from the ONNX formula (ceil mode drops a window that would start
// in the end padding).
std::int64_t PoolOut(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t pb,
                     std::int64_t pe, std::int64_t d, bool ceil_mode) {
  const double v = static_cast<double>(in + pb + pe - d * (k - 1) - 1) / static_cast<double>(s);
  std::int64_t out = static_cast<std::int64_t>(ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) --out;
  return out;
}

// Visits the taps of output (oh, ow): f(ih, iw, inside_input).
template <typename F>
void ForTaps(const PoolCase& pc, std::int64_t oh, std::int64_t ow, F f) {
  const std::int64_t h = pc.x_shape[2], w = pc.x_shape[3];
  for (std::int64_t kh = 0; kh < pc.kernel[0]; ++kh) {
    for (std::int64_t kw = 0; kw < pc.kernel[1]; ++kw) {
      const std::int64_t ih = oh * pc.strides[0] - pc.pads[0] + kh * pc.dilations[0];
      const std::int64_t iw = ow * pc.strides[1] - pc.pads[1] + kw * pc.dilations[1];
      const bool inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
      f(ih, iw, inside);
    }
  }
}

Node PoolNode(const PoolCase& pc, const std::string& op) {
  Node node{"pool0", op, {"x"}, {"y"}, {}, {}};
  node.attrs.Set("kernel_shape", pc.kernel);
  node.attrs.Set("strides", pc.strides);
  node.attrs.Set("pads", pc.pads);
  node.attrs.Set("dilations", pc.dilations);
  node.attrs.Set("ceil_mode", std::int64_t{pc.ceil_mode ? 1 : 0});
  if (op == "AveragePool") {
    node.attrs.Set("count_include_pad", std::int64_t{pc.count_include_pad ? 1 : 0});
  }
  return node;
}

Shape OutShape(const PoolCase& pc) {
  return {pc.x_shape[0], pc.x_shape[1],
          PoolOut(pc.x_shape[2], pc.kernel[0], pc.strides[0], pc.pads[0], pc.pads[2],
                  pc.dilations[0], pc.ceil_mode),
          PoolOut(pc.x_shape[3], pc.kernel[1], pc.strides[1], pc.pads[1], pc.pads[3],
                  pc.dilations[1], pc.ceil_mode)};
}

void CheckMaxPool(const PoolCase& pc, Rng& rng) {
  SCOPED_TRACE(pc.Describe());
  Tensor x(pc.dtype, pc.x_shape);
  if (pc.dtype == DType::kFloat32) {
    auto d = x.Data<float>();
    for (float& v : d) v = static_cast<float>(rng.Real(-100.0, 100.0));
  } else {
    x = rng.Values(pc.dtype, pc.x_shape);
  }
  const QuantParams q =
      pc.dtype == DType::kFloat32 ? QuantParams{} : PerTensor(rng.Scale(0.01, 0.1), 3);
  Graph g;
  AddInput(g, "x", pc.dtype, pc.x_shape, q);
  g.nodes.push_back(PoolNode(pc, "MaxPool"));
  g.outputs = {"y"};
  g.Validate();
  const Shape out_shape = OutShape(pc);
  ASSERT_EQ(g.Info("y").shape, out_shape);
  EXPECT_EQ(g.Info("y").quant, q);
  const Tensor y = RunOne(g, {{"x", x}}, RequantMode::kTfliteDouble);
  ASSERT_EQ(y.dtype(), pc.dtype);
  std::int64_t i = 0;
  for (std::int64_t p = 0; p < pc.x_shape[0] * pc.x_shape[1]; ++p) {
    for (std::int64_t oh = 0; oh < out_shape[2]; ++oh) {
      for (std::int64_t ow = 0; ow < out_shape[3]; ++ow, ++i) {
        double best = -1e300;
        ForTaps(pc, oh, ow, [&](std::int64_t ih, std::int64_t iw, bool inside) {
          if (inside)
            best = std::max(best, x.GetDouble((p * pc.x_shape[2] + ih) * pc.x_shape[3] + iw));
        });
        ASSERT_EQ(y.GetDouble(i), best) << "output " << i;
      }
    }
  }
}

void CheckAveragePool(const PoolCase& pc, bool global, Rng& rng, Tally& tally) {
  SCOPED_TRACE(pc.Describe() + (global ? " (global)" : ""));
  const Tensor x = rng.Values(pc.dtype, pc.x_shape);
  const float s_x = rng.Scale(0.01, 0.1);
  const float s_y = s_x * rng.Scale(0.6, 1.4);
  const std::int32_t zx = rng.ZeroPoint(pc.dtype);
  const std::int32_t zy = rng.ZeroPoint(pc.dtype);
  Graph g;
  AddInput(g, "x", pc.dtype, pc.x_shape, PerTensor(s_x, zx));
  g.nodes.push_back(global ? Node{"gap0", "GlobalAveragePool", {"x"}, {"y"}, {}, {}}
                           : PoolNode(pc, "AveragePool"));
  DeclareOutput(g, "y", pc.dtype, PerTensor(s_y, zy));
  g.Validate();
  const Shape out_shape = global ? Shape{pc.x_shape[0], pc.x_shape[1], 1, 1} : OutShape(pc);
  ASSERT_EQ(g.Info("y").shape, out_shape);

  std::vector<std::int64_t> expected, acc, count;
  for (std::int64_t p = 0; p < pc.x_shape[0] * pc.x_shape[1]; ++p) {
    for (std::int64_t oh = 0; oh < out_shape[2]; ++oh) {
      for (std::int64_t ow = 0; ow < out_shape[3]; ++ow) {
        double sum = 0.0;
        std::int64_t a = 0, n = 0;
        ForTaps(pc, oh, ow, [&](std::int64_t ih, std::int64_t iw, bool inside) {
          if (inside) {
            const std::int64_t q = x.GetInt((p * pc.x_shape[2] + ih) * pc.x_shape[3] + iw);
            sum += static_cast<double>(s_x) * static_cast<double>(q - zx);
            a += q - zx;
          }
          if (inside || pc.count_include_pad) ++n;  // the kernel area with count_include_pad
        });
        const double mean = sum / static_cast<double>(n);
        expected.push_back(testkit::compute_test::QuantizeReal(
            mean / static_cast<double>(s_y), zy, DTypeMin(pc.dtype), DTypeMax(pc.dtype)));
        acc.push_back(a);
        count.push_back(n);
      }
    }
  }
  for (RequantMode mode : kModes) {
    const Tensor y = RunOne(g, {{"x", x}}, mode);
    std::vector<std::int64_t> formula(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) {
      RefRequant r;
      r.m64 = static_cast<double>(s_x) / (static_cast<double>(s_y) * static_cast<double>(count[i]));
      r.m32 = s_x / (s_y * static_cast<float>(count[i]));
      r.fixed = RefQuantizeMultiplier(r.m64);
      r.zp = zy;
      r.lo = DTypeMin(pc.dtype);
      r.hi = DTypeMax(pc.dtype);
      // Fixed-point modes: acc pre-shifted left by L_n, the largest shift (<= 30) keeping
      // max|x − zx| · n · 2^L_n within int32 and the multiplier's shift >= −31.
      std::int64_t a = acc[i];
      if (mode == RequantMode::kTfliteDouble || mode == RequantMode::kSingleRounding) {
        const std::int64_t max_centered =
            std::max<std::int64_t>(DTypeMax(pc.dtype) - zx, zx - DTypeMin(pc.dtype));
        int l = 0;
        while (l < 30 && max_centered * count[i] * (std::int64_t{2} << l) <= 2147483647) ++l;
        l = std::min(l, 31 + r.fixed.shift);
        r.fixed.shift -= l;
        a *= std::int64_t{1} << l;
      }
      formula[i] = r.Apply(mode, static_cast<std::int32_t>(a));
    }
    ExpectValues(y, formula, std::string("formula of ") + std::string(RequantModeName(mode)));
    tally.Compare(mode, y, expected, mode == RequantMode::kFloat64Rne ? 0 : 1, "real reference");
  }
}

PoolCase RandomPool(Rng& rng, int index) {
  PoolCase pc;
  pc.label = "random#" + std::to_string(index);
  pc.kernel = {rng.Int(1, 3), rng.Int(1, 3)};
  pc.strides = {rng.Int(1, 3), rng.Int(1, 3)};
  pc.dilations = {rng.Int(1, 2), rng.Int(1, 2)};
  // Pads smaller than the kernel extent so that no window is all padding.
  pc.pads = {rng.Int(0, pc.kernel[0] - 1), rng.Int(0, pc.kernel[1] - 1),
             rng.Int(0, pc.kernel[0] - 1), rng.Int(0, pc.kernel[1] - 1)};
  if (pc.dilations[0] > 1) pc.pads[0] = pc.pads[2] = 0;
  if (pc.dilations[1] > 1) pc.pads[1] = pc.pads[3] = 0;
  pc.x_shape = {rng.Int(1, 2), rng.Int(1, 3), rng.Int(5, 9), rng.Int(5, 9)};
  pc.ceil_mode = rng.Chance(0.5);
  pc.count_include_pad = rng.Chance(0.5);
  pc.dtype = rng.Chance(0.5) ? DType::kUInt8 : DType::kInt8;
  return pc;
}

TEST(OpsPool, MaxPoolChosenAndRandom) {
  Rng rng(testkit::compute_test::TestSeed() + 30);
  PoolCase pad;
  pad.label = "pads";
  pad.pads = {1, 1, 1, 1};
  pad.dtype = DType::kInt8;
  CheckMaxPool(pad, rng);
  PoolCase ceil;
  ceil.label = "ceil";
  ceil.x_shape = {1, 3, 6, 7};
  ceil.kernel = {3, 2};
  ceil.strides = {2, 2};
  ceil.pads = {0, 1, 1, 0};
  ceil.ceil_mode = true;
  CheckMaxPool(ceil, rng);
  PoolCase fl = ceil;
  fl.label = "float";
  fl.dtype = DType::kFloat32;
  CheckMaxPool(fl, rng);
  PoolCase dil;
  dil.label = "dilation";
  dil.x_shape = {2, 1, 9, 8};
  dil.dilations = {2, 3};
  dil.kernel = {2, 2};
  CheckMaxPool(dil, rng);
  for (int i = 0; i < 40; ++i) {
    PoolCase pc = RandomPool(rng, i);
    if (rng.Chance(0.25)) pc.dtype = DType::kFloat32;
    CheckMaxPool(pc, rng);
  }
}

TEST(OpsPool, CeilModeDropsWindowStartingInEndPadding) {
  // in 5, kernel 2, stride 2, no pads: (5 − 1 − 1) / 2 = 1.5 → floor 2, ceil 3 (the third window
  // starts at 4 < 5: kept).
  EXPECT_EQ(PoolOut(5, 2, 2, 0, 0, 1, false), 2);
  EXPECT_EQ(PoolOut(5, 2, 2, 0, 0, 1, true), 3);
  // in 4, kernel 2, stride 2, end pad 1: (4 + 1 − 1 − 1) / 2 = 1.5 → ceil 3, but the third
  // window would start at 4, inside the end padding: dropped, 2.
  EXPECT_EQ(PoolOut(4, 2, 2, 0, 1, 1, true), 2);
  Graph g;
  AddInput(g, "x", DType::kUInt8, {1, 1, 4, 5}, PerTensor(0.1f, 0));
  Node node{"mp", "MaxPool", {"x"}, {"y"}, {}, {}};
  node.attrs.Set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attrs.Set("strides", std::vector<std::int64_t>{2, 2});
  node.attrs.Set("pads", std::vector<std::int64_t>{0, 0, 1, 0});
  node.attrs.Set("ceil_mode", std::int64_t{1});
  g.nodes.push_back(node);
  g.outputs = {"y"};
  g.Validate();
  EXPECT_EQ(g.Info("y").shape, (Shape{1, 1, 2, 3}));
}

TEST(OpsPool, AveragePoolMatchesFloat64Reference) {
  Rng rng(testkit::compute_test::TestSeed() + 31);
  Tally tally;
  PoolCase base;
  base.label = "pads-include";
  base.pads = {1, 1, 1, 1};
  base.count_include_pad = true;
  CheckAveragePool(base, false, rng, tally);
  base.label = "pads-exclude";
  base.count_include_pad = false;
  base.dtype = DType::kInt8;
  CheckAveragePool(base, false, rng, tally);
  PoolCase ceil;
  ceil.label = "ceil-stride2";
  ceil.x_shape = {2, 3, 8, 7};
  ceil.strides = {2, 2};
  ceil.pads = {0, 1, 1, 1};
  ceil.ceil_mode = true;
  ceil.count_include_pad = true;
  CheckAveragePool(ceil, false, rng, tally);
  ceil.count_include_pad = false;
  CheckAveragePool(ceil, false, rng, tally);
  PoolCase overhang;  // the last window covers input 8, padding 9 and 10 beyond the padding
  overhang.label = "ceil-overhang";
  overhang.x_shape = {1, 2, 9, 9};
  overhang.strides = {2, 2};
  overhang.pads = {0, 0, 1, 1};
  overhang.ceil_mode = true;
  overhang.count_include_pad = true;  // divides by 9 there too
  CheckAveragePool(overhang, false, rng, tally);
  overhang.count_include_pad = false;
  CheckAveragePool(overhang, false, rng, tally);
  for (int i = 0; i < 40; ++i) CheckAveragePool(RandomPool(rng, i), false, rng, tally);
  tally.Report("OpsPool.AveragePool");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat32Rne), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kTfliteDouble), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kSingleRounding), 0.99);
}

TEST(OpsPool, GlobalAveragePoolMatchesFloat64Reference) {
  Rng rng(testkit::compute_test::TestSeed() + 32);
  Tally tally;
  for (int i = 0; i < 20; ++i) {
    PoolCase pc;
    pc.label = "global#" + std::to_string(i);
    pc.x_shape = {rng.Int(1, 2), rng.Int(1, 8), rng.Int(1, 9), rng.Int(1, 9)};
    pc.kernel = {pc.x_shape[2], pc.x_shape[3]};
    pc.dtype = rng.Chance(0.5) ? DType::kUInt8 : DType::kInt8;
    CheckAveragePool(pc, true, rng, tally);
  }
  tally.Report("OpsPool.GlobalAveragePool");
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat32Rne), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kTfliteDouble), 0.99);
  EXPECT_GE(tally.ExactFraction(RequantMode::kSingleRounding), 0.99);
}

TEST(OpsPool, AveragePoolClampAndAllPaddingWindows) {
  // 1×1×1×1 input, kernel 3×3, pads 1: with count_include_pad the one window averages x − zx =
  // 9 over n = 9 → 1, times s_x / s_y = 1, + zy 5 = 6; without it n = 1 → 9 + 5 = 14, clamped
  // to clamp_max 12.
  Graph g;
  AddInput(g, "x", DType::kUInt8, {1, 1, 1, 1}, PerTensor(0.5f, 1));
  Node node{"ap", "AveragePool", {"x"}, {"y"}, {}, {}};
  node.attrs.Set("kernel_shape", std::vector<std::int64_t>{3, 3});
  node.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  node.attrs.Set("count_include_pad", std::int64_t{1});
  g.nodes.push_back(node);
  DeclareOutput(g, "y", DType::kUInt8, PerTensor(0.5f, 5));
  g.Validate();
  const std::map<std::string, Tensor> in = {
      {"x", Tensor::FromVector<std::uint8_t>({1, 1, 1, 1}, {10})}};
  for (RequantMode mode : kModes) {
    EXPECT_EQ(RunOne(g, in, mode).GetInt(0), 6) << RequantModeName(mode);
  }
  g.nodes[0].attrs.Set("count_include_pad", std::int64_t{0});
  g.nodes[0].attrs.Set("clamp_max", std::int64_t{12});
  g.Validate();
  for (RequantMode mode : kModes) {
    EXPECT_EQ(RunOne(g, in, mode).GetInt(0), 12) << RequantModeName(mode);
  }
}

TEST(OpsPool, FloatAveragePools) {
  Graph g;
  AddInput(g, "x", DType::kFloat32, {1, 1, 2, 3});
  Node node{"ap", "AveragePool", {"x"}, {"y"}, {}, {}};
  node.attrs.Set("kernel_shape", std::vector<std::int64_t>{2, 2});
  node.attrs.Set("pads", std::vector<std::int64_t>{0, 0, 0, 1});
  g.nodes.push_back(node);
  g.nodes.push_back(Node{"gap", "GlobalAveragePool", {"x"}, {"z"}, {}, {}});
  g.outputs = {"y", "z"};
  g.Validate();
  const Tensor x = Tensor::FromVector<float>({1, 1, 2, 3}, {1, 2, 3, 4, 5, 7});
  const auto out = RunGraph(g, {{"x", x}});
  // Windows: {1,2,4,5} → 3, {2,3,5,7} → 4.25, {3,7} (pad excluded) → 5.
  EXPECT_EQ(out.at("y"), Tensor::FromVector<float>({1, 1, 1, 3}, {3.0f, 4.25f, 5.0f}));
  EXPECT_EQ(out.at("z"), Tensor::FromVector<float>({1, 1, 1, 1}, {22.0f / 6.0f}));
}

// ---- Refused cases ------------------------------------------------------------------------------

Graph PoolGraph(const std::string& op, DType dtype, Shape shape) {
  Graph g;
  AddInput(g, "x", dtype, shape, dtype == DType::kFloat32 ? QuantParams{} : PerTensor(0.1f, 0));
  Node node{"bad_pool", op, {"x"}, {"y"}, {}, {}};
  if (op != "GlobalAveragePool") node.attrs.Set("kernel_shape", std::vector<std::int64_t>{2, 2});
  g.nodes.push_back(node);
  g.outputs = {"y"};
  return g;
}

TEST(OpsPool, RefusesBadAttributesAndInputs) {
  Graph no_kernel = PoolGraph("MaxPool", DType::kUInt8, {1, 1, 4, 4});
  no_kernel.nodes[0].attrs.Erase("kernel_shape");
  ExpectRefused(ops::kMaxPool.infer, no_kernel, "attribute kernel_shape is required");
  Graph ceil = PoolGraph("AveragePool", DType::kUInt8, {1, 1, 4, 4});
  ceil.nodes[0].attrs.Set("ceil_mode", std::int64_t{2});
  ExpectRefused(ops::kAveragePool.infer, ceil, "ceil_mode must be 0 or 1");
  Graph cip = PoolGraph("AveragePool", DType::kUInt8, {1, 1, 4, 4});
  cip.nodes[0].attrs.Set("count_include_pad", std::int64_t{3});
  ExpectRefused(ops::kAveragePool.infer, cip, "count_include_pad must be 0 or 1");
  Graph wide = PoolGraph("MaxPool", DType::kInt32, {1, 1, 4, 4});
  ExpectRefused(ops::kMaxPool.infer, wide, "pools take uint8, int8 or float32");
  Graph rank = PoolGraph("GlobalAveragePool", DType::kUInt8, {1, 4, 4});
  ExpectRefused(ops::kGlobalAveragePool.infer, rank, "pools take N,C,H,W");
  Graph quant = PoolGraph("MaxPool", DType::kUInt8, {1, 1, 4, 4});
  quant.tensors["y"] = testkit::compute_test::MakeInfo("y", DType::kUInt8, {}, PerTensor(0.2f, 0));
  ExpectRefused(ops::kMaxPool.infer, quant, "declares quantization different from input 'x'");
}

TEST(OpsPool, RefusesWindowsOfOnlyPadding) {
  // H = 2, kernel 2 with dilation 3 and pads 1: taps at −1 and 2, both outside the input.
  Graph g = PoolGraph("MaxPool", DType::kUInt8, {1, 1, 2, 4});
  g.nodes[0].attrs.Set("dilations", std::vector<std::int64_t>{3, 1});
  g.nodes[0].attrs.Set("pads", std::vector<std::int64_t>{1, 0, 1, 0});
  ExpectRefused(ops::kMaxPool.infer, g, "the window of output row 0 covers only padding");
  Graph a = PoolGraph("AveragePool", DType::kUInt8, {1, 1, 2, 4});
  a.nodes[0].attrs = g.nodes[0].attrs;
  ExpectRefused(ops::kAveragePool.infer, a, "covers only padding");
  a.nodes[0].attrs.Set("count_include_pad", std::int64_t{1});
  EXPECT_NO_THROW(ops::kAveragePool.infer(a.nodes[0], a));
}

TEST(OpsPool, RefusesOverflowingWindowSum) {
  // 3000 · 3000 = 9 000 000 values of |x − zx| ≤ 255: 2 295 000 000 > INT32_MAX.
  Graph g = PoolGraph("GlobalAveragePool", DType::kUInt8, {1, 1, 3000, 3000});
  ExpectRefused(ops::kGlobalAveragePool.infer, g,
                "the window sum of 9000000 values can reach 2295000000");
}

}  // namespace
}  // namespace qsa::golden
