// The analytical cost model: how many cycles and DRAM bytes a layer takes under a given tiling
// (docs/compiler.md, "Cost model"). The tiler picks the cheapest tiling that fits the on-chip
// memories; the compile report and the estimator quote the same figures.
//
// Per layer: compute cycles are the rows each gemm streams (at least COLS when it preloads its
// weight tile) plus the array's fill and drain (ROWS + COLS) and the post-processing rows of each
// output tile (bank conflicts are not charged: the lowering places a convolution's input apart
// from its weights where the two fit in separate banks, and where they do not, a preload delays
// the stream only while the stream reads the bank the weights share; charging that steered the
// tiler to smaller tiles that cost more in DRAM traffic than the conflicts did), and the waits of
// the double-buffer ring (a unit's loads start when the unit two before has been used). Loads run
// through the load unit's pipeline (LoadPipe: the latency once per run of loads, four in
// flight); the store queue takes one instruction at a time, paying the DRAM latency and its beats;
// the DRAM port carries the beats of both. The queues overlap; the layer's estimate adds the fill
// before the first compute instruction, the last block's fixed latencies and the drain after the
// last one. The tiler compares tilings by steady_cycles, the longest queue with every load paying
// its own latency (a conservative figure that keeps the tilings the RTL runs fastest).
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
  // The DRAM port's: the beats of every load and store (one port serves read and write beats
  // alike, bytes_per_cycle a cycle: the AXI slave's bandwidth is shared by the two directions).
  std::int64_t port_cycles = 0;
  std::int64_t cycles = 0;  // estimate for the layer
  // The pipeline's ends (docs/compiler.md, "Cost model"): the DMA before the first compute
  // instruction can start, the fixed latencies of the compute instructions (not in
  // compute_cycles), and the last store after the last compute instruction.
  std::int64_t fill_cycles = 0;
  std::int64_t compute_latency_cycles = 0;
  std::int64_t drain_cycles = 0;
  // The compute queue's cycles after the last load (a layer bound by its loads ends with them).
  std::int64_t tail_compute_cycles = 0;
  // The cycles of the lowering's last step (the last block's gemms and post of a convolution):
  // what moves to the next layer's range when the program puts that layer's first loads ahead of
  // it (OverlapLayers).
  std::int64_t last_step_cycles = 0;
  // Set by OverlapLayers: the cycles moved into (+) or out of (-) this layer's range, and the
  // part of its fill that ran beside the previous layer's last step. `cycles` includes both.
  std::int64_t moved_cycles = 0;
  std::int64_t hidden_fill_cycles = 0;
  // The tiler's figure: the longest queue, each load with its own latency (their sum when
  // single-buffered).
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

// Cycles the DRAM port takes for `beats` 16-byte beats.
std::int64_t PortCycles(const isa::ArchConfig& arch, std::int64_t beats);

// The 16-byte DRAM beats a row of `lanes` bytes touches on average when rows lie `stride` bytes
// apart from a 16-byte aligned start (the load and store units send one burst per row, never
// merged across rows: docs/rtl.md, "AXI4 memory port"), in 1/16 beats.
std::int64_t SixteenthBeatsPerRow(std::int64_t lanes, std::int64_t stride);

// The load unit's queue over a run of loads (docs/rtl.md, "Instructions in flight"): it takes the
// next load the cycle after it has requested the previous one's last burst and holds up to
// four loads, so the DRAM latency is paid once per run of loads, not once per load; a load
// requests its beats at the port's rate (one 16-byte beat per 16 / bytes_per_cycle cycles) and
// writes a row a cycle, and completes `kLoadTail` cycles after its last beat arrives. Loads that
// wait for a token (a buffer the compute queue still reads) are not seen here: the figure is the
// queue's own time.
class LoadPipe {
 public:
  explicit LoadPipe(const isa::ArchConfig& arch) : arch_(&arch) {}
  // Adds a load of `beats` DRAM beats writing `rows` on-chip rows (beats 0: padding only); returns
  // the cycle it completes, counted from the first load's start.
  std::int64_t Add(std::int64_t beats, std::int64_t rows);
  // The same for `bytes` of whole 16-byte rows (parameters, weights, dense runs).
  std::int64_t AddBytes(std::int64_t bytes, std::int64_t rows);
  std::int64_t end() const { return end_; }

 private:
  const isa::ArchConfig* arch_;
  std::int64_t next_ = 0;  // when the unit can take the next load
  std::int64_t end_ = 0;
  std::int64_t ends_[4] = {0, 0, 0, 0};  // the last four loads' ends, as a ring
  int count_ = 0;
};

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
// the DMA queues, or the DRAM port's beats after one latency), plus the drain (one DRAM latency
// when the lowering gave none).
void FinishEstimate(const isa::ArchConfig& arch, LayerEstimate& e);

// Layers in program order (one program) as the program's layer ranges split the run (they start
// at each layer's first instruction, docs/estimation.md, "Validation"): where software pipelining
// put a layer's first loads ahead of the previous layer's last step (`ahead`, from
// ProgramBuilder::Build), that step's cycles count to this layer, and this layer's fill runs
// beside it. Moves the cycles so that each layer's estimate is what its range measures.
void OverlapLayers(std::vector<LayerEstimate>& layers, const std::vector<bool>& ahead);

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
