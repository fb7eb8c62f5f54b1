// Speed of the ISA simulator: instructions per second and simulated MACs per second on long GEMM
// programs (the array's work dominates), and instructions per second on a program of token
// exchanges only (the queues and the token protocol dominate).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"

namespace {

using namespace qsa::golden;
using namespace qsa::isa;

Program MakeProgram(const ArchConfig& arch, const std::vector<Instruction>& instructions) {
  Program program;
  program.arch_name = arch.name;
  program.arch_hash = arch.Hash();
  for (const Instruction& in : instructions) program.instructions.push_back(Encode(in));
  program.dram_size = 1 << 16;
  return program;
}

// On the default 16×16 array: one load of a weight tile and 256 activation rows, then `gemms`
// accumulating gemms of `rows` activation rows each (a 16 × rows/16 output tile), then finish.
Program GemmProgram(const ArchConfig& arch, std::uint32_t gemms, std::uint32_t rows) {
  std::vector<Instruction> program;
  LoadSp load;
  load.deps.push_next = true;
  load.ny = 1;
  load.nx = 255;
  load.stride_x = 16;
  load.lanes = 16;
  program.push_back(load);
  for (std::uint32_t g = 0; g < gemms; ++g) {
    Gemm gemm;
    gemm.deps.pop_prev = g == 0;
    gemm.act = 16;
    gemm.act_outer = 16;
    gemm.act_inner = 1;
    gemm.acc_outer = 16;
    gemm.n_outer = rows / 16;
    gemm.n_inner = 16;
    gemm.w = 0;
    gemm.k_lanes = 16;
    gemm.n_lanes = 16;
    gemm.preload = g == 0;
    gemm.accumulate = g > 0;
    program.push_back(gemm);
  }
  program.push_back(Finish{});
  return MakeProgram(arch, program);
}

void BM_IsaSimGemm(benchmark::State& state) {
  const ArchConfig& arch = DefaultArchConfig();
  const auto rows = static_cast<std::uint32_t>(state.range(0));
  const Program program = GemmProgram(arch, 2000, rows);
  std::int64_t instructions = 0;
  std::int64_t macs = 0;
  for (auto _ : state) {
    IsaSimulator simulator(arch, program);
    const IsaRunResult result = simulator.Run();
    instructions = result.counters.instructions;
    macs = result.counters.macs_issued;
    benchmark::DoNotOptimize(result);
  }
  state.counters["instr/s"] = benchmark::Counter(static_cast<double>(instructions),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MACs/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_IsaSimGemm)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

// Load, compute and store passing tokens around a ring: load → compute → store → compute → load.
void BM_IsaSimTokens(benchmark::State& state) {
  const ArchConfig& arch = DefaultArchConfig();
  std::vector<Instruction> program;
  const int rounds = 5000;
  for (int k = 0; k < rounds; ++k) {
    Sync load{.deps = {.pop_next = k > 0, .push_next = true}, .queue = 0};
    Sync to_store{.deps = {.pop_prev = true, .push_next = true}, .queue = 1};
    Sync store{.deps = {.pop_prev = true, .push_prev = true}, .queue = 2};
    Sync to_load{.deps = {.pop_next = true, .push_prev = k + 1 < rounds}, .queue = 1};
    program.insert(program.end(), {load, to_store, store, to_load});
  }
  program.push_back(Finish{});
  const Program p = MakeProgram(arch, program);
  for (auto _ : state) {
    IsaSimulator simulator(arch, p);
    benchmark::DoNotOptimize(simulator.Run());
  }
  state.counters["instr/s"] = benchmark::Counter(static_cast<double>(program.size()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_IsaSimTokens)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
