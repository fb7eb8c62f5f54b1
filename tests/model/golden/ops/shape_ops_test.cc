// Layout operators (model/golden/ops/shape_ops.cc): Identity, Reshape, Flatten, Transpose, Concat.
// Concat requantization is re-derived in float64; the random transpose/concat test prints its seed
// (QSA_TEST_SEED overrides the default).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/op_registry.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "testkit/op_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::op_test;

// Validates and runs a one-output graph.
Tensor RunOne(Graph& g, const std::map<std::string, Tensor>& inputs,
              RequantMode mode = RequantMode::kTfliteDouble) {
  g.Validate();
  RunOptions options;
  options.mode = mode;
  return RunGraph(g, inputs, options).at(g.outputs.at(0));
}

template <typename T>
std::vector<T> Iota(std::int64_t n, std::int64_t start = 0) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<T>(start + static_cast<std::int64_t>(i));
  return v;
}

// ---- Identity ----------------------------------------------------------------------------------

TEST(LayoutOps, IdentityCopiesValueAndQuant) {
  Graph g = OneNode("Identity", {Info("x", DType::kUInt8, {2, 3}, PerTensor(0.5f, 7))}, {"y"});
  const Tensor x = Tensor::FromVector<std::uint8_t>({2, 3}, {0, 1, 7, 128, 254, 255});
  EXPECT_EQ(RunOne(g, {{"x", x}}), x);
  EXPECT_EQ(g.Info("y").quant, PerTensor(0.5f, 7));
}

TEST(LayoutOps, IdentityRefusesOtherDeclaredQuant) {
  Graph g = OneNode("Identity", {Info("x", DType::kUInt8, {2}, PerTensor(0.5f, 7))}, {"y"});
  g.tensors["y"] = Info("y", DType::kUInt8, {2}, PerTensor(0.5f, 8));
  ExpectRefused(g, "does not change quantization parameters");
  Graph two =
      OneNode("Identity", {Info("a", DType::kInt8, {2}), Info("b", DType::kInt8, {2})}, {"y"});
  ExpectRefused(two, "expects 1 inputs");
}

// ---- Reshape -----------------------------------------------------------------------------------

TEST(LayoutOps, ReshapeCopiesZeroAndInfersMinusOne) {
  const std::vector<std::int8_t> data = Iota<std::int8_t>(24, -12);
  const Tensor x = Tensor::FromVector<std::int8_t>({2, 3, 4}, data);
  struct Case {
    std::vector<std::int64_t> spec;
    Shape want;
  };
  for (const Case& c : std::vector<Case>{{{0, -1}, {2, 12}},
                                         {{-1, 0, 2}, {4, 3, 2}},
                                         {{0, 0, 0}, {2, 3, 4}},
                                         {{24}, {24}},
                                         {{-1}, {24}},
                                         {{1, -1, 1, 6}, {1, 4, 1, 6}}}) {
    Graph g = OneNode("Reshape", {Info("x", DType::kInt8, {2, 3, 4}, PerTensor(0.25f, -3))}, {"y"},
                      Attrs({{"shape", c.spec}}));
    const Tensor y = RunOne(g, {{"x", x}});
    EXPECT_EQ(y.shape(), c.want) << ShapeToString(c.spec);
    EXPECT_EQ(std::vector<std::int8_t>(y.Data<std::int8_t>().begin(), y.Data<std::int8_t>().end()),
              data);
    EXPECT_EQ(g.Info("y").quant, PerTensor(0.25f, -3));
  }
}

