// float32 compute operators: the float paths of Conv and MatMul (model/golden/ops/conv.cc,
// matmul.cc) and Gemm, BatchNormalization, Softmax, Sigmoid, Tanh, LeakyRelu
// (model/golden/ops/float_nn.cc).
//
// Values are checked by hand, against direct re-derivations written here (exact where the inputs
// make every sum exact; within 1 ulp of a long double evaluation for the transcendental ops), and
// every refused case names the node.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <random>
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
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Tensor F(Shape shape, std::vector<float> values) {
  return Tensor::FromVector(std::move(shape), std::move(values));
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.Data<float>().begin(), t.Data<float>().end());
}

// A graph of one node "n" (output "y") whose inputs a, b, c, ... are graph inputs; validated.
Graph FloatGraph(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {}) {
  std::vector<TensorInfo> infos;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    infos.push_back(
        Info(std::string(1, static_cast<char>('a' + i)), inputs[i].dtype(), inputs[i].shape()));
  }
  return OneNode(op, infos, std::move(attrs));
}

Tensor RunOp(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {}) {
  Graph g = FloatGraph(op, inputs, std::move(attrs));
  g.Validate();
  std::map<std::string, Tensor> feed;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    feed[std::string(1, static_cast<char>('a' + i))] = inputs[i];
  }
  return RunGraph(g, feed).at("y");
}

// Expects Infer to refuse the op on inputs of these dtypes and shapes.
void Refused(const std::string& op, const std::vector<TensorInfo>& inputs, Attributes attrs,
             const std::string& needle) {
  ExpectRefused(OneNode(op, inputs, std::move(attrs)), needle);
}

TensorInfo Fl(const std::string& name, Shape shape) {
  return Info(name, DType::kFloat32, std::move(shape));
}

// Distance in ulps between two finite floats.
std::int64_t Ulps(float a, float b) {
  auto ordered = [](float f) -> std::int64_t {
    const auto bits = std::bit_cast<std::int32_t>(f);
    return bits >= 0 ? bits : -static_cast<std::int64_t>(bits & 0x7fffffff);
  };
  return std::abs(ordered(a) - ordered(b));
}

// Random multiples of 1/8 in [−2, 2]: every product and sum of a few hundred of them is exact in
// float32 and double, so any summation order gives the same, exact, result.
std::vector<float> DyadicValues(std::mt19937_64& rng, std::int64_t n) {
  std::uniform_int_distribution<int> dist(-16, 16);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = static_cast<float>(dist(rng)) / 8.0f;
  return v;
}

// ---- Conv ---------------------------------------------------------------------------------------

