// The analytical cost model: how many cycles and DRAM bytes a layer takes under a given tiling
// (docs/compiler.md, "Cost model"). The tiler picks the cheapest tiling that fits the on-chip
// memories; the compile report and the estimator quote the same figures.
//
// Per layer: compute cycles are the rows each gemm streams (at least COLS when it preloads its
// weight tile) plus the array's fill and drain (ROWS + COLS) and the post-processing rows of each
// output tile (bank conflicts are not charged: the lowering places a convolution's input apart
// from its weights where the two fit in separate banks, and where they do not, a preload delays
// the stream only while the stream reads the bank the weights share; charging that steered the
// tiler to smaller tiles that cost more in DRAM traffic than the conflicts did); the load
// and store queues each take one instruction at a time, paying the DRAM latency and ceil(bytes /
// bytes_per_cycle) per instruction. The three queues overlap: the tiler compares the longest of
// the three (steady_cycles); the layer's estimate adds the fill before the first compute
// instruction, the compute instructions' fixed latencies and the drain after the last one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/isa/arch.h"

namespace qsa::compiler {

// What the report shows per layer.
struct LayerEstimate {
  std::string name;
  std::string op;
  std::int64_t macs = 0;            // multiply-accumulates of the layer itself
  std::int64_t tiles = 0;           // output tiles
  std::int64_t compute_cycles = 0;  // the compute queue's busy cycles
  std::int64_t load_cycles = 0;     // the load queue's
  std::int64_t store_cycles = 0;    // the store queue's
  std::int64_t cycles = 0;          // estimate for the layer
  // The pipeline's ends (docs/compiler.md, "Cost model"): the DMA before the first compute
  // instruction can start, the fixed latencies of the compute instructions (not in
  // compute_cycles), and the last store after the last compute instruction.
  std::int64_t fill_cycles = 0;
  std::int64_t compute_latency_cycles = 0;
  std::int64_t drain_cycles = 0;
  // The compute queue's cycles after the last load (a layer bound by its loads ends with them).
  std::int64_t tail_compute_cycles = 0;
  // The tiler's figure: the longest queue (their sum when single-buffered).
  std::int64_t steady_cycles = 0;
  std::int64_t dram_read = 0;       // bytes
  std::int64_t dram_written = 0;    // bytes
  std::int64_t min_dram_bytes = 0;  // each input, weight and output byte moved once
  std::int64_t instructions = 0;    // before tokens and syncs
  // On-chip events of the array (convolutions; zero for the vector-unit layers), for the
  // estimator's energy (compiler/estimate/estimate.h).
  std::int64_t gemm_rows = 0;        // activation rows streamed through the array
  std::int64_t weight_preloads = 0;  // weight tiles preloaded (COLS scratchpad rows each)
  std::int64_t accumulate_rows = 0;  // streamed rows added to an accumulator row already written
  std::int64_t post_rows = 0;        // accumulator rows requantized by post
  std::int64_t posts = 0;            // post instructions (each reads 4 parameter rows)
  std::int64_t param_bytes = 0;      // of dram_read: loaded into the parameter buffer
  std::string plan;                  // "4 tiles of 14x56, weights resident"
};

// DRAM cost of one DMA instruction moving `bytes` (0 for padding-only loads: no latency).
std::int64_t DmaCycles(const isa::ArchConfig& arch, std::int64_t bytes);

// The accelerator's fixed costs (docs/rtl.md, "Microarchitecture"), as the estimate charges them:
// a gemm's last row is written 2 + ROWS + COLS cycles after it enters; post reads four parameter
// rows and checks the shifts before its first row and writes its last row 10 cycles after reading
// it; a load or store completes 2 or 4 cycles after its last beat.
inline constexpr std::int64_t kGemmLatencyExtra = 2;
inline constexpr std::int64_t kPostOverhead = 5 + 10;
// With a double-buffered accumulator, the gemms after a post start once it streams (its setup,
// counted in kPostOverhead, after its start) and read their first row this many cycles later.
inline constexpr std::int64_t kPostRunGap = 2;
inline constexpr std::int64_t kVaddOverhead = 2 + 15;  // descriptor and checks; 4 + 2L + 3
inline constexpr std::int64_t kPoolOverhead = 2 + 6;   // geometry pass; last tap to its pixel
inline constexpr std::int64_t kLoadTail = 2;
inline constexpr std::int64_t kStoreTail = 4;
// Fills in `cycles` from the queue figures: the compute queue after the fill (or the longest of
// the DMA queues), plus the drain (one DRAM latency when the lowering gave none).
void FinishEstimate(const isa::ArchConfig& arch, LayerEstimate& e);

// A convolution (a matmul is a 1×1 convolution over its rows) as the array computes it.
struct ConvShape {
  std::int64_t batch = 1;
  std::int64_t c = 1, h = 1, w = 1;  // input channels, height, width
  std::int64_t m = 1;                // output channels
  std::int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  std::int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  std::int64_t group = 1;
  std::int64_t oh = 1, ow = 1;
  bool raw = false;  // int32 output (no post-processing)
  // Weight tiles (ROWS × COLS, nonzero) per output channel block.
  std::vector<std::int64_t> tiles_per_block;

