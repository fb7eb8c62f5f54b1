// MaxPool, AveragePool and GlobalAveragePool lowering in pieces (pool.cc; docs/compiler.md,
// "Pools"): the window the node pools over, the descriptor the `pool` instruction reads, the
// tiling of the output, and the steps of one tile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/codegen/program_builder.h"
#include "compiler/lower/cost_model.h"
#include "model/golden/graph.h"
#include "model/golden/ops/compute_util.h"
#include "model/isa/arch.h"

namespace qsa::compiler {

// Why the node cannot pool on the vector unit (dtype, rank, field limits, a window entirely in
// the padding), or "".
std::string PoolRefusal(const golden::Graph& graph, const golden::Node& node);

// The node's window over its input's H and W (a global pool's kernel is the whole image).
golden::ops::Window2d PoolWindow(const golden::Graph& graph, const golden::Node& node);

// The input range [lo, hi) that outputs [o0, o1) read along one axis, clipped to the input, and
// the padding the instruction must assume before lo.
struct PoolAxisRange {
  std::int64_t lo = 0, hi = 0, pad = 0;
};
PoolAxisRange PoolInputRange(const golden::ops::Window2d& w, int axis, std::int64_t o0,
                             std::int64_t o1);

// The descriptor words, padded to whole parameter rows of COLS words: word 0 the input and output
// zero points and the clamp (a byte each), word 1 flags (bit 0 signed, bit 1 count_include_pad);
// an average pool's divisor table follows as (multiplier, shifts) pairs: one entry when every
// window lies inside the input or count_include_pad, else one per (kh − rows cut, kw − columns
// cut) of a window's top-left corner, from the golden model's AveragePoolMultiplier.
std::vector<std::int32_t> PoolDescriptor(const isa::ArchConfig& arch, const golden::Graph& graph,
                                         const golden::Node& node, const golden::ops::Window2d& w);

// Tiles of th output rows × tw columns: the largest (rows first kept) whose input rows fit the
// 8-bit window fields and, with the output rows, `buffers` times the scratchpad (two buffers,
// one when two do not fit).
struct PoolTiling {
  std::int64_t th = 0, tw = 0;
  std::int64_t buffers = 2;
  std::int64_t in_rows = 0;   // input rows of a full tile
  std::int64_t out_rows = 0;  // th · tw
};
// Throws qsa::Error naming `layer` when not even one output pixel's window fits.
PoolTiling ChoosePoolTiling(const isa::ArchConfig& arch, const golden::ops::Window2d& w,
                            const std::string& layer);

// What the steps of a pool layer need.
struct PoolLayer {
  std::string name;
  bool max = false;
  golden::ops::Window2d window;
  std::int64_t batch = 1, c = 1;
  std::uint8_t fill = 0;  // the input zero point's byte
  PoolTiling tiling;
  std::int64_t x_addr = 0,
               x_pixel = 0;  // input rows: pixel (n, y, x) at x_addr + ((n·H + y)·W + x)·x_pixel
  std::int64_t y_addr = 0;   // NHWC output
  std::int64_t scratchpad = 0;  // first row of the layer's buffers
  std::int64_t param = 0;       // the descriptor's first parameter row
  bool single_rounding = false;
};

// One step: output rows [oy, oy + th) × columns [ox, ox + tw) of image n, channel block cb, in
// buffer `buffer` (counting from 0; alternates when double-buffered).
struct PoolTile {
  std::int64_t n = 0, oy = 0, ox = 0, th = 0, tw = 0, cb = 0, buffer = 0;
};

// The tile's load of the input window (clipped to the image), its `pool` and the store of its
// output rows into the NHWC output.
void EmitPoolTile(const isa::ArchConfig& arch, const PoolLayer& layer, const PoolTile& tile,
                  Step& step);

}  // namespace qsa::compiler
