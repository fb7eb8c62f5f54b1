// The ONNX importer on small ModelProtos built here: the IR it produces (ops, attributes,
// quantization parameters, fused clamps, biases) and the values the golden model computes from
// it, against values derived in the test (plain loops in double, rounding half to even as the
// ONNX reference does; the graphs run in float64-rne mode). Scales are powers of two, so the
// float semantics of the ONNX graph and its integer form agree exactly.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph.h"
#include "model/golden/npy.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::importer {
namespace {

using golden::DType;
using golden::QuantParams;
using golden::Shape;
using golden::Tensor;

constexpr int kFloat = onnx::TensorProto::FLOAT;
constexpr int kUInt8 = onnx::TensorProto::UINT8;
constexpr int kInt8 = onnx::TensorProto::INT8;
constexpr int kInt32 = onnx::TensorProto::INT32;

// ---- Building models ----------------------------------------------------------------------------

Tensor F(Shape shape, std::vector<float> v) { return Tensor::FromVector(std::move(shape), v); }
Tensor U8(Shape shape, const std::vector<int>& v) {
  std::vector<std::uint8_t> d;
  for (int x : v) d.push_back(static_cast<std::uint8_t>(x));
  return Tensor::FromVector(std::move(shape), d);
}
Tensor I8(Shape shape, const std::vector<int>& v) {
  std::vector<std::int8_t> d;
  for (int x : v) d.push_back(static_cast<std::int8_t>(x));
  return Tensor::FromVector(std::move(shape), d);
}
Tensor I32(Shape shape, std::vector<std::int32_t> v) {
  return Tensor::FromVector(std::move(shape), v);
}

onnx::TensorProto ToProto(const std::string& name, const Tensor& t) {
  onnx::TensorProto p;
  p.set_name(name);
  for (std::int64_t d : t.shape()) p.add_dims(d);
  switch (t.dtype()) {
    case DType::kUInt8:
      p.set_data_type(onnx::TensorProto::UINT8);
      break;
    case DType::kInt8:
      p.set_data_type(onnx::TensorProto::INT8);
      break;
    case DType::kInt32:
      p.set_data_type(onnx::TensorProto::INT32);
      break;
    case DType::kFloat32:
      p.set_data_type(onnx::TensorProto::FLOAT);
      break;
  }
  const auto bytes = t.Bytes();
  p.set_raw_data(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return p;
}

void SetAttr(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void SetAttr(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a->add_ints(x);
}
void SetAttr(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void SetAttr(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

class Builder {
 public:
  explicit Builder(std::int64_t opset = 13) {
    model_.set_ir_version(7);
    onnx::OperatorSetIdProto* set = model_.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    model_.mutable_graph()->set_name("test");
  }
  Builder& Microsoft() {
    onnx::OperatorSetIdProto* set = model_.add_opset_import();
    set->set_domain("com.microsoft");
    set->set_version(1);
    return *this;
  }
  Builder& Input(const std::string& name, int elem, const std::vector<std::int64_t>& dims) {
    Declare(model_.mutable_graph()->add_input(), name, elem, dims);
    return *this;
  }
  Builder& Output(const std::string& name, int elem = 0) {
    onnx::ValueInfoProto* v = model_.mutable_graph()->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
    return *this;
  }
  Builder& Init(const std::string& name, const Tensor& t) {
    *model_.mutable_graph()->add_initializer() = ToProto(name, t);
    return *this;
  }
  Builder& InitInt64(const std::string& name, const std::vector<std::int64_t>& values) {
    onnx::TensorProto* p = model_.mutable_graph()->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::INT64);
    p->add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t v : values) p->add_int64_data(v);
    return *this;
  }
  // Scale and zero point initializers "<prefix>_s", "<prefix>_z".
  Builder& Params(const std::string& prefix, const std::vector<float>& scales, const Tensor& zp) {
    if (scales.size() == 1) {
      Init(prefix + "_s", F({}, scales));
    } else {
      Init(prefix + "_s", F({static_cast<std::int64_t>(scales.size())}, scales));
    }
    return Init(prefix + "_z", zp);
  }
  onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& name = "",
                        const std::string& domain = "") {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const std::string& s : in) n->add_input(s);
    for (const std::string& s : out) n->add_output(s);
    return *n;
  }
  // Q / DQ with the initializers of Params(prefix).
  onnx::NodeProto& Q(const std::string& x, const std::string& prefix, const std::string& y,
                     const std::string& name = "") {
    return Node("QuantizeLinear", {x, prefix + "_s", prefix + "_z"}, {y}, name);
  }
  onnx::NodeProto& Dq(const std::string& x, const std::string& prefix, const std::string& y,
                      const std::string& name = "") {
    return Node("DequantizeLinear", {x, prefix + "_s", prefix + "_z"}, {y}, name);
  }
  std::string Bytes() const { return model_.SerializeAsString(); }
  ImportResult Import(const ImportOptions& options = {}) const {
    return ImportOnnxBytes(Bytes(), "test.onnx", options);
  }
  onnx::ModelProto& model() { return model_; }

 private:
  static void Declare(onnx::ValueInfoProto* v, const std::string& name, int elem,
                      const std::vector<std::int64_t>& dims) {
    v->set_name(name);
    onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem);
    onnx::TensorShapeProto* shape = t->mutable_shape();
    for (std::int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
  onnx::ModelProto model_;
};

// ---- Checking results ---------------------------------------------------------------------------

std::vector<std::string> Ops(const golden::Graph& g) {
  std::vector<std::string> ops;
  for (const golden::Node& n : g.nodes) ops.push_back(n.op);
  return ops;
}

const golden::Node& NodeNamed(const golden::Graph& g, const std::string& name) {
  for (const golden::Node& n : g.nodes) {
    if (n.name == name) return n;
  }
  throw Error("no node '" + name + "'");
}

std::map<std::string, Tensor> RunGolden(const golden::Graph& g,
                                        const std::map<std::string, Tensor>& feed) {
  golden::RunOptions options;
  options.mode = golden::RequantMode::kFloat64Rne;
  return golden::RunGraph(g, feed, options);
}

QuantParams PerTensor(float scale, std::int32_t zero_point) {
  return QuantParams{{scale}, {zero_point}, -1};
}

// Requantized value as the ONNX reference computes it: round half to even, + zero point, clamp.
std::int64_t Requant(double value, std::int64_t zero_point, std::int64_t lo, std::int64_t hi) {
  return std::clamp(static_cast<std::int64_t>(std::nearbyint(value)) + zero_point, lo, hi);
}

std::vector<std::int64_t> Ints(const Tensor& t) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < t.size(); ++i) v.push_back(t.GetInt(i));
  return v;
}
std::vector<double> Reals(const Tensor& t) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < t.size(); ++i) v.push_back(t.GetDouble(i));
  return v;
}

// Throws unless the import fails with a message containing every one of `parts`.
void ExpectImportError(const Builder& b, const std::vector<std::string>& parts,
                       const ImportOptions& options = {}) {
  try {
    b.Import(options);
    ADD_FAILURE() << "import succeeded; expected an error containing '" << parts[0] << "'";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    for (const std::string& part : parts) {
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
    }
  }
}

// Plain 2-D convolution of one image, no padding, stride 1: acc[m][oh][ow].
std::vector<std::int64_t> RefConv(const std::vector<std::int64_t>& x_centered, std::int64_t c,
                                  std::int64_t h, std::int64_t w,
                                  const std::vector<std::int64_t>& weights, std::int64_t m,
                                  std::int64_t kh, std::int64_t kw,
                                  const std::vector<std::int64_t>& bias) {
  const std::int64_t oh = h - kh + 1;
  const std::int64_t ow = w - kw + 1;
  std::vector<std::int64_t> acc;
  for (std::int64_t o = 0; o < m; ++o) {
    for (std::int64_t i = 0; i < oh; ++i) {
      for (std::int64_t j = 0; j < ow; ++j) {
        std::int64_t sum = bias.empty() ? 0 : bias[static_cast<std::size_t>(o)];
        for (std::int64_t ch = 0; ch < c; ++ch) {
          for (std::int64_t a = 0; a < kh; ++a) {
            for (std::int64_t b = 0; b < kw; ++b) {
              sum += x_centered[static_cast<std::size_t>((ch * h + i + a) * w + j + b)] *
                     weights[static_cast<std::size_t>(((o * c + ch) * kh + a) * kw + b)];
            }
          }
        }
        acc.push_back(sum);
      }
    }
  }
  return acc;
}

