// Compile time of whole networks: compiler::Compile (passes, partition, lowering, tiling,
// scheduling and code generation) on quantized ONNX models for the default architecture, with
// what the compiler produced as counters (instructions, programs, estimated cycles, DRAM bytes).
//
// The models come from scripts/make_bench_models.py (docs/benchmarks.md, "Compiler"). The
// environment variable QSA_BENCH_MODELS names them: a list, separated by ':' or ',', of .onnx
// files and of folders, each folder standing for the *_int8.onnx files in it; by default the
// folder build/bench-models of the source tree. Loading a model is not timed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compile.h"
#include "compiler/importer/load_model.h"
#include "model/golden/graph.h"
#include "model/isa/arch.h"

namespace {

namespace fs = std::filesystem;
using qsa::compiler::CompiledModel;
using qsa::compiler::CompileOptions;

constexpr std::string_view kModelSuffix = "_int8.onnx";

// The model files QSA_BENCH_MODELS (or the default folder) names, folders expanded, in order.
std::vector<fs::path> ModelPaths() {
  const char* env = std::getenv("QSA_BENCH_MODELS");
  const std::string spec =
      env != nullptr && *env != '\0' ? env : std::string(QSA_SOURCE_DIR) + "/build/bench-models";
  std::vector<fs::path> paths;
  std::size_t begin = 0;
  while (begin <= spec.size()) {
    const std::size_t end = std::min(spec.find_first_of(":,", begin), spec.size());
    const fs::path item = spec.substr(begin, end - begin);
    begin = end + 1;
    if (item.empty()) continue;
    std::error_code ec;
    if (fs::is_directory(item, ec)) {
      std::vector<fs::path> found;
      for (const fs::directory_entry& entry : fs::directory_iterator(item, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file(ec) && name.size() > kModelSuffix.size() &&
            name.ends_with(kModelSuffix)) {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) std::cerr << "compile_bench: no *_int8.onnx in " << item << "\n";
      paths.insert(paths.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(item, ec)) {
      paths.push_back(item);
    } else {
      std::cerr << "compile_bench: " << item << " does not exist\n";
    }
  }
  return paths;
}

// "resnet18" from ".../resnet18_int8.onnx".
std::string ModelName(const fs::path& path) {
  std::string name = path.filename().string();
  if (name.ends_with(kModelSuffix)) {
    name.resize(name.size() - kModelSuffix.size());
  } else {
    name = path.stem().string();
  }
  return name;
}

void BM_Compile(benchmark::State& state, std::shared_ptr<const qsa::golden::Graph> graph) {
  CompileOptions options;
  options.arch = qsa::isa::DefaultArchConfig();
  CompiledModel compiled;
  for (auto _ : state) {
    try {
      compiled = qsa::compiler::Compile(*graph, options);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    benchmark::DoNotOptimize(compiled);
  }
  if (state.error_occurred()) return;
  std::int64_t instructions = 0;
  std::int64_t cycles = 0;
  std::int64_t dram_bytes = 0;
  std::int64_t macs = 0;
  for (const qsa::compiler::CompiledProgram& p : compiled.programs) {
    instructions += static_cast<std::int64_t>(p.program.instructions.size());
    for (const qsa::compiler::LayerEstimate& layer : p.layers) {
      cycles += layer.cycles;
      dram_bytes += layer.dram_read + layer.dram_written;
      macs += layer.macs;
    }
  }
  state.counters["instructions"] = static_cast<double>(instructions);
  state.counters["programs"] = static_cast<double>(compiled.programs.size());
  state.counters["est_cycles"] = static_cast<double>(cycles);
  state.counters["dram_bytes"] = static_cast<double>(dram_bytes);
  state.counters["acc_macs"] = static_cast<double>(macs);
  state.counters["host_nodes"] = static_cast<double>(compiled.host_fallbacks.size());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  int registered = 0;
  for (const fs::path& path : ModelPaths()) {
    try {
      auto graph = std::make_shared<const qsa::golden::Graph>(
          qsa::importer::LoadModel(path.string(), {}).graph);
      benchmark::RegisterBenchmark(("BM_Compile/" + ModelName(path)).c_str(), BM_Compile, graph)
          ->Unit(benchmark::kMillisecond);
      ++registered;
    } catch (const std::exception& e) {
      std::cerr << "compile_bench: skipping " << path.string() << ": " << e.what() << "\n";
    }
  }
  if (registered == 0) {
    std::cerr << "compile_bench: no models to compile; make them with "
                 "scripts/make_bench_models.py or name them in QSA_BENCH_MODELS\n";
    return 0;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