TEST(LayoutOps, ReshapeAllowZeroKeepsLiteralZero) {
  Graph g =
      OneNode("Reshape", {Info("x", DType::kFloat32, {0, 3})}, {"y"},
              Attrs({{"shape", std::vector<std::int64_t>{3, 0}}, {"allowzero", std::int64_t{1}}}));
  const Tensor y = RunOne(g, {{"x", Tensor(DType::kFloat32, {0, 3})}});
  EXPECT_EQ(y.shape(), (Shape{3, 0}));
  // Without allowzero the 0 copies the input's dimension 1 (3): 3·3 != 0 elements.
  ExpectRefused(OneNode("Reshape", {Info("x", DType::kFloat32, {0, 3})}, {"y"},
                        Attrs({{"shape", std::vector<std::int64_t>{3, 0}}})),
                "cannot reshape");
}

TEST(LayoutOps, ReshapeRemapsPerAxisQuant) {
  const QuantParams q{{0.5f, 0.25f, 0.125f, 1.0f}, {0, 1, 2, 3}, 1};
  Graph g = OneNode("Reshape", {Info("w", DType::kInt8, {1, 4, 2, 2}, q)}, {"y"},
                    Attrs({{"shape", std::vector<std::int64_t>{4, 4}}}));
  g.Validate();
  QuantParams want = q;
  want.axis = 0;
  EXPECT_EQ(g.Info("y").quant, want);
  // [1,4,2,2] → [2,8] splits the channels across rows: refused.
  ExpectRefused(OneNode("Reshape", {Info("w", DType::kInt8, {1, 4, 2, 2}, q)}, {"y"},
                        Attrs({{"shape", std::vector<std::int64_t>{2, 8}}})),
                "does not survive");
}

TEST(LayoutOps, ReshapeRefusesBadShapes) {
  const std::vector<TensorInfo> in = {Info("x", DType::kUInt8, {2, 3, 4})};
  auto with = [&](std::vector<std::int64_t> spec) {
    return OneNode("Reshape", in, {"y"}, Attrs({{"shape", std::move(spec)}}));
  };
  ExpectRefused(with({-1, -1}), "more than one -1");
  ExpectRefused(with({5, 5}), "cannot reshape");
  ExpectRefused(with({-1, 5}), "cannot infer the -1");
  ExpectRefused(with({-2, 12}), "invalid dimension -2");
  ExpectRefused(with({2, 3, 2, 0}), "copies dimension 3");
  ExpectRefused(OneNode("Reshape", in, {"y"}), "missing attribute 'shape'");
  ExpectRefused(
      OneNode("Reshape", in, {"y"},
              Attrs({{"shape", std::vector<std::int64_t>{0, -1}}, {"allowzero", std::int64_t{1}}})),
      "both -1 and 0");
  Graph declared = with({4, 6});
  declared.tensors["y"] = Info("y", DType::kUInt8, {6, 4}, {});
  ExpectRefused(declared, "declared [6,4]");
}

// ---- Flatten -----------------------------------------------------------------------------------

TEST(LayoutOps, FlattenAtEveryAxis) {
  const Shape shape = {2, 3, 4, 5};
  const std::vector<float> data = Iota<float>(120);
  const Tensor x = Tensor::FromVector<float>(shape, data);
  for (std::int64_t axis = -4; axis <= 4; ++axis) {
    const std::int64_t a = axis < 0 ? axis + 4 : axis;
    std::int64_t rows = 1;
    for (std::int64_t d = 0; d < a; ++d) rows *= shape[static_cast<std::size_t>(d)];
    Graph g =
        OneNode("Flatten", {Info("x", DType::kFloat32, shape)}, {"y"}, Attrs({{"axis", axis}}));
    const Tensor y = RunOne(g, {{"x", x}});
    EXPECT_EQ(y.shape(), (Shape{rows, 120 / rows})) << "axis " << axis;
    EXPECT_EQ(std::vector<float>(y.Data<float>().begin(), y.Data<float>().end()), data);
  }
  Graph by_default = OneNode("Flatten", {Info("x", DType::kFloat32, shape)}, {"y"});
  EXPECT_EQ(RunOne(by_default, {{"x", x}}).shape(), (Shape{2, 60}));
}

