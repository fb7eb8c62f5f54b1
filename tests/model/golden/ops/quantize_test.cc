// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (model/golden/ops/quantize.cc).
// Expected numbers are worked out by hand in the comments, or copied from ONNX's node tests
// (onnx/backend/test/data/node/test_{quantizelinear,dequantizelinear,dynamicquantizelinear}*).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
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
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "testkit/op_test.h"

namespace qsa::golden {
namespace {

using namespace testkit::op_test;

// Turns graph input `name` into a constant.
void MakeConstant(Graph& g, const std::string& name, Tensor value) {
  std::erase(g.inputs, name);
  g.AddConstant(name, std::move(value));
}

std::map<std::string, Tensor> RunAll(Graph& g, const std::map<std::string, Tensor>& inputs) {
  g.Validate();
  return RunGraph(g, inputs);
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  return std::vector<T>(t.Data<T>().begin(), t.Data<T>().end());
}

// ---- QuantizeLinear, static --------------------------------------------------------------------

// x / 0.5: 0.5 → 0, 1.5 → 2, −0.5 → −0, −1.5 → −2, 2.5 → 2 (ties to even); 126.5 → 126;
// 127.5 → 128; −126.5 → −126; ±2000 saturate.
std::vector<float> TieInputs() {
  return {0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 63.25f, 63.75f, -63.25f, 1000.0f, -1000.0f, 0.0f};
}

TEST(QuantizeOps, StaticPerTensorUint8TiesAndSaturation) {
  Graph g = OneNode("QuantizeLinear", {Info("x", DType::kFloat32, {11})}, {"y"});
  g.tensors["y"] = Info("y", DType::kUInt8, {}, PerTensor(0.5f, 128));
  const Tensor y = RunAll(g, {{"x", Tensor::FromVector<float>({11}, TieInputs())}}).at("y");
  EXPECT_EQ(Values<std::uint8_t>(y),
            (std::vector<std::uint8_t>{128, 130, 128, 126, 130, 254, 255, 2, 255, 0, 128}));
}

TEST(QuantizeOps, StaticPerTensorInt8AndInt32) {
  Graph g = OneNode("QuantizeLinear", {Info("x", DType::kFloat32, {11})}, {"y"});
  g.tensors["y"] = Info("y", DType::kInt8, {11}, PerTensor(0.5f, -1));
  const Tensor y = RunAll(g, {{"x", Tensor::FromVector<float>({11}, TieInputs())}}).at("y");
  EXPECT_EQ(Values<std::int8_t>(y),
            (std::vector<std::int8_t>{-1, 1, -1, -3, 1, 125, 127, -127, 127, -128, -1}));

  Graph g32 = OneNode("QuantizeLinear", {Info("x", DType::kFloat32, {5})}, {"y"});
  g32.tensors["y"] = Info("y", DType::kInt32, {}, PerTensor(1.0f, 0));
  const Tensor y32 =
      RunAll(g32, {{"x", Tensor::FromVector<float>({5}, {3e9f, -3e9f, 2.5f, -2.5f, 1e9f})}})
          .at("y");
  EXPECT_EQ(
      Values<std::int32_t>(y32),
      (std::vector<std::int32_t>{std::numeric_limits<std::int32_t>::max(),
                                 std::numeric_limits<std::int32_t>::min(), 2, -2, 1000000000}));
}

// ONNX test_quantizelinear_axis: scales [2, 4, 5], zero points [84, 24, 196] along axis 1.
std::vector<float> AxisReal() {
  return {-162, 10, -100, 232, -20,  -50,  -76,  0,    0,
          252,  32, -44,  245, -485, -960, -270, -375, -470};
}
std::vector<std::uint8_t> AxisQuant() {
  return {3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 245, 99, 4, 142, 121, 102};
}

TEST(QuantizeOps, StaticPerAxis) {
  const QuantParams q{{2.0f, 4.0f, 5.0f}, {84, 24, 196}, 1};
  Graph g = OneNode("QuantizeLinear", {Info("x", DType::kFloat32, {1, 3, 3, 2})}, {"y"});
  g.tensors["y"] = Info("y", DType::kUInt8, {1, 3, 3, 2}, q);
  const Tensor y = RunAll(g, {{"x", Tensor::FromVector<float>({1, 3, 3, 2}, AxisReal())}}).at("y");
  EXPECT_EQ(Values<std::uint8_t>(y), AxisQuant());

  Graph dq = OneNode("DequantizeLinear", {Info("q", DType::kUInt8, {1, 3, 3, 2}, q)}, {"r"});
  const Tensor r =
      RunAll(dq, {{"q", Tensor::FromVector<std::uint8_t>({1, 3, 3, 2}, AxisQuant())}}).at("r");
  EXPECT_EQ(Values<float>(r), AxisReal());
}

// ---- QuantizeLinear / DequantizeLinear, dynamic ------------------------------------------------

// ONNX test_quantizelinear: scale 2, zero point 128; 3 / 2 = 1.5 rounds to 2.
TEST(QuantizeOps, DynamicPerTensorFromRuntimeInputs) {
  Graph g = OneNode("QuantizeLinear",
                    {Info("x", DType::kFloat32, {6}), Info("s", DType::kFloat32, {}),
                     Info("z", DType::kUInt8, {})},
                    {"y"});
  const auto out = RunAll(g, {{"x", Tensor::FromVector<float>({6}, {0, 2, 3, 1000, -254, -1000})},
                              {"s", Tensor::FromVector<float>({}, {2.0f})},
                              {"z", Tensor::FromVector<std::uint8_t>({}, {128})}});
  EXPECT_EQ(Values<std::uint8_t>(out.at("y")),
            (std::vector<std::uint8_t>{128, 129, 130, 255, 1, 0}));
  EXPECT_TRUE(g.Info("y").quant.empty());  // known only at run time

  // The same with the scale given as a 1-element 1-D tensor, and an int8 zero point −3.
  Graph i8 = OneNode("QuantizeLinear",
                     {Info("x", DType::kFloat32, {4}), Info("s", DType::kFloat32, {1}),
                      Info("z", DType::kInt8, {1})},
                     {"y"});
  const auto out8 =
      RunAll(i8, {{"x", Tensor::FromVector<float>({4}, {1.0f, -1.0f, 300.0f, -300.0f})},
                  {"s", Tensor::FromVector<float>({1}, {2.0f})},
                  {"z", Tensor::FromVector<std::int8_t>({1}, {-3})}});
  // 1/2 = 0.5 → 0 → −3; −0.5 → −0 → −3; 150 − 3 → 127 (saturated); −150 − 3 → −128.
  EXPECT_EQ(Values<std::int8_t>(out8.at("y")), (std::vector<std::int8_t>{-3, -3, 127, -128}));
}

TEST(QuantizeOps, DynamicPerAxisBothDirections) {
  const Tensor scale = Tensor::FromVector<float>({3}, {2.0f, 4.0f, 5.0f});
  const Tensor zero = Tensor::FromVector<std::uint8_t>({3}, {84, 24, 196});
  Graph q = OneNode("QuantizeLinear",
                    {Info("x", DType::kFloat32, {1, 3, 3, 2}), Info("s", DType::kFloat32, {3}),
                     Info("z", DType::kUInt8, {3})},
                    {"y"});
  const auto y = RunAll(
      q, {{"x", Tensor::FromVector<float>({1, 3, 3, 2}, AxisReal())}, {"s", scale}, {"z", zero}});
  EXPECT_EQ(Values<std::uint8_t>(y.at("y")), AxisQuant());

  Graph dq = OneNode("DequantizeLinear",
                     {Info("q", DType::kUInt8, {1, 3, 3, 2}), Info("s", DType::kFloat32, {3}),
                      Info("z", DType::kUInt8, {3})},
                     {"r"}, Attrs({{"axis", std::int64_t{-3}}}));
  const auto r = RunAll(dq, {{"q", Tensor::FromVector<std::uint8_t>({1, 3, 3, 2}, AxisQuant())},
                             {"s", scale},
                             {"z", zero}});
  EXPECT_EQ(Values<float>(r.at("r")), AxisReal());
}

TEST(QuantizeOps, DynamicAlongAxisZeroWithoutZeroPoint) {
  // int8 [3,2] along axis 0, scales 0.5, 1, 4, zero points absent (0).
  Graph g = OneNode("DequantizeLinear",
                    {Info("q", DType::kInt8, {3, 2}), Info("s", DType::kFloat32, {3})}, {"r"},
                    Attrs({{"axis", std::int64_t{0}}}));
  const auto r =
      RunAll(g, {{"q", Tensor::FromVector<std::int8_t>({3, 2}, {-128, 127, 3, -3, 1, -2})},
                 {"s", Tensor::FromVector<float>({3}, {0.5f, 1.0f, 4.0f})}});
  EXPECT_EQ(Values<float>(r.at("r")),
            (std::vector<float>{-64.0f, 63.5f, 3.0f, -3.0f, 4.0f, -8.0f}));
}

TEST(QuantizeOps, ConstantScaleAndZeroPointFillOutputQuant) {
  Graph g = OneNode("QuantizeLinear",
                    {Info("x", DType::kFloat32, {2}), Info("s", DType::kFloat32, {}),
                     Info("z", DType::kInt8, {})},
                    {"y"});
  MakeConstant(g, "s", Tensor::FromVector<float>({}, {0.25f}));
  MakeConstant(g, "z", Tensor::FromVector<std::int8_t>({}, {5}));
  const auto out = RunAll(g, {{"x", Tensor::FromVector<float>({2}, {1.0f, -0.125f})}});
  // 1 / 0.25 = 4 → 9; −0.125 / 0.25 = −0.5 → −0 → 5.
  EXPECT_EQ(Values<std::int8_t>(out.at("y")), (std::vector<std::int8_t>{9, 5}));
  EXPECT_EQ(g.Info("y").dtype, DType::kInt8);
  EXPECT_EQ(g.Info("y").quant, PerTensor(0.25f, 5));
}

// ---- DequantizeLinear --------------------------------------------------------------------------

// ONNX test_dequantizelinear: (q − 128) · 2.
TEST(QuantizeOps, DequantizeStaticAndDynamic) {
  const Tensor q = Tensor::FromVector<std::uint8_t>({4}, {0, 3, 128, 255});
  const std::vector<float> want = {-256.0f, -250.0f, 0.0f, 254.0f};
  Graph st =
      OneNode("DequantizeLinear", {Info("q", DType::kUInt8, {4}, PerTensor(2.0f, 128))}, {"r"});
  EXPECT_EQ(Values<float>(RunAll(st, {{"q", q}}).at("r")), want);
  EXPECT_EQ(st.Info("r").dtype, DType::kFloat32);

  Graph dy = OneNode(
      "DequantizeLinear",
      {Info("q", DType::kUInt8, {4}), Info("s", DType::kFloat32, {}), Info("z", DType::kUInt8, {})},
      {"r"});
  EXPECT_EQ(Values<float>(RunAll(dy, {{"q", q},
                                      {"s", Tensor::FromVector<float>({}, {2.0f})},
                                      {"z", Tensor::FromVector<std::uint8_t>({}, {128})}})
                              .at("r")),
            want);

  // int32: −2^31 · 0.5 = −2^30 exactly in float32.
  Graph i32 =
      OneNode("DequantizeLinear", {Info("q", DType::kInt32, {3}, PerTensor(0.5f, 0))}, {"r"});
  const auto r = RunAll(i32, {{"q", Tensor::FromVector<std::int32_t>(
                                        {3}, {std::numeric_limits<std::int32_t>::min(), 0, 101})}});
  EXPECT_EQ(Values<float>(r.at("r")), (std::vector<float>{-1073741824.0f, 0.0f, 50.5f}));
}

// ---- DynamicQuantizeLinear ---------------------------------------------------------------------

struct DqlCase {
  const char* onnx_test;
  Shape shape;
  std::vector<float> x;
  std::vector<std::uint8_t> y;
  float scale;
  std::uint8_t zero_point;
};

// Inputs and outputs of ONNX's test_dynamicquantizelinear{,_max_adjusted,_min_adjusted}.
const std::vector<DqlCase>& DqlCases() {
  static const std::vector<DqlCase> cases = {
      {"test_dynamicquantizelinear",
       {6},
       {0.0f, 2.0f, -3.0f, -2.5f, 1.34f, 0.5f},
       {153, 255, 0, 26, 221, 179},
       0.019607843831181526f,
       153},
      {"test_dynamicquantizelinear_max_adjusted",
       {6},
       {-1.0f, -2.1f, -1.3f, -2.5f, -3.34f, -4.0f},
       {191, 121, 172, 96, 42, 0},
       0.01568627543747425f,
       255},
      {"test_dynamicquantizelinear_min_adjusted",
       {3, 4},
       {1.0f, 2.1f, 1.3f, 2.5f, 3.34f, 4.0f, 1.5f, 2.6f, 3.9f, 4.0f, 3.0f, 2.345f},
       {64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149},
       0.01568627543747425f,
       0}};
  return cases;
}

TEST(QuantizeOps, DynamicQuantizeLinearMatchesOnnxVectors) {
  for (const DqlCase& c : DqlCases()) {
    Graph g = OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, c.shape)},
                      {"y", "y_scale", "y_zero_point"});
    const auto out = RunAll(g, {{"x", Tensor::FromVector<float>(c.shape, c.x)}});
    EXPECT_EQ(out.at("y"), Tensor::FromVector<std::uint8_t>(c.shape, c.y)) << c.onnx_test;
    EXPECT_EQ(out.at("y_scale"), Tensor::FromVector<float>({}, {c.scale})) << c.onnx_test;
    EXPECT_EQ(out.at("y_zero_point"), Tensor::FromVector<std::uint8_t>({}, {c.zero_point}))
        << c.onnx_test;
  }
}

