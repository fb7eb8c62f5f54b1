// Conv and MatMul lowering in pieces (conv.cc; docs/compiler.md, "Convolution and matmul"):
//
//   ReadConvProblem     the node's geometry, int8 weights, folded bias and post parameters
//   PlanConv            the weight tiles of each output block and the tiling the cost model picks
//   ConvConstantsOf     the weight tiles and post parameters as the DRAM image holds them
//   ConvRegionsOf       where the input, weight and output buffers sit on chip
//   SpatialTilesOf      the output tiles, in the order the program computes them
//   ConvEmitter         the steps (loads, gemms, post, stores) of each output tile
//
// and, for few input channels, the packed form of the same convolution (PackingFor,
// PackedProblem). LowerConv and LowerMatMul (lower.h) put them together.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/codegen/program_builder.h"
#include "compiler/lower/cost_model.h"
#include "compiler/lower/lower.h"
#include "model/golden/graph.h"
#include "model/isa/arch.h"

namespace qsa::compiler {

// A convolution ready to lower: geometry, int8 weights [m][c/group][kh][kw], the bias with the
// input zero point folded in, and the per-channel post-processing words.
struct ConvProblem {
  std::string name;
  std::string op;
  int channel_axis = 1;  // of the input: 1 for images, the last axis for matrices
  ConvShape shape;
  bool x_signed = false;
  std::uint8_t fill = 0;  // the input zero point's byte
  std::vector<std::int8_t> weights;
  std::vector<std::int32_t> bias;
  std::vector<std::int32_t> mult, shifts, format;  // post parameter rows 1..3 per channel
  const DramTensor* x = nullptr;
  const DramTensor* y = nullptr;
  // DRAM addresses of the input: x_addr + n·x_image + y·x_row + x·x_pixel + channel. From the
  // input's rows view, or the padded copy's view when channels are packed (PackedProblem).
  std::int64_t x_addr = 0, x_pixel = 0, x_row = 0, x_image = 0;
  // Packed (PackedProblem): the original channels and kernel width, for the lanes that carry
  // real products; 0 when not packed.
  std::int64_t packed_c = 0, packed_kw = 0;