TEST(LayoutOps, FlattenKeepsChannelQuantAndRefusesBadAxis) {
  const QuantParams q{{0.5f, 0.25f, 0.125f}, {0, 0, 0}, 0};
  Graph g = OneNode("Flatten", {Info("w", DType::kInt8, {3, 1, 1, 1}, q)}, {"y"});
  g.Validate();
  EXPECT_EQ(g.Info("y").shape, (Shape{3, 1}));
  EXPECT_EQ(g.Info("y").quant, q);
  for (std::int64_t axis : {5, -5}) {
    ExpectRefused(OneNode("Flatten", {Info("x", DType::kFloat32, {2, 3, 4, 5})}, {"y"},
                          Attrs({{"axis", axis}})),
                  "out of range");
  }
}

// ---- Transpose ---------------------------------------------------------------------------------

TEST(LayoutOps, TransposeNchwToNhwcWithPerAxisQuant) {
  const std::int64_t n = 2, c = 3, h = 4, w = 5;
  const Tensor x =
      Tensor::FromVector<std::int32_t>({n, c, h, w}, Iota<std::int32_t>(n * c * h * w, -50));
  const QuantParams q{{0.5f, 0.25f, 0.125f}, {1, 2, 3}, 1};
  Graph g = OneNode("Transpose", {Info("x", DType::kInt32, {n, c, h, w}, q)}, {"y"},
                    Attrs({{"perm", std::vector<std::int64_t>{0, 2, 3, 1}}}));
  const Tensor y = RunOne(g, {{"x", x}});
  ASSERT_EQ(y.shape(), (Shape{n, h, w, c}));
  for (std::int64_t in = 0; in < n; ++in) {
    for (std::int64_t ic = 0; ic < c; ++ic) {
      for (std::int64_t ih = 0; ih < h; ++ih) {
        for (std::int64_t iw = 0; iw < w; ++iw) {
          const std::int64_t from = ((in * c + ic) * h + ih) * w + iw;
          const std::int64_t to = ((in * h + ih) * w + iw) * c + ic;
          ASSERT_EQ(y.GetInt(to), x.GetInt(from)) << in << ic << ih << iw;
        }
      }
    }
  }
  QuantParams want = q;
  want.axis = 3;  // the channel dimension moved to the end
  EXPECT_EQ(g.Info("y").quant, want);
}

TEST(LayoutOps, TransposeDefaultReversesAndRoundTrips) {
  const Tensor x = Tensor::FromVector<float>({2, 3, 4}, Iota<float>(24));
  Graph g = OneNode("Transpose", {Info("x", DType::kFloat32, {2, 3, 4})}, {"y"});
  const Tensor y = RunOne(g, {{"x", x}});
  ASSERT_EQ(y.shape(), (Shape{4, 3, 2}));
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 3; ++j) {
      for (std::int64_t k = 0; k < 4; ++k) {
        EXPECT_EQ(y.GetDouble((k * 3 + j) * 2 + i), x.GetDouble((i * 3 + j) * 4 + k));
      }
    }
  }
  // A permutation followed by its inverse is the identity, on uint8 too.
  const Tensor u = Tensor::FromVector<std::uint8_t>({2, 3, 4, 1}, Iota<std::uint8_t>(24, 100));
  Graph fwd = OneNode("Transpose", {Info("u", DType::kUInt8, {2, 3, 4, 1})}, {"t"},
                      Attrs({{"perm", std::vector<std::int64_t>{2, 0, 3, 1}}}));
  const Tensor t = RunOne(fwd, {{"u", u}});
  Graph back = OneNode("Transpose", {Info("t", DType::kUInt8, t.shape())}, {"v"},
                       Attrs({{"perm", std::vector<std::int64_t>{1, 3, 0, 2}}}));
  EXPECT_EQ(RunOne(back, {{"t", t}}), u);
}