// ---- QOperator form -----------------------------------------------------------------------------

TEST(OnnxImportQOperatorTest, QuantizeThenDequantizePerTensor) {
  Builder b;
  b.Input("x", kFloat, {5}).Output("y", kFloat).Params("p", {0.5f}, U8({}, {10}));
  b.Q("x", "p", "xq", "q");
  b.Dq("xq", "p", "y", "dq");
  const ImportResult r = b.Import();
  const golden::Graph& g = r.graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "DequantizeLinear"}));
  EXPECT_EQ(g.nodes[0].inputs, std::vector<std::string>{"x"});  // static form
  EXPECT_EQ(g.nodes[1].inputs, std::vector<std::string>{"xq"});
  EXPECT_EQ(g.Info("xq").dtype, DType::kUInt8);
  EXPECT_EQ(g.Info("xq").quant, PerTensor(0.5f, 10));
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  EXPECT_TRUE(r.bound.empty());
  // x / 0.5 = -2, 0.5 (tie → 0), 6, 400 (saturates), -30 (saturates at 0).
  const auto out = RunGolden(g, {{"x", F({5}, {-1.0f, 0.25f, 3.0f, 200.0f, -15.0f})}});
  EXPECT_EQ(Reals(out.at("y")), (std::vector<double>{-1.0, 0.0, 3.0, 122.5, -5.0}));
}

TEST(OnnxImportQOperatorTest, DequantizePerAxisWithNegativeAxis) {
  Builder b;
  b.Input("x", kInt8, {2, 3}).Output("y", kFloat);
  b.Init("s", F({3}, {0.5f, 1.0f, 2.0f})).Init("z", I8({3}, {0, 1, -1}));
  SetAttr(b.Node("DequantizeLinear", {"x", "s", "z"}, {"y"}, "dq"), "axis", std::int64_t{-1});
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(g.Info("x").quant, (QuantParams{{0.5f, 1.0f, 2.0f}, {0, 1, -1}, 1}));
  const auto out = RunGolden(g, {{"x", I8({2, 3}, {2, 3, 4, -2, 1, -1})}});
  EXPECT_EQ(Reals(out.at("y")), (std::vector<double>{1.0, 2.0, 10.0, -1.0, 0.0, 0.0}));
}

TEST(OnnxImportQOperatorTest, PerAxisNeedsOpset13) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 3}).Output("y", kFloat);
  b.Init("s", F({3}, {0.5f, 1.0f, 2.0f})).Init("z", U8({3}, {0, 1, 2}));
  b.Node("DequantizeLinear", {"x", "s", "z"}, {"y"}, "dq");
  ExpectImportError(b, {"DequantizeLinear 'dq'", "opset 13"});
}

TEST(OnnxImportQOperatorTest, QLinearConvPerChannelWithBias) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 3, 3}).Output("y", kUInt8);
  const std::vector<int> w = {1, -1, 2, 0, -2, 1, 0, 3};
  b.Params("x", {0.5f}, U8({}, {2}))
      .Init("w", I8({2, 1, 2, 2}, w))
      .Params("w", {0.5f, 0.25f}, I8({2}, {0, 0}))
      .Params("y", {1.0f}, U8({}, {5}))
      .Init("bias", I32({2}, {4, -8}));
  b.Node("QLinearConv", {"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z", "bias"}, {"y"},
         "conv1");
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"Conv"});
  const golden::Node& conv = g.nodes[0];
  EXPECT_EQ(conv.name, "conv1");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"x", "w", "bias"}));
  EXPECT_EQ(conv.attrs.GetInts("strides"), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(conv.attrs.GetInts("pads"), (std::vector<std::int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(conv.attrs.GetInts("dilations"), (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(conv.attrs.GetInt("group"), 1);
  EXPECT_EQ(g.Info("x").quant, PerTensor(0.5f, 2));
  EXPECT_EQ(g.Info("w").quant, (QuantParams{{0.5f, 0.25f}, {0, 0}, 0}));
  EXPECT_EQ(g.Info("y").quant, PerTensor(1.0f, 5));
  EXPECT_EQ(g.Info("y").shape, (Shape{1, 2, 2, 2}));
  EXPECT_TRUE(g.IsConstant("w"));
  EXPECT_TRUE(g.IsConstant("bias"));

  const std::vector<int> xv = {2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<std::int64_t> centered;
  for (int v : xv) centered.push_back(v - 2);
  const std::vector<std::int64_t> acc =
      RefConv(centered, 1, 3, 3, {w.begin(), w.end()}, 2, 2, 2, {4, -8});
  std::vector<std::int64_t> want;
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const double m = 0.5 * (i < 4 ? 0.5 : 0.25) / 1.0;
    want.push_back(Requant(static_cast<double>(acc[i]) * m, 5, 0, 255));
  }
  // Channel 0 at (0, 0): 4 + (0·1 + 1·−1 + 3·2 + 4·0) = 9; 9 · 0.25 = 2.25 → 2; + 5 = 7.
  EXPECT_EQ(want[0], 7);
  const auto out = RunGolden(g, {{"x", U8({1, 1, 3, 3}, xv)}});
  EXPECT_EQ(Ints(out.at("y")), want);
}

TEST(OnnxImportQOperatorTest, QLinearConvAutoPadSameUpperComputesPads) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 5, 5}).Output("y", kUInt8);
  b.Params("x", {0.5f}, U8({}, {0}))
      .Init("w", I8({1, 1, 2, 2}, {1, 1, 1, 1}))
      .Params("w", {0.5f}, I8({}, {0}))
      .Params("y", {1.0f}, U8({}, {0}));
  onnx::NodeProto& n =
      b.Node("QLinearConv", {"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z"}, {"y"}, "c");
  SetAttr(n, "auto_pad", std::string("SAME_UPPER"));
  SetAttr(n, "strides", std::vector<std::int64_t>{2, 2});
  const golden::Graph g = b.Import().graph;
  // out = ceil(5 / 2) = 3; total padding (3 − 1)·2 + 2 − 5 = 1, at the end (SAME_UPPER).
  EXPECT_EQ(g.nodes[0].attrs.GetInts("pads"), (std::vector<std::int64_t>{0, 0, 1, 1}));
  EXPECT_FALSE(g.nodes[0].attrs.Has("auto_pad"));
  EXPECT_EQ(g.Info("y").shape, (Shape{1, 1, 3, 3}));
}

TEST(OnnxImportQOperatorTest, QLinearMatMul2D) {
  Builder b(10);
  b.Input("a", kUInt8, {2, 3}).Output("y", kUInt8);
  const std::vector<int> bv = {3, 1, 2, 2, 0, 4};  // [3, 2]
  b.Params("a", {0.5f}, U8({}, {1}))
      .Init("b", U8({3, 2}, bv))
      .Params("b", {0.25f}, U8({}, {2}))
      .Params("y", {0.25f}, U8({}, {100}));
  b.Node("QLinearMatMul", {"a", "a_s", "a_z", "b", "b_s", "b_z", "y_s", "y_z"}, {"y"}, "mm");
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"MatMul"});
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.Info("b").quant, PerTensor(0.25f, 2));
  const std::vector<int> av = {1, 3, 5, 9, 0, 2};
  std::vector<std::int64_t> want;
  for (int i = 0; i < 2; ++i) {
    for (int n = 0; n < 2; ++n) {
      std::int64_t acc = 0;
      for (int k = 0; k < 3; ++k) acc += (av[i * 3 + k] - 1) * (bv[k * 2 + n] - 2);
      want.push_back(Requant(static_cast<double>(acc) * 0.5 * 0.25 / 0.25, 100, 0, 255));
    }
  }
  const auto out = RunGolden(g, {{"a", U8({2, 3}, av)}});
  EXPECT_EQ(Ints(out.at("y")), want);
}