// All zeros: rmax == rmin, so ONNX's reference takes the scale 1 / 255 instead of dividing by 0;
// zero point 0, every output 0.
TEST(QuantizeOps, DynamicQuantizeLinearAllZero) {
  Graph g = OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {2, 2})},
                    {"y", "y_scale", "y_zero_point"});
  const auto out = RunAll(g, {{"x", Tensor(DType::kFloat32, {2, 2})}});
  EXPECT_EQ(out.at("y"), Tensor(DType::kUInt8, {2, 2}));
  EXPECT_EQ(out.at("y_scale").Data<float>()[0], 1.0f / 255.0f);
  EXPECT_EQ(out.at("y_zero_point").Data<std::uint8_t>()[0], 0);
}

// Ties in the zero point and in the data: x in [−1, 509] and [−3, 507] both give the scale
// 510 / 255 = 2 exactly; the zero points 0.5 and 1.5 round to 0 and 2 (ties to even).
// [−1, 509]: −0.5 → −0 → 0; 254.5 → 254.  [−3, 507] with zero point 2: −1.5 → −2 → 0;
// 253.5 → 254 → 256 → 255; 0.5 → 0 → 2; 1.5 → 2 → 4; −1.49995 → −1 → 1.
TEST(QuantizeOps, DynamicQuantizeLinearTies) {
  Graph g = OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {2})},
                    {"y", "y_scale", "y_zero_point"});
  auto out = RunAll(g, {{"x", Tensor::FromVector<float>({2}, {-1.0f, 509.0f})}});
  EXPECT_EQ(out.at("y"), Tensor::FromVector<std::uint8_t>({2}, {0, 254}));
  EXPECT_EQ(out.at("y_scale"), Tensor::FromVector<float>({}, {2.0f}));
  EXPECT_EQ(out.at("y_zero_point"), Tensor::FromVector<std::uint8_t>({}, {0}));

  Graph h = OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {5})},
                    {"y", "y_scale", "y_zero_point"});
  out = RunAll(h, {{"x", Tensor::FromVector<float>({5}, {-3.0f, 507.0f, 1.0f, 3.0f, -2.9999f})}});
  EXPECT_EQ(out.at("y"), Tensor::FromVector<std::uint8_t>({5}, {0, 255, 2, 4, 1}));
  EXPECT_EQ(out.at("y_scale"), Tensor::FromVector<float>({}, {2.0f}));
  EXPECT_EQ(out.at("y_zero_point"), Tensor::FromVector<std::uint8_t>({}, {2}));
}

