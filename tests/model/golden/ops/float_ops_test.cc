// float32 host operators (model/golden/ops/float_ops.cc): Sub, Mul, Div, Min, Max, Relu, Round,
// Cast, ReduceMin, ReduceMax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/op_registry.h"
#include "model/golden/tensor.h"
#include "testkit/op_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::op_test;

constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs op on the given values (inputs named a, b, c, ...).
Tensor RunOp(const std::string& op, const std::vector<Tensor>& values, Attributes attrs = {}) {
  std::vector<TensorInfo> infos;
  std::map<std::string, Tensor> inputs;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string name(1, static_cast<char>('a' + i));
    infos.push_back({name, values[i].dtype(), values[i].shape(), {}});
    inputs[name] = values[i];
  }
  Graph g = OneNode(op, infos, std::move(attrs));
  g.Validate();
  return RunGraph(g, inputs).at("y");
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.Data<float>().begin(), t.Data<float>().end());
}

// Bitwise comparison, so that NaN == NaN and −0 != +0.
void ExpectSameFloats(const Tensor& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), static_cast<std::int64_t>(want.size()));
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float g = got.Data<float>()[i];
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g)) << "element " << i << ": " << g;
    } else {
      EXPECT_EQ(g, want[i]) << "element " << i;
      EXPECT_EQ(std::signbit(g), std::signbit(want[i])) << "element " << i << ": " << g;
    }
  }
}

// ---- Binary ops with broadcasting --------------------------------------------------------------

TEST(FloatOps, SubMulDivBroadcast) {
  // a: [2,3,1] with a[i][j] = 3i + j + 1; b: [4].
  std::vector<float> a_values;
  for (int k = 1; k <= 6; ++k) a_values.push_back(static_cast<float>(k));
  const Tensor a = Tensor::FromVector<float>({2, 3, 1}, a_values);
  const std::vector<float> b_values = {0.5f, -2.0f, 4.0f, 3.0f};
  const Tensor b = Tensor::FromVector<float>({4}, b_values);
  const std::map<std::string, std::function<float(float, float)>> ops = {
      {"Sub", [](float x, float y) { return x - y; }},
      {"Mul", [](float x, float y) { return x * y; }},
      {"Div", [](float x, float y) { return x / y; }}};
  for (const auto& [op, f] : ops) {
    const Tensor y = RunOp(op, {a, b});
    ASSERT_EQ(y.shape(), (Shape{2, 3, 4})) << op;
    for (std::size_t i = 0; i < 2; ++i) {
      for (std::size_t j = 0; j < 3; ++j) {
        for (std::size_t k = 0; k < 4; ++k) {
          EXPECT_EQ(y.Data<float>()[(i * 3 + j) * 4 + k], f(a_values[i * 3 + j], b_values[k]))
              << op << " at " << i << j << k;
        }
      }
    }
  }
  // Scalar on the left; division by zero gives IEEE infinities.
  const Tensor s = Tensor::FromVector<float>({}, {1.0f});
  EXPECT_EQ(Floats(RunOp("Sub", {s, Tensor::FromVector<float>({2}, {0.25f, 3.0f})})),
            (std::vector<float>{0.75f, -2.0f}));
  EXPECT_EQ(Floats(RunOp("Div", {s, Tensor::FromVector<float>({2}, {0.0f, -0.0f})})),
            (std::vector<float>{kInf, -kInf}));
}

TEST(FloatOps, MinMaxVariadicBroadcastAndNaN) {
  const Tensor a = Tensor::FromVector<float>({2, 1}, {1.0f, -5.0f});
  const Tensor b = Tensor::FromVector<float>({3}, {0.0f, 2.0f, -7.0f});
  const Tensor c = Tensor::FromVector<float>({}, {0.5f});
  const Tensor mn = RunOp("Min", {a, b, c});
  const Tensor mx = RunOp("Max", {a, b, c});
  ASSERT_EQ(mn.shape(), (Shape{2, 3}));
  const float av[2] = {1.0f, -5.0f};
  const float bv[3] = {0.0f, 2.0f, -7.0f};
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(mn.Data<float>()[i * 3 + j], std::min({av[i], bv[j], 0.5f}));
      EXPECT_EQ(mx.Data<float>()[i * 3 + j], std::max({av[i], bv[j], 0.5f}));
    }
  }
  // One input: a copy.
  EXPECT_EQ(RunOp("Max", {a}), a);
  // NaN in either position wins, as NumPy's minimum / maximum.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor p = Tensor::FromVector<float>({3}, {nan, 1.0f, 2.0f});
  const Tensor q = Tensor::FromVector<float>({3}, {1.0f, nan, 3.0f});
  ExpectSameFloats(RunOp("Min", {p, q}), {nan, nan, 2.0f});
  ExpectSameFloats(RunOp("Max", {p, q}), {nan, nan, 3.0f});
}

