// The compiler end to end on the ISA simulator: random single-op models (random_models.h) on
// several array shapes and memory sizes, and the bundled examples, compiled and run step by step;
// every output must equal the golden model's bit for bit. Also the compile report, the compiled
// folder round trip and the errors a user can meet.
//
// Seeds: QSA_TEST_SEED (default below) is printed; case k of a test draws from seed · 1000003 + k.
// QSA_RANDOM_MODELS sets the number of cases per architecture.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <variant>

#include <unistd.h>

#include "compiler/compile.h"
#include "compiler/importer/load_model.h"
#include "compiler/run_compiled.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "testkit/random_models.h"

namespace qsa::compiler {
namespace {

using testkit::random_models::RandomModel;
using testkit::random_models::Rng;

constexpr std::uint64_t kDefaultSeed = 20261207;

std::uint64_t Seed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 0) : kDefaultSeed;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::cout << "[   SEED   ] QSA_TEST_SEED=" << seed << std::endl;
  return seed;
}

isa::ArchConfig Arch(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

// The shipped 4x4, 8x8, 8x16 and 16x16 arrays, a 16x8 one (COLS < ROWS) and small-memory 4x4 and
// 8x16 variants that force several tiles per layer and streamed weights.
std::vector<isa::ArchConfig> Archs() {
  std::vector<isa::ArchConfig> archs = {Arch("4x4"), Arch("8x8"), Arch("8x16"),
                                        isa::DefaultArchConfig()};
  isa::ArchConfig a16x8 = isa::DefaultArchConfig();
  a16x8.name = "16x8";
  a16x8.cols = 8;
  archs.push_back(a16x8);
  archs.push_back(testkit::random_models::ArchWith(Arch("4x4"), "4x4-small", 1024, 512, 16));
  archs.push_back(testkit::random_models::ArchWith(Arch("8x16"), "8x16-small", 2048, 2048, 16));
  return archs;
}

int g_unfit = 0;  // random layers the small-memory configurations cannot hold

// Compiles `m` for `arch` and checks that every node runs on the accelerator and that the ISA
// simulator's outputs equal the golden model's. Returns false on a mismatch (after reporting).
bool CheckOnIsa(const RandomModel& m, const isa::ArchConfig& arch, bool single_rounding,
                const std::string& what) {
  SCOPED_TRACE(what + " on " + arch.name + ": " + m.description +
               (single_rounding ? " single-rounding" : ""));
  CompileOptions options;
  options.arch = arch;
  options.rounding =
      single_rounding ? golden::RequantMode::kSingleRounding : golden::RequantMode::kTfliteDouble;
  CompiledModel cm;
  try {
    cm = Compile(m.graph, options);
  } catch (const Error& e) {
    // The small-memory configurations cannot hold some random layers at all (the compiler
    // splits output tiles and weights, not the input channels of one window); that error is
    // the expected answer there.
    const std::string message = e.what();
    if (arch.name.ends_with("-small") && message.find("does not fit") != std::string::npos) {
      ++g_unfit;
      return true;
    }
    ADD_FAILURE() << "compile failed: " << e.what();
    return false;
  }
  EXPECT_TRUE(cm.host_fallbacks.empty())
      << "host fallback: " << cm.host_fallbacks[0].node << ": " << cm.host_fallbacks[0].reason;
  EXPECT_EQ(cm.programs.size(), 1u);
  golden::RunOptions golden_options;
  golden_options.mode = options.rounding;
  const auto golden = golden::RunGraph(m.graph, m.feeds, golden_options);
  std::map<std::string, golden::Tensor> isa;
  try {
    isa = RunCompiled(cm, m.feeds, IsaEngine(arch));
  } catch (const Error& e) {
    ADD_FAILURE() << "run failed: " << e.what();
    return false;
  }
  for (const std::string& out : m.graph.outputs) {
    const golden::Tensor& want = golden.at(out);
    const golden::Tensor& got = isa.at(out);
    EXPECT_EQ(got.shape(), want.shape());
    EXPECT_EQ(got.dtype(), want.dtype());
    if (got.shape() != want.shape() || got.dtype() != want.dtype()) return false;
    for (std::int64_t i = 0; i < want.size(); ++i) {
      if (got.GetInt(i) != want.GetInt(i)) {
        ADD_FAILURE() << "output " << out << " element " << i << " of " << want.size() << ": isa "
                      << got.GetInt(i) << ", golden " << want.GetInt(i);
        return false;
      }
    }
  }
  return !::testing::Test::HasFailure();
}

int Cases(int fallback) {
  const char* env = std::getenv("QSA_RANDOM_MODELS");
  return env != nullptr ? std::atoi(env) : fallback;
}

template <typename Make>
void RunRandom(const char* kind, Make make, int per_arch) {
  const std::uint64_t seed = Seed();
  g_unfit = 0;
  std::uint64_t k = 0;
  for (const isa::ArchConfig& arch : Archs()) {
    for (int i = 0; i < per_arch; ++i, ++k) {
      Rng rng(seed * 1000003 + k);
      const RandomModel m = make(rng, arch);
      if (!CheckOnIsa(m, arch, k % 4 == 3,
                      std::string(kind) + " case " + std::to_string(k) + " of seed " +
                          std::to_string(seed))) {
        return;
      }
    }
  }
  // Nearly every random layer fits even the small memories.
  EXPECT_LE(g_unfit * 50, static_cast<int>(k)) << g_unfit << " of " << k << " did not fit";
}

TEST(CompileIsa, RandomConvolutions) {
  RunRandom("conv", testkit::random_models::RandomConv, Cases(40));
}
TEST(CompileIsa, RandomMatMuls) {
  RunRandom("matmul", testkit::random_models::RandomMatMul, Cases(25));
}
TEST(CompileIsa, RandomAdds) { RunRandom("add", testkit::random_models::RandomAdd, Cases(10)); }
TEST(CompileIsa, RandomPools) { RunRandom("pool", testkit::random_models::RandomPool, Cases(25)); }
TEST(CompileIsa, RandomConcats) {
  RunRandom("concat", testkit::random_models::RandomConcat, Cases(10));
}
TEST(CompileIsa, RandomNetworks) {
  RunRandom("network", testkit::random_models::RandomNetwork, Cases(6));
}

// The bundled examples: every output and every intermediate tensor the programs list equals the
// golden model's.
void CheckExample(const std::string& path, const std::string& input_npy, std::int64_t images) {
  const std::string root = std::string(QSA_SOURCE_DIR) + "/";
  const importer::LoadedModel loaded = importer::LoadModel(root + path, {});
  const golden::Tensor all = golden::ReadNpy(root + input_npy);
  for (const isa::ArchConfig& arch : {isa::DefaultArchConfig(), Arch("4x4")}) {
    CompileOptions options;
    options.arch = arch;
    const CompiledModel cm = Compile(loaded.graph, options);
    for (std::int64_t i = 0; i < images; ++i) {
      SCOPED_TRACE(path + " on " + arch.name + " image " + std::to_string(i));
      // One image of the [n, ...] input array.
      const std::string& in_name = loaded.graph.inputs.at(0);
      golden::Shape shape = loaded.graph.Info(in_name).shape;
      golden::Tensor x(all.dtype(), shape);
      const auto bytes = x.MutableBytes();
      std::copy_n(all.Bytes().begin() + static_cast<std::ptrdiff_t>(i * bytes.size()), bytes.size(),
                  bytes.begin());
      const std::map<std::string, golden::Tensor> feeds = {{in_name, x}};
      golden::RunOptions golden_options;
      golden_options.keep_intermediates = true;
      const auto golden = golden::RunGraph(loaded.graph, feeds, golden_options);
      const auto isa = RunCompiled(cm, feeds, IsaEngine(arch));
      std::int64_t compared = 0;
      for (const auto& [name, value] : isa) {
        const auto it = golden.find(name);
        if (it == golden.end()) continue;
        ++compared;
        ASSERT_TRUE(value == it->second)
            << name << ": " << value.Describe() << " vs golden " << it->second.Describe();
      }
      EXPECT_GE(compared, static_cast<std::int64_t>(loaded.graph.nodes.size()));
    }
  }
}

TEST(CompileIsa, DigitsExamples) {
  CheckExample("examples/digits/digits_qdq.onnx", "examples/digits/test_images.npy", 5);
  CheckExample("examples/digits/digits_qop.onnx", "examples/digits/test_images.npy", 5);
}

TEST(CompileIsa, TinyCnnExamples) {
  CheckExample("examples/tinycnn/tinycnn_qdq.onnx", "examples/tinycnn/inputs16.npy", 3);
  CheckExample("examples/tinycnn/tinycnn_qop.onnx", "examples/tinycnn/inputs16.npy", 3);
}

}  // namespace
}  // namespace qsa::compiler

