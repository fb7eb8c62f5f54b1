// Add: quantized add with broadcasting checked against a float64 re-derivation written here and
// against re-derivations of each mode's formula (TFLite's rescale on gemmlowp for tflite-double);
// float32 add; explicit multipliers; refused cases. Randomized; seed printed, QSA_TEST_SEED
// overrides it.
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

struct AddCase {
  std::string label;
  Shape a_shape, b_shape;
  DType dtype = DType::kUInt8;
  bool dyadic = false;
  bool relu6 = false;
};

// Flat index into `in` (broadcast to `out`) of flat output element i, computed from coordinates.
std::int64_t SourceIndex(const Shape& in, const Shape& out, std::int64_t i) {
  std::int64_t index = 0, stride = 1;
  const std::size_t offset = out.size() - in.size();
  for (std::size_t d = out.size(); d-- > 0;) {
    const std::int64_t coord = i % out[d];
    i /= out[d];
    if (d < offset) continue;
    const std::int64_t dim = in[d - offset];
    index += (dim == 1 ? 0 : coord) * stride;
    stride *= dim;
  }
  return index;
}

// NumPy broadcasting of two shapes that are known to broadcast.
Shape BroadcastShapesForTest(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t back = out.size() - 1 - i;
    const std::int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    out[back] = std::max(da, db);
  }
  return out;
}

void CheckAdd(const AddCase& ac, const Shape& out_shape, Rng& rng, Tally& tally) {
  SCOPED_TRACE(ac.label + " " + ShapeToString(ac.a_shape) + " + " + ShapeToString(ac.b_shape) +
               " " + std::string(DTypeName(ac.dtype)) + (ac.dyadic ? " dyadic" : ""));
  const Tensor a = rng.Values(ac.dtype, ac.a_shape);
  const Tensor b = rng.Values(ac.dtype, ac.b_shape);
  const float s_a = ac.dyadic ? rng.DyadicScale(6, 10) : rng.Scale(0.005, 0.1);
  // Scales that differ by up to ~8x either way.
  const float s_b = ac.dyadic ? rng.DyadicScale(6, 10) : s_a * rng.Scale(0.125, 8.0);
  const std::int32_t za = rng.ZeroPoint(ac.dtype), zb = rng.ZeroPoint(ac.dtype);
  const std::int64_t count = NumElements(out_shape);
  std::vector<double> real(static_cast<std::size_t>(count));
  std::vector<std::int64_t> da(real.size()), db(real.size());
  for (std::int64_t i = 0; i < count; ++i) {
    const auto k = static_cast<std::size_t>(i);
    da[k] = a.GetInt(SourceIndex(ac.a_shape, out_shape, i)) - za;
    db[k] = b.GetInt(SourceIndex(ac.b_shape, out_shape, i)) - zb;
    real[k] = static_cast<double>(s_a) * static_cast<double>(da[k]) +
              static_cast<double>(s_b) * static_cast<double>(db[k]);
  }
  const OutQuant yq = testkit::compute_test::ChooseOutput(rng, real, ac.dtype, ac.dyadic);
  std::int64_t lo = 0, hi = 0;
  testkit::compute_test::OutputRange(ac.dtype, yq, ac.relu6, 60, lo, hi);

  Graph g;
  AddInput(g, "a", ac.dtype, ac.a_shape, PerTensor(s_a, za));
  AddInput(g, "b", ac.dtype, ac.b_shape, PerTensor(s_b, zb));
  Node node{"add0", "Add", {"a", "b"}, {"y"}, {}, {}};
  if (ac.relu6) {
    node.attrs.Set("clamp_min", lo);
    node.attrs.Set("clamp_max", hi);
  }
  g.nodes.push_back(node);
  DeclareOutput(g, "y", ac.dtype, PerTensor(yq.scale, yq.zero_point));
  g.Validate();
  ASSERT_EQ(g.Info("y").shape, out_shape);

  std::vector<std::int64_t> expected(real.size());
  for (std::size_t i = 0; i < real.size(); ++i) {
    expected[i] = testkit::compute_test::QuantizeReal(real[i] / static_cast<double>(yq.scale),
                                                      yq.zero_point, lo, hi);
  }
  // TFLite's rescale, from its definition.
  const double twice_max = 2.0 * std::max<double>(s_a, s_b);
  const FixedPointMultiplier ma = RefQuantizeMultiplier(s_a / twice_max);
  const FixedPointMultiplier mb = RefQuantizeMultiplier(s_b / twice_max);
  const FixedPointMultiplier my =
      RefQuantizeMultiplier(twice_max / (1048576.0 * static_cast<double>(yq.scale)));
  for (RequantMode mode : kModes) {
    const Tensor y = RunOne(g, {{"a", a}, {"b", b}}, mode);
    std::vector<std::int64_t> formula(real.size());
    for (std::size_t i = 0; i < real.size(); ++i) {
      const auto xa = static_cast<std::int32_t>(da[i] * 1048576);
      const auto xb = static_cast<std::int32_t>(db[i] * 1048576);
      std::int64_t v = 0;
      switch (mode) {
        case RequantMode::kTfliteDouble:
          v = RefTflite(RefTflite(xa, ma) + RefTflite(xb, mb), my) + std::int64_t{yq.zero_point};
          v = std::clamp(v, lo, hi);
          break;
        case RequantMode::kSingleRounding:
          v = RefSingleRounding(RefSingleRounding(xa, ma) + RefSingleRounding(xb, mb), my) +
              std::int64_t{yq.zero_point};
          v = std::clamp(v, lo, hi);
          break;
        case RequantMode::kFloat32Rne: {
          const float pa = (s_a / yq.scale) * static_cast<float>(da[i]);
          const float pb = (s_b / yq.scale) * static_cast<float>(db[i]);
          const float sum = pa + pb;
          const float t = sum + static_cast<float>(yq.zero_point);
          v = static_cast<std::int64_t>(testkit::compute_test::Rne(
              std::clamp(t, static_cast<float>(lo), static_cast<float>(hi))));
          break;
        }
        case RequantMode::kFloat64Rne: {
          const double pa =
              static_cast<double>(s_a) / static_cast<double>(yq.scale) * static_cast<double>(da[i]);
          const double pb =
              static_cast<double>(s_b) / static_cast<double>(yq.scale) * static_cast<double>(db[i]);
          const double sum = pa + pb;
          const double t = sum + static_cast<double>(yq.zero_point);
          v = static_cast<std::int64_t>(testkit::compute_test::Rne(
              std::clamp(t, static_cast<double>(lo), static_cast<double>(hi))));
          break;
        }
      }
      formula[i] = v;
    }
    ExpectValues(y, formula, std::string("formula of ") + std::string(RequantModeName(mode)));
    tally.Compare(mode, y, expected, mode == RequantMode::kFloat64Rne ? 0 : 1, "real reference");
  }
}