TEST(OnnxImportQOperatorTest, ConvIntegerGivesInt32WithZeroPoints) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 3, 3}).Output("y", kInt32);
  b.Init("w", U8({1, 1, 2, 2}, {3, 2, 1, 4})).Init("xz", U8({}, {1})).Init("wz", U8({}, {2}));
  b.Node("ConvInteger", {"x", "w", "xz", "wz"}, {"y"}, "ci");
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"Conv"});
  EXPECT_EQ(g.Info("y").dtype, DType::kInt32);
  EXPECT_EQ(g.Info("x").quant, (QuantParams{{}, {1}, -1}));
  EXPECT_EQ(g.Info("w").quant, (QuantParams{{}, {2}, -1}));
  // Centered x 0..8, centered w {1, 0, −1, 2}.
  const auto out = RunGolden(g, {{"x", U8({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})}});
  // (0,0): 0·1 + 1·0 + 3·−1 + 4·2 = 5; (0,1): 1 + 0 − 4 + 10 = 7; (1,0): 3 − 6 + 14 = 11;
  // (1,1): 4 − 7 + 16 = 13.
  EXPECT_EQ(Ints(out.at("y")), (std::vector<std::int64_t>{5, 7, 11, 13}));
}

TEST(OnnxImportQOperatorTest, MatMulIntegerGivesInt32) {
  Builder b(10);
  b.Input("a", kUInt8, {2, 2}).Output("y", kInt32);
  b.Init("b", I8({2, 2}, {1, -2, 3, 4})).Init("az", U8({}, {3}));
  b.Node("MatMulInteger", {"a", "b", "az"}, {"y"}, "mmi");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(g.Info("y").dtype, DType::kInt32);
  EXPECT_TRUE(g.Info("b").quant.zero_points.empty());
  const auto out = RunGolden(g, {{"a", U8({2, 2}, {4, 5, 3, 0})}});
  // [1, 2; 0, −3] · [1, −2; 3, 4] = [7, 6; −9, −12].
  EXPECT_EQ(Ints(out.at("y")), (std::vector<std::int64_t>{7, 6, -9, -12}));
}

TEST(OnnxImportQOperatorTest, QLinearAddMicrosoft) {
  Builder b;
  b.Microsoft().Input("a", kUInt8, {4}).Input("b", kUInt8, {4}).Output("c", kUInt8);
  b.Params("a", {0.5f}, U8({}, {10}))
      .Params("b", {0.25f}, U8({}, {20}))
      .Params("c", {1.0f}, U8({}, {50}));
  b.Node("QLinearAdd", {"a", "a_s", "a_z", "b", "b_s", "b_z", "c_s", "c_z"}, {"c"}, "add",
         "com.microsoft");
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"Add"});
  EXPECT_EQ(g.Info("a").quant, PerTensor(0.5f, 10));
  EXPECT_EQ(g.Info("b").quant, PerTensor(0.25f, 20));
  EXPECT_EQ(g.Info("c").quant, PerTensor(1.0f, 50));
  const std::vector<int> av = {10, 14, 0, 255};
  const std::vector<int> bv = {20, 26, 0, 255};
  std::vector<std::int64_t> want;
  for (std::size_t i = 0; i < 4; ++i) {
    want.push_back(Requant((av[i] - 10) * 0.5 + (bv[i] - 20) * 0.25, 50, 0, 255));
  }
  EXPECT_EQ(want, (std::vector<std::int64_t>{50, 54, 40, 231}));  // 3.5 → 4 (tie to even)
  const auto out = RunGolden(g, {{"a", U8({4}, av)}, {"b", U8({4}, bv)}});
  EXPECT_EQ(Ints(out.at("c")), want);
}

TEST(OnnxImportQOperatorTest, QLinearAveragePoolAndGlobalAveragePool) {
  Builder b;
  b.Microsoft().Input("x", kUInt8, {1, 1, 2, 4}).Output("p", kUInt8).Output("g", kUInt8);
  b.Params("x", {0.5f}, U8({}, {4}))
      .Params("p", {0.25f}, U8({}, {2}))
      .Params("g", {1.0f}, U8({}, {0}));
  onnx::NodeProto& pool = b.Node("QLinearAveragePool", {"x", "x_s", "x_z", "p_s", "p_z"}, {"p"},
                                 "avg", "com.microsoft");
  SetAttr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  SetAttr(pool, "strides", std::vector<std::int64_t>{2, 2});
  onnx::NodeProto& gap = b.Node("QLinearGlobalAveragePool", {"x", "x_s", "x_z", "g_s", "g_z"},
                                {"g"}, "gap", "com.microsoft");
  SetAttr(gap, "channels_last", std::int64_t{0});
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"AveragePool", "GlobalAveragePool"}));
  EXPECT_EQ(g.nodes[0].attrs.GetInts("kernel_shape"), (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(g.nodes[0].attrs.GetInt("count_include_pad"), 0);
  const std::vector<int> xv = {4, 6, 8, 9, 5, 7, 10, 12};
  const auto out = RunGolden(g, {{"x", U8({1, 1, 2, 4}, xv)}});
  // Window 1: centered {0, 2, 1, 3}, mean 1.5 · 0.5 / 0.25 = 3 → 5; window 2: {4, 5, 6, 8},
  // mean 5.75 · 2 = 11.5 → 12 (tie to even) → 14. Global: centered sum 29 / 8 · 0.5 = 1.8125 → 2.
  EXPECT_EQ(Ints(out.at("p")), (std::vector<std::int64_t>{5, 14}));
  EXPECT_EQ(Ints(out.at("g")), (std::vector<std::int64_t>{2}));
}

TEST(OnnxImportQOperatorTest, ChannelsLastIsRefused) {
  Builder b;
  b.Microsoft().Input("x", kUInt8, {1, 2, 2, 1}).Output("g", kUInt8);
  b.Params("x", {0.5f}, U8({}, {4})).Params("g", {1.0f}, U8({}, {0}));
  SetAttr(b.Node("QLinearGlobalAveragePool", {"x", "x_s", "x_z", "g_s", "g_z"}, {"g"}, "gap",
                 "com.microsoft"),
          "channels_last", std::int64_t{1});
  ExpectImportError(b, {"QLinearGlobalAveragePool 'gap'", "channels_last = 1"});
}

TEST(OnnxImportQOperatorTest, IntegerMaxPoolReluAndClip) {
  Builder b(13);
  b.Input("x", kInt8, {1, 1, 2, 2}).Output("y", kInt8).Output("r", kInt8).Output("c", kInt8);
  b.Params("x", {0.5f}, I8({}, {-5}));
  SetAttr(b.Node("MaxPool", {"x"}, {"y"}, "pool"), "kernel_shape", std::vector<std::int64_t>{2, 2});
  b.Node("Relu", {"x"}, {"r"}, "relu");
  b.Init("lo", I8({}, {-3})).Init("hi", I8({}, {6}));
  b.Node("Clip", {"x", "lo", "hi"}, {"c"}, "clip");
  b.Node("DequantizeLinear", {"x", "x_s", "x_z"}, {"xf"}, "dq");  // gives x its parameters
  b.Output("xf", kFloat);
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"MaxPool", "Clip", "Clip", "DequantizeLinear"}));
  // ONNX Relu on stored integers: max(q, 0).
  EXPECT_EQ(NodeNamed(g, "relu").attrs.GetInt("min"), 0);
  EXPECT_EQ(NodeNamed(g, "clip").attrs.GetInt("min"), -3);
  EXPECT_EQ(NodeNamed(g, "clip").attrs.GetInt("max"), 6);
  EXPECT_EQ(g.Info("y").quant, PerTensor(0.5f, -5));
  const auto out = RunGolden(g, {{"x", I8({1, 1, 2, 2}, {-8, 7, 2, -1})}});
  EXPECT_EQ(Ints(out.at("y")), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(Ints(out.at("r")), (std::vector<std::int64_t>{0, 7, 2, 0}));
  EXPECT_EQ(Ints(out.at("c")), (std::vector<std::int64_t>{-3, 6, 2, -1}));
}