TEST(LayoutOps, TransposeRefusesBadPerm) {
  const std::vector<TensorInfo> in = {Info("x", DType::kInt8, {2, 3, 4})};
  for (const auto& perm : std::vector<std::vector<std::int64_t>>{
           {0, 1}, {0, 1, 1}, {0, 1, 3}, {-1, 0, 1}, {0, 1, 2, 3}}) {
    Graph g = OneNode("Transpose", in, {"y"}, Attrs({{"perm", perm}}));
    const std::string message = InferError(g);
    EXPECT_EQ(message.rfind("Transpose 'n': perm", 0), 0u) << message;
  }
  // Per-axis along dimension 1 of [3,2] becomes dimension 0 of [2,3]; declared as 1: refused.
  Graph declared =
      OneNode("Transpose", {Info("x", DType::kInt8, {3, 2}, {{1.0f, 2.0f}, {0, 0}, 1})}, {"y"});
  declared.tensors["y"] = Info("y", DType::kInt8, {2, 3}, {{1.0f, 2.0f}, {0, 0}, 1});
  ExpectRefused(declared, "does not change quantization parameters");
}

// ---- Concat ------------------------------------------------------------------------------------

TEST(LayoutOps, ConcatAlongEveryAxis) {
  const Shape a_shape = {2, 3, 4};
  const Tensor a = Tensor::FromVector<float>(a_shape, Iota<float>(24));
  for (std::int64_t axis = -3; axis < 3; ++axis) {
    const auto d = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
    Shape b_shape = a_shape;
    b_shape[d] = 2;
    const Tensor b = Tensor::FromVector<float>(b_shape, Iota<float>(NumElements(b_shape), 1000));
    Graph g = OneNode("Concat",
                      {Info("a", DType::kFloat32, a_shape), Info("b", DType::kFloat32, b_shape)},
                      {"y"}, Attrs({{"axis", axis}}));
    const Tensor y = RunOne(g, {{"a", a}, {"b", b}});
    Shape want = a_shape;
    want[d] += 2;
    ASSERT_EQ(y.shape(), want);
    for (std::int64_t i = 0; i < want[0]; ++i) {
      for (std::int64_t j = 0; j < want[1]; ++j) {
        for (std::int64_t k = 0; k < want[2]; ++k) {
          std::int64_t idx[3] = {i, j, k};
          const std::int64_t flat = (i * want[1] + j) * want[2] + k;
          double expected;
          if (idx[d] < a_shape[d]) {
            expected = a.GetDouble((i * a_shape[1] + j) * a_shape[2] + k);
          } else {
            idx[d] -= a_shape[d];
            expected = b.GetDouble((idx[0] * b_shape[1] + idx[1]) * b_shape[2] + idx[2]);
          }
          ASSERT_EQ(y.GetDouble(flat), expected) << "axis " << axis << " at " << i << j << k;
        }
      }
    }
  }
}

