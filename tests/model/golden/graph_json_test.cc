#include "model/golden/graph_json.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"

namespace qsa::golden {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first ```json block of docs/ir-json.md: the documented complete example.
json DocsExample() {
  const std::string doc = ReadText(QSA_SOURCE_DIR "/docs/ir-json.md");
  const std::size_t start = doc.find("```json\n");
  EXPECT_NE(start, std::string::npos);
  const std::size_t body = start + 8;
  const std::size_t end = doc.find("```", body);
  return json::parse(doc.substr(body, end - body));
}

void ExpectSameGraph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, info] : a.tensors) {
    ASSERT_TRUE(b.HasTensor(name)) << name;
    const TensorInfo& other = b.Info(name);
    EXPECT_EQ(info.name, other.name);
    EXPECT_EQ(info.dtype, other.dtype) << name;
    EXPECT_EQ(info.shape, other.shape) << name;
    EXPECT_EQ(info.quant, other.quant) << name;
  }
  ASSERT_EQ(a.constants.size(), b.constants.size());
  for (const auto& [name, value] : a.constants) {
    ASSERT_TRUE(b.IsConstant(name)) << name;
    EXPECT_TRUE(value == b.Constant(name)) << name;
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(x.attrs.values(), y.attrs.values()) << x.name;
    EXPECT_EQ(x.requant, y.requant) << x.name;
  }
}