  std::int64_t InPerGroup() const { return shape.c / shape.group; }
  std::int64_t OutPerGroup() const { return shape.m / shape.group; }
  std::int8_t Weight(std::int64_t m, std::int64_t ci, std::int64_t ky, std::int64_t kx) const {
    return weights[static_cast<std::size_t>(((m * InPerGroup() + ci) * shape.kh + ky) * shape.kw +
                                            kx)];
  }
};

// The problem of a Conv (NCHW, 2-D) or MatMul node (A[..., M, K] × B: the 1×1 convolution of M
// pixels with K channels and weights B^T): shape, weights, folded bias (AcceleratorBias) and the
// post words of each output channel from the golden model's requantizers (none for int32
// output). Touches no DRAM: x, y and the x_* addresses are left for PlaceConvTensors.
ConvProblem ReadConvProblem(const golden::Graph& graph, const golden::Node& node);

// Sets the problem's input (from ctx.tensors) and output (placed, NHWC or row order) and the
// input's DRAM strides from its rows view.
void PlaceConvTensors(LowerContext& ctx, const golden::Node& node, ConvProblem& p);

// A 1×1 convolution with stride s and no padding reads every s-th pixel: it becomes the stride-1
// convolution of the strided view (pixel stride s·C, row stride s·W·C), so that only the pixels
// it reads are loaded. Other problems are left as they are.
void ViewStridedPointwise(ConvProblem& p);

// Weight tile (tap (ky, kx), input channel block cb) of an output block.
struct ConvWeightTile {
  std::int64_t ky = 0, kx = 0, cb = 0;
  bool operator==(const ConvWeightTile& other) const = default;
};

// The weight tiles of output block mb (channels mb·COLS ..): every tap, and the input channel
// blocks that meet a group of the block's channels, tap-major.
std::vector<ConvWeightTile> WeightTilesOfBlock(const isa::ArchConfig& arch, const ConvProblem& p,
                                               std::int64_t mb);

// Appends the tile's COLS × ROWS bytes: row c (output channel mb·COLS + c), lane r (input
// channel cb·ROWS + r); zero outside the channel's group and past the last channel.
void AppendWeightTile(const isa::ArchConfig& arch, const ConvProblem& p, std::int64_t mb,
                      const ConvWeightTile& tile, std::vector<std::uint8_t>& out);

// The weight tiles of every output block, and the tiling the cost model picks.
struct ConvPlan {
  std::vector<std::vector<ConvWeightTile>> tiles;  // per output block
  ConvTiling tiling;
  LayerEstimate estimate;
};

// Plans the problem; records its tiles per block in p.shape.tiles_per_block. Throws qsa::Error
// naming the layer when no tiling fits.
ConvPlan PlanConv(const isa::ArchConfig& arch, ConvProblem& p);

// The constants of a planned convolution as the DRAM image holds them.
struct ConvConstants {
  // Weight tiles block by block (the tiles of a block contiguous), ROWS · COLS bytes each.
  std::vector<std::uint8_t> weights;
  std::vector<std::int64_t> block_first_tile;  // index of each block's first tile
  std::int64_t tile_count = 0;
  // Post parameters: per output block 4 rows of COLS words (bias, multiplier, shifts, format),
  // channel mb·COLS + c in column c. Raw (int32) output: per block COLS bias words, which the
  // program loads into the accumulators. Zero past the last channel.
  std::vector<std::int32_t> params;
};
ConvConstants ConvConstantsOf(const isa::ArchConfig& arch, const ConvProblem& p,
                              const ConvPlan& plan);

// On-chip regions of a convolution: input buffers (in_buffers × in_rows), then the weights
// (w_rows), then the output buffers (out_buffers × out_rows) in the scratchpad; accumulators and
// parameters at the layer's bases.
struct ConvRegions {
  std::int64_t input = 0, weights = 0, output = 0;  // scratchpad rows
  std::int64_t acc = 0;                             // accumulator rows
  std::int64_t acc_stride = 0;  // rows between the two accumulator buffers (0: one buffer)
  std::int64_t param = 0;       // parameter rows
};

// The accumulator rows of a convolution with requantized output: two buffers that output blocks
// take in turn, so that the post of one block runs while the gemms of the next fill the other
// (docs/isa.md, "Overlap"): each in its own bank when a bank holds a tile (the post's reads and
// the gemms' accumulating reads then never wait for each other), else one after the other; one
// buffer when two do not fit. Raw output keeps tiling.acc_rows. `rows` to take, `stride` between
// the buffers.
struct ConvAccLayout {
  std::int64_t rows = 0;
  std::int64_t stride = 0;
};
ConvAccLayout ConvAccLayoutOf(const isa::ArchConfig& arch, const ConvShape& s,
                              const ConvTiling& tiling);
// From base.groups when it holds the two groups of ConvScratchpadGroups (TakeOnChipApart),
// else one after the other from base.scratchpad.
ConvRegions ConvRegionsOf(const ConvTiling& tiling, const OnChipBase& base);

// One output tile: a grid tile of th × tw pixels at (n, oy, ox), or (flat) `count` consecutive
// pixels from pixel p0 of the whole output.
struct ConvSpatialTile {
  std::int64_t n = 0, oy = 0, ox = 0, th = 0, tw = 0;  // grid
  std::int64_t p0 = 0, count = 0;                      // flat
  bool operator==(const ConvSpatialTile& other) const = default;
};
// Grid: image by image, rows of tiles top to bottom, left to right (edge tiles smaller); flat:
// runs of tiling.run pixels.
std::vector<ConvSpatialTile> SpatialTilesOf(const ConvShape& shape, const ConvTiling& tiling);

// The steps of a planned convolution, one output tile at a time. For each output block (and
// weight chunk, when the block's tiles are streamed) one step: the first step also loads what
// stays resident; the block-0 step of a tile loads the input window of every channel block; then
// the chunk's weights and the block's parameters (when streamed), one gemm per weight tile, and
// after the last chunk `post` and the stores of the output unit (raw output: the accumulators
// start from the bias and are stored as int32). Buffers alternate from tile to tile and block to
// block as the tiling says. The problem, plan and constants must outlive the emitter.
class ConvEmitter {
 public:
  using NewStep = std::function<Step&()>;

