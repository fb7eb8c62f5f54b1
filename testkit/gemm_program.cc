#include "testkit/gemm_program.h"

#include <random>
#include <string>

#include "model/base/error.h"
#include "model/isa/isa.h"

namespace qsa::testkit {

using namespace isa;  // the generators write in the ISA's own vocabulary
namespace {

// DRAM layout: A (k-tile-major), then the weight tiles (column block j, k-tile t: COLS rows of
// ROWS int8, row c = the weights of output column j·COLS + c), then C.
struct Layout {
  std::int64_t rows, cols, k_tiles, n_blocks;
  std::int64_t a = 0, b = 0, c = 0, end = 0;
  Layout(const isa::ArchConfig& arch, const GemmProgramShape& s)
      : rows(arch.rows), cols(arch.cols), k_tiles(s.k / arch.rows), n_blocks(s.n / arch.cols) {
    b = a + s.m * s.k;
    c = b + s.k * s.n;
    end = c + 4 * s.m * s.n;
  }
  std::int64_t Tile(std::int64_t j, std::int64_t t) const {
    return b + (j * k_tiles + t) * cols * rows;
  }
};

std::uint32_t U32(std::int64_t v) { return static_cast<std::uint32_t>(v); }

}  // namespace

isa::Program MakeGemmProgram(const isa::ArchConfig& arch, const GemmProgramShape& shape,
                             std::uint64_t seed) {
  const std::int64_t rows = arch.rows, cols = arch.cols;
  if (shape.m < 16 || shape.m % 16 != 0 || shape.m / 16 > 255 || shape.k < rows ||
      shape.k % rows != 0 || shape.n < cols || shape.n % cols != 0) {
    throw Error("GEMM " + std::to_string(shape.m) + "x" + std::to_string(shape.k) + "x" +
                std::to_string(shape.n) +
                ": M must be a multiple of 16 up to 4080, K a multiple "
                "of ROWS and N a multiple of COLS");
  }
  const Layout L(arch, shape);
  const std::int64_t a_rows = L.k_tiles * shape.m;  // scratchpad rows of A
  const std::int64_t w_rows = L.k_tiles * cols;     // one weight buffer
  if (a_rows + 2 * w_rows > arch.scratchpad_rows() || 2 * shape.m > arch.accumulator_rows()) {
    throw Error("GEMM operands do not fit: A needs " + std::to_string(a_rows) +
                " scratchpad rows plus 2 x " + std::to_string(w_rows) + " for weights, C 2 x " +
                std::to_string(shape.m) + " accumulator rows");
  }
  if (L.end > 0xffffffffLL || 16 * cols * 4 > (1 << 14) - 1 || shape.n * 4 > (1 << 14) - 1) {
    throw Error("GEMM too large for the DMA's address and stride fields");
  }

  isa::Program p;
  p.arch_name = arch.name;
  p.arch_hash = arch.Hash();
  p.dram_size = static_cast<std::uint64_t>(L.end);
  p.dram_image.assign(static_cast<std::size_t>(L.c), 0);
  std::mt19937_64 rng(seed);
  for (std::int64_t i = 0; i < L.c; ++i) {
    p.dram_image[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(rng() & 0xff);
  }
  p.manifest.inputs.push_back(isa::ManifestTensor{"a",
                                                  static_cast<std::uint64_t>(L.a),
                                                  golden::Shape{shape.m, L.k_tiles, rows},
                                                  golden::DType::kUInt8,
                                                  {1, 0, 2},
                                                  {}});
  p.manifest.outputs.push_back(isa::ManifestTensor{"c",
                                                   static_cast<std::uint64_t>(L.c),
                                                   golden::Shape{shape.m, shape.n},
                                                   golden::DType::kInt32,
                                                   {},
                                                   {}});

  std::vector<Instruction> code;
  // Weight buffers from the first scratchpad bank after A's, so that a weight preload never
  // shares a bank with the activation rows streaming at the same time; the two accumulator
  // buffers in different banks, so that the store of one never waits for the gemms of the other
  // (when they fit; else right after A and one after the other).
  const std::int64_t sp_bank = arch.scratchpad_rows() / arch.scratchpad_banks;
  const std::int64_t acc_bank = arch.accumulator_rows() / arch.accumulator_banks;
  const std::int64_t a_end = (a_rows + sp_bank - 1) / sp_bank * sp_bank;
  const std::int64_t w_base = a_end + 2 * w_rows <= arch.scratchpad_rows() ? a_end : a_rows;
  const std::int64_t c_step =
      2 * acc_bank <= arch.accumulator_rows() && shape.m <= acc_bank ? acc_bank : shape.m;
  auto load_tiles = [&](std::int64_t j, isa::Deps deps) {
    // All k-tiles of column block j: k_tiles·COLS rows, contiguous in DRAM.
    const std::int64_t n_rows = L.k_tiles * cols;
    LoadSp in;
    in.deps = deps;
    in.sram = U32(w_base + (j % 2) * w_rows);
    in.dram = U32(L.Tile(j, 0));
    in.nx = U32(std::min<std::int64_t>(n_rows, 16));
    in.ny = U32(n_rows / in.nx);
    in.stride_x = U32(rows);
    in.stride_y = U32(rows * in.nx);
    in.lanes = U32(rows);
    code.push_back(in);
  };
  // Load queue: weights of block 0, then A one k-tile at a time, then the weights of each next
  // block once compute has released its buffer.
  load_tiles(0, isa::Deps{false, false, false, true});
  for (std::int64_t t = 0; t < L.k_tiles; ++t) {
    LoadSp in;
    in.deps.push_next = true;
    in.sram = U32(t * shape.m);
    in.dram = U32(L.a + t * shape.m * rows);
    in.ny = U32(shape.m / 16);
    in.nx = 16;
    in.stride_x = U32(rows);
    in.stride_y = U32(16 * rows);
    in.lanes = U32(rows);
    code.push_back(in);
  }
  // Compute and store, block by block; the loads of block j+1 are placed before block j's
  // compute in program order so that fetch never waits behind a blocked queue head.
  code.push_back(Sync{isa::Deps{true, false, false, false}, 1});  // weights of block 0 loaded
  for (std::int64_t j = 0; j < L.n_blocks; ++j) {
    if (j + 1 < L.n_blocks) load_tiles(j + 1, isa::Deps{false, j + 1 >= 2, false, true});
    for (std::int64_t t = 0; t < L.k_tiles; ++t) {
      Gemm g;
      g.act = U32(t * shape.m);
      g.act_outer = 16;
      g.act_inner = 1;
      g.acc = U32((j % 2) * c_step);
      g.acc_outer = 16;
      g.n_outer = U32(shape.m / 16);
      g.n_inner = 16;
      g.w = U32(w_base + (j % 2) * w_rows + t * cols);
      g.k_lanes = U32(rows);
      g.n_lanes = U32(cols);
      g.preload = true;
      g.accumulate = t > 0;
      // Block 0 waits for each A k-tile; block j >= 1 for its weights; block j >= 2 also for
      // store to have emptied its accumulator buffer.
      g.deps.pop_prev = (j == 0) || t == 0;
      g.deps.pop_next = (j >= 2 && t == 0);
      if (t == L.k_tiles - 1) {
        g.deps.push_next = true;                // block ready for store
        g.deps.push_prev = j + 2 < L.n_blocks;  // weight buffer free
      }
      code.push_back(g);
    }
    StoreAcc s;
    s.deps = isa::Deps{true, false, j + 2 < L.n_blocks, false};
    s.sram = U32((j % 2) * c_step);
    s.dram = U32(L.c + j * cols * 4);
    s.ny = U32(shape.m / 16);
    s.nx = 16;
    s.stride_x = U32(shape.n * 4);
    s.stride_y = U32(16 * shape.n * 4);
    s.lanes = U32(cols);
    code.push_back(s);
  }
  code.push_back(Finish{});
  for (const Instruction& in : code) p.instructions.push_back(isa::Encode(in));
  return p;
}

std::vector<std::int32_t> GemmProgramReference(const isa::ArchConfig& arch,
                                               const GemmProgramShape& shape,
                                               const isa::Program& program) {
  const Layout L(arch, shape);
  const auto& img = program.dram_image;
  std::vector<std::int32_t> c(static_cast<std::size_t>(shape.m * shape.n), 0);
  for (std::int64_t m = 0; m < shape.m; ++m) {
    for (std::int64_t n = 0; n < shape.n; ++n) {
      const std::int64_t j = n / L.cols, col = n % L.cols;
      std::int64_t sum = 0;
      for (std::int64_t k = 0; k < shape.k; ++k) {
        const std::int64_t t = k / L.rows, r = k % L.rows;
        const std::int32_t a = img[static_cast<std::size_t>(L.a + (t * shape.m + m) * L.rows + r)];
        const auto w = static_cast<std::int8_t>(
            img[static_cast<std::size_t>(L.Tile(j, t) + col * L.rows + r)]);
        sum += static_cast<std::int64_t>(a) * w;
      }
      c[static_cast<std::size_t>(m * shape.n + n)] = static_cast<std::int32_t>(sum);
    }
  }
  return c;
}

}  // namespace qsa::testkit