TEST(OnnxImportQOperatorTest, AttributeClipQuantizesRealBounds) {
  // Opset 10: QuantizeLinear exists, Clip takes its bounds as float attributes.
  Builder b(10);
  b.Input("x", kFloat, {4}).Output("c", kUInt8);
  b.Params("x", {0.25f}, U8({}, {8}));
  b.Q("x", "x", "xq", "q");
  onnx::NodeProto& clip = b.Node("Clip", {"xq"}, {"c"}, "relu6");
  SetAttr(clip, "min", 0.0f);
  SetAttr(clip, "max", 6.0f);
  const golden::Graph g = b.Import().graph;
  const golden::Node& node = NodeNamed(g, "relu6");
  EXPECT_EQ(node.attrs.GetInt("min"), 8);   // 0 / 0.25 + 8
  EXPECT_EQ(node.attrs.GetInt("max"), 32);  // 6 / 0.25 + 8
  EXPECT_EQ(g.Info("c").quant, PerTensor(0.25f, 8));
  const auto out = RunGolden(g, {{"x", F({4}, {-1.0f, 1.0f, 5.0f, 7.0f})}});
  EXPECT_EQ(Ints(out.at("c")), (std::vector<std::int64_t>{8, 12, 28, 32}));

  // Without parameters on the tensor the bounds cannot be quantized.
  Builder raw(10);
  raw.Input("x", kUInt8, {4}).Output("c", kUInt8);
  SetAttr(raw.Node("Clip", {"x"}, {"c"}, "clip"), "max", 6.0f);
  ExpectImportError(raw, {"Clip 'clip'", "no per-tensor scale"});
}

TEST(OnnxImportQOperatorTest, LayoutOpsCarryParameters) {
  Builder b;
  b.Input("x", kUInt8, {1, 2, 3}).Output("y", kFloat).Output("f", kUInt8).Output("cat", kUInt8);
  b.Params("p", {0.5f}, U8({}, {3})).InitInt64("shape", {3, 2});
  SetAttr(b.Node("Transpose", {"x"}, {"t"}, "tr"), "perm", std::vector<std::int64_t>{0, 2, 1});
  b.Node("Reshape", {"t", "shape"}, {"r"}, "rs");
  b.Node("Identity", {"r"}, {"i"}, "id");
  b.Dq("i", "p", "y", "dq");
  b.Node("Flatten", {"x"}, {"f"}, "fl");
  SetAttr(b.Node("Concat", {"x", "x"}, {"cat"}, "cat"), "axis", std::int64_t{1});
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"Transpose", "Reshape", "Identity",
                                              "DequantizeLinear", "Flatten", "Concat"}));
  EXPECT_EQ(NodeNamed(g, "rs").attrs.GetInts("shape"), (std::vector<std::int64_t>{3, 2}));
  // The DequantizeLinear's parameters travel back through Identity, Reshape and Transpose.
  for (const char* t : {"x", "t", "r", "i", "f", "cat"}) {
    EXPECT_EQ(g.Info(t).quant, PerTensor(0.5f, 3)) << t;
  }
  const auto out = RunGolden(g, {{"x", U8({1, 2, 3}, {3, 4, 5, 6, 7, 8})}});
  // Transposed [[3, 6], [4, 7], [5, 8]], dequantized (q − 3) · 0.5.
  EXPECT_EQ(Reals(out.at("y")), (std::vector<double>{0.0, 1.5, 0.5, 2.0, 1.0, 2.5}));
  EXPECT_EQ(out.at("f").shape(), (Shape{1, 6}));
  EXPECT_EQ(Ints(out.at("cat")), (std::vector<std::int64_t>{3, 4, 5, 6, 7, 8, 3, 4, 5, 6, 7, 8}));
}

TEST(OnnxImportQOperatorTest, QLinearConcatRequantizes) {
  Builder b;
  b.Microsoft().Input("a", kUInt8, {1, 2}).Input("b", kUInt8, {1, 2}).Output("y", kUInt8);
  b.Params("a", {0.5f}, U8({}, {10}))
      .Params("b", {0.25f}, U8({}, {0}))
      .Params("y", {0.5f}, U8({}, {10}));
  SetAttr(b.Node("QLinearConcat", {"y_s", "y_z", "a", "a_s", "a_z", "b", "b_s", "b_z"}, {"y"},
                 "cat", "com.microsoft"),
          "axis", std::int64_t{1});
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"Concat"});
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.Info("b").quant, PerTensor(0.25f, 0));
  const auto out = RunGolden(g, {{"a", U8({1, 2}, {12, 200})}, {"b", U8({1, 2}, {6, 3})}});
  // b requantized: q · 0.25 / 0.5 + 10: 3 + 10 = 13; 1.5 → 2 (tie to even) → 12.
  EXPECT_EQ(Ints(out.at("y")), (std::vector<std::int64_t>{12, 200, 13, 12}));
}

TEST(OnnxImportQOperatorTest, QGemmWithTransBAndBias) {
  Builder b;
  b.Microsoft().Input("a", kUInt8, {1, 3}).Output("y", kUInt8);
  const std::vector<int> bv = {1, 2, 3, -1, 0, 2};  // [N = 2, K = 3]
  b.Params("a", {0.5f}, U8({}, {2}))
      .Init("b", I8({2, 3}, bv))
      .Params("b", {0.5f, 0.25f}, I8({2}, {0, 0}))
      .Init("c", I32({2}, {4, -4}))
      .Params("y", {0.125f}, U8({}, {7}));
  SetAttr(b.Node("QGemm", {"a", "a_s", "a_z", "b", "b_s", "b_z", "c", "y_s", "y_z"}, {"y"}, "fc",
                 "com.microsoft"),
          "transB", std::int64_t{1});
  const golden::Graph g = b.Import().graph;
  ASSERT_EQ(Ops(g), std::vector<std::string>{"MatMul"});
  EXPECT_EQ(g.nodes[0].attrs.GetInt("transpose_b"), 1);
  EXPECT_EQ(g.Info("b").quant, (QuantParams{{0.5f, 0.25f}, {0, 0}, 0}));
  const std::vector<int> av = {3, 4, 2};  // centered {1, 2, 0}
  std::vector<std::int64_t> want;
  const double bias[2] = {4, -4};
  const double s_b[2] = {0.5, 0.25};
  for (int n = 0; n < 2; ++n) {
    double acc = bias[n];
    for (int k = 0; k < 3; ++k)
      acc += (av[static_cast<std::size_t>(k)] - 2) * bv[static_cast<std::size_t>(n * 3 + k)];
    want.push_back(Requant(acc * 0.5 * s_b[n] / 0.125, 7, 0, 255));
  }
  EXPECT_EQ(want, (std::vector<std::int64_t>{25, 2}));  // 4 + 5 = 9 → 18 + 7; −4 − 1 → −5 → 2
  const auto out = RunGolden(g, {{"a", U8({1, 3}, av)}});
  EXPECT_EQ(Ints(out.at("y")), want);
}

// ---- Binding parameter inputs -------------------------------------------------------------------

TEST(OnnxImportBindingTest, ProvidedParameterInputsBecomeConstants) {
  Builder b;
  b.Input("x", kFloat, {2}).Input("y_scale", kFloat, {}).Input("y_zero_point", kUInt8, {});
  b.Output("y", kUInt8);
  b.Node("QuantizeLinear", {"x", "y_scale", "y_zero_point"}, {"y"}, "q");
  ImportOptions options;
  options.bound_inputs["y_scale"] = F({}, {0.5f});
  options.bound_inputs["y_zero_point"] = U8({}, {7});
  options.bound_inputs["x"] = F({2}, {1.0f, 2.0f});  // an activation: not bound
  const ImportResult r = b.Import(options);
  EXPECT_EQ(r.bound, (std::set<std::string>{"y_scale", "y_zero_point"}));
  EXPECT_EQ(r.graph.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(r.graph.Info("y").quant, PerTensor(0.5f, 7));
  const auto out = RunGolden(r.graph, {{"x", F({2}, {1.0f, -2.0f})}});
  EXPECT_EQ(Ints(out.at("y")), (std::vector<std::int64_t>{9, 3}));
}

TEST(OnnxImportBindingTest, MissingParameterInputNamesNodeAndInput) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 3, 3}).Input("x_scale", kFloat, {}).Output("y", kUInt8);
  b.Init("x_zero_point", U8({}, {0}))
      .Init("w", I8({1, 1, 1, 1}, {1}))
      .Params("w", {1.0f}, I8({}, {0}))
      .Params("y", {1.0f}, U8({}, {0}));
  b.Node("QLinearConv", {"x", "x_scale", "x_zero_point", "w", "w_s", "w_z", "y_s", "y_z"}, {"y"},
         "conv1");
  ExpectImportError(b, {"test.onnx", "QLinearConv 'conv1'",
                        "x_scale 'x_scale' must be an initializer or a provided input"});
}

TEST(OnnxImportBindingTest, ProvidedValueMustMatchDeclaration) {
  Builder b;
  b.Input("x", kFloat, {2}).Input("s", kFloat, {}).Output("y", kUInt8);
  b.Node("QuantizeLinear", {"x", "s"}, {"y"}, "q");
  ImportOptions options;
  options.bound_inputs["s"] = U8({}, {1});
  ExpectImportError(b, {"QuantizeLinear 'q'", "y_scale 's'", "FLOAT"}, options);
}