  // `w_addr` and `param_addr`: where the constants' weights and params are in DRAM;
  // `acc_stride`: ConvAccLayout's stride (0: requantized blocks share one accumulator buffer).
  ConvEmitter(const isa::ArchConfig& arch, const ConvProblem& p, const ConvPlan& plan,
              const ConvConstants& constants, std::int64_t w_addr, std::int64_t param_addr,
              const OnChipBase& base, bool single_rounding, std::int64_t acc_stride = 0);

  // Emits the steps of the next output tile (tiles in SpatialTilesOf order), each from new_step().
  void Emit(const ConvSpatialTile& tile, const NewStep& new_step);

 private:
  struct TileRows;
  struct Block;
  TileRows TileRowsOf(const ConvSpatialTile& st) const;
  Block BlockOf(std::int64_t mb);
  void LoadResident(Step& step) const;
  void LoadInput(Step& step, const ConvSpatialTile& st, const TileRows& rows) const;
  std::int64_t LoadWeights(Step& step, const Block& b, std::int64_t c0, std::int64_t c1);
  std::int64_t LoadParams(Step& step, const Block& b, std::int64_t c0) const;
  void Gemms(Step& step, const ConvSpatialTile& st, const TileRows& rows, const Block& b,
             std::int64_t c0, std::int64_t c1, std::int64_t w_rows, const std::string& tag) const;
  void StoreRaw(Step& step, const ConvSpatialTile& st, const Block& b,
                const std::string& tag) const;
  void Post(Step& step, const TileRows& rows, const Block& b, std::int64_t param_row,
            const std::string& tag) const;
  void StoreUnit(Step& step, const ConvSpatialTile& st, const Block& b,
                 const std::string& tag) const;

  const isa::ArchConfig& arch_;
  const ConvProblem& p_;
  const ConvPlan& plan_;
  const ConvConstants& constants_;
  std::int64_t w_addr_ = 0, param_addr_ = 0;
  ConvRegions regions_;
  bool single_rounding_ = false;
  std::int64_t cb_n_ = 0, mb_n_ = 0;
  std::int64_t spb_ = 1;           // scratchpad channel blocks per output unit (COLS / ROWS)
  std::int64_t mbs_per_unit_ = 1;  // output blocks per output unit (ROWS / COLS)
  std::int64_t max_pixels_ = 0;    // pixels of the largest tile
  bool first_step_ = true;
  std::int64_t tile_index_ = 0;
  std::int64_t out_buffer_ = 0;  // alternates per output unit
  std::int64_t w_buffer_ = 0;    // alternates per streamed weight chunk
  std::int64_t acc_buffer_ = 0;  // alternates per block
};

// ---- Few input channels: several pixels per scratchpad row ------------------------------------
//
// A convolution with C <= ROWS / 2 input channels (the first layer of an image network) uses
// C of the array's ROWS input lanes. Packing P = ROWS / C horizontally adjacent pixels into one
// row uses P·C: in NHWC the channels of pixels x .. x + P − 1 are P·C consecutive bytes, so
// reading P·C bytes at pixel x gives that row. This is a convolution of the same output over a
// view X' of the zero-point-padded input: X'[y][x'] = the P·C bytes at padded pixel (y, x'),
// kernel KH × ceil(KW / P), horizontal dilation P (tap g covers kernel columns g·P .. g·P + P − 1),
// no padding; weight lane p·C + c of tap (ky, g) is W[m][c][ky][g·P + p] (0 past KW). The padded
// copy (with zero-point borders, so that no row straddles the image edge) is made by the program
// first: load with padding, store.
struct ConvPacking {
  std::int64_t pixels = 0;  // P
  std::int64_t groups = 0;  // ceil(KW / P)
  std::int64_t hp = 0;      // padded height
  std::int64_t width = 0;   // padded width, with room for the last row's P pixels
};

// The packing of a problem that can be packed (ungrouped, undilated horizontally, KW >= 2,
// 2·C <= ROWS, requantized output, padded rows of at most 255 pixels), else nullopt.
std::optional<ConvPacking> PackingFor(const isa::ArchConfig& arch, const ConvProblem& p);

// The packed convolution over the padded copy's view (its x_addr is the copy's, set by the
// caller).
ConvProblem PackedProblem(const ConvProblem& p, const ConvPacking& k);

}  // namespace qsa::compiler