// Every uint8 value of input "b" (scale 0.375, zero point 100) is requantized to the output's
// scale 0.25, zero point 10: M = 1.5 exactly, so half the values are ties, and the ends
// saturate. Input "a" has the output's parameters and is copied bit for bit.
TEST(LayoutOps, ConcatRequantizesInputWithOtherParams) {
  const QuantParams out_q = PerTensor(0.25f, 10);
  const QuantParams b_q = PerTensor(0.375f, 100);
  const Tensor a = Tensor::FromVector<std::uint8_t>({1, 3}, {0, 77, 255});
  const Tensor b = Tensor::FromVector<std::uint8_t>({1, 256}, Iota<std::uint8_t>(256));
  for (RequantMode mode : {RequantMode::kTfliteDouble, RequantMode::kSingleRounding,
                           RequantMode::kFloat32Rne, RequantMode::kFloat64Rne}) {
    Graph g =
        OneNode("Concat",
                {Info("a", DType::kUInt8, {1, 3}, out_q), Info("b", DType::kUInt8, {1, 256}, b_q)},
                {"y"}, Attrs({{"axis", std::int64_t{-1}}}));
    g.tensors["y"] = Info("y", DType::kUInt8, {}, out_q);
    const Tensor y = RunOne(g, {{"a", a}, {"b", b}}, mode);
    ASSERT_EQ(y.shape(), (Shape{1, 259}));
    EXPECT_EQ(g.Info("y").quant, out_q);
    for (std::int64_t i = 0; i < 3; ++i) EXPECT_EQ(y.GetInt(i), a.GetInt(i));
    int ties_seen = 0;
    for (std::int64_t q = 0; q < 256; ++q) {
      // Re-derived in float64: (q − 100) · 0.375 / 0.25 + 10, ties to even, clamped.
      const double real = static_cast<double>(q - 100) * 0.375 / 0.25 + 10.0;
      double rounded = std::floor(real);
      if (real - rounded > 0.5 || (real - rounded == 0.5 && std::fmod(rounded, 2.0) != 0.0)) {
        rounded += 1.0;
      }
      const double want = std::min(255.0, std::max(0.0, rounded));
      ties_seen += real - std::floor(real) == 0.5 ? 1 : 0;
      const auto got = static_cast<double>(y.GetInt(3 + q));
      if (mode == RequantMode::kFloat64Rne || mode == RequantMode::kFloat32Rne) {
        ASSERT_EQ(got, want) << RequantModeName(mode) << " q=" << q;
      } else {
        ASSERT_LE(std::fabs(got - want), 1.0) << RequantModeName(mode) << " q=" << q;
      }
    }
    EXPECT_GT(ties_seen, 50);
  }
  // Both ends saturate: (0 − 100) · 1.5 + 10 = −140 → 0; (255 − 100) · 1.5 + 10 = 242.5 → 242.
  Graph g = OneNode(
      "Concat", {Info("a", DType::kUInt8, {1, 3}, out_q), Info("b", DType::kUInt8, {1, 256}, b_q)},
      {"y"}, Attrs({{"axis", std::int64_t{1}}}));
  g.tensors["y"] = Info("y", DType::kUInt8, {}, out_q);
  const Tensor y = RunOne(g, {{"a", a}, {"b", b}}, RequantMode::kFloat64Rne);
  EXPECT_EQ(y.GetInt(3), 0);
  EXPECT_EQ(y.GetInt(3 + 255), 242);
}

// int8 with a ratio that is not a short binary fraction: every mode lands within one step of the
// float64 value, and an input whose parameters equal the output's (the first, by default) is
// copied unchanged.
TEST(LayoutOps, ConcatInt8RequantWithinOneStepInEveryMode) {
  const QuantParams a_q = PerTensor(0.1f, -5);
  const QuantParams b_q = PerTensor(0.07f, 3);
  const Tensor a = Tensor::FromVector<std::int8_t>({2, 1}, {-128, 127});
  const Tensor b = Tensor::FromVector<std::int8_t>({2, 128}, Iota<std::int8_t>(256, -128));
  for (RequantMode mode : {RequantMode::kTfliteDouble, RequantMode::kSingleRounding,
                           RequantMode::kFloat32Rne, RequantMode::kFloat64Rne}) {
    Graph g = OneNode(
        "Concat", {Info("a", DType::kInt8, {2, 1}, a_q), Info("b", DType::kInt8, {2, 128}, b_q)},
        {"y"}, Attrs({{"axis", std::int64_t{1}}}));
    const Tensor y = RunOne(g, {{"a", a}, {"b", b}}, mode);
    ASSERT_EQ(y.shape(), (Shape{2, 129}));
    EXPECT_EQ(g.Info("y").quant, a_q);  // the first input's parameters
    for (std::int64_t r = 0; r < 2; ++r) {
      EXPECT_EQ(y.GetInt(r * 129), a.GetInt(r));
      for (std::int64_t k = 0; k < 128; ++k) {
        const auto q = static_cast<double>(b.GetInt(r * 128 + k));
        const double real =
            (q - 3.0) * static_cast<double>(0.07f) / static_cast<double>(0.1f) - 5.0;
        const double want = std::min(127.0, std::max(-128.0, real));
        ASSERT_LE(std::fabs(static_cast<double>(y.GetInt(r * 129 + 1 + k)) - want), 1.0)
            << RequantModeName(mode) << " q=" << q;
      }
    }
  }
}

