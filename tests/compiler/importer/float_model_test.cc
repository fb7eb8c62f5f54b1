// Plain float32 ONNX models (no Q/DQ at all) through the importer and the golden engine:
//  - a small CNN built here with the ONNX protobuf (Conv → BatchNormalization → Relu → MaxPool →
//    Conv → GlobalAveragePool → Flatten → Gemm → Softmax), checked layer by layer (through
//    RunOptions::keep_intermediates) against a straightforward evaluation of the network in
//    double written in this test;
//  - the two models of tests/data/float_cnn/ (scripts/make_float_cnn.py), checked layer by layer
//    against ONNX Runtime's outputs;
//  - the importer's handling of opset-11 Softmax, and its refusals.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/golden/tensor.h"

namespace qsa::importer {
namespace {

using golden::DType;
using golden::Shape;
using golden::Tensor;

// ---- Building float models ----------------------------------------------------------------------

class FloatModel {
 public:
  explicit FloatModel(std::int64_t opset) {
    model_.set_ir_version(8);
    onnx::OperatorSetIdProto* set = model_.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    model_.mutable_graph()->set_name("float");
  }
  void Input(const std::string& name, const Shape& shape) {
    Declare(model_.mutable_graph()->add_input(), name, shape);
  }
  void Output(const std::string& name) {
    onnx::ValueInfoProto* v = model_.mutable_graph()->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  void Init(const std::string& name, const Shape& shape, const std::vector<float>& values) {
    onnx::TensorProto* p = model_.mutable_graph()->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : shape) p->add_dims(d);
    for (float v : values) p->add_float_data(v);
  }
  void InitInt64(const std::string& name, const std::vector<std::int64_t>& values) {
    onnx::TensorProto* p = model_.mutable_graph()->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::INT64);
    p->add_dims(static_cast<std::int64_t>(values.size()));
    for (std::int64_t v : values) p->add_int64_data(v);
  }
  onnx::NodeProto& Node(const std::string& op, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& name) {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& s : in) n->add_input(s);
    for (const std::string& s : out) n->add_output(s);
    return *n;
  }
  ImportResult Import() const { return ImportOnnxBytes(model_.SerializeAsString(), "float.onnx"); }

 private:
  static void Declare(onnx::ValueInfoProto* v, const std::string& name, const Shape& shape) {
    v->set_name(name);
    onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : shape) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::ModelProto model_;
};