TEST(OnnxImportBindingTest, ConflictingParametersAreRefused) {
  Builder b;
  b.Input("x", kUInt8, {2}).Output("a", kFloat).Output("b", kFloat);
  b.Params("p", {0.5f}, U8({}, {1})).Params("r", {0.25f}, U8({}, {1}));
  b.Dq("x", "p", "a", "dq1");
  b.Dq("x", "r", "b", "dq2");
  ExpectImportError(
      b, {"DequantizeLinear 'dq2'", "'x'", "scale 0.25", "scale 0.5", "DequantizeLinear 'dq1'"});
}

// ---- QDQ form -----------------------------------------------------------------------------------

// x → Q → DQ → Conv(DQ(w), DQ(bias)) → [act] → Q → DQ → y with per-channel weights.
Builder QdqConv(const std::string& activation, bool float_bias) {
  Builder b;
  b.Input("x", kFloat, {1, 1, 3, 3}).Output("y", kFloat);
  b.Params("x", {0.5f}, U8({}, {10}))
      .Init("w", I8({2, 1, 2, 2}, {1, -1, 2, 0, -2, 1, 0, 3}))
      .Params("w", {0.25f, 0.125f}, I8({2}, {0, 0}))
      .Params("y", {0.5f}, U8({}, {4}));
  b.Q("x", "x", "xq", "q_x");
  b.Dq("xq", "x", "xf", "dq_x");
  SetAttr(b.Dq("w", "w", "wf", "dq_w"), "axis", std::int64_t{0});
  if (float_bias) {
    b.Init("bf", F({2}, {0.1875f, -0.15625f}));
  } else {
    b.Init("b", I32({2}, {8, -16})).Params("b", {0.125f, 0.0625f}, I32({2}, {0, 0}));
    SetAttr(b.Dq("b", "b", "bf", "dq_b"), "axis", std::int64_t{0});
  }
  b.Node("Conv", {"xf", "wf", "bf"}, {"c"}, "conv");
  std::string pre_q = "c";
  if (activation == "Relu") {
    b.Node("Relu", {"c"}, {"r"}, "relu");
    pre_q = "r";
  } else if (activation == "Clip") {
    b.Init("lo", F({}, {0.0f})).Init("hi", F({}, {6.0f}));
    b.Node("Clip", {"c", "lo", "hi"}, {"r"}, "clip");
    pre_q = "r";
  }
  b.Q(pre_q, "y", "yq", "q_y");
  b.Dq("yq", "y", "y", "dq_y");
  return b;
}

TEST(OnnxImportQdqTest, ConvReluPerChannelBecomesOneConv) {
  const golden::Graph g = QdqConv("Relu", false).Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "Conv", "DequantizeLinear"}));
  const golden::Node& conv = NodeNamed(g, "conv");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"xq", "w", "b"}));
  EXPECT_EQ(conv.outputs, std::vector<std::string>{"yq"});
  EXPECT_EQ(conv.attrs.GetInt("clamp_min"), 4);  // Relu: the output zero point
  EXPECT_FALSE(conv.attrs.Has("clamp_max"));
  EXPECT_EQ(g.Info("xq").quant, PerTensor(0.5f, 10));
  EXPECT_EQ(g.Info("w").quant, (QuantParams{{0.25f, 0.125f}, {0, 0}, 0}));
  EXPECT_EQ(g.Info("yq").quant, PerTensor(0.5f, 4));
  EXPECT_EQ(g.Info("yq").dtype, DType::kUInt8);
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  EXPECT_FALSE(g.HasTensor("c"));
  EXPECT_FALSE(g.HasTensor("xf"));

  const std::vector<int> xq = {10, 12, 8, 15, 9, 20, 11, 6, 13};
  std::vector<float> xv;
  std::vector<std::int64_t> centered;
  for (int q : xq) {
    xv.push_back(static_cast<float>(q - 10) * 0.5f);
    centered.push_back(q - 10);
  }
  const std::vector<std::int64_t> acc =
      RefConv(centered, 1, 3, 3, {1, -1, 2, 0, -2, 1, 0, 3}, 2, 2, 2, {8, -16});
  std::vector<double> want;
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const double m = 0.5 * (i < 4 ? 0.25 : 0.125) / 0.5;
    const std::int64_t q =
        std::max<std::int64_t>(4, Requant(static_cast<double>(acc[i]) * m, 4, 0, 255));
    want.push_back(static_cast<double>(q - 4) * 0.5);
  }
  const auto out = RunGolden(g, {{"x", F({1, 1, 3, 3}, xv)}});
  EXPECT_EQ(Reals(out.at("y")), want);
}

TEST(OnnxImportQdqTest, FloatBiasIsQuantizedHalfToEven) {
  const golden::Graph g = QdqConv("", true).Import().graph;
  const golden::Node& conv = NodeNamed(g, "conv");
  ASSERT_EQ(conv.inputs.size(), 3u);
  // 0.1875 / (0.5 · 0.25) = 1.5 → 2; −0.15625 / (0.5 · 0.125) = −2.5 → −2.
  EXPECT_EQ(Ints(g.Constant(conv.inputs[2])), (std::vector<std::int64_t>{2, -2}));
  EXPECT_EQ(g.Info(conv.inputs[2]).dtype, DType::kInt32);
  EXPECT_FALSE(conv.attrs.Has("clamp_min"));
}

TEST(OnnxImportQdqTest, ClipBoundsBecomeClamp) {
  const golden::Graph g = QdqConv("Clip", false).Import().graph;
  const golden::Node& conv = NodeNamed(g, "conv");
  EXPECT_EQ(conv.attrs.GetInt("clamp_min"), 4);   // 0 / 0.5 + 4
  EXPECT_EQ(conv.attrs.GetInt("clamp_max"), 16);  // 6 / 0.5 + 4
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "Conv", "DequantizeLinear"}));
}

TEST(OnnxImportQdqTest, GemmWithTransBTransposesTheWeight) {
  Builder b;
  b.Input("a", kFloat, {1, 4}).Output("y", kFloat);
  const std::vector<int> bv = {1, 2, 0, -1, 3, -2, 1, 1, 0, 0, 4, 2};  // [N = 3, K = 4]
  b.Params("a", {0.5f}, U8({}, {128}))
      .Init("B", I8({3, 4}, bv))
      .Params("B", {0.5f, 0.25f, 0.125f}, I8({3}, {0, 0, 0}))
      .Init("C", I32({3}, {2, -3, 5}))
      .Params("C", {0.25f, 0.125f, 0.0625f}, I32({3}, {0, 0, 0}))
      .Params("y", {0.25f}, U8({}, {100}));
  b.Q("a", "a", "aq", "q_a");
  b.Dq("aq", "a", "af", "dq_a");
  SetAttr(b.Dq("B", "B", "Bf", "dq_B"), "axis", std::int64_t{0});
  SetAttr(b.Dq("C", "C", "Cf", "dq_C"), "axis", std::int64_t{0});
  SetAttr(b.Node("Gemm", {"af", "Bf", "Cf"}, {"g"}, "fc"), "transB", std::int64_t{1});
  b.Q("g", "y", "yq", "q_y");
  b.Dq("yq", "y", "y", "dq_y");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "MatMul", "DequantizeLinear"}));
  const golden::Node& mm = NodeNamed(g, "fc");
  ASSERT_EQ(mm.inputs.size(), 3u);
  EXPECT_FALSE(mm.attrs.Has("transpose_b"));
  const std::string& w = mm.inputs[1];
  EXPECT_EQ(g.Constant(w).shape(), (Shape{4, 3}));
  EXPECT_EQ(Ints(g.Constant(w)), (std::vector<std::int64_t>{1, 3, 0, 2, -2, 0, 0, 1, 4, -1, 1, 2}));
  EXPECT_EQ(g.Info(w).quant, (QuantParams{{0.5f, 0.25f, 0.125f}, {0, 0, 0}, 1}));
  EXPECT_EQ(mm.inputs[2], "C");

  const std::vector<int> aq = {130, 127, 128, 136};
  std::vector<float> av;
  for (int q : aq) av.push_back(static_cast<float>(q - 128) * 0.5f);
  const double s_b[3] = {0.5, 0.25, 0.125};
  const std::int64_t bias[3] = {2, -3, 5};
  std::vector<double> want;
  for (int n = 0; n < 3; ++n) {
    std::int64_t acc = bias[n];
    for (int k = 0; k < 4; ++k)
      acc += (aq[static_cast<std::size_t>(k)] - 128) * bv[static_cast<std::size_t>(n * 4 + k)];
    const std::int64_t q = Requant(static_cast<double>(acc) * 0.5 * s_b[n] / 0.25, 100, 0, 255);
    want.push_back(static_cast<double>(q - 100) * 0.25);
  }
  const auto out = RunGolden(g, {{"a", F({1, 4}, av)}});
  EXPECT_EQ(Reals(out.at("y")), want);
}