const Tensor kX3x3 = F({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
const Tensor kW2x2 = F({1, 1, 2, 2}, {1.0f, 0.5f, -1.0f, 2.0f});
const Tensor kB1 = F({1}, {0.25f});

TEST(FloatConv, HandChecked) {
  // y[0,0] = 1·1 + 2·0.5 + 4·(−1) + 5·2 + 0.25 = 8.25, and so on.
  EXPECT_EQ(Floats(RunOp("Conv", {kX3x3, kW2x2, kB1})),
            (std::vector<float>{8.25f, 10.75f, 15.75f, 18.25f}));
  // Pads 1 all round, stride 2: windows start at −1 and 1. y[0,0] sees only x[0,0] (under w = 2).
  const Attributes attrs = Attrs({{"pads", std::vector<std::int64_t>{1, 1, 1, 1}},
                                  {"strides", std::vector<std::int64_t>{2, 2}}});
  EXPECT_EQ(Floats(RunOp("Conv", {kX3x3, kW2x2, kB1}, attrs)),
            (std::vector<float>{2.25f, 4.25f, 16.25f, 18.25f}));
  // No bias; dilation 2 on the 3×3 input leaves one window: 1 + 1.5 − 7 + 18.
  EXPECT_EQ(Floats(RunOp("Conv", {kX3x3, kW2x2},
                         Attrs({{"dilations", std::vector<std::int64_t>{2, 2}}}))),
            (std::vector<float>{13.5f}));
}

TEST(FloatConv, SumsInDoubleAndRoundsOnce) {
  // 1 + 2^-24 + 2^-24: float32 accumulation rounds each partial sum back to 1 (a tie to even);
  // the double sum keeps 1 + 2^-23, which float32 represents.
  const float tiny = std::ldexp(1.0f, -24);
  const Tensor x = F({1, 3, 1, 1}, {1.0f, tiny, tiny});
  const Tensor w = F({1, 3, 1, 1}, {1.0f, 1.0f, 1.0f});
  EXPECT_EQ(Floats(RunOp("Conv", {x, w})), (std::vector<float>{1.0f + std::ldexp(1.0f, -23)}));
}

TEST(FloatConv, PropagatesNaNAndInfinityThroughZeroWeights) {
  const Tensor x = F({1, 2, 1, 1}, {kNaN, 1.0f});
  const Tensor w = F({2, 2, 1, 1}, {0.0f, 1.0f, 1.0f, 0.0f});
  const std::vector<float> y = Floats(RunOp("Conv", {x, w}));
  EXPECT_TRUE(std::isnan(y[0]));  // NaN · 0
  EXPECT_TRUE(std::isnan(y[1]));
  const Tensor xi = F({1, 2, 1, 1}, {kInf, 1.0f});
  EXPECT_TRUE(std::isnan(Floats(RunOp("Conv", {xi, w}))[0]));  // inf · 0
  EXPECT_EQ(Floats(RunOp("Conv", {xi, w}))[1], kInf);
}

// ONNX's definition, written directly: every output position, every tap, bounds checked.
std::vector<double> DirectConv(const Tensor& x, const Tensor& w, const std::vector<float>& bias,
                               std::int64_t group, const std::vector<std::int64_t>& strides,
                               const std::vector<std::int64_t>& pads,
                               const std::vector<std::int64_t>& dilations, Shape& out_shape) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  const std::int64_t n_ = xs[0], c_ = xs[1], h = xs[2], wd = xs[3];
  const std::int64_t m_ = ws[0], cg = ws[1], kh_ = ws[2], kw_ = ws[3];
  const std::int64_t oh_ = (h + pads[0] + pads[2] - dilations[0] * (kh_ - 1) - 1) / strides[0] + 1;
  const std::int64_t ow_ = (wd + pads[1] + pads[3] - dilations[1] * (kw_ - 1) - 1) / strides[1] + 1;
  out_shape = {n_, m_, oh_, ow_};
  std::vector<double> y;
  for (std::int64_t n = 0; n < n_; ++n) {
    for (std::int64_t m = 0; m < m_; ++m) {
      const std::int64_t g = m / (m_ / group);
      for (std::int64_t oh = 0; oh < oh_; ++oh) {
        for (std::int64_t ow = 0; ow < ow_; ++ow) {
          double acc = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(m)];
          for (std::int64_t c = 0; c < cg; ++c) {
            for (std::int64_t kh = 0; kh < kh_; ++kh) {
              for (std::int64_t kw = 0; kw < kw_; ++kw) {
                const std::int64_t ih = oh * strides[0] - pads[0] + kh * dilations[0];
                const std::int64_t iw = ow * strides[1] - pads[1] + kw * dilations[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                acc += x.GetDouble(((n * c_ + g * cg + c) * h + ih) * wd + iw) *
                       w.GetDouble(((m * cg + c) * kh_ + kh) * kw_ + kw);
              }
            }
          }
          y.push_back(acc);
        }
      }
    }
  }
  return y;
}

TEST(FloatConv, MatchesDirectDefinitionOnRandomGeometry) {
  std::mt19937_64 rng(TestSeed(20240611));
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  int cases = 0;
  while (cases < 60) {
    const std::int64_t group = pick(1, 3);
    const std::int64_t cg = pick(1, 3), mg = pick(1, 3);
    const std::int64_t kh = pick(1, 3), kw = pick(1, 3);
    const std::vector<std::int64_t> strides = {pick(1, 3), pick(1, 3)};
    const std::vector<std::int64_t> dilations = {pick(1, 2), pick(1, 2)};
    const std::vector<std::int64_t> pads = {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)};
    const Shape xs = {pick(1, 2), group * cg, pick(1, 7), pick(1, 7)};
    const Shape ws = {group * mg, cg, kh, kw};
    // Skip geometries whose dilated kernel does not fit the padded input.
    if (xs[2] + pads[0] + pads[2] < dilations[0] * (kh - 1) + 1 ||
        xs[3] + pads[1] + pads[3] < dilations[1] * (kw - 1) + 1) {
      continue;
    }
    ++cases;
    const Tensor x = F(xs, DyadicValues(rng, NumElements(xs)));
    const Tensor w = F(ws, DyadicValues(rng, NumElements(ws)));
    const bool with_bias = pick(0, 1) == 1;
    const std::vector<float> bias = with_bias ? DyadicValues(rng, ws[0]) : std::vector<float>{};
    std::vector<Tensor> inputs = {x, w};
    if (with_bias) inputs.push_back(F({ws[0]}, bias));
    Shape want_shape;
    const std::vector<double> want =
        DirectConv(x, w, bias, group, strides, pads, dilations, want_shape);
    const Tensor y = RunOp(
        "Conv", inputs,
        Attrs({{"group", group}, {"strides", strides}, {"pads", pads}, {"dilations", dilations}}));
    ASSERT_EQ(y.shape(), want_shape) << "case " << cases;
    for (std::int64_t i = 0; i < y.size(); ++i) {
      ASSERT_EQ(y.GetDouble(i), want[static_cast<std::size_t>(i)])
          << "case " << cases << " element " << i << " x " << ShapeToString(xs) << " w "
          << ShapeToString(ws) << " group " << group;
    }
  }
}