namespace qsa::compiler {
namespace {

// A model with host nodes between accelerator layers compiles into two programs with host steps
// between them, and runs bit-exact: conv → DequantizeLinear → Sigmoid → QuantizeLinear (host) →
// Flatten → MatMul.
TEST(CompileIsa, HostNodesSplitTheModelIntoSegments) {
  const std::uint64_t seed = Seed();
  for (const isa::ArchConfig& arch : {isa::DefaultArchConfig(), Arch("4x4")}) {
    Rng rng(seed);
    RandomModel m;
    golden::Graph& g = m.graph;
    testkit::random_models::AddInput(g, "x", golden::DType::kUInt8, {1, 5, 6, 6},
                                     testkit::random_models::PerTensor(0.02f, 100));
    m.feeds["x"] = rng.Values(golden::DType::kUInt8, {1, 5, 6, 6});
    std::vector<float> s_w(7, 0.01f);
    g.AddConstant("w", rng.Values(golden::DType::kInt8, {7, 5, 3, 3}),
                  golden::QuantParams{s_w, std::vector<std::int32_t>(7, 0), 0});
    golden::Node conv;
    conv.name = "conv";
    conv.op = "Conv";
    conv.inputs = {"x", "w"};
    conv.attrs.Set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
    testkit::random_models::AppendAccumulating(rng, m, conv, s_w, 1, golden::DType::kUInt8, "x",
                                               "c");
    const auto add_node = [&](const std::string& op, const std::string& in,
                              const std::string& out) {
      return &testkit::random_models::AppendNode(g, op + "_" + out, op, {in}, {out});
    };
    add_node("DequantizeLinear", "c", "cf");
    add_node("Sigmoid", "cf", "s");
    g.tensors["sq"] = {
        "sq", golden::DType::kUInt8, {}, testkit::random_models::PerTensor(1.0f / 255, 0)};
    add_node("QuantizeLinear", "s", "sq");
    add_node("Flatten", "sq", "f")->attrs.Set("axis", std::int64_t{1});
    g.outputs = {"f"};
    g.Validate();
    std::vector<float> s_b(10, 0.02f);
    g.AddConstant("b", rng.Values(golden::DType::kInt8, {7 * 6 * 6, 10}),
                  golden::QuantParams{s_b, std::vector<std::int32_t>(10, 0), 1});
    golden::Node fc;
    fc.name = "fc";
    fc.op = "MatMul";
    fc.inputs = {"f", "b"};
    testkit::random_models::AppendAccumulating(rng, m, fc, s_b, 1, golden::DType::kInt8, "f", "y");

    CompileOptions options;
    options.arch = arch;
    const CompiledModel cm = Compile(g, options);
    ASSERT_EQ(cm.programs.size(), 2u) << arch.name;
    ASSERT_EQ(cm.steps.size(), 3u);
    EXPECT_TRUE(cm.steps[1].host);
    // DequantizeLinear, Sigmoid, QuantizeLinear, and the flatten (as the nhwc-flatten pass's
    // Transpose and Reshape) of what the host computed.
    EXPECT_EQ(cm.host_fallbacks.size(), 5u);
    golden::RunOptions golden_options;
    golden_options.keep_intermediates = true;
    const auto golden = golden::RunGraph(g, m.feeds, golden_options);
    const auto isa = RunCompiled(cm, m.feeds, IsaEngine(arch));
    for (const char* t : {"c", "sq", "y"}) {
      EXPECT_TRUE(isa.at(t) == golden.at(t)) << t << " on " << arch.name;
    }
  }
}

}  // namespace
}  // namespace qsa::compiler