void Ints(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (std::int64_t x : v) a->add_ints(x);
}
void Int(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void Float(onnx::NodeProto& n, const std::string& name, float v) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

std::uint64_t Seed(std::uint64_t fallback) {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : fallback;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

std::vector<float> Normal(std::mt19937_64& rng, std::size_t n, double stddev, double mean = 0.0) {
  std::normal_distribution<double> dist(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(rng));
  return v;
}

// ---- The network in double, written out plainly ------------------------------------------------

using Values = std::vector<double>;

// NCHW convolution, square kernel k, padding p on every side, stride 1.
Values RefConv(const Values& x, std::int64_t c_in, std::int64_t h, std::int64_t w,
               const std::vector<float>& wt, const std::vector<float>& bias, std::int64_t c_out,
               std::int64_t k, std::int64_t p) {
  Values y;
  for (std::int64_t m = 0; m < c_out; ++m) {
    for (std::int64_t oy = 0; oy < h; ++oy) {
      for (std::int64_t ox = 0; ox < w; ++ox) {
        double acc = bias[static_cast<std::size_t>(m)];
        for (std::int64_t c = 0; c < c_in; ++c) {
          for (std::int64_t ky = 0; ky < k; ++ky) {
            for (std::int64_t kx = 0; kx < k; ++kx) {
              const std::int64_t iy = oy - p + ky, ix = ox - p + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += x[static_cast<std::size_t>((c * h + iy) * w + ix)] *
                     wt[static_cast<std::size_t>(((m * c_in + c) * k + ky) * k + kx)];
            }
          }
        }
        y.push_back(acc);
      }
    }
  }
  return y;
}

struct CnnWeights {
  std::vector<float> w1, b1, scale, shift, mean, var, w2, b2, fc_w, fc_b;
};

constexpr float kEpsilon = 1e-3f;

// The reference's activations, by the ONNX tensor names the test model gives them.
std::map<std::string, Values> RefCnn(const Values& x, const CnnWeights& p) {
  std::map<std::string, Values> t;
  t["c1"] = RefConv(x, 3, 8, 8, p.w1, p.b1, 4, 3, 1);
  Values bn = t["c1"];
  for (std::size_t i = 0; i < bn.size(); ++i) {
    const std::size_t c = i / 64;
    bn[i] = p.scale[c] * (bn[i] - p.mean[c]) / std::sqrt(double{p.var[c]} + double{kEpsilon}) +
            p.shift[c];
  }
  t["bn"] = bn;
  Values relu = bn;
  for (double& v : relu) v = std::max(v, 0.0);
  t["r"] = relu;
  Values pool;
  for (std::int64_t c = 0; c < 4; ++c) {
    for (std::int64_t oy = 0; oy < 4; ++oy) {
      for (std::int64_t ox = 0; ox < 4; ++ox) {
        double m = -std::numeric_limits<double>::infinity();
        for (std::int64_t dy = 0; dy < 2; ++dy) {
          for (std::int64_t dx = 0; dx < 2; ++dx) {
            m = std::max(m,
                         relu[static_cast<std::size_t>((c * 8 + 2 * oy + dy) * 8 + 2 * ox + dx)]);
          }
        }
        pool.push_back(m);
      }
    }
  }
  t["p"] = pool;
  t["c2"] = RefConv(pool, 4, 4, 4, p.w2, p.b2, 6, 3, 1);
  Values gap(6, 0.0);
  for (std::size_t i = 0; i < t["c2"].size(); ++i) gap[i / 16] += t["c2"][i] / 16.0;
  t["g"] = gap;
  t["f"] = gap;
  Values fc;
  for (std::size_t n = 0; n < 5; ++n) {
    double acc = p.fc_b[n];
    for (std::size_t k = 0; k < 6; ++k) acc += gap[k] * p.fc_w[n * 6 + k];  // transB: W [5, 6]
    fc.push_back(acc);
  }
  t["fc"] = fc;
  const double max = *std::max_element(fc.begin(), fc.end());
  double sum = 0.0;
  Values soft;
  for (double v : fc) {
    soft.push_back(std::exp(v - max));
    sum += soft.back();
  }
  for (double& v : soft) v /= sum;
  t["y"] = soft;
  return t;
}

TEST(FloatModelTest, CnnMatchesAStraightforwardEvaluationLayerByLayer) {
  std::mt19937_64 rng(Seed(20240613));
  CnnWeights p;
  p.w1 = Normal(rng, 4 * 3 * 9, std::sqrt(2.0 / 27));
  p.b1 = Normal(rng, 4, 0.1);
  p.scale = Normal(rng, 4, 0.2, 1.0);
  p.shift = Normal(rng, 4, 0.1);
  p.mean = Normal(rng, 4, 0.3);
  p.var = Normal(rng, 4, 0.2, 1.0);
  for (float& v : p.var) v = std::fabs(v) + 0.1f;
  p.w2 = Normal(rng, 6 * 4 * 9, std::sqrt(2.0 / 36));
  p.b2 = Normal(rng, 6, 0.1);
  p.fc_w = Normal(rng, 5 * 6, std::sqrt(2.0 / 6));
  p.fc_b = Normal(rng, 5, 0.1);

  FloatModel m(13);
  m.Input("x", {1, 3, 8, 8});
  m.Output("y");
  m.Init("w1", {4, 3, 3, 3}, p.w1);
  m.Init("b1", {4}, p.b1);
  m.Init("scale", {4}, p.scale);
  m.Init("shift", {4}, p.shift);
  m.Init("mean", {4}, p.mean);
  m.Init("var", {4}, p.var);
  m.Init("w2", {6, 4, 3, 3}, p.w2);
  m.Init("b2", {6}, p.b2);
  m.Init("fc_w", {5, 6}, p.fc_w);
  m.Init("fc_b", {5}, p.fc_b);
  Ints(m.Node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1"), "pads", {1, 1, 1, 1});
  Float(m.Node("BatchNormalization", {"c1", "scale", "shift", "mean", "var"}, {"bn"}, "bn"),
        "epsilon", kEpsilon);
  m.Node("Relu", {"bn"}, {"r"}, "relu");
  onnx::NodeProto& pool = m.Node("MaxPool", {"r"}, {"p"}, "pool");
  Ints(pool, "kernel_shape", {2, 2});
  Ints(pool, "strides", {2, 2});
  Ints(m.Node("Conv", {"p", "w2", "b2"}, {"c2"}, "conv2"), "pads", {1, 1, 1, 1});
  m.Node("GlobalAveragePool", {"c2"}, {"g"}, "gap");
  m.Node("Flatten", {"g"}, {"f"}, "flatten");
  Int(m.Node("Gemm", {"f", "fc_w", "fc_b"}, {"fc"}, "fc"), "transB", 1);
  m.Node("Softmax", {"fc"}, {"y"}, "softmax");

  const golden::Graph graph = m.Import().graph;
  std::vector<std::string> ops;
  for (const golden::Node& n : graph.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "BatchNormalization", "Relu", "MaxPool", "Conv",
                                           "GlobalAveragePool", "Flatten", "Gemm", "Softmax"}));

  const std::vector<float> x = Normal(rng, 3 * 64, 1.0);
  golden::RunOptions options;
  options.keep_intermediates = true;
  const std::map<std::string, Tensor> got =
      golden::RunGraph(graph, {{"x", Tensor::FromVector<float>({1, 3, 8, 8}, x)}}, options);
  const std::map<std::string, Values> want = RefCnn(Values(x.begin(), x.end()), p);
  // Each layer rounds to float32 once per value (the reference never rounds), so the difference
  // grows by a few float32 ulps per layer; 1e-5 relative leaves a wide margin.
  for (const auto& [name, values] : want) {
    ASSERT_EQ(got.count(name), 1u) << name;
    const Tensor& t = got.at(name);
    ASSERT_EQ(t.dtype(), DType::kFloat32) << name;
    ASSERT_EQ(t.size(), static_cast<std::int64_t>(values.size())) << name;
    double worst = 0.0;
    for (std::int64_t i = 0; i < t.size(); ++i) {
      const double w = values[static_cast<std::size_t>(i)];
      const double rel = std::fabs(t.GetDouble(i) - w) / std::max(1.0, std::fabs(w));
      worst = std::max(worst, rel);
      EXPECT_LE(rel, 1e-5) << name << "[" << i << "]: got " << t.GetDouble(i) << ", want " << w;
    }
    std::cout << "[ float cnn ] " << name << ": max relative difference " << worst << "\n";
  }
  double total = 0.0;
  for (float v : got.at("y").Data<float>()) total += v;
  EXPECT_NEAR(total, 1.0, 1e-6);
}

// ---- ONNX Runtime's outputs on the committed models ---------------------------------------------

std::string DataDir() { return std::string(QSA_SOURCE_DIR) + "/tests/data/float_cnn/"; }

std::int64_t UlpDistance(float a, float b) {
  auto ordered = [](float f) -> std::int64_t {
    const auto bits = std::bit_cast<std::int32_t>(f);
    return bits >= 0 ? bits : -static_cast<std::int64_t>(bits & 0x7fffffff);
  };
  return std::abs(ordered(a) - ordered(b));
}

class OrtFloatModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OrtFloatModelTest, EveryLayerAgreesWithOnnxRuntime) {
  const std::string name = GetParam();
  const ImportResult imported = ImportOnnxFile(DataDir() + name + ".onnx");
  const golden::Graph& graph = imported.graph;
  ASSERT_EQ(graph.inputs, std::vector<std::string>{"x"});
  const Tensor x = golden::ReadNpy(DataDir() + name + ".input.npy");
  const std::map<std::string, Tensor> got = golden::RunGraph(graph, {{"x", x}});
  ASSERT_GT(graph.outputs.size(), 1u);
  for (const std::string& out : graph.outputs) {
    const Tensor want = golden::ReadNpy(DataDir() + name + ".ort." + out + ".npy");
    const Tensor& t = got.at(out);
    ASSERT_EQ(t.shape(), want.shape()) << out;
    double worst_abs = 0.0;
    std::int64_t worst_ulp = 0, exact = 0;
    for (std::int64_t i = 0; i < t.size(); ++i) {
      const double g = t.GetDouble(i), w = want.GetDouble(i);
      worst_abs = std::max(worst_abs, std::fabs(g - w));
      const std::int64_t ulp = UlpDistance(static_cast<float>(g), static_cast<float>(w));
      worst_ulp = std::max(worst_ulp, ulp);
      exact += ulp == 0 ? 1 : 0;
      // ONNX Runtime sums in another order (and with fused multiply-adds); values are O(1).
      EXPECT_LE(std::fabs(g - w), 1e-5 * std::max(1.0, std::fabs(w)))
          << out << "[" << i << "]: qsa " << g << ", ONNX Runtime " << w;
    }
    std::cout << "[ " << name << " ] " << out << ": bit-exact " << exact << "/" << t.size()
              << ", max |diff| " << worst_abs << ", max " << worst_ulp << " ulp\n";
  }
}

