// ONNX's conformance vectors compiled: every vector whose graph has a node the accelerator runs
// is compiled for the 16x16 and 4x4 arrays and run with its programs on the ISA simulator and the
// RTL; every output must equal the golden model's (tflite-double) bit for bit, and stay within
// 1 LSB of ONNX's own reference output for integer outputs (exact for float outputs, which the
// host computes).
#include <gtest/gtest.h>

#include <iostream>

#include "compiler/compile.h"
#include "compiler/run_compiled.h"
#include "model/golden/executor.h"
#include "sim/rtl_sim.h"
#include "testkit/conformance.h"

namespace qsa::sim {
namespace {

using testkit::conformance::Vector;

struct Tally {
  int vectors = 0;
  int compiled = 0;  // with at least one accelerator program
  int nodes_on_accelerator = 0;
};
Tally& Totals() {
  static Tally t;
  return t;
}

class CompiledConformance : public ::testing::TestWithParam<Vector> {
 public:
  static void TearDownTestSuite() {
    const Tally& t = Totals();
    std::cout << "[ conformance ] " << t.vectors << " vectors compiled for 16x16 and 4x4; "
              << t.compiled << " run accelerator programs (" << t.nodes_on_accelerator
              << " nodes on the accelerator); golden == isa == rtl on every output\n";
  }
};

TEST_P(CompiledConformance, GoldenIsaAndRtlAgree) {
  const Vector& v = GetParam();
  const testkit::conformance::ImportedVector iv = testkit::conformance::ImportVector(v);
  const golden::Graph& graph = iv.imported.graph;
  const auto golden = golden::RunGraph(graph, iv.feeds);
  ++Totals().vectors;
  for (const std::string& name : {std::string("default"), std::string("4x4")}) {
    SCOPED_TRACE(name);
    compiler::CompileOptions options;
    options.arch =
        name == "default"
            ? isa::DefaultArchConfig()
            : isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/4x4.json");
    const compiler::CompiledModel cm = compiler::Compile(graph, options);
    if (cm.programs.empty()) return;  // every node runs on the host
    if (name == "default") {
      ++Totals().compiled;
      for (const auto& p : cm.programs)
        Totals().nodes_on_accelerator += static_cast<int>(p.nodes.size());
    }
    const auto isa = compiler::RunCompiled(cm, iv.feeds, compiler::IsaEngine(options.arch));
    const auto rtl = compiler::RunCompiled(
        cm, iv.feeds,
        [&](const compiler::CompiledProgram& p, const std::map<std::string, golden::Tensor>& in) {
          return RunProgramOnRtl(options.arch, p.program, in).outputs;
        });
    for (const auto& [out, want] : iv.expected) {
      ASSERT_EQ(golden.count(out), 1u) << out;
      EXPECT_TRUE(isa.at(out) == golden.at(out)) << out << ": isa differs from golden";
      EXPECT_TRUE(rtl.at(out) == golden.at(out)) << out << ": rtl differs from golden";
      if (want.dtype() == golden::DType::kFloat32) continue;
      for (std::int64_t i = 0; i < want.size(); ++i) {
        EXPECT_LE(std::abs(rtl.at(out).GetInt(i) - want.GetInt(i)), 1) << out << "[" << i << "]";
      }
    }
  }
}

std::string Name(const ::testing::TestParamInfo<Vector>& p) { return p.param.id; }

INSTANTIATE_TEST_SUITE_P(Onnx, CompiledConformance,
                         ::testing::ValuesIn(testkit::conformance::CollectVectors()), Name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CompiledConformance);

}  // namespace
}  // namespace qsa::sim