// ONNX's function body of DynamicQuantizeLinear, built from the host ops (Clip written as Max
// then Min), gives the same numbers as the op.
TEST(QuantizeOps, DynamicQuantizeLinearExpandedWithHostOps) {
  for (const DqlCase& c : DqlCases()) {
    Graph g;
    g.name = "expanded";
    g.inputs = {"x"};
    g.tensors["x"] = Info("x", DType::kFloat32, c.shape, {});
    g.AddConstant("q_min", Tensor::FromVector<float>({}, {0.0f}));
    g.AddConstant("q_max", Tensor::FromVector<float>({}, {255.0f}));
    auto add = [&g](const std::string& op, std::vector<std::string> in, std::string out,
                    Attributes attrs = {}) {
      Node node;
      node.name = out;
      node.op = op;
      node.inputs = std::move(in);
      node.outputs = {std::move(out)};
      node.attrs = std::move(attrs);
      g.nodes.push_back(node);
    };
    const Attributes flat = Attrs({{"keepdims", std::int64_t{0}}});
    add("ReduceMin", {"x"}, "x_min", flat);
    add("Min", {"x_min", "q_min"}, "x_min_adjusted");
    add("ReduceMax", {"x"}, "x_max", flat);
    add("Max", {"x_max", "q_min"}, "x_max_adjusted");
    add("Sub", {"x_max_adjusted", "x_min_adjusted"}, "x_range");
    add("Div", {"x_range", "q_max"}, "scale");
    add("Div", {"x_min_adjusted", "scale"}, "min_scaled");
    add("Sub", {"q_min", "min_scaled"}, "initial_zero_point");
    add("Max", {"initial_zero_point", "q_min"}, "clip_low");
    add("Min", {"clip_low", "q_max"}, "clipped_zero_point");
    add("Round", {"clipped_zero_point"}, "rounded_zero_point");
    add("Cast", {"rounded_zero_point"}, "zero_point", Attrs({{"to", std::string("uint8")}}));
    add("Identity", {"scale"}, "y_scale");
    add("Identity", {"zero_point"}, "y_zero_point");
    add("QuantizeLinear", {"x", "scale", "zero_point"}, "y");
    g.outputs = {"y", "y_scale", "y_zero_point"};
    const auto out = RunAll(g, {{"x", Tensor::FromVector<float>(c.shape, c.x)}});
    EXPECT_EQ(out.at("y"), Tensor::FromVector<std::uint8_t>(c.shape, c.y)) << c.onnx_test;
    EXPECT_EQ(out.at("y_scale"), Tensor::FromVector<float>({}, {c.scale})) << c.onnx_test;
    EXPECT_EQ(out.at("y_zero_point"), Tensor::FromVector<std::uint8_t>({}, {c.zero_point}))
        << c.onnx_test;
  }
}