TEST(FloatConv, Refusals) {
  const TensorInfo x = Fl("x", {1, 4, 5, 5});
  const TensorInfo w = Fl("w", {2, 4, 3, 3});
  Refused("Conv", {x, w, Fl("b", {3})}, {}, "bias 'b' has shape [3], expected [2]");
  Refused("Conv", {x, w, Info("b", DType::kInt32, {2})}, {}, "bias 'b' is int32");
  Refused("Conv", {x, w}, Attrs({{"clamp_min", std::int64_t{0}}}), "clamp_min");
  Refused("Conv", {x, w}, Attrs({{"output_dtype", std::string("int32")}}),
          "output_dtype 'int32' contradicts");
  Refused("Conv", {x, Fl("w", {2, 3, 3, 3})}, {}, "has 3 input channels per group");
  Refused("Conv", {x, w}, Attrs({{"group", std::int64_t{3}}}), "group 3 does not divide");
  Refused("Conv", {x, Fl("w", {2, 4, 7, 7})}, {}, "kernel, 7, exceeds that of the padded input, 5");
  Refused("Conv", {x, Info("w", DType::kInt8, {2, 4, 3, 3}, PerTensor(0.5f, 0))}, {},
          "is float32; Conv takes uint8 or int8 (or float32 input and weight)");
  Graph g = OneNode("Conv", {x, w});
  g.nodes[0].requant = {FixedPointMultiplier{1 << 30, 0}};
  ExpectRefused(g, "does not requantize");
}

// ---- MatMul -------------------------------------------------------------------------------------