TEST(GraphJsonTest, ParsesTheDocsExample) {
  const Graph g = GraphFromJson(DocsExample(), ".");
  EXPECT_EQ(g.name, "tiny");
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].Label(), "Conv 'conv1'");
  EXPECT_EQ(g.nodes[0].attrs.GetInts("pads"), (std::vector<std::int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(g.nodes[0].attrs.GetInt("clamp_min"), 10);

  const TensorInfo& x = g.Info("x");
  EXPECT_EQ(x.dtype, DType::kUInt8);
  EXPECT_EQ(x.shape, (Shape{1, 1, 3, 3}));
  EXPECT_EQ(x.quant.scales, std::vector<float>{0.02f});
  EXPECT_EQ(x.quant.zero_points, std::vector<std::int32_t>{128});
  EXPECT_FALSE(x.quant.per_axis());

  const TensorInfo& w1 = g.Info("w1");
  EXPECT_EQ(w1.quant.axis, 0);
  EXPECT_EQ(w1.quant.scales, (std::vector<float>{0.01f, 0.005f}));
  EXPECT_EQ(w1.quant.zero_points, (std::vector<std::int32_t>{0, 0}));  // one per channel
  ASSERT_TRUE(g.IsConstant("w1"));
  EXPECT_EQ(g.Constant("w1").GetInt(4), -4);
  EXPECT_EQ(g.Constant("b1").GetInt(1), -50);

  // Inferred shapes: h1 declared without one, f not declared at all.
  EXPECT_EQ(g.Info("h1").shape, (Shape{1, 2, 1, 1}));
  EXPECT_EQ(g.Info("f").shape, (Shape{1, 2}));
  EXPECT_EQ(g.Info("f").dtype, DType::kUInt8);
  EXPECT_EQ(g.Info("y").shape, (Shape{1, 3}));
  // y: zero point only.
  EXPECT_TRUE(g.Info("y").quant.scales.empty());
  EXPECT_EQ(g.Info("y").quant.zero_points, std::vector<std::int32_t>{-5});
  ASSERT_EQ(g.nodes[2].requant.size(), 1u);
  EXPECT_EQ(g.nodes[2].requant[0], (FixedPointMultiplier{1073741824, -3}));
}

// The semantics the docs state for the example, re-derived here as model/golden/quant.h states the
// float64-rne mode: q = clamp(round_half_to_even(acc · M + zero_point)), all in float64. The
// example's fc accumulators 8 and −8 land exactly on ties (8 / 16 = 0.5), so the order of
// rounding and the zero-point sum matters.
TEST(GraphJsonTest, DocsExampleComputesWhatTheDocsSay) {
  const Graph g = GraphFromJson(DocsExample(), ".");
  const std::vector<std::int64_t> x = {130, 140, 150, 120, 160, 170, 100, 110, 128};
  RunOptions options;
  options.mode = RequantMode::kFloat64Rne;
  const auto out =
      RunGraph(g,
               {{"x", Tensor::FromVector<std::uint8_t>(
                          {1, 1, 3, 3}, std::vector<std::uint8_t>(x.begin(), x.end()))}},
               options);

  const auto requant = [](std::int64_t acc, double m, std::int64_t zp, double lo, double hi) {
    const double v = std::clamp(static_cast<double>(acc) * m + static_cast<double>(zp), lo, hi);
    return static_cast<std::int64_t>(std::nearbyint(v));  // default rounding: ties to even
  };
  const std::int64_t w1[2][9] = {{0, 1, 0, 1, -4, 1, 0, 1, 0}, {1, 2, 1, 2, 4, 2, 1, 2, 1}};
  const std::int64_t b1[2] = {100, -50};
  const float s_w1[2] = {0.01f, 0.005f};
  std::int64_t h1[2];
  for (std::size_t c = 0; c < 2; ++c) {
    std::int64_t acc = b1[c];
    for (std::size_t k = 0; k < 9; ++k) acc += (x[k] - 128) * w1[c][k];
    const double m =
        static_cast<double>(0.02f) * static_cast<double>(s_w1[c]) / static_cast<double>(0.05f);
    h1[c] = requant(acc, m, 10, 10, 255);
  }
  const std::int64_t w2[2][3] = {{3, -2, 1}, {-1, 4, 2}};
  const std::int64_t b2[3] = {8, 0, -8};
  const Tensor& y = out.at("y");
  ASSERT_EQ(y.dtype(), DType::kInt8);
  ASSERT_EQ(y.shape(), (Shape{1, 3}));
  for (std::size_t n = 0; n < 3; ++n) {
    std::int64_t acc = b2[n];
    for (std::size_t k = 0; k < 2; ++k) acc += (h1[k] - 10) * w2[k][n];
    EXPECT_EQ(y.GetInt(static_cast<std::int64_t>(n)), requant(acc, 1.0 / 16, -5, -128, 127))
        << "column " << n << ", acc " << acc;
  }
}

TEST(GraphJsonTest, RoundTripsTheDocsExample) {
  const Graph g = GraphFromJson(DocsExample(), ".");
  const json written = GraphToJson(g);
  ExpectSameGraph(g, GraphFromJson(written, "."));
  // Through text as well, as a file would go.
  ExpectSameGraph(g, GraphFromJson(json::parse(written.dump(2)), "."));
  // Scales are written as the short decimals they were given as.
  EXPECT_EQ(written["tensors"]["x"]["scale"].dump(), "0.02");
  EXPECT_EQ(written["tensors"]["w1"]["scale"].dump(), "[0.01,0.005]");
}

TEST(GraphJsonTest, RoundTripsTheCnn3Example) {
  const Graph g = ReadGraphJson(QSA_SOURCE_DIR "/examples/cnn3/cnn3.json");
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[1].requant.size(), 8u);
  EXPECT_EQ(g.Info("logits").shape, (Shape{1, 10}));
  ExpectSameGraph(g, GraphFromJson(json::parse(GraphToJson(g).dump()), "."));
}

