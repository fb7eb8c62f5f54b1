// Compiled models on three engines: the golden model, the ISA simulator and the verilated RTL
// must agree bit for bit on every tensor the programs compute — random single-op models
// (testkit/random_models.h) and the bundled examples, on the array configurations the
// build verilates (4x4, 8x8, 8x16, 16x16). The DRAM jitter and back-pressure of the harness are
// switched on for every other case.
//
// Seeds: QSA_TEST_SEED (printed) · 1000003 + case; QSA_RANDOM_MODELS cases per kind and
// configuration (default 6).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "compiler/compile.h"
#include "compiler/importer/load_model.h"
#include "compiler/run_compiled.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "sim/rtl_sim.h"
#include "testkit/random_models.h"
#include "tests/sim/sim_test_util.h"

namespace qsa::sim {
namespace {

using testkit::random_models::RandomModel;
using testkit::random_models::Rng;

isa::ArchConfig Arch(const std::string& name) {
  if (name == "default") return isa::DefaultArchConfig();
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

const std::vector<std::string> kArchs = {"4x4", "8x8", "8x16", "default", "4x4_l2"};

compiler::ProgramEngine RtlEngine(const isa::ArchConfig& arch, bool jitter, std::uint64_t seed) {
  return [arch, jitter, seed](const compiler::CompiledProgram& p,
                              const std::map<std::string, golden::Tensor>& inputs) {
    RtlOptions options;
    if (jitter) {
      options.dram_seed = seed;
      options.dram_jitter = 24;
      options.dram_backpressure = 0.25;
    }
    return RunProgramOnRtl(arch, p.program, inputs, options).outputs;
  };
}

// Every tensor both runs computed must be equal; returns the number compared.
std::int64_t ExpectSame(const std::map<std::string, golden::Tensor>& a, const char* a_name,
                        const std::map<std::string, golden::Tensor>& b, const char* b_name) {
  std::int64_t compared = 0;
  for (const auto& [name, value] : a) {
    const auto it = b.find(name);
    if (it == b.end()) continue;
    ++compared;
    if (value == it->second) continue;
    std::string where = "shape or dtype";
    if (value.shape() == it->second.shape() && value.dtype() == it->second.dtype()) {
      for (std::int64_t i = 0; i < value.size(); ++i) {
        if (value.GetInt(i) != it->second.GetInt(i)) {
          where = "element " + std::to_string(i) + ": " + a_name + " " +
                  std::to_string(value.GetInt(i)) + ", " + b_name + " " +
                  std::to_string(it->second.GetInt(i));
          break;
        }
      }
    }
    ADD_FAILURE() << "tensor '" << name << "' differs between " << a_name << " and " << b_name
                  << " at " << where;
  }
  return compared;
}

void CheckModel(const golden::Graph& graph, const std::map<std::string, golden::Tensor>& feeds,
                const isa::ArchConfig& arch, bool jitter, std::uint64_t seed) {
  compiler::CompileOptions options;
  options.arch = arch;
  const compiler::CompiledModel cm = compiler::Compile(graph, options);
  ASSERT_FALSE(cm.programs.empty());
  golden::RunOptions golden_options;
  golden_options.keep_intermediates = true;
  const auto golden = golden::RunGraph(graph, feeds, golden_options);
  const auto isa = compiler::RunCompiled(cm, feeds, compiler::IsaEngine(arch));
  const auto rtl = compiler::RunCompiled(cm, feeds, RtlEngine(arch, jitter, seed));
  EXPECT_GE(ExpectSame(golden, "golden", isa, "isa"), 1);
  EXPECT_GE(ExpectSame(isa, "isa", rtl, "rtl"), 1);
}

int Cases() {
  const char* env = std::getenv("QSA_RANDOM_MODELS");
  return env != nullptr ? std::atoi(env) : 6;
}

template <typename Make>
void RunRandom(const char* kind, Make make) {
  const std::uint64_t seed = sim_test::TestSeed(20261207);
  std::uint64_t k = 0;
  for (const std::string& name : kArchs) {
    const isa::ArchConfig arch = Arch(name);
    for (int i = 0; i < Cases(); ++i, ++k) {
      Rng rng(seed * 1000003 + k);
      const RandomModel m = make(rng, arch);
      SCOPED_TRACE(std::string(kind) + " case " + std::to_string(k) + " of seed " +
                   std::to_string(seed) + " on " + name + ": " + m.description);
      CheckModel(m.graph, m.feeds, arch, k % 2 == 1, seed + k);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(CompileCosim, RandomConvolutions) { RunRandom("conv", testkit::random_models::RandomConv); }
TEST(CompileCosim, RandomMatMuls) { RunRandom("matmul", testkit::random_models::RandomMatMul); }
TEST(CompileCosim, RandomAdds) { RunRandom("add", testkit::random_models::RandomAdd); }
TEST(CompileCosim, RandomPools) { RunRandom("pool", testkit::random_models::RandomPool); }
TEST(CompileCosim, RandomNetworks) { RunRandom("network", testkit::random_models::RandomNetwork); }
TEST(CompileCosim, RandomConcats) { RunRandom("concat", testkit::random_models::RandomConcat); }

// The trained int8 TFLite models of QSA_SHARED_DATA_DIR/tflite on the default array: golden ==
// ISA == RTL on every tensor (docs/tflite-import.md gives the cycles and utilization).
TEST(CompileCosim, TfliteModels) {
  const std::string dir = std::string(QSA_SHARED_DATA_DIR) + "/tflite/";
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"person_detect.tflite", "person_input.npy"},
      {"person_detect.tflite", "no_person_input.npy"},
      {"mobilenet_v2_quantized_1x3x224x224.tflite", "mobilenet_v2_dog_input.npy"}};
  for (const auto& [model, input] : runs) {
    if (!std::filesystem::exists(dir + model)) GTEST_SKIP() << "no " << dir + model;
    SCOPED_TRACE(model + " on " + input);
    const importer::LoadedModel loaded = importer::LoadModel(dir + model, {});
    CheckModel(loaded.graph, {{loaded.graph.inputs.at(0), golden::ReadNpy(dir + input)}},
               isa::DefaultArchConfig(), false, 0);
  }
}

// The digits and tiny CNN examples in both ONNX forms, a few images each.
TEST(CompileCosim, Examples) {
  const std::string root = std::string(QSA_SOURCE_DIR) + "/examples/";
  const std::vector<std::pair<std::string, std::string>> models = {
      {"digits/digits_qdq.onnx", "digits/test_images.npy"},
      {"digits/digits_qop.onnx", "digits/test_images.npy"},
      {"tinycnn/tinycnn_qdq.onnx", "tinycnn/inputs16.npy"},
      {"tinycnn/tinycnn_qop.onnx", "tinycnn/inputs16.npy"}};
  for (const auto& [path, images] : models) {
    const importer::LoadedModel loaded = importer::LoadModel(root + path, {});
    const golden::Tensor all = golden::ReadNpy(root + images);
    const std::string& in = loaded.graph.inputs.at(0);
    for (const std::string& name : kArchs) {
      for (std::int64_t i = 0; i < 2; ++i) {
        SCOPED_TRACE(path + " image " + std::to_string(i) + " on " + name);
        golden::Tensor x(all.dtype(), loaded.graph.Info(in).shape);
        const auto bytes = x.MutableBytes();
        std::copy_n(all.Bytes().begin() + static_cast<std::ptrdiff_t>(i * bytes.size()),
                    bytes.size(), bytes.begin());
        CheckModel(loaded.graph, {{in, x}}, Arch(name), i == 1, 7 + static_cast<std::uint64_t>(i));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

}  // namespace
}  // namespace qsa::sim