// Y = A · B with NumPy's rules written directly over exact values.
TEST(FloatMatMul, HandChecked) {
  const Tensor a = F({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = F({3, 2}, {7, 8, 9, 10, 11, 12});
  const Tensor y = RunOp("MatMul", {a, b});
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(Floats(y), (std::vector<float>{58, 64, 139, 154}));
  // transpose_b: B given as [N, K].
  const Tensor bt = F({2, 3}, {7, 9, 11, 8, 10, 12});
  EXPECT_EQ(Floats(RunOp("MatMul", {a, bt}, Attrs({{"transpose_b", std::int64_t{1}}}))),
            (std::vector<float>{58, 64, 139, 154}));
}

TEST(FloatMatMul, VectorsDropTheirAxis) {
  const Tensor v = F({3}, {1, -2, 0.5f});
  const Tensor m = F({3, 2}, {1, 2, 3, 4, 5, 6});
  const Tensor vm = RunOp("MatMul", {v, m});  // [3] · [3, 2] → [2]
  EXPECT_EQ(vm.shape(), (Shape{2}));
  EXPECT_EQ(Floats(vm), (std::vector<float>{1 - 6 + 2.5f, 2 - 8 + 3}));
  const Tensor mv = RunOp("MatMul", {F({2, 3}, {1, 2, 3, 4, 5, 6}), v});  // [2, 3] · [3] → [2]
  EXPECT_EQ(mv.shape(), (Shape{2}));
  EXPECT_EQ(Floats(mv), (std::vector<float>{1 - 4 + 1.5f, 4 - 10 + 3}));
  const Tensor vv = RunOp("MatMul", {v, v});  // [3] · [3] → scalar
  EXPECT_EQ(vv.shape(), Shape{});
  EXPECT_EQ(Floats(vv), (std::vector<float>{1 + 4 + 0.25f}));
}

TEST(FloatMatMul, BroadcastsBatchDimensions) {
  std::mt19937_64 rng(TestSeed(77));
  struct Case {
    Shape a, b, y;
  };
  const std::vector<Case> cases = {
      {{2, 1, 2, 3}, {3, 3, 4}, {2, 3, 2, 4}},
      {{4, 2, 3}, {3, 5}, {4, 2, 5}},
      {{2, 3}, {1, 4, 3, 2}, {1, 4, 2, 2}},
      {{5, 1, 3}, {5, 3, 1}, {5, 1, 1}},
  };
  for (const Case& c : cases) {
    const Tensor a = F(c.a, DyadicValues(rng, NumElements(c.a)));
    const Tensor b = F(c.b, DyadicValues(rng, NumElements(c.b)));
    const Tensor y = RunOp("MatMul", {a, b});
    ASSERT_EQ(y.shape(), c.y);
    // Direct: output index (batch..., i, n) reads A and B at the batch index broadcast back.
    const std::int64_t rows = c.a[c.a.size() - 2], depth = c.a.back(), cols = c.b.back();
    const std::vector<std::int64_t> ys = Strides(c.y);
    for (std::int64_t flat = 0; flat < y.size(); ++flat) {
      std::vector<std::int64_t> idx(c.y.size());
      for (std::size_t d = 0; d < c.y.size(); ++d) idx[d] = (flat / ys[d]) % c.y[d];
      auto batch_offset = [&](const Shape& s) {
        std::int64_t off = 0;
        const std::size_t lead = s.size() - 2, skip = c.y.size() - s.size();
        for (std::size_t d = 0; d < lead; ++d) {
          off = off * s[d] + (s[d] == 1 ? 0 : idx[d + skip]);
        }
        return off;
      };
      const std::int64_t i = idx[c.y.size() - 2], n = idx.back();
      double want = 0.0;
      for (std::int64_t k = 0; k < depth; ++k) {
        want += a.GetDouble((batch_offset(c.a) * rows + i) * depth + k) *
                b.GetDouble((batch_offset(c.b) * depth + k) * cols + n);
      }
      ASSERT_EQ(y.GetDouble(flat), want)
          << ShapeToString(c.a) << " · " << ShapeToString(c.b) << " element " << flat;
    }
  }
}

TEST(FloatMatMul, Refusals) {
  Refused("MatMul", {Fl("a", {2, 3}), Fl("b", {4, 2})}, {}, "inner dimensions differ");
  Refused("MatMul", {Fl("a", {2, 2, 3}), Fl("b", {3, 3, 2})}, {},
          "batch dimensions do not broadcast");
  Refused("MatMul", {Fl("a", {}), Fl("b", {3})}, {}, "is a scalar");
  Refused("MatMul", {Fl("a", {2, 3}), Fl("b", {3, 2}), Fl("c", {2})}, {}, "takes no bias");
  Refused("MatMul", {Fl("a", {3}), Fl("b", {3})}, Attrs({{"transpose_b", std::int64_t{1}}}),
          "transpose_b needs B of rank 2");
  Refused("MatMul", {Fl("a", {2, 3}), Fl("b", {3, 2})}, Attrs({{"clamp_max", std::int64_t{5}}}),
          "clamp_max is a quantized-domain clamp");
  Refused("MatMul", {Fl("a", {2, 3}), Info("b", DType::kInt8, {3, 2}, PerTensor(1.0f, 0))}, {},
          "MatMul takes uint8 or int8 (or float32 A and B)");
}

// ---- Gemm ---------------------------------------------------------------------------------------

TEST(Gemm, HandCheckedWithTransposesAlphaAndBeta) {
  const Tensor a = F({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = F({3, 2}, {7, 8, 9, 10, 11, 12});
  const Tensor c = F({2}, {1, -1});
  const Attributes ab = Attrs({{"alpha", 0.5}, {"beta", 2.0}});
  // 0.5 · [[58, 64], [139, 154]] + 2 · [1, −1].
  const std::vector<float> want = {31, 30, 71.5f, 75};
  EXPECT_EQ(Floats(RunOp("Gemm", {a, b, c}, ab)), want);
  const Tensor at = F({3, 2}, {1, 4, 2, 5, 3, 6});
  const Tensor bt = F({2, 3}, {7, 9, 11, 8, 10, 12});
  EXPECT_EQ(Floats(RunOp("Gemm", {at, bt, c},
                         Attrs({{"alpha", 0.5},
                                {"beta", 2.0},
                                {"transA", std::int64_t{1}},
                                {"transB", std::int64_t{1}}}))),
            want);
  // Without C; with default alpha.
  EXPECT_EQ(Floats(RunOp("Gemm", {a, b})), (std::vector<float>{58, 64, 139, 154}));
}

TEST(Gemm, BroadcastsC) {
  const Tensor a = F({2, 2}, {1, 0, 0, 1});  // identity: Y = B + C
  const Tensor b = F({2, 2}, {10, 20, 30, 40});
  const std::vector<std::pair<Tensor, std::vector<float>>> cases = {
      {F({}, {1}), {11, 21, 31, 41}},        {F({1}, {1}), {11, 21, 31, 41}},
      {F({2}, {1, 2}), {11, 22, 31, 42}},    {F({1, 2}, {1, 2}), {11, 22, 31, 42}},
      {F({2, 1}, {1, 2}), {11, 21, 32, 42}}, {F({2, 2}, {1, 2, 3, 4}), {11, 22, 33, 44}},
  };
  for (const auto& [c, want] : cases) {
    EXPECT_EQ(Floats(RunOp("Gemm", {a, b, c})), want) << "C " << ShapeToString(c.shape());
  }
}

TEST(Gemm, RoundsTheWholeExpressionOnce) {
  // alpha · acc + beta · C = 1 + 2^-24 + 2^-24: one rounding keeps 1 + 2^-23; rounding the product
  // to float32 first (as a float32 evaluation does) would lose both halves.
  const float tiny = std::ldexp(1.0f, -24);
  const Tensor a = F({1, 2}, {1.0f, tiny});
  const Tensor b = F({2, 1}, {1.0f, 1.0f});
  EXPECT_EQ(Floats(RunOp("Gemm", {a, b, F({1}, {tiny})})),
            (std::vector<float>{1.0f + std::ldexp(1.0f, -23)}));
}

TEST(Gemm, Refusals) {
  const TensorInfo a = Fl("a", {2, 3});
  const TensorInfo b = Fl("b", {3, 4});
  Refused("Gemm", {a, Fl("b", {2, 4})}, {}, "inner dimensions differ");
  Refused("Gemm", {a, b}, Attrs({{"transB", std::int64_t{1}}}), "(transposed) has K = 4");
  Refused("Gemm", {Fl("a", {1, 2, 3}), b}, {}, "Gemm takes matrices");
  Refused("Gemm", {a, b, Fl("c", {3})}, {}, "does not broadcast to the output [2,4]");
  Refused("Gemm", {a, b, Fl("c", {1, 2, 4})}, {}, "does not broadcast");
  Refused("Gemm", {a, b}, Attrs({{"transA", std::int64_t{2}}}), "transA must be 0 or 1");
  Refused("Gemm", {a, Info("b", DType::kInt8, {3, 4})}, {}, "input B 'b' is int8");
  Refused("Gemm", {a, b, Info("c", DType::kInt32, {4})}, {}, "input C 'c' is int32");
}

// ---- BatchNormalization -------------------------------------------------------------------------

TEST(BatchNormalization, HandChecked) {
  // Channel 0: 2 · (x − 1.5) / 0.5 + 1; channel 1: 0.5 · (x − 3) / 2 − 1 (epsilon 0).
  const Tensor x = F({1, 2, 1, 2}, {1, 2, 3, 4});
  const std::vector<Tensor> params = {F({2}, {2, 0.5f}), F({2}, {1, -1}), F({2}, {1.5f, 3}),
                                      F({2}, {0.25f, 4})};
  std::vector<Tensor> inputs = {x};
  inputs.insert(inputs.end(), params.begin(), params.end());
  EXPECT_EQ(Floats(RunOp("BatchNormalization", inputs, Attrs({{"epsilon", 0.0}}))),
            (std::vector<float>{-1, 3, -1, -0.75f}));
  // Rank 2 ([N, C]): the same parameters per column.
  inputs[0] = F({2, 2}, {1, 3, 2, 4});
  EXPECT_EQ(Floats(RunOp("BatchNormalization", inputs, Attrs({{"epsilon", 0.0}}))),
            (std::vector<float>{-1, -1, 3, -0.75f}));
}

TEST(BatchNormalization, FollowsTheOnnxReferenceOrderInFloat32) {
  std::mt19937_64 rng(TestSeed(5));
  std::uniform_real_distribution<float> val(-3.0f, 3.0f), pos(0.01f, 2.0f);
  const Shape xs = {2, 3, 4, 5};
  std::vector<float> xv(static_cast<std::size_t>(NumElements(xs)));
  for (float& v : xv) v = val(rng);
  std::vector<float> s(3), b(3), mean(3), var(3);
  for (std::size_t c = 0; c < 3; ++c) {
    s[c] = val(rng);
    b[c] = val(rng);
    mean[c] = val(rng);
    var[c] = pos(rng);
  }
  const Tensor y =
      RunOp("BatchNormalization", {F(xs, xv), F({3}, s), F({3}, b), F({3}, mean), F({3}, var)});
  // ONNX's reference: s * (x - mean) / np.sqrt(var + epsilon) + bias, all float32.
  const float eps = 1e-5f;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const std::size_t c = (i / 20) % 3;
    const float centered = xv[i] - mean[c];
    const float scaled = s[c] * centered;
    const float root = std::sqrt(var[c] + eps);
    const float want = scaled / root + b[c];
    ASSERT_EQ(y.Data<float>()[i], want) << "element " << i;
  }
}

TEST(BatchNormalization, Refusals) {
  const TensorInfo x = Fl("x", {1, 3, 2, 2});
  const TensorInfo p = Fl("p", {3});
  Refused("BatchNormalization", {Fl("x", {3}), p, p, p, p}, {}, "rank 2 or more");
  Refused("BatchNormalization", {x, p, p, Fl("m", {4}), p}, {}, "mean 'm' has shape [4]");
  Refused("BatchNormalization", {x, p, p, p, Info("v", DType::kInt8, {3})}, {}, "var 'v' is int8");
  Refused("BatchNormalization", {x, p, p, p}, {}, "expects 5 inputs");
  Refused("BatchNormalization", {x, p, p, p, p}, Attrs({{"epsilon", -1.0}}),
          "must be finite and non-negative");
}

// ---- Softmax, Sigmoid, Tanh, LeakyRelu ----------------------------------------------------------

// Softmax of each row of a [rows, len] tensor in long double from x − max taken in float32 (the
// documented contract), rounded to float.
std::vector<float> LongDoubleSoftmax(const std::vector<float>& x, std::size_t len) {
  std::vector<float> y;
  for (std::size_t r = 0; r < x.size() / len; ++r) {
    float max = x[r * len];
    for (std::size_t j = 1; j < len; ++j) max = std::max(max, x[r * len + j]);
    long double sum = 0;
    std::vector<long double> e;
    for (std::size_t j = 0; j < len; ++j) {
      const float shifted = x[r * len + j] - max;
      e.push_back(std::exp(static_cast<long double>(shifted)));
      sum += e.back();
    }
    for (long double v : e) y.push_back(static_cast<float>(v / sum));
  }
  return y;
}

TEST(Softmax, HandChecked) {
  EXPECT_EQ(Floats(RunOp("Softmax", {F({4}, {3, 3, 3, 3})})),
            (std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f}));
  // Large values: the maximum is subtracted first, so nothing overflows.
  EXPECT_EQ(Floats(RunOp("Softmax", {F({2}, {1000, 1000})})), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(Floats(RunOp("Softmax", {F({2}, {-kInf, 0})})), (std::vector<float>{0.0f, 1.0f}));
  // [[0, 1], [0, 2]] along axis 0: columns {0, 0} and {1, 2}; 1 / (1 + e) = 0.268941421...
  const std::vector<float> y =
      Floats(RunOp("Softmax", {F({2, 2}, {0, 1, 0, 2})}, Attrs({{"axis", std::int64_t{0}}})));
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[1], 0.268941421f);
  EXPECT_EQ(y[3], 0.731058579f);
  // A NaN anywhere in a row makes the row NaN; other rows are unaffected.
  const std::vector<float> nan_row = Floats(RunOp("Softmax", {F({2, 2}, {1, kNaN, 5, 5})}));
  EXPECT_TRUE(std::isnan(nan_row[0]) && std::isnan(nan_row[1]));
  EXPECT_EQ(nan_row[2], 0.5f);
}

TEST(Softmax, WithinOneUlpOfLongDoubleOnRandomRows) {
  std::mt19937_64 rng(TestSeed(99));
  std::uniform_real_distribution<float> dist(-20.0f, 20.0f);
  const std::size_t rows = 200, len = 10;
  std::vector<float> x(rows * len);
  for (float& v : x) v = dist(rng);
  // Laid out [len, rows] and normalized along axis 0, to exercise a strided axis.
  std::vector<float> transposed(x.size());
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < len; ++j) transposed[j * rows + r] = x[r * len + j];
  }
  const std::vector<float> want = LongDoubleSoftmax(x, len);
  const std::vector<float> got = Floats(RunOp(
      "Softmax", {F({static_cast<std::int64_t>(len), static_cast<std::int64_t>(rows)}, transposed)},
      Attrs({{"axis", std::int64_t{-2}}})));
  std::int64_t max_ulp = 0, exact = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < len; ++j) {
      const std::int64_t d = Ulps(got[j * rows + r], want[r * len + j]);
      max_ulp = std::max(max_ulp, d);
      exact += d == 0 ? 1 : 0;
    }
  }
  std::cout << "[ softmax  ] " << exact << "/" << x.size() << " equal to long double rounded, max "
            << max_ulp << " ulp\n";
  EXPECT_LE(max_ulp, 1);
}