// ---- Refused -----------------------------------------------------------------------------------

TEST(QuantizeOps, RefusesBadGraphs) {
  const TensorInfo x = Info("x", DType::kFloat32, {1, 3, 2}, {});
  ExpectRefused(OneNode("QuantizeLinear", {Info("x", DType::kInt8, {2})}, {"y"}),
                "expected float32");
  ExpectRefused(OneNode("QuantizeLinear", {x}, {"y"}), "has no quantization parameters");
  Graph no_params = OneNode("QuantizeLinear", {x}, {"y"});
  no_params.tensors["y"] = Info("y", DType::kUInt8, {}, {});
  ExpectRefused(no_params, "has no quantization parameters");
  Graph bad_zero = OneNode("QuantizeLinear", {x}, {"y"});
  bad_zero.tensors["y"] = Info("y", DType::kUInt8, {}, PerTensor(1.0f, 300));
  ExpectRefused(bad_zero, "zero point 300 of 'y' is outside uint8");
  Graph bad_count = OneNode("QuantizeLinear", {x}, {"y"});
  bad_count.tensors["y"] = Info("y", DType::kInt8, {}, {{1.0f, 1.0f}, {0, 0}, 1});
  ExpectRefused(bad_count, "2 scales");
  ExpectRefused(OneNode("QuantizeLinear", {x, Info("s", DType::kInt32, {}, {})}, {"y"}),
                "scale 's' is int32, expected float32");
  ExpectRefused(OneNode("QuantizeLinear",
                        {x, Info("s", DType::kFloat32, {}, {}), Info("z", DType::kInt8, {}, {})},
                        {"y"}, Attrs({{"output_dtype", std::string("uint8")}})),
                "disagrees");
  ExpectRefused(OneNode("QuantizeLinear", {x, Info("s", DType::kFloat32, {4}, {})}, {"y"}),
                "has 4 entries but axis 1");
  ExpectRefused(OneNode("QuantizeLinear", {x, Info("s", DType::kFloat32, {3}, {})}, {"y"},
                        Attrs({{"axis", std::int64_t{3}}})),
                "axis 3 is out of range");
  ExpectRefused(
      OneNode("QuantizeLinear",
              {x, Info("s", DType::kFloat32, {3}, {}), Info("z", DType::kUInt8, {}, {})}, {"y"}),
      "zero point 'z' has shape []");
  ExpectRefused(OneNode("QuantizeLinear", {x, Info("s", DType::kFloat32, {}, {})}, {"y"},
                        Attrs({{"output_dtype", std::string("float32")}})),
                "cannot quantize to float32");
  ExpectRefused(OneNode("QuantizeLinear", {x, Info("s", DType::kFloat32, {}, {})}, {"y"},
                        Attrs({{"output_dtype", std::string("int4")}})),
                "unknown output_dtype 'int4'");
  Graph negative = OneNode("QuantizeLinear", {x, Info("s", DType::kFloat32, {}, {})}, {"y"});
  MakeConstant(negative, "s", Tensor::FromVector<float>({}, {-0.5f}));
  ExpectRefused(negative, "scale -0.5 of 's' is not a positive finite number");

  ExpectRefused(OneNode("DequantizeLinear", {x}, {"y"}), "expected uint8, int8 or int32");
  ExpectRefused(OneNode("DequantizeLinear", {Info("q", DType::kUInt8, {2}, {})}, {"y"}),
                "tensor 'q' has no quantization parameters");
  ExpectRefused(OneNode("DequantizeLinear",
                        {Info("q", DType::kUInt8, {2}, {}), Info("s", DType::kFloat32, {}, {}),
                         Info("z", DType::kInt8, {}, {})},
                        {"y"}),
                "zero point 'z' is int8, expected uint8");

  ExpectRefused(
      OneNode("DynamicQuantizeLinear", {Info("x", DType::kUInt8, {2}, {})}, {"y", "s", "z"}),
      "expected float32");
  ExpectRefused(OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {2}, {})}, {"y", "s"}),
                "expects 3 outputs");
  ExpectRefused(
      OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {2, 0}, {})}, {"y", "s", "z"}),
      "has no elements");
}

TEST(QuantizeOps, RefusesBadRuntimeValues) {
  Graph q = OneNode("QuantizeLinear",
                    {Info("x", DType::kFloat32, {2}), Info("s", DType::kFloat32, {})}, {"y"});
  q.Validate();
  try {
    RunGraph(q,
             {{"x", Tensor(DType::kFloat32, {2})}, {"s", Tensor::FromVector<float>({}, {0.0f})}});
    ADD_FAILURE() << "a zero scale was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "QuantizeLinear 'n': scale 0 of 's' is not a positive finite number");
  }
  Graph d = OneNode("DynamicQuantizeLinear", {Info("x", DType::kFloat32, {2})}, {"y", "s", "z"});
  d.Validate();
  try {
    RunGraph(d, {{"x", Tensor::FromVector<float>({2}, {1.0f, std::nanf("")})}});
    ADD_FAILURE() << "a NaN input was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("DynamicQuantizeLinear 'n': input 'x' holds a NaN", 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace qsa::golden
