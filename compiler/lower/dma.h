// DMA patterns the lowerings share, split into instructions whose fields fit the ISA (grids of at
// most 255 × 255 elements, padding of at most 3 per side, 18-bit and 14-bit strides).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/codegen/program_builder.h"
#include "model/isa/arch.h"

namespace qsa::compiler {

// A run of `count` consecutive rows as (outer, inner) loops of at most 255 each: one pair when
// count <= 255 · 255 factors that way with inner = 255 or count <= 255, else two; each pair
// covers outer · inner rows, in order.
std::vector<std::pair<std::int64_t, std::int64_t>> Runs(std::int64_t count);

// Scratchpad rows [row, row + count) all set to `fill` (padding-only loads; no DRAM is read).
void FillRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t count, std::uint8_t fill,
              const std::string& comment);

// A window of an image stored as rows (pixel (y, x) at dram + y·stride_y + x·stride_x, `lanes`
// bytes each) into scratchpad rows row + (y − y0)·(x1 − x0) + (x − x0) for y in [y0, y1), x in
// [x0, x1); positions outside [0, height) × [0, width) are padding (`fill`), as are the lanes
// from `lanes` on. The window may be at most 255 × 255.
struct ImageWindow {
  std::int64_t dram = 0;
  std::int64_t height = 0, width = 0;
  std::int64_t stride_y = 0, stride_x = 0;
  std::int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  std::int64_t lanes = 0;
  std::uint8_t fill = 0;
};
void LoadWindow(std::vector<LoweredOp>& ops, std::int64_t row, const ImageWindow& w,
                const std::string& comment);

// `count` rows of `lanes` bytes, row i at dram + i·stride, into scratchpad rows [row, row + count)
// (lanes beyond `lanes` are `fill`).
void LoadRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t count,
              std::int64_t stride, std::int64_t lanes, std::uint8_t fill,
              const std::string& comment);
// `count` accumulator rows of `lanes` int32 words, row i from dram + i·stride (stride 0: the same
// words in every row).
void LoadAccRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram,
                 std::int64_t count, std::int64_t stride, std::int64_t lanes,
                 const std::string& comment);
// `count` parameter rows of COLS words from consecutive DRAM words.
void LoadParamRows(std::vector<LoweredOp>& ops, const isa::ArchConfig& arch, std::int64_t row,
                   std::int64_t dram, std::int64_t count, const std::string& comment);

// Scratchpad rows [row, row + count), lanes [lane0, lane0 + lanes), to dram + i·stride.
void StoreRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t count,
               std::int64_t stride, std::int64_t lanes, std::int64_t lane0,
               const std::string& comment);
// An ny × nx grid of scratchpad rows (row + y·nx + x) to dram + y·stride_y + x·stride_x.
void StoreGrid(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t ny,
               std::int64_t nx, std::int64_t stride_y, std::int64_t stride_x, std::int64_t lanes,
               std::int64_t lane0, const std::string& comment);
// Accumulator rows as raw int32 (`lanes` words each) to dram + i·stride.
void StoreAccRows(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram,
                  std::int64_t count, std::int64_t stride, std::int64_t lanes,
                  const std::string& comment);
void StoreAccGrid(std::vector<LoweredOp>& ops, std::int64_t row, std::int64_t dram, std::int64_t ny,
                  std::int64_t nx, std::int64_t stride_y, std::int64_t stride_x, std::int64_t lanes,
                  const std::string& comment);

// Field values as the instruction structs hold them; throws qsa::Error naming `what` when a value
// does not fit the ISA's unsigned 32-bit fields (the encoder checks each field's own width).
std::uint32_t Field(std::int64_t v, const char* what);

}  // namespace qsa::compiler