// f over random values in [lo, hi] is within 1 ulp of the long double function rounded to float.
template <typename Fn, typename L>
void ExpectWithinOneUlp(const std::string& op, Fn want_fn, L lo, L hi, std::uint64_t seed) {
  std::mt19937_64 rng(TestSeed(seed));
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> x(5000);
  for (float& v : x) v = dist(rng);
  const std::vector<float> got = Floats(RunOp(op, {F({5000}, x)}));
  std::int64_t max_ulp = 0, exact = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto want = static_cast<float>(want_fn(static_cast<long double>(x[i])));
    const std::int64_t d = Ulps(got[i], want);
    max_ulp = std::max(max_ulp, d);
    exact += d == 0 ? 1 : 0;
  }
  std::cout << "[ " << op << " ] " << exact << "/" << x.size()
            << " equal to long double rounded, max " << max_ulp << " ulp\n";
  EXPECT_LE(max_ulp, 1) << op;
}

TEST(Sigmoid, SpecialValuesAndAccuracy) {
  const std::vector<float> y = Floats(RunOp("Sigmoid", {F({5}, {0, -kInf, kInf, kNaN, -100})}));
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_GT(y[4], 0.0f);  // e^-100 ≈ 3.7e-44 is a float32 subnormal, not 0
  EXPECT_LT(y[4], 4e-44f);
  ExpectWithinOneUlp(
      "Sigmoid", [](long double v) { return 1.0L / (1.0L + std::exp(-v)); }, -30.0f, 30.0f, 3);
}