TEST(OpsAdd, MatchesFloat64ReferenceWithBroadcasting) {
  Rng rng(testkit::compute_test::TestSeed() + 20);
  Tally tally;
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{4, 1}, {1, 5}}, {{1}, {2, 3}},
      {{1, 8, 1, 1}, {2, 8, 3, 3}}, {{3, 1, 5}, {1, 4, 1}},
  };
  int index = 0;
  for (int round = 0; round < 6; ++round) {
    for (const auto& [sa, sb] : shapes) {
      AddCase c;
      c.label = "case#" + std::to_string(index++);
      c.a_shape = sa;
      c.b_shape = sb;
      c.dtype = rng.Chance(0.5) ? DType::kUInt8 : DType::kInt8;
      c.dyadic = round % 2 == 1;
      c.relu6 = round >= 4;
      CheckAdd(c, BroadcastShapesForTest(sa, sb), rng, tally);
    }
  }
  tally.Report("OpsAdd");
  EXPECT_GE(tally.ExactFraction(RequantMode::kTfliteDouble), 0.98);
  EXPECT_GE(tally.ExactFraction(RequantMode::kSingleRounding), 0.98);
  EXPECT_GE(tally.ExactFraction(RequantMode::kFloat32Rne), 0.99);
}

TEST(OpsAdd, ExplicitMultipliersAndTies) {
  // node.requant = [0.5, 0.25, 2^-20] with left_shift 20: y = 0.5·(a − za) + 0.25·(b − zb) + zy.
  //  a − za = 7, b − zb = −3: 3.5 − 0.75 = 2.75 → 3, + 10 = 13 in every mode.
  //  a − za = 5, b − zb = 0: 2.5 is a tie. Fixed point rounds it away from zero / up (3 + 10 =
  //  13); the float modes add zy first and round 12.5 to even: 12.
  Graph g;
  AddInput(g, "a", DType::kInt8, {2}, PerTensor(1000.0f, -4));
  AddInput(g, "b", DType::kInt8, {2}, PerTensor(1000.0f, 1));
  g.nodes.push_back(Node{
      "add_fixed", "Add", {"a", "b"}, {"y"}, {}, {{1 << 30, 0}, {1 << 30, -1}, {1 << 30, -19}}});
  DeclareOutput(g, "y", DType::kInt8, PerTensor(1.0f, 10));
  g.Validate();
  const std::map<std::string, Tensor> in = {{"a", Tensor::FromVector<std::int8_t>({2}, {3, 1})},
                                            {"b", Tensor::FromVector<std::int8_t>({2}, {-2, 1})}};
  EXPECT_EQ(RunOne(g, in, RequantMode::kTfliteDouble),
            Tensor::FromVector<std::int8_t>({2}, {13, 13}));
  EXPECT_EQ(RunOne(g, in, RequantMode::kSingleRounding),
            Tensor::FromVector<std::int8_t>({2}, {13, 13}));
  EXPECT_EQ(RunOne(g, in, RequantMode::kFloat32Rne),
            Tensor::FromVector<std::int8_t>({2}, {13, 12}));
  EXPECT_EQ(RunOne(g, in, RequantMode::kFloat64Rne),
            Tensor::FromVector<std::int8_t>({2}, {13, 12}));
}

