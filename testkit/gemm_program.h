// A double-buffered GEMM program for any array: C[M×N] (int32) = A[M×K] (uint8) · B[K×N] (int8).
// The workload of the RTL benchmark (array utilization, simulated cycles per second) and of the
// co-simulation tests' long programs.
#pragma once

#include <cstdint>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/program.h"

namespace qsa::testkit {

struct GemmProgramShape {
  std::int64_t m = 256;  // a multiple of 16, at most 16·255
  std::int64_t k = 256;  // a multiple of ROWS
  std::int64_t n = 256;  // a multiple of COLS
};

// The program, with random A and B (from `seed`) in its DRAM image. Manifest: input "a" of host
// shape [M, K/ROWS, ROWS] (DRAM holds it k-tile-major, perm [1, 0, 2]), output "c" int32 [M, N]
// row-major. Schedule: all of A stays in the scratchpad (one load per k-tile, each handed to
// compute by a token); the weight tiles of output column block j load into one of two buffers
// while compute streams block j−1 from the other; block j accumulates into one of two
// accumulator buffers while store writes block j−1 out (store.acc). Every gemm preloads its
// tile and streams all M rows. Throws qsa::Error when the operands do not fit the memories.
isa::Program MakeGemmProgram(const isa::ArchConfig& arch, const GemmProgramShape& shape,
                             std::uint64_t seed);

// C = A · B for the program's own operands, from its DRAM image (for checking a run).
std::vector<std::int32_t> GemmProgramReference(const isa::ArchConfig& arch,
                                               const GemmProgramShape& shape,
                                               const isa::Program& program);

}  // namespace qsa::testkit