// ---- Unary ops ---------------------------------------------------------------------------------

TEST(FloatOps, Relu) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ExpectSameFloats(
      RunOp("Relu", {Tensor::FromVector<float>({2, 3}, {-2.0f, -0.0f, 0.0f, 3.5f, nan, -kInf})}),
      {0.0f, 0.0f, 0.0f, 3.5f, nan, 0.0f});
}

TEST(FloatOps, RoundTiesToEven) {
  const Tensor x =
      Tensor::FromVector<float>({12}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999998f,
                                       0.49999997f, 1e10f, -3.7f, 8388609.0f, -kInf});
  ExpectSameFloats(RunOp("Round", {x}), {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 2.0f, 0.0f, 1e10f,
                                         -4.0f, 8388609.0f, -kInf});
}

// ---- Cast --------------------------------------------------------------------------------------

Tensor Cast(const Tensor& x, const std::string& to) {
  return RunOp("Cast", {x}, Attrs({{"to", to}}));
}

TEST(FloatOps, CastFloatToIntTruncatesAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::FromVector<float>(
      {10}, {-1.5f, 0.9f, 1.9f, 254.99f, 255.5f, 300.0f, nan, -kInf, kInf, -0.9f});
  EXPECT_EQ(Cast(x, "uint8"),
            Tensor::FromVector<std::uint8_t>({10}, {0, 0, 1, 254, 255, 255, 0, 0, 255, 0}));
  const Tensor s = Tensor::FromVector<float>({6}, {-128.9f, -129.0f, 127.9f, -1.9f, 3e9f, 1.1f});
  EXPECT_EQ(Cast(s, "int8"), Tensor::FromVector<std::int8_t>({6}, {-128, -128, 127, -1, 127, 1}));
  // 2147483520 = 2^31 − 128 is the largest float32 below 2^31.
  const Tensor w =
      Tensor::FromVector<float>({5}, {3e9f, -3e9f, -7.99f, 2147483520.0f, -2147483648.0f});
  EXPECT_EQ(Cast(w, "int32"),
            Tensor::FromVector<std::int32_t>(
                {5}, {2147483647, -2147483647 - 1, -7, 2147483520, -2147483647 - 1}));
  EXPECT_EQ(Cast(x, "float32"), x);
}

TEST(FloatOps, CastBetweenIntegersWrapsAndToFloatRounds) {
  const Tensor i32 = Tensor::FromVector<std::int32_t>({5}, {200, 300, -129, 127, -1});
  EXPECT_EQ(Cast(i32, "int8"), Tensor::FromVector<std::int8_t>({5}, {-56, 44, 127, 127, -1}));
  EXPECT_EQ(Cast(i32, "uint8"), Tensor::FromVector<std::uint8_t>({5}, {200, 44, 127, 127, 255}));
  EXPECT_EQ(Cast(Tensor::FromVector<std::uint8_t>({2}, {200, 127}), "int8"),
            Tensor::FromVector<std::int8_t>({2}, {-56, 127}));
  EXPECT_EQ(Cast(Tensor::FromVector<std::int8_t>({2}, {-1, -128}), "uint8"),
            Tensor::FromVector<std::uint8_t>({2}, {255, 128}));
  EXPECT_EQ(Cast(Tensor::FromVector<std::int8_t>({2}, {-5, 7}), "int32"),
            Tensor::FromVector<std::int32_t>({2}, {-5, 7}));
  // 2^24 + 1 is not a float32: round to nearest even, 2^24.
  EXPECT_EQ(Cast(Tensor::FromVector<std::int32_t>({3}, {16777217, -3, 16777219}), "float32"),
            Tensor::FromVector<float>({3}, {16777216.0f, -3.0f, 16777220.0f}));
}

// ---- ReduceMin / ReduceMax ---------------------------------------------------------------------