TEST(LayoutOps, ConcatPerAxisAlongQuantAxisConcatenatesChannels) {
  const QuantParams qa{{0.5f, 0.25f}, {0, 0}, 0};
  const QuantParams qb{{2.0f}, {0}, 0};
  Graph g =
      OneNode("Concat", {Info("a", DType::kInt8, {2, 2}, qa), Info("b", DType::kInt8, {1, 2}, qb)},
              {"y"}, Attrs({{"axis", std::int64_t{0}}}));
  const Tensor y = RunOne(g, {{"a", Tensor::FromVector<std::int8_t>({2, 2}, {1, 2, 3, 4})},
                              {"b", Tensor::FromVector<std::int8_t>({1, 2}, {-1, -2})}});
  EXPECT_EQ(y, Tensor::FromVector<std::int8_t>({3, 2}, {1, 2, 3, 4, -1, -2}));
  EXPECT_EQ(g.Info("y").quant, (QuantParams{{0.5f, 0.25f, 2.0f}, {0, 0, 0}, 0}));
  // Along another axis the per-axis parameters must agree.
  ExpectRefused(OneNode("Concat",
                        {Info("a", DType::kInt8, {2, 2}, qa),
                         Info("b", DType::kInt8, {2, 1}, {{1.0f, 1.0f}, {0, 0}, 0})},
                        {"y"}, Attrs({{"axis", std::int64_t{1}}})),
                "different per-axis parameters");
}

TEST(LayoutOps, ConcatRefusesMismatches) {
  const Attributes axis1 = Attrs({{"axis", std::int64_t{1}}});
  ExpectRefused(
      OneNode("Concat", {Info("a", DType::kUInt8, {2, 3}), Info("b", DType::kInt8, {2, 3})}, {"y"},
              axis1),
      "is int8 but input 'a' is uint8");
  ExpectRefused(
      OneNode("Concat", {Info("a", DType::kUInt8, {2, 3}), Info("b", DType::kUInt8, {3, 3})}, {"y"},
              axis1),
      "does not match input 'a'");
  ExpectRefused(
      OneNode("Concat", {Info("a", DType::kUInt8, {2, 3}), Info("b", DType::kUInt8, {2, 3, 1})},
              {"y"}, axis1),
      "does not match input 'a'");
  ExpectRefused(OneNode("Concat", {Info("a", DType::kUInt8, {2, 3})}, {"y"},
                        Attrs({{"axis", std::int64_t{2}}})),
                "axis 2 is out of range");
  ExpectRefused(OneNode("Concat", {Info("a", DType::kUInt8, {2, 3})}, {"y"},
                        Attrs({{"axis", std::int64_t{-3}}})),
                "axis -3 is out of range");
  ExpectRefused(OneNode("Concat", {Info("a", DType::kUInt8, {2, 3})}, {"y"}),
                "missing attribute 'axis'");
  ExpectRefused(OneNode("Concat",
                        {Info("a", DType::kInt32, {2, 3}, PerTensor(0.5f, 0)),
                         Info("b", DType::kInt32, {2, 3}, PerTensor(0.25f, 0))},
                        {"y"}, axis1),
                "only uint8/int8 inputs with scales are requantized");
  ExpectRefused(OneNode("Concat",
                        {Info("a", DType::kUInt8, {2, 3}, PerTensor(0.5f, 0)),
                         Info("b", DType::kUInt8, {2, 3})},
                        {"y"}, axis1),
                "input 'b' has no quantization parameters");
}

// ---- Randomized --------------------------------------------------------------------------------