namespace qsa::compiler {
namespace {

// The accelerator computes the two fixed-point modes; a float mode is refused with a message that
// lists the accepted ones.
TEST(CompileRounding, AcceleratorRoundingAcceptsTheFixedPointModesOnly) {
  EXPECT_EQ(AcceleratorRounding("tflite-double"), golden::RequantMode::kTfliteDouble);
  EXPECT_EQ(AcceleratorRounding("single-rounding"), golden::RequantMode::kSingleRounding);
  for (const char* name : {"float32-rne", "float64-rne", "Single-Rounding", ""}) {
    try {
      AcceleratorRounding(name, "--requant: ");
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                "--requant: the accelerator computes in tflite-double or single-rounding, not '" +
                    std::string(name) + "'");
    }
  }
}

golden::Graph DigitsGraph() {
  return importer::LoadModel(std::string(QSA_SOURCE_DIR) + "/examples/digits/digits_qdq.onnx", {})
      .graph;
}

TEST(CompileRounding, CompileRefusesAFloatMode) {
  CompileOptions options;
  options.rounding = golden::RequantMode::kFloat32Rne;
  try {
    Compile(DigitsGraph(), options);
    ADD_FAILURE() << "compiled in float32-rne";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the accelerator computes in tflite-double or single-rounding, not 'float32-rne'");
  }
}

// The mode reaches every requantizing instruction as its single_rounding bit and survives the
// compiled folder's round trip.
TEST(CompileRounding, TheModeReachesTheInstructionsAndTheFolder) {
  const golden::Graph graph = DigitsGraph();
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("qsa_compile_rounding_" + std::to_string(::getpid())))
                              .string();
  for (golden::RequantMode mode :
       {golden::RequantMode::kTfliteDouble, golden::RequantMode::kSingleRounding}) {
    SCOPED_TRACE(std::string(golden::RequantModeName(mode)));
    CompileOptions options;
    options.rounding = mode;
    const CompiledModel cm = Compile(graph, options);
    EXPECT_EQ(cm.rounding, mode);
    int posts = 0;
    for (const CompiledProgram& p : cm.programs) {
      for (const isa::Word& w : p.program.instructions) {
        const isa::Instruction in = isa::Decode(w);
        if (const auto* post = std::get_if<isa::Post>(&in)) {
          ++posts;
          EXPECT_EQ(post->single_rounding != 0, mode == golden::RequantMode::kSingleRounding);
        }
      }
    }
    EXPECT_GT(posts, 0);
    WriteCompiled(cm, dir, "");
    EXPECT_EQ(ReadCompiled(dir).rounding, mode);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qsa::compiler
