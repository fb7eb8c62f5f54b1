// Assembles one accelerator program: the DRAM image (constants and the space of every tensor),
// the on-chip regions of each layer, and the instructions of each layer as steps, which
// Build() puts in program order (software-pipelined: the loads of the next step ahead of the
// current step's compute when they are independent) and hands to the token scheduler.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compiler/codegen/schedule.h"
#include "model/isa/arch.h"
#include "model/isa/isa.h"
#include "model/isa/program.h"

namespace qsa::compiler {

struct LoweredOp {
  isa::Instruction inst;
  std::string comment;
};

// One unit of work of a layer, in the order a simple in-order machine would run it: loads, then
// compute, then stores. Layers are lists of steps; steps are independent enough that the loads
// of step i + 1 may run during the compute of step i when they touch different memory.
struct Step {
  int layer = -1;
  std::vector<LoweredOp> loads;
  std::vector<LoweredOp> computes;
  std::vector<LoweredOp> stores;
};

// On-chip regions of one layer: first rows of its scratchpad, accumulator and parameter rows;
// with TakeOnChipApart, the first row of each scratchpad group (`scratchpad` is group 0's).
struct OnChipBase {
  std::int64_t scratchpad = 0;
  std::int64_t accumulator = 0;
  std::int64_t param = 0;
  std::vector<std::int64_t> groups;
};

// Whether scratchpad groups of these rows fit in separate banks: each group in its own whole
// banks (ceil(rows / bank rows) of them), no bank shared by two groups.
bool ScratchpadGroupsApart(const isa::ArchConfig& arch, const std::vector<std::int64_t>& rows);

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const isa::ArchConfig& arch);
  const isa::ArchConfig& arch() const { return arch_; }

  // DRAM: 64-byte-aligned regions, zero unless given contents.
  std::int64_t AllocDram(std::int64_t bytes);
  std::int64_t PutBytes(std::span<const std::uint8_t> bytes);
  std::int64_t PutWords(const std::vector<std::int32_t>& words);  // int32, little-endian
  std::int64_t dram_size() const { return dram_end_; }
  // Writes bytes into an allocated region (constant inputs placed by the lowering).
  void WriteBytes(std::int64_t addr, std::span<const std::uint8_t> bytes);

  // Takes the on-chip regions of a layer. Successive layers take successive regions of each
  // memory, wrapping to row 0 when a layer's rows do not fit before the end, so that the loads
  // of a layer need not wait for the previous layer to finish with its rows. Throws qsa::Error
  // when a request exceeds a memory.
  // The same, the scratchpad rows as groups read in the same cycles (e.g. a convolution's input,
  // weights and output): when ScratchpadGroupsApart, each group starts a bank and no two share
  // one (a memory bank serves one read per cycle: docs/rtl.md, "Memories"), the layer's banks
  // following the previous layer's; else the groups follow each other as with TakeOnChip.
  OnChipBase TakeOnChipApart(const std::vector<std::int64_t>& scratchpad_groups,
                             std::int64_t accumulator_rows, std::int64_t param_rows,
                             const std::string& layer);
  OnChipBase TakeOnChip(std::int64_t scratchpad_rows, std::int64_t accumulator_rows,
                        std::int64_t param_rows, const std::string& layer);

  // Layers and their steps.
  int BeginLayer(const std::string& name);
  Step& NewStep();
  const std::vector<std::string>& layer_names() const { return layers_; }

  // Program order, tokens and `finish`; the manifest's layer ranges start at each layer's first
  // instruction in program order. `listing` receives the assembly text with the comments.
  // `ahead`, when given, receives one flag per layer: whether the layer's first loads were put
  // ahead of the previous layer's last step (software pipelining across the layer boundary), which
  // puts that step's instructions in this layer's range (the ranges start at each layer's first
  // instruction).
  isa::Program Build(const isa::Manifest& io, std::string* listing,
                     std::vector<bool>* ahead = nullptr) const;

 private:
  isa::ArchConfig arch_;
  std::vector<std::uint8_t> image_;
  std::int64_t dram_end_ = 0;
  OnChipBase cursor_;
  std::vector<std::string> layers_;
  std::vector<Step> steps_;
};

}  // namespace qsa::compiler