constexpr std::uint64_t kDefaultSeed = 7321;

std::uint64_t TestSeed() { return testkit::op_test::TestSeed(kDefaultSeed); }

// The multi-index of flat position `flat` in `shape` (row-major).
std::vector<std::int64_t> Unflatten(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

std::int64_t Flatten(const std::vector<std::int64_t>& idx, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
  return flat;
}

// Random shapes of rank 1–5: Transpose against an index-by-index reference, and Concat of three
// inputs along a random axis against the same kind of reference.
TEST(LayoutOps, RandomTransposeAndConcat) {
  std::mt19937_64 rng(TestSeed());
  auto uniform = [&rng](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 60; ++trial) {
    const auto rank = static_cast<std::size_t>(uniform(1, 5));
    Shape shape(rank);
    for (auto& d : shape) d = uniform(1, 4);
    std::vector<std::int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const std::int64_t n = NumElements(shape);
    std::vector<std::int8_t> data(static_cast<std::size_t>(n));
    for (auto& v : data) v = static_cast<std::int8_t>(uniform(-128, 127));
    const Tensor x = Tensor::FromVector<std::int8_t>(shape, data);

    Graph t =
        OneNode("Transpose", {Info("x", DType::kInt8, shape)}, {"y"}, Attrs({{"perm", perm}}));
    const Tensor y = RunOne(t, {{"x", x}});
    Shape out_shape(rank);
    for (std::size_t j = 0; j < rank; ++j) out_shape[j] = shape[static_cast<std::size_t>(perm[j])];
    ASSERT_EQ(y.shape(), out_shape);
    for (std::int64_t k = 0; k < n; ++k) {
      const std::vector<std::int64_t> out_idx = Unflatten(k, out_shape);
      std::vector<std::int64_t> in_idx(rank);
      for (std::size_t j = 0; j < rank; ++j) in_idx[static_cast<std::size_t>(perm[j])] = out_idx[j];
      ASSERT_EQ(y.GetInt(k), x.GetInt(Flatten(in_idx, shape)))
          << "trial " << trial << " shape " << ShapeToString(shape) << " perm "
          << ShapeToString(perm);
    }

    const auto axis = static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(rank) - 1));
    std::vector<Tensor> parts;
    std::vector<TensorInfo> infos;
    std::map<std::string, Tensor> inputs;
    for (int p = 0; p < 3; ++p) {
      Shape part_shape = shape;
      part_shape[axis] = uniform(1, 3);
      std::vector<std::int32_t> part(static_cast<std::size_t>(NumElements(part_shape)));
      for (auto& v : part) v = static_cast<std::int32_t>(uniform(-1000000, 1000000));
      const std::string name = "p" + std::to_string(p);
      parts.push_back(Tensor::FromVector<std::int32_t>(part_shape, part));
      infos.push_back(Info(name, DType::kInt32, part_shape));
      inputs[name] = parts.back();
    }
    Graph c = OneNode(
        "Concat", infos, {"y"},
        Attrs({{"axis", static_cast<std::int64_t>(axis) - static_cast<std::int64_t>(rank)}}));
    const Tensor z = RunOne(c, inputs);
    Shape cat_shape = shape;
    cat_shape[axis] = 0;
    for (const Tensor& part : parts) cat_shape[axis] += part.shape()[axis];
    ASSERT_EQ(z.shape(), cat_shape);
    for (std::int64_t k = 0; k < z.size(); ++k) {
      std::vector<std::int64_t> idx = Unflatten(k, cat_shape);
      std::size_t p = 0;
      while (idx[axis] >= parts[p].shape()[axis]) idx[axis] -= parts[p++].shape()[axis];
      ASSERT_EQ(z.GetInt(k), parts[p].GetInt(Flatten(idx, parts[p].shape())))
          << "trial " << trial << " shape " << ShapeToString(cat_shape) << " axis " << axis;
    }
  }
}

}  // namespace
}  // namespace qsa::golden