  // The input's pixels are one run of rows in DRAM (not a strided view of a larger image).
  bool dense_input = true;

  // 1×1, stride 1, no padding, dense input: the pixels are one run of rows.
  bool Pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 &&
           dense_input;
  }
  std::int64_t Macs() const { return batch * oh * ow * m * (c / group) * kh * kw; }
};

// How a convolution is cut into tiles and where its weights live.
struct ConvTiling {
  bool flat = false;              // pointwise: tiles are runs of `run` pixels
  std::int64_t run = 0;           // flat: pixels per tile
  std::int64_t th = 0;            // grid: output rows per tile
  std::int64_t tw = 0;            // grid: output columns per tile
  bool weights_resident = false;  // all weight tiles loaded once; else per block, double-buffered
  std::int64_t chunk = 0;         // streamed: weight tiles per load (the block's, or fewer)
  bool params_resident = false;   // all blocks' post parameters loaded once
  // Two buffers of each kind so that loads and stores overlap the compute; one when two do not
  // fit (the queues then take turns).
  bool double_buffered = true;
  std::int64_t w_buffers = 2;  // streamed weights
  // On-chip rows the tiling needs.
  std::int64_t in_rows = 0;  // one input tile (all channel blocks)
  std::int64_t in_buffers = 1;
  std::int64_t w_rows = 0;    // weights (both buffers when streamed)
  std::int64_t out_rows = 0;  // one output unit's buffer
  std::int64_t out_buffers = 2;
  std::int64_t acc_rows = 0;
  std::int64_t param_rows = 0;
  std::int64_t ScratchpadRows() const {
    return in_rows * in_buffers + w_rows + out_rows * out_buffers;
  }
};

// The scratchpad groups a tiling reads in the same cycles, to be placed in separate banks: the
// input buffers (gemm activations), then the weights (their preload runs while the previous gemm
// streams) followed by the output buffers. Outputs and inputs apart also spare the store, which
// reads one output buffer while the gemms stream the input; outputs and weights meet only during
// a preload's COLS rows.
std::vector<std::int64_t> ConvScratchpadGroups(const ConvTiling& tiling);

// Input rows of a grid tile of `th` output rows (and likewise columns).
std::int64_t WindowExtent(std::int64_t outputs, std::int64_t kernel, std::int64_t stride,
                          std::int64_t dilation);

// The estimate of a tiling (macs, tiles, queue cycles, DRAM bytes, plan text).
LayerEstimate EstimateConv(const isa::ArchConfig& arch, const ConvShape& shape,
                           const ConvTiling& tiling);

// The cheapest tiling that fits; throws qsa::Error naming `layer` and the rows the smallest
// tiling would need when none fits.
ConvTiling ChooseConvTiling(const isa::ArchConfig& arch, const ConvShape& shape,
                            const std::string& layer);

}  // namespace qsa::compiler