TEST(OnnxImportQdqTest, GemmTransAIsRefused) {
  Builder b;
  b.Input("a", kFloat, {4, 1}).Output("y", kFloat);
  b.Params("a", {0.5f}, U8({}, {128})).Init("B", I8({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  b.Params("B", {0.5f}, I8({}, {0})).Params("y", {0.25f}, U8({}, {100}));
  b.Q("a", "a", "aq");
  b.Dq("aq", "a", "af");
  b.Dq("B", "B", "Bf");
  SetAttr(b.Node("Gemm", {"af", "Bf"}, {"g"}, "fc"), "transA", std::int64_t{1});
  b.Q("g", "y", "yq");
  b.Dq("yq", "y", "y");
  ExpectImportError(b, {"Gemm 'fc'", "transA = 1 is not supported"});
}

TEST(OnnxImportQdqTest, MatMulAndAdd) {
  Builder b;
  b.Input("a", kFloat, {2, 2}).Input("r", kFloat, {2, 2}).Output("y", kFloat);
  b.Params("a", {0.5f}, I8({}, {0}))
      .Init("B", I8({2, 2}, {2, -1, 1, 3}))
      .Params("B", {0.25f}, I8({}, {0}))
      .Params("m", {0.25f}, I8({}, {-4}))
      .Params("r", {1.0f}, I8({}, {1}))
      .Params("y", {0.5f}, I8({}, {2}));
  b.Q("a", "a", "aq");
  b.Dq("aq", "a", "af");
  b.Dq("B", "B", "Bf");
  b.Node("MatMul", {"af", "Bf"}, {"mf"}, "mm");
  b.Q("mf", "m", "mq");
  b.Dq("mq", "m", "md");
  b.Q("r", "r", "rq");
  b.Dq("rq", "r", "rd");
  b.Node("Add", {"md", "rd"}, {"s"}, "add");
  b.Q("s", "y", "yq");
  b.Dq("yq", "y", "y", "out");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "MatMul", "QuantizeLinear", "Add",
                                              "DequantizeLinear"}));
  EXPECT_EQ(NodeNamed(g, "mm").inputs, (std::vector<std::string>{"aq", "B"}));
  EXPECT_EQ(NodeNamed(g, "mm").outputs, std::vector<std::string>{"mq"});
  EXPECT_EQ(NodeNamed(g, "add").inputs, (std::vector<std::string>{"mq", "rq"}));
  EXPECT_EQ(g.Info("mq").dtype, DType::kInt8);

  const std::vector<float> av = {1.0f, -0.5f, 2.0f, 0.0f};  // aq = 2 · a
  const std::vector<float> rv = {1.0f, -3.0f, 0.0f, 2.0f};
  const auto out = RunGolden(g, {{"a", F({2, 2}, av)}, {"r", F({2, 2}, rv)}});
  std::vector<double> want;
  const int bmat[4] = {2, -1, 1, 3};
  for (int i = 0; i < 2; ++i) {
    for (int n = 0; n < 2; ++n) {
      std::int64_t acc = 0;
      for (int k = 0; k < 2; ++k) {
        acc += static_cast<std::int64_t>(av[static_cast<std::size_t>(i * 2 + k)] * 2.0f) *
               bmat[k * 2 + n];
      }
      const std::int64_t mq = Requant(static_cast<double>(acc) * 0.5 * 0.25 / 0.25, -4, -128, 127);
      const std::int64_t rq = Requant(rv[static_cast<std::size_t>(i * 2 + n)] / 1.0, 1, -128, 127);
      const double sum = static_cast<double>(mq + 4) * 0.25 + static_cast<double>(rq - 1) * 1.0;
      want.push_back(static_cast<double>(Requant(sum / 0.5, 2, -128, 127) - 2) * 0.5);
    }
  }
  EXPECT_EQ(Reals(out.at("y")), want);
}

TEST(OnnxImportQdqTest, PoolsBecomeIntegerPools) {
  Builder b;
  b.Input("x", kFloat, {1, 1, 2, 4})
      .Output("avg", kFloat)
      .Output("gap", kFloat)
      .Output("max", kFloat);
  b.Params("x", {0.5f}, U8({}, {4}))
      .Params("p", {0.25f}, U8({}, {2}))
      .Params("g", {1.0f}, U8({}, {0}));
  b.Q("x", "x", "xq", "q_x");
  b.Dq("xq", "x", "xf", "dq_x");
  onnx::NodeProto& avg = b.Node("AveragePool", {"xf"}, {"a"}, "avgpool");
  SetAttr(avg, "kernel_shape", std::vector<std::int64_t>{2, 2});
  SetAttr(avg, "strides", std::vector<std::int64_t>{2, 2});
  b.Q("a", "p", "aq");
  b.Dq("aq", "p", "avg");
  b.Node("GlobalAveragePool", {"xf"}, {"gp"}, "gap");
  b.Q("gp", "g", "gq");
  b.Dq("gq", "g", "gap");
  onnx::NodeProto& mx = b.Node("MaxPool", {"xf"}, {"m"}, "maxpool");
  SetAttr(mx, "kernel_shape", std::vector<std::int64_t>{2, 2});
  SetAttr(mx, "strides", std::vector<std::int64_t>{2, 2});
  b.Q("m", "x", "mq");
  b.Dq("mq", "x", "max");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(NodeNamed(g, "avgpool").op, "AveragePool");
  EXPECT_EQ(NodeNamed(g, "avgpool").inputs, std::vector<std::string>{"xq"});
  EXPECT_EQ(NodeNamed(g, "gap").op, "GlobalAveragePool");
  EXPECT_EQ(NodeNamed(g, "maxpool").op, "MaxPool");
  EXPECT_EQ(NodeNamed(g, "maxpool").outputs, std::vector<std::string>{"mq"});
  EXPECT_EQ(g.Info("mq").quant, PerTensor(0.5f, 4));
  // Only the input Q, the three pools and the three output DQs remain.
  EXPECT_EQ(g.nodes.size(), 7u);

  const std::vector<int> xq = {4, 6, 8, 9, 5, 7, 10, 12};
  std::vector<float> xv;
  for (int q : xq) xv.push_back(static_cast<float>(q - 4) * 0.5f);
  const auto out = RunGolden(g, {{"x", F({1, 1, 2, 4}, xv)}});
  // Same numbers as the QLinearAveragePool test: 5, 14 → (q − 2) · 0.25; global 2 → 2.0.
  EXPECT_EQ(Reals(out.at("avg")), (std::vector<double>{0.75, 3.0}));
  EXPECT_EQ(Reals(out.at("gap")), (std::vector<double>{2.0}));
  EXPECT_EQ(Reals(out.at("max")), (std::vector<double>{1.5, 4.0}));
}

TEST(OnnxImportQdqTest, MaxPoolWithReluAddsAClip) {
  Builder b;
  b.Input("x", kFloat, {1, 1, 2, 2}).Output("y", kFloat);
  b.Params("x", {0.5f}, I8({}, {-2}));
  b.Q("x", "x", "xq");
  b.Dq("xq", "x", "xf");
  SetAttr(b.Node("MaxPool", {"xf"}, {"m"}, "pool"), "kernel_shape",
          std::vector<std::int64_t>{1, 1});
  b.Node("Relu", {"m"}, {"r"}, "relu");
  b.Q("r", "x", "yq");
  b.Dq("yq", "x", "y");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g),
            (std::vector<std::string>{"QuantizeLinear", "MaxPool", "Clip", "DequantizeLinear"}));
  EXPECT_EQ(g.nodes[2].attrs.GetInt("min"), -2);
  const auto out = RunGolden(g, {{"x", F({1, 1, 2, 2}, {-1.0f, 2.0f, 0.0f, -0.5f})}});
  EXPECT_EQ(Reals(out.at("y")), (std::vector<double>{0.0, 2.0, 0.0, 0.0}));
}