INSTANTIATE_TEST_SUITE_P(FloatCnn, OrtFloatModelTest, ::testing::Values("float_cnn", "float_mlp"));

// ---- Importer: opset-11 Softmax and refusals ----------------------------------------------------

TEST(FloatModelImportTest, Opset11SoftmaxNormalizesAllTrailingDimensions) {
  FloatModel m(11);
  m.Input("x", {2, 3, 2});
  m.Output("y");
  m.Output("z");
  m.Node("Softmax", {"x"}, {"y"}, "legacy");  // axis 1: over the 6 values of each batch row
  Int(m.Node("Softmax", {"x"}, {"z"}, "last"), "axis", 2);
  const golden::Graph g = m.Import().graph;
  std::vector<std::string> ops;
  for (const golden::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Reshape", "Softmax", "Reshape", "Softmax"}));
  const std::vector<float> x = {0, 1, 2, 3, 4, 5, -1, -1, -1, -1, -1, -1};
  const auto out = golden::RunGraph(g, {{"x", Tensor::FromVector<float>({2, 3, 2}, x)}});
  ASSERT_EQ(out.at("y").shape(), (Shape{2, 3, 2}));
  double sum = 0.0;
  for (int k = 0; k < 6; ++k) sum += std::exp(k - 5.0);
  for (int k = 0; k < 6; ++k) {
    EXPECT_FLOAT_EQ(out.at("y").Data<float>()[static_cast<std::size_t>(k)],
                    static_cast<float>(std::exp(k - 5.0) / sum));
    EXPECT_EQ(out.at("y").Data<float>()[static_cast<std::size_t>(6 + k)], 1.0f / 6.0f);
  }
  // axis 2 is the last: pairs.
  EXPECT_FLOAT_EQ(out.at("z").Data<float>()[0], static_cast<float>(1.0 / (1.0 + std::exp(1.0))));
  EXPECT_EQ(out.at("z").Data<float>()[6], 0.5f);
}

void ExpectImportError(const FloatModel& m, const std::vector<std::string>& parts) {
  try {
    m.Import();
    ADD_FAILURE() << "import succeeded";
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(what.find(part), std::string::npos) << "'" << what << "' lacks '" << part << "'";
    }
  }
}