TEST(FloatOps, ReduceOverAxes) {
  // x[i][j][k] = (7 · (12i + 4j + k)) mod 24 − 11: every value distinct, no order.
  std::vector<float> v(24);
  for (std::size_t n = 0; n < 24; ++n) v[n] = static_cast<float>((7 * n) % 24) - 11.0f;
  const Tensor x = Tensor::FromVector<float>({2, 3, 4}, v);
  auto at = [&](std::size_t i, std::size_t j, std::size_t k) { return v[(i * 3 + j) * 4 + k]; };

  // axes [1], keepdims: [2,1,4].
  Tensor y = RunOp("ReduceMin", {x}, Attrs({{"axes", std::vector<std::int64_t>{1}}}));
  ASSERT_EQ(y.shape(), (Shape{2, 1, 4}));
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(y.Data<float>()[i * 4 + k], std::min({at(i, 0, k), at(i, 1, k), at(i, 2, k)}));
    }
  }
  // axes [-1, 0], no keepdims: [3].
  y = RunOp("ReduceMax", {x},
            Attrs({{"axes", std::vector<std::int64_t>{-1, 0}}, {"keepdims", std::int64_t{0}}}));
  ASSERT_EQ(y.shape(), (Shape{3}));
  for (std::size_t j = 0; j < 3; ++j) {
    float want = -kInf;
    for (std::size_t i = 0; i < 2; ++i) {
      for (std::size_t k = 0; k < 4; ++k) want = std::max(want, at(i, j, k));
    }
    EXPECT_EQ(y.Data<float>()[j], want);
  }
  // All axes by default.
  y = RunOp("ReduceMin", {x});
  EXPECT_EQ(y, Tensor::FromVector<float>({1, 1, 1}, {-11.0f}));
  y = RunOp("ReduceMax", {x}, Attrs({{"keepdims", std::int64_t{0}}}));
  EXPECT_EQ(y, Tensor::FromVector<float>({}, {12.0f}));
}

TEST(FloatOps, ReduceEmptyAndNaN) {
  // Over an empty set: +inf for the minimum, −inf for the maximum.
  const Tensor e(DType::kFloat32, {2, 0});
  const Attributes axis1 = Attrs({{"axes", std::vector<std::int64_t>{1}}});
  EXPECT_EQ(RunOp("ReduceMin", {e}, axis1), Tensor::FromVector<float>({2, 1}, {kInf, kInf}));
  EXPECT_EQ(RunOp("ReduceMax", {e}, axis1), Tensor::FromVector<float>({2, 1}, {-kInf, -kInf}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ExpectSameFloats(
      RunOp("ReduceMax", {Tensor::FromVector<float>({2, 2}, {1.0f, nan, 3.0f, 4.0f})}, axis1),
      {nan, 4.0f});
}

// ---- Refused -----------------------------------------------------------------------------------

TEST(FloatOps, RefusesBadGraphs) {
  const TensorInfo f23 = Info("a", DType::kFloat32, {2, 3}, {});
  ExpectRefused(OneNode("Sub", {f23, Info("b", DType::kInt8, {2, 3}, {})}),
                "input 'b' is int8; Sub runs on float32 only");
  ExpectRefused(OneNode("Relu", {Info("a", DType::kInt32, {2}, {})}), "runs on float32 only");
  ExpectRefused(OneNode("Mul", {f23, Info("b", DType::kFloat32, {4}, {})}), "do not broadcast");
  ExpectRefused(OneNode("Div", {f23}), "expects 2 inputs");
  ExpectRefused(OneNode("Min", {}), "expects at least 1 inputs");
  ExpectRefused(OneNode("Cast", {f23}, Attrs({{"to", std::string("float16")}})),
                "cannot cast to 'float16'");
  ExpectRefused(OneNode("Cast", {f23}), "missing attribute 'to'");
  ExpectRefused(OneNode("ReduceMin", {f23}, Attrs({{"axes", std::vector<std::int64_t>{0, -2}}})),
                "axis 0 twice");
  ExpectRefused(OneNode("ReduceMax", {f23}, Attrs({{"axes", std::vector<std::int64_t>{2}}})),
                "axis 2 is out of range");
  ExpectRefused(OneNode("ReduceMax", {f23}, Attrs({{"keepdims", std::int64_t{2}}})),
                "keepdims must be 0 or 1");
  Graph declared = OneNode("Sub", {f23, f23});
  declared.tensors["y"] = Info("y", DType::kFloat32, {3, 2}, {});
  ExpectRefused(declared, "declared [3,2]");
}

}  // namespace
}  // namespace qsa::golden