TEST(OpsAdd, SaturatesAndClamps) {
  // Equal scales 1, zero points 0, uint8: 200 + 100 = 300 → 255; with clamp_max 250 → 250.
  Graph g;
  AddInput(g, "a", DType::kUInt8, {2}, PerTensor(1.0f, 0));
  AddInput(g, "b", DType::kUInt8, {2}, PerTensor(1.0f, 0));
  g.nodes.push_back(Node{"sat", "Add", {"a", "b"}, {"y"}, {}, {}});
  DeclareOutput(g, "y", DType::kUInt8, PerTensor(1.0f, 0));
  g.Validate();
  const std::map<std::string, Tensor> in = {{"a", Tensor::FromVector<std::uint8_t>({2}, {200, 20})},
                                            {"b", Tensor::FromVector<std::uint8_t>({2}, {100, 7})}};
  for (RequantMode mode : kModes) {
    EXPECT_EQ(RunOne(g, in, mode), Tensor::FromVector<std::uint8_t>({2}, {255, 27}))
        << RequantModeName(mode);
  }
  g.nodes[0].attrs.Set("clamp_max", std::int64_t{250});
  g.nodes[0].attrs.Set("clamp_min", std::int64_t{30});
  for (RequantMode mode : kModes) {
    EXPECT_EQ(RunOne(g, in, mode), Tensor::FromVector<std::uint8_t>({2}, {250, 30}))
        << RequantModeName(mode);
  }
}

TEST(OpsAdd, Float32IsPlainAddition) {
  Graph g;
  AddInput(g, "a", DType::kFloat32, {2, 1});
  AddInput(g, "b", DType::kFloat32, {3});
  g.nodes.push_back(Node{"fadd", "Add", {"a", "b"}, {"y"}, {}, {}});
  g.outputs = {"y"};
  g.Validate();
  EXPECT_EQ(g.Info("y").shape, (Shape{2, 3}));
  const Tensor y = RunOne(g,
                          {{"a", Tensor::FromVector<float>({2, 1}, {1.5f, -2.0f})},
                           {"b", Tensor::FromVector<float>({3}, {0.25f, 1e-3f, 4.0f})}},
                          RequantMode::kTfliteDouble);
  EXPECT_EQ(y, Tensor::FromVector<float>({2, 3},
                                         {1.75f, 1.5f + 1e-3f, 5.5f, -1.75f, -2.0f + 1e-3f, 2.0f}));
}

// ---- Refused cases ------------------------------------------------------------------------------

Graph AddGraph(DType a, DType b, Shape sa, Shape sb) {
  Graph g;
  AddInput(g, "a", a, sa, a == DType::kFloat32 ? QuantParams{} : PerTensor(0.1f, 0));
  AddInput(g, "b", b, sb, b == DType::kFloat32 ? QuantParams{} : PerTensor(0.2f, 0));
  g.nodes.push_back(Node{"bad_add", "Add", {"a", "b"}, {"y"}, {}, {}});
  DeclareOutput(g, "y", a, a == DType::kFloat32 ? QuantParams{} : PerTensor(0.3f, 0));
  return g;
}

TEST(OpsAdd, RefusesBadInputs) {
  Graph shapes = AddGraph(DType::kUInt8, DType::kUInt8, {2, 3}, {4});
  ExpectRefused(ops::kAdd.infer, shapes, "do not broadcast");
  Graph mixed = AddGraph(DType::kUInt8, DType::kFloat32, {2}, {2});
  ExpectRefused(ops::kAdd.infer, mixed, "Add takes two float32 or two uint8/int8 tensors");
  Graph wide = AddGraph(DType::kInt32, DType::kInt32, {2}, {2});
  ExpectRefused(ops::kAdd.infer, wide, "inputs are int32 and int32");
  Graph no_scale = AddGraph(DType::kUInt8, DType::kUInt8, {2}, {2});
  no_scale.MutableInfo("b").quant = {};
  ExpectRefused(ops::kAdd.infer, no_scale, "tensor 'b' has no scale");
  Graph requant = AddGraph(DType::kUInt8, DType::kUInt8, {2}, {2});
  requant.nodes[0].requant = {{1 << 30, 0}, {1 << 30, 0}};
  ExpectRefused(ops::kAdd.infer, requant, "explicit requant needs 3 entries");
  Graph big = AddGraph(DType::kUInt8, DType::kUInt8, {2}, {2});
  big.nodes[0].requant = {{1 << 30, 1}, {1 << 30, 0}, {1 << 30, 0}};
  ExpectRefused(ops::kAdd.infer, big, "explicit input multipliers must be below 1");
  Graph shift = AddGraph(DType::kUInt8, DType::kUInt8, {2}, {2});
  shift.nodes[0].attrs.Set("left_shift", std::int64_t{24});
  ExpectRefused(ops::kAdd.infer, shift, "left_shift 24 is outside [0, 22]");
  Graph per_axis = AddGraph(DType::kUInt8, DType::kUInt8, {2}, {2});
  per_axis.MutableInfo("a").quant = QuantParams{{0.1f, 0.2f}, {0, 0}, 0};
  ExpectRefused(ops::kAdd.infer, per_axis, "must be quantized per tensor");
}

}  // namespace
}  // namespace qsa::golden