TEST(FloatModelImportTest, RefusesWhatItCannotRun) {
  {
    FloatModel m(15);
    m.Input("x", {1, 2, 2, 2});
    m.Output("y");
    for (const char* p : {"s", "b", "mu", "var"}) m.Init(p, {2}, {1, 1});
    Int(m.Node("BatchNormalization", {"x", "s", "b", "mu", "var"}, {"y"}, "bn"), "training_mode",
        1);
    ExpectImportError(m, {"BatchNormalization 'bn'", "training_mode = 1 is not supported"});
  }
  {
    FloatModel m(13);
    m.Input("a", {2, 3});
    m.Output("y");
    m.Init("b", {3, 2}, {1, 2, 3, 4, 5, 6});
    Int(m.Node("Gemm", {"a", "b"}, {"y"}, "fc"), "broadcast", 1);
    ExpectImportError(m, {"Gemm 'fc'", "attribute 'broadcast' is not supported"});
  }
  {
    FloatModel m(13);
    m.Input("x", {2, 3});
    m.Output("y");
    Int(m.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", 2);
    ExpectImportError(m, {"Softmax 'sm'", "axis 2 is out of range"});
  }
  {
    FloatModel m(13);
    m.Input("x", {1, 1, 4, 4});
    m.Output("y");
    m.Init("w", {1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    Ints(m.Node("Conv", {"x", "w"}, {"y"}, "conv"), "kernel_shape", {2, 2});
    ExpectImportError(m, {"Conv 'conv'", "kernel_shape [2,2] disagrees with the weight shape"});
  }
  {
    FloatModel m(13);
    m.Input("x", {2, 3});
    m.Output("y");
    m.Init("w", {4, 2}, std::vector<float>(8, 1.0f));
    m.Node("MatMul", {"x", "w"}, {"y"}, "mm");
    ExpectImportError(m, {"MatMul 'mm'", "inner dimensions differ"});
  }
}

}  // namespace
}  // namespace qsa::importer