TEST(Tanh, SpecialValuesAndAccuracy) {
  const std::vector<float> y = Floats(RunOp("Tanh", {F({5}, {0.0f, -0.0f, 20, -kInf, kNaN})}));
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_TRUE(std::signbit(y[1]));
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_EQ(y[3], -1.0f);
  EXPECT_TRUE(std::isnan(y[4]));
  ExpectWithinOneUlp(
      "Tanh", [](long double v) { return std::tanh(v); }, -10.0f, 10.0f, 4);
}

TEST(LeakyRelu, HandChecked) {
  const Tensor x = F({5}, {-2, -0.5f, 0, 3, kNaN});
  const std::vector<float> y = Floats(RunOp("LeakyRelu", {x}, Attrs({{"alpha", 0.25}})));
  EXPECT_EQ(y[0], -0.5f);
  EXPECT_EQ(y[1], -0.125f);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[3], 3.0f);
  EXPECT_TRUE(std::isnan(y[4]));
  // The default alpha is ONNX's 0.01 as float32, multiplied in float32.
  EXPECT_EQ(Floats(RunOp("LeakyRelu", {F({1}, {-3})})), (std::vector<float>{-3.0f * 0.01f}));
}

TEST(FloatNnOps, Refusals) {
  Refused("Softmax", {Fl("x", {2, 3})}, Attrs({{"axis", std::int64_t{2}}}),
          "axis 2 is out of range for rank 2");
  Refused("Softmax", {Info("x", DType::kUInt8, {2, 3})}, {}, "input 'x' is uint8");
  Refused("Sigmoid", {Info("x", DType::kInt8, {3})}, {},
          "input 'x' is int8; Sigmoid takes float32");
  Refused("Tanh", {Fl("x", {3}), Fl("z", {3})}, {}, "expects 1 inputs, has 2");
  Refused("LeakyRelu", {Fl("x", {3})}, Attrs({{"alpha", static_cast<double>(kInf)}}),
          "alpha must be finite");
}