TEST(GraphJsonTest, RoundTripsEveryAttributeTypeAndFloatConstant) {
  Graph g;
  g.name = "attrs";
  g.inputs = {"a"};
  g.outputs = {"c"};
  g.tensors["a"] = TensorInfo{"a", DType::kFloat32, {2}, {}};
  g.AddConstant("b",
                Tensor::FromVector<float>({2}, {0.1f, std::numeric_limits<float>::quiet_NaN()}));
  g.AddConstant(
      "k", Tensor::FromVector<float>({3}, {-std::numeric_limits<float>::infinity(), 3.0f, 1e-38f}));
  Node node;
  node.name = "mul";
  node.op = "Mul";
  node.inputs = {"a", "b"};
  node.outputs = {"c"};
  node.attrs.Set("i", std::int64_t{-7});
  node.attrs.Set("f", 2.0);
  node.attrs.Set("s", std::string("text"));
  node.attrs.Set("ints", std::vector<std::int64_t>{1, 2});
  node.attrs.Set("floats", std::vector<double>{1.0, 0.25});
  g.nodes.push_back(node);
  json written = GraphToJson(g);
  EXPECT_EQ(written["tensors"]["b"]["data"].dump(), "[0.1,\"nan\"]");
  EXPECT_EQ(written["nodes"][0]["attrs"]["f"].dump(), "2.0");
  EXPECT_EQ(written["nodes"][0]["attrs"]["i"].dump(), "-7");
  EXPECT_EQ(written["nodes"][0]["attrs"]["s"].dump(), "\"text\"");
  EXPECT_EQ(written["nodes"][0]["attrs"]["ints"].dump(), "[1,2]");
  EXPECT_EQ(written["nodes"][0]["attrs"]["floats"].dump(), "[1.0,0.25]");
  // Mul takes no attributes: reading them back is refused, naming the first.
  try {
    GraphFromJson(written, ".");
    ADD_FAILURE() << "attributes of Mul accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "nodes[0].attrs.f: Mul 'mul' has no attribute 'f' (it takes none)");
  }
  written["nodes"][0].erase("attrs");
  const Graph back = GraphFromJson(written, ".");
  EXPECT_TRUE(back.Constant("b") == g.Constant("b"));
  EXPECT_TRUE(back.Constant("k") == g.Constant("k"));
}

TEST(GraphJsonTest, AttributeTypesFollowTheJsonTypes) {
  json j = DocsExample();
  j["nodes"][0]["attrs"] = {
      {"strides", {1, 1}}, {"auto_pad", "NOTSET"}, {"clamp_min", 3}, {"pads", json::array()}};
  j["nodes"][0]["attrs"].erase("pads");
  const Graph g = GraphFromJson(j, ".");
  const Attributes& a = g.nodes[0].attrs;
  EXPECT_EQ(a.GetInt("clamp_min"), 3);
  EXPECT_EQ(a.GetString("auto_pad"), "NOTSET");
  EXPECT_EQ(a.GetInts("strides"), (std::vector<std::int64_t>{1, 1}));
  j["nodes"][0]["attrs"]["clamp_min"] = 2.5;
  try {
    GraphFromJson(j, ".");
    ADD_FAILURE() << "float clamp_min accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "Conv 'conv1': attribute 'clamp_min' is not an integer");
  }
}

// Issue #19: a misspelt attribute is refused, naming the node and the attributes it takes.
TEST(GraphJsonTest, UnknownAttributesAreRefusedNamingTheNode) {
  json j = DocsExample();
  j["nodes"][0]["attrs"]["stride"] = {2, 2};
  try {
    GraphFromJson(j, ".");
    ADD_FAILURE() << "\"stride\" accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "nodes[0].attrs.stride: Conv 'conv1' has no attribute 'stride' (attributes: "
                 "auto_pad, dilations, group, kernel_shape, pads, strides, output_dtype, "
                 "clamp_min, clamp_max, x_zero_point_folded)");
  }
}