TEST(OnnxImportQdqTest, UnmatchedFloatOpStaysOnTheHost) {
  Builder b;
  b.Input("x", kFloat, {3}).Output("y", kFloat);
  b.Params("x", {0.5f}, U8({}, {128})).Params("y", {0.25f}, U8({}, {128}));
  b.Init("k", F({}, {1.5f}));
  b.Q("x", "x", "xq", "q_x");
  b.Dq("xq", "x", "xf", "dq_x");
  b.Node("Mul", {"xf", "k"}, {"m"}, "mul");
  b.Q("m", "y", "mq", "q_m");
  b.Dq("mq", "y", "y", "dq_y");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "DequantizeLinear", "Mul",
                                              "QuantizeLinear", "DequantizeLinear"}));
  const auto out = RunGolden(g, {{"x", F({3}, {1.0f, -2.5f, 0.5f})}});
  // 1.5 → 6 · 0.25; −3.75 → −15 · 0.25; 0.75 → 3 · 0.25.
  EXPECT_EQ(Reals(out.at("y")), (std::vector<double>{1.5, -3.75, 0.75}));
}

TEST(OnnxImportQdqTest, FloatConvWithoutQuantizeRunsAsFloatConv) {
  Builder b;
  b.Input("x", kFloat, {1, 1, 2, 2}).Output("c", kFloat);
  b.Params("x", {0.5f}, U8({}, {10}))
      .Init("w", I8({1, 1, 1, 1}, {1}))
      .Params("w", {0.5f}, I8({}, {0}));
  b.Q("x", "x", "xq");
  b.Dq("xq", "x", "xf");
  b.Dq("w", "w", "wf");
  b.Node("Conv", {"xf", "wf"}, {"c"}, "conv");
  const golden::Graph g = b.Import().graph;
  EXPECT_EQ(Ops(g), (std::vector<std::string>{"QuantizeLinear", "DequantizeLinear",
                                              "DequantizeLinear", "Conv"}));
  EXPECT_EQ(g.Info("c").dtype, DType::kFloat32);
  // x quantizes to 12, 5, 11, 16 (scale 0.5, zero point 10), dequantizes back exactly, and the
  // 1×1 weight is 1 · 0.5.
  const auto out = RunGolden(g, {{"x", F({1, 1, 2, 2}, {1.0f, -2.5f, 0.5f, 3.0f})}});
  EXPECT_EQ(Reals(out.at("c")), (std::vector<double>{0.5, -1.25, 0.25, 1.5}));
}

// ---- Refused models -----------------------------------------------------------------------------

TEST(OnnxImportErrorTest, UnsupportedOpNamesNodeAndType) {
  Builder b;
  b.Input("x", kFloat, {2}).Output("y", kFloat);
  b.Node("Hardmax", {"x"}, {"y"}, "n3");
  ExpectImportError(b, {"test.onnx", "Hardmax 'n3': op is not supported"});
}

TEST(OnnxImportErrorTest, UnnamedNodeIsNamedAfterItsOutput) {
  Builder b;
  b.Input("x", kFloat, {2}).Output("probs", kFloat);
  b.Node("Hardmax", {"x"}, {"probs"});
  ExpectImportError(b, {"Hardmax 'probs'"});
}

TEST(OnnxImportErrorTest, UnknownAutoPadIsRefused) {
  Builder b;
  b.Input("x", kUInt8, {1, 1, 4, 4}).Output("y", kUInt8);
  SetAttr(b.Node("MaxPool", {"x"}, {"y"}, "pool"), "kernel_shape", std::vector<std::int64_t>{2, 2});
  SetAttr(*b.model().mutable_graph()->mutable_node(0), "auto_pad", std::string("SAME_MIDDLE"));
  ExpectImportError(b, {"MaxPool 'pool'", "auto_pad 'SAME_MIDDLE' is not supported"});
}

TEST(OnnxImportErrorTest, ThreeDimensionalConvIsRefused) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 2, 2, 2}).Output("y", kUInt8);
  b.Params("x", {0.5f}, U8({}, {0}))
      .Init("w", I8({1, 1, 1, 1, 1}, {1}))
      .Params("w", {0.5f}, I8({}, {0}))
      .Params("y", {1.0f}, U8({}, {0}));
  b.Node("QLinearConv", {"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z"}, {"y"}, "conv3d");
  ExpectImportError(b, {"QLinearConv 'conv3d'", "3-D convolution is not supported"});
}

TEST(OnnxImportErrorTest, UnsupportedAttributeIsRefused) {
  Builder b;
  b.Input("x", kFloat, {2}).Output("y", kFloat);
  SetAttr(b.Node("Relu", {"x"}, {"y"}, "r"), "alpha", 0.5f);
  ExpectImportError(b, {"Relu 'r'", "attribute 'alpha' is not supported"});
}

TEST(OnnxImportErrorTest, TruncatedBytes) {
  const std::string bytes = QdqConv("Relu", false).Bytes();
  try {
    ImportOnnxBytes(std::string_view(bytes).substr(0, bytes.size() / 2), "cut.onnx");
    ADD_FAILURE() << "a truncated model was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cut.onnx: not an ONNX model (the protobuf data is malformed or truncated)");
  }
}