// ---- A float graph keeps its intermediates ------------------------------------------------------

TEST(FloatGraph, KeepIntermediatesReturnsEveryFloatTensor) {
  Graph g;
  g.name = "float";
  g.tensors["x"] = Fl("x", {1, 1, 3, 3});
  g.inputs = {"x"};
  g.AddConstant("w", kW2x2);
  g.AddConstant("b", kB1);
  g.nodes.push_back(Node{"conv", "Conv", {"x", "w", "b"}, {"c"}, {}, {}});
  g.nodes.push_back(Node{"flat", "Flatten", {"c"}, {"f"}, {}, {}});
  g.nodes.push_back(Node{"soft", "Softmax", {"f"}, {"y"}, {}, {}});
  g.outputs = {"y"};
  g.Validate();
  RunOptions options;
  options.keep_intermediates = true;
  const std::map<std::string, Tensor> all = RunGraph(g, {{"x", kX3x3}}, options);
  ASSERT_EQ(all.count("c"), 1u);
  ASSERT_EQ(all.count("f"), 1u);
  ASSERT_EQ(all.count("y"), 1u);
  EXPECT_EQ(Floats(all.at("c")), (std::vector<float>{8.25f, 10.75f, 15.75f, 18.25f}));
  EXPECT_EQ(all.at("f").shape(), (Shape{1, 4}));
  EXPECT_EQ(Floats(all.at("y")), LongDoubleSoftmax({8.25f, 10.75f, 15.75f, 18.25f}, 4));
}

}  // namespace
}  // namespace qsa::golden