// Issue #19: long names are cut and control bytes escaped in messages; a number that overflows a
// double is a malformed-JSON error naming the file, never an internal error.
TEST(GraphJsonTest, MessagesCutLongNamesEscapeControlBytesAndNameTheFile) {
  json j = DocsExample();
  const std::string long_name(100000, 'n');
  j["nodes"][0]["op"] = long_name;
  std::string what;
  try {
    GraphFromJson(j, ".");
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_LT(what.size(), 600u) << what.substr(0, 600);
  EXPECT_NE(what.find("nnn... (100000 characters)"), std::string::npos) << what.substr(0, 600);

  j = DocsExample();
  j["nodes"][0]["op"] = std::string("Co\0nv\x01", 6);
  try {
    GraphFromJson(j, ".");
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_EQ(what.find('\0'), std::string::npos);
  EXPECT_NE(what.find("'Co\\x00nv\\x01'"), std::string::npos) << what;

  try {
    ParseGraphJson("{\"qsa_graph\": 1e400}", "big.json", ".");
    ADD_FAILURE() << "1e400 accepted";
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_EQ(what.rfind("'big.json': malformed JSON: ", 0), 0u) << what;
  EXPECT_EQ(what.find("internal"), std::string::npos) << what;
  EXPECT_LT(what.size(), 300u) << what;
}

TEST(GraphJsonTest, ReadsConstantsFromNpyRelativeToTheJsonFile) {
  const fs::path dir = fs::temp_directory_path() / ("qsa_graph_json_" + std::to_string(::getpid()));
  fs::create_directories(dir / "weights");
  WriteNpy((dir / "weights" / "w2.npy").string(),
           Tensor::FromVector<std::int8_t>({2, 3}, {3, -2, 1, -1, 4, 2}));
  json j = DocsExample();
  j["tensors"]["w2"] = {{"npy", "weights/w2.npy"}, {"zero_point", 0}};
  {
    std::ofstream out(dir / "g.json");
    out << j.dump(1);
  }
  const Graph g = ReadGraphJson((dir / "g.json").string());
  EXPECT_EQ(g.Info("w2").dtype, DType::kInt8);
  EXPECT_EQ(g.Constant("w2").GetInt(4), 4);
  // dtype/shape given with npy must agree with the file.
  j["tensors"]["w2"]["dtype"] = "uint8";
  try {
    GraphFromJson(j, dir.string());
    ADD_FAILURE() << "accepted a dtype contradicting the .npy file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensors.w2.npy:"), std::string::npos) << e.what();
  }
  j["tensors"]["w2"]["npy"] = "weights/missing.npy";
  try {
    GraphFromJson(j, dir.string());
    ADD_FAILURE() << "accepted a missing .npy file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensors.w2.npy: cannot open"), std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

// Each case edits the docs example and expects an error that starts with the JSON path (after
// the file name, for files) and contains a key phrase.
struct BadCase {
  const char* what;
  std::function<void(json&)> edit;
  const char* path;
  const char* phrase;
};

TEST(GraphJsonTest, ErrorsNameTheJsonPath) {
  const std::vector<BadCase> cases = {
      {"root", [](json& j) { j = json::array(); }, "(top level)", "expected an object"},
      {"version missing", [](json& j) { j.erase("qsa_graph"); }, "qsa_graph", "missing"},
      {"version 2", [](json& j) { j["qsa_graph"] = 2; }, "qsa_graph", "version 2 is not supported"},
      {"unknown top key", [](json& j) { j["node"] = json::array(); }, "node", "unknown key"},
      {"inputs type", [](json& j) { j["inputs"] = "x"; }, "inputs", "expected a list of strings"},
      {"inputs entry", [](json& j) { j["inputs"] = {1}; }, "inputs[0]", "expected a string"},
      {"no outputs", [](json& j) { j["outputs"] = json::array(); }, "outputs", "at least one"},
      {"tensors type", [](json& j) { j["tensors"] = json::array(); }, "tensors",
       "expected an object"},
      {"dtype", [](json& j) { j["tensors"]["x"]["dtype"] = "float64"; }, "tensors.x.dtype",
       "unknown dtype"},
      {"dtype missing", [](json& j) { j["tensors"]["h1"].erase("dtype"); }, "tensors.h1",
       "missing \"dtype\""},
      {"shape",
       [](json& j) {
         j["tensors"]["x"]["shape"] = {1, -1};
       },
       "tensors.x.shape[1]", "out of range"},
      {"shape type",
       [](json& j) {
         j["tensors"]["x"]["shape"] = {1, 2.5};
       },
       "tensors.x.shape[1]", "expected an integer"},
      {"input shape", [](json& j) { j["tensors"]["x"].erase("shape"); }, "tensors.x",
       "required for a graph input"},
      {"unknown tensor key", [](json& j) { j["tensors"]["h1"]["zero_pont"] = 3; },
       "tensors.h1.zero_pont", "unknown key"},
      {"quoted name",
       [](json& j) {
         j["tensors"]["a/b"] = {{"dtype", "int8"}, {"bogus", 1}};
       },
       "tensors[\"a/b\"].bogus", "unknown key"},
      {"scale", [](json& j) { j["tensors"]["x"]["scale"] = -0.5; }, "tensors.x.scale", "positive"},
      {"scale type", [](json& j) { j["tensors"]["x"]["scale"] = "0.5"; }, "tensors.x.scale",
       "expected a number"},
      {"scale entry",
       [](json& j) {
         j["tensors"]["w1"]["scale"] = {0.01, 0};
       },
       "tensors.w1.scale[1]", "positive"},
      {"zero point range", [](json& j) { j["tensors"]["x"]["zero_point"] = 256; },
       "tensors.x.zero_point", "outside uint8"},
      {"zero point type", [](json& j) { j["tensors"]["x"]["zero_point"] = 1.5; },
       "tensors.x.zero_point", "expected an integer"},
      {"axis missing", [](json& j) { j["tensors"]["w1"].erase("axis"); }, "tensors.w1.axis",
       "missing"},
      {"axis per-tensor", [](json& j) { j["tensors"]["x"]["axis"] = 0; }, "tensors.x.axis",
       "per-axis"},
      {"axis range", [](json& j) { j["tensors"]["w1"]["axis"] = 4; }, "tensors.w1.axis",
       "out of range"},
      {"scale count",
       [](json& j) {
         j["tensors"]["w1"]["scale"] = {0.1, 0.2, 0.3};
       },
       "tensors.w1.scale", "3 entries but dimension 0"},
      {"zero point count",
       [](json& j) {
         j["tensors"]["w1"]["zero_point"] = {0, 0, 0};
       },
       "tensors.w1.zero_point", "3 zero points for 2 scales"},
      {"data length",
       [](json& j) {
         j["tensors"]["b1"]["data"] = {1, 2, 3};
       },
       "tensors.b1.data", "3 values but shape [2] has 2 elements"},
      {"data range", [](json& j) { j["tensors"]["w1"]["data"][4] = 200; }, "tensors.w1.data[4]",
       "200 is outside int8 [-128, 127]"},
      {"data type", [](json& j) { j["tensors"]["b1"]["data"][0] = "1"; }, "tensors.b1.data[0]",
       "expected an integer"},
      {"data nested", [](json& j) { j["tensors"]["b1"]["data"] = json::parse("[[1], [2]]"); },
       "tensors.b1.data[0]", "expected an integer"},
      {"data and npy", [](json& j) { j["tensors"]["b1"]["npy"] = "b1.npy"; }, "tensors.b1",
       "either \"data\" or \"npy\""},
      {"data without shape", [](json& j) { j["tensors"]["b1"].erase("shape"); }, "tensors.b1",
       "missing \"shape\""},
      {"dangling",
       [](json& j) {
         j["tensors"]["h9"] = {{"dtype", "int8"}};
       },
       "tensors.h9", "no node produces it"},
      {"undeclared input", [](json& j) { j["inputs"] = {"z"}; }, "inputs[0]", "not declared"},
      {"nodes type", [](json& j) { j["nodes"] = json::object(); }, "nodes", "expected a list"},
      {"node name", [](json& j) { j["nodes"][1].erase("name"); }, "nodes[1]", "missing \"name\""},
      {"node op", [](json& j) { j["nodes"][1]["op"] = "Convolution"; }, "nodes[1].op",
       "unknown op 'Convolution'"},
      {"node key", [](json& j) { j["nodes"][1]["attr"] = json::object(); }, "nodes[1].attr",
       "unknown key"},
      {"node outputs", [](json& j) { j["nodes"][1]["outputs"] = {""}; }, "nodes[1].outputs[0]",
       "empty tensor name"},
      {"attrs type",
       [](json& j) {
         j["nodes"][0]["attrs"] = {1, 2};
       },
       "nodes[0].attrs", "expected an object"},
      {"attr list",
       [](json& j) {
         j["nodes"][0]["attrs"]["strides"] = {"a", 1};
       },
       "nodes[0].attrs.strides[0]", "expected a number"},
      {"attr bool", [](json& j) { j["nodes"][0]["attrs"]["strides"] = true; },
       "nodes[0].attrs.strides", "got a boolean"},
      {"attr object",
       [](json& j) {
         j["nodes"][0]["attrs"]["pads"] = {{"top", 1}};
       },
       "nodes[0].attrs.pads", "got an object"},
      {"requant type", [](json& j) { j["nodes"][2]["requant"] = 5; }, "nodes[2].requant",
       "expected a list"},
      {"requant empty", [](json& j) { j["nodes"][2]["requant"] = json::array(); },
       "nodes[2].requant", "empty list"},
      {"requant multiplier", [](json& j) { j["nodes"][2]["requant"][0]["multiplier"] = 5; },
       "nodes[2].requant[0].multiplier", "outside [2^30, 2^31)"},
      {"requant multiplier high",
       [](json& j) { j["nodes"][2]["requant"][0]["multiplier"] = 2147483648LL; },
       "nodes[2].requant[0].multiplier", "outside"},
      {"requant shift", [](json& j) { j["nodes"][2]["requant"][0]["shift"] = 31; },
       "nodes[2].requant[0].shift", "outside [-31, 30]"},
      {"requant key", [](json& j) { j["nodes"][2]["requant"][0]["mult"] = 1; },
       "nodes[2].requant[0].mult", "unknown key"},
      {"requant missing", [](json& j) { j["nodes"][2]["requant"][0].erase("shift"); },
       "nodes[2].requant[0]", "missing \"shift\""},
      {"requant output zp", [](json& j) { j["tensors"].erase("y"); }, "nodes[2].requant",
       "must be declared"},
  };
  for (const BadCase& c : cases) {
    json j = DocsExample();
    c.edit(j);
    try {
      GraphFromJson(j, ".");
      ADD_FAILURE() << c.what << ": accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(std::string(c.path) + ": ", 0), 0u) << c.what << ": " << what;
      EXPECT_NE(what.find(c.phrase), std::string::npos) << c.what << ": " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << c.what << ": " << what;
    }
  }
}

TEST(GraphJsonTest, ValidateErrorsNameTheNode) {
  json j = DocsExample();
  j["nodes"][2]["inputs"][0] = "nowhere";
  try {
    GraphFromJson(j, ".");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MatMul 'fc'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
  }
}

class GraphJsonFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qsa_graph_json_file_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string ErrorOf(const std::string& path) {
    try {
      ReadGraphJson(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  }
  fs::path dir_;
};

TEST_F(GraphJsonFileTest, FileErrorsNameTheFile) {
  const std::string missing = (dir_ / "missing.json").string();
  EXPECT_EQ(ErrorOf(missing), "cannot open '" + missing + "': No such file or directory");

  const std::string bad = Write("bad.json", "{\n  \"qsa_graph\": 1,\n  \"inputs\": [x]\n}\n");
  const std::string bad_error = ErrorOf(bad);
  EXPECT_EQ(bad_error.rfind("'" + bad + "': malformed JSON: ", 0), 0u) << bad_error;
  EXPECT_NE(bad_error.find("line 3"), std::string::npos) << bad_error;

  const std::string dup =
      Write("dup.json", "{\"qsa_graph\": 1, \"tensors\": {\"a\": {}, \"a\": {}}}");
  const std::string dup_error = ErrorOf(dup);
  EXPECT_NE(dup_error.find("'" + dup + "': malformed JSON"), std::string::npos) << dup_error;
  EXPECT_NE(dup_error.find("'a' appears twice"), std::string::npos) << dup_error;

  json j = DocsExample();
  j["tensors"]["b1"]["data"][0] = 1.5;
  const std::string field = Write("field.json", j.dump());
  EXPECT_EQ(
      ErrorOf(field),
      "'" + field + "': tensors.b1.data[0]: expected an integer, got a floating-point number");
}

TEST_F(GraphJsonFileTest, ReadsAWrittenGraphBack) {
  const Graph g = GraphFromJson(DocsExample(), ".");
  const std::string path = Write("g.json", GraphToJson(g).dump(2));
  ExpectSameGraph(g, ReadGraphJson(path));
}

}  // namespace
}  // namespace qsa::golden