TEST(OnnxImportErrorTest, EveryTruncationIsAnErrorOrAModel) {
  // Cut at every length, the model is refused with a one-line qsa::Error naming the source: a cut
  // inside the graph leaves malformed protobuf, a cut after it drops the opset imports (which
  // protobuf writes after the graph).
  const std::string bytes = QdqConv("Clip", false).Bytes();
  int refused = 0;
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    try {
      ImportOnnxBytes(std::string_view(bytes).substr(0, len), "cut.onnx");
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("cut.onnx: ", 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(refused, static_cast<int>(bytes.size()));
}

TEST(OnnxImportErrorTest, NodesOutOfOrderAreRefused) {
  Builder b;
  b.Input("x", kFloat, {2}).Output("z", kFloat);
  b.Node("Relu", {"y"}, {"z"}, "second");
  b.Node("Relu", {"x"}, {"y"}, "first");
  ExpectImportError(b, {"Relu 'second'", "later node", "topological order"});
}

TEST(OnnxImportErrorTest, EmptyAndMissingFiles) {
  const std::string path = ::testing::TempDir() + "/qsa_empty_model.onnx";
  { std::ofstream(path, std::ios::binary | std::ios::trunc); }
  try {
    ImportOnnxFile(path);
    ADD_FAILURE() << "an empty file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": the file is empty; expected an ONNX model");
  }
  std::filesystem::remove(path);
  try {
    ImportOnnxFile(path);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open '" + path + "': No such file or directory");
  }
}

// Issue #19: a conv whose pads overflow the output shape is blamed on that node and attribute,
// not on the GlobalAveragePool after it.
TEST(OnnxImportErrorTest, ShapeOverflowNamesTheNodeAndItsPads) {
  Builder b(10);
  b.Input("x", kUInt8, {1, 1, 3, 3}).Output("p", kUInt8);
  b.Params("x", {0.5f}, U8({}, {2}))
      .Init("w", I8({1, 1, 1, 1}, {1}))
      .Params("w", {0.5f}, I8({}, {0}))
      .Params("y", {1.0f}, U8({}, {5}));
  onnx::NodeProto& conv =
      b.Node("QLinearConv", {"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z"}, {"y"}, "conv1");
  const std::int64_t big = std::int64_t{1} << 30;
  SetAttr(conv, "pads", std::vector<std::int64_t>{big, big, big, big});
  b.Node("QLinearGlobalAveragePool", {"y", "y_s", "y_z", "y_s", "y_z"}, {"p"}, "gap",
         "com.microsoft");
  b.Microsoft();
  ExpectImportError(b, {"test.onnx: QLinearConv 'conv1': pads [1073741824, 1073741824] give an "
                        "output height of 2147483651, above the limit of 2147483648"});
}

// Issue #19: an attribute given twice is refused, naming the node.
TEST(OnnxImportErrorTest, AttributeGivenTwiceIsRefused) {
  Builder b(13);
  b.Input("x", kUInt8, {1, 1, 4, 4}).Output("y", kUInt8);
  onnx::NodeProto& pool = b.Node("MaxPool", {"x"}, {"y"}, "pool1");
  SetAttr(pool, "kernel_shape", std::vector<std::int64_t>{2, 2});
  SetAttr(pool, "kernel_shape", std::vector<std::int64_t>{3, 3});
  ExpectImportError(b, {"test.onnx: MaxPool 'pool1': attribute 'kernel_shape' is given twice"});
}

// Issue #19: a model with no outputs is refused instead of running to nothing.
TEST(OnnxImportErrorTest, ModelWithoutOutputsIsRefused) {
  Builder b(13);
  b.Input("x", kUInt8, {1, 4});
  b.Node("Identity", {"x"}, {"y"}, "id");
  ExpectImportError(b, {"test.onnx: the graph declares no outputs; a model needs at least one"});
}

// Issue #19: a node name of 100,000 characters with a NUL byte is cut and escaped.
TEST(OnnxImportErrorTest, LongAndBinaryNodeNamesAreCutAndEscaped) {
  Builder b(13);
  b.Input("x", kUInt8, {1, 4}).Output("y", kUInt8);
  std::string name(100000, 'n');
  name[3] = '\0';
  b.Node("Bogus", {"x"}, {"y"}, name);
  try {
    b.Import();
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_LT(what.size(), 1000u);
    EXPECT_EQ(what.find('\0'), std::string::npos);
    EXPECT_NE(what.find("Bogus 'nnn\\x00nnnn"), std::string::npos) << what;
    EXPECT_NE(what.find("... (100000 characters)'"), std::string::npos) << what;
  }
}

TEST(OnnxImportErrorTest, NotAModel) {
  onnx::ModelProto no_graph;
  no_graph.set_ir_version(7);
  try {
    ImportOnnxBytes(no_graph.SerializeAsString(), "g.onnx");
    ADD_FAILURE() << "a model without a graph was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "g.onnx: not an ONNX model (it has no graph)");
  }
  const std::string text = "this is not a protobuf\n";
  EXPECT_THROW(ImportOnnxBytes(text, "text.onnx"), Error);
}

TEST(OnnxImportErrorTest, UnsupportedElementTypeAndDynamicShape) {
  Builder half;
  half.Input("x", onnx::TensorProto::FLOAT16, {2}).Output("y");
  half.Node("Identity", {"x"}, {"y"}, "id");
  ExpectImportError(half, {"graph input 'x'", "FLOAT16"});

  Builder dynamic;
  dynamic.Input("x", kFloat, {2}).Output("y", kFloat);
  dynamic.model()
      .mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("N");
  dynamic.Node("Relu", {"x"}, {"y"}, "r");
  ExpectImportError(dynamic, {"graph input 'x'", "dynamic dimension 'N'"});
}

void SetDimParam(onnx::ModelProto& m, int input, int dim, const std::string& param) {
  m.mutable_graph()
      ->mutable_input(input)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(dim)
      ->set_dim_param(param);
}

// Symbolic input dimensions are bound from the values given, as ONNX Runtime binds them.
TEST(OnnxImportTest, SymbolicDimensionsAreBoundFromTheGivenInputs) {
  Builder b;
  b.Input("x", kFloat, {1, 2}).Input("y", kFloat, {1, 2}).Output("z", kFloat);
  SetDimParam(b.model(), 0, 0, "N");
  SetDimParam(b.model(), 1, 0, "N");
  b.Node("Add", {"x", "y"}, {"z"}, "add");
  ExpectImportError(b, {"graph input 'x'", "dynamic dimension 'N' at index 0", "give the input"});

  ImportOptions both;
  both.bound_inputs["x"] = F({3, 2}, {1, 2, 3, 4, 5, 6});
  both.bound_inputs["y"] = F({3, 2}, {10, 20, 30, 40, 50, 60});
  const ImportResult r = b.Import(both);
  EXPECT_EQ(r.graph.Info("x").shape, (golden::Shape{3, 2}));
  EXPECT_EQ(r.graph.Info("y").shape, (golden::Shape{3, 2}));
  EXPECT_TRUE(r.bound.empty());
  const auto out =
      golden::RunGraph(r.graph, {{"x", both.bound_inputs["x"]}, {"y", both.bound_inputs["y"]}});
  EXPECT_EQ(Reals(out.at("z")), (std::vector<double>{11, 22, 33, 44, 55, 66}));

  ImportOptions clash = both;
  clash.bound_inputs["y"] = F({4, 2}, std::vector<float>(8, 1.0f));
  ExpectImportError(b, {"binds dimension 'N' to 4", "graph input 'x' bound it to 3"}, clash);

  // One value without a name binds the one input left without a value.
  Builder one;
  one.Input("x", kFloat, {1, 3}).Output("y", kFloat);
  SetDimParam(one.model(), 0, 0, "batch");
  one.Node("Relu", {"x"}, {"y"}, "r");
  ImportOptions unnamed;
  unnamed.unnamed_input = F({2, 3}, {-1, 2, -3, 4, -5, 6});
  const ImportResult u = one.Import(unnamed);
  EXPECT_EQ(u.graph.Info("x").shape, (golden::Shape{2, 3}));
  ImportOptions bad_rank;
  bad_rank.unnamed_input = F({6}, {-1, 2, -3, 4, -5, 6});
  ExpectImportError(one, {"dynamic dimension 'batch'", "the given value has rank 1, the input 2"},
                    bad_rank);
}

// The model `qsa quantize` writes from a float model with a symbolic batch runs on a batch: each
// sample's logits equal those of the fixed-shape model on that sample alone.
TEST(OnnxImportTest, QuantizedModelWithSymbolicBatchRunsOnABatch) {
  const std::string path = std::string(QSA_SOURCE_DIR) + "/examples/digits/digits_qdq.onnx";
  std::ifstream f(path, std::ios::binary);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromIstream(&f)) << path;
  const Tensor images =
      golden::ReadNpy(std::string(QSA_SOURCE_DIR) + "/examples/digits/test_images.npy");
  constexpr std::int64_t kBatch = 5;
  const auto all = images.Data<float>();
  std::vector<float> first(all.begin(), all.begin() + kBatch * 64);
  const Tensor batch = Tensor::FromVector<float>({kBatch, 1, 8, 8}, first);
  const ImportResult fixed = ImportOnnxBytes(model.SerializeAsString(), "fixed.onnx");
  SetDimParam(model, 0, 0, "N");
  for (auto& out : *model.mutable_graph()->mutable_output()) {
    out.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  }
  ImportOptions options;
  options.unnamed_input = batch;
  const ImportResult sym = ImportOnnxBytes(model.SerializeAsString(), "sym.onnx", options);
  const std::string in = sym.graph.inputs.at(0);
  const std::string out = sym.graph.outputs.at(0);
  const Tensor logits = golden::RunGraph(sym.graph, {{in, batch}}).at(out);
  ASSERT_EQ(logits.shape(), (golden::Shape{kBatch, 10}));
  for (std::int64_t i = 0; i < kBatch; ++i) {
    std::vector<float> one(all.begin() + i * 64, all.begin() + (i + 1) * 64);
    const Tensor single =
        golden::RunGraph(fixed.graph, {{in, Tensor::FromVector<float>({1, 1, 8, 8}, one)}}).at(out);
    for (std::int64_t k = 0; k < 10; ++k) {
      EXPECT_EQ(logits.GetDouble(i * 10 + k), single.GetDouble(k)) << "sample " << i;
    }
  }
}

TEST(OnnxImportErrorTest, MissingInputAndNewerOpset) {
  Builder missing;
  missing.Input("x", kFloat, {2}).Output("y", kFloat);
  missing.Node("Add", {"x", "nowhere"}, {"y"}, "add");
  ExpectImportError(missing, {"Add 'add'", "'nowhere'"});

  Builder newer(18);
  newer.Input("x", kFloat, {2}).Output("y", kFloat);
  newer.Node("Relu", {"x"}, {"y"}, "r");
  ExpectImportError(newer, {"opset 18"});
}

TEST(OnnxImportErrorTest, DeclaredOutputTypeMustMatch) {
  Builder b;
  b.Input("x", kFloat, {2}).Output("y", kInt32);
  b.Node("Relu", {"x"}, {"y"}, "r");
  ExpectImportError(b, {"graph output 'y'", "INT32", "float32"});
}

}  // namespace
}  // namespace qsa::importer
