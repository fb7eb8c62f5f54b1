// The accelerator's architectural state and the data-path meaning of each instruction
// (docs/isa.md, "Semantics"). The ISA simulator (model/isa/simulator.h) decides when an instruction
// runs; this file says what it does.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/base/enum_names.h"
#include "model/isa/arch.h"
#include "model/isa/isa.h"

namespace qsa::isa {

// Architectural state. Scratchpad row r is bytes [r·ROWS, (r+1)·ROWS); accumulator and parameter
// row r are int32 values [r·COLS, (r+1)·COLS).
struct IsaState {
  IsaState(const ArchConfig& arch, std::uint64_t dram_size);

  ArchConfig arch;
  std::vector<std::uint8_t> dram;
  std::vector<std::uint8_t> scratchpad;
  std::vector<std::int32_t> accumulator;
  std::vector<std::int32_t> param;
  // The weight tile resident in the array: COLS × ROWS int8, element [c·ROWS + r] is the weight
  // of input lane r for output lane c. Zero until the first preload.
  std::vector<std::int8_t> weights;

  std::span<std::uint8_t> ScratchpadRow(std::int64_t row);
  std::span<std::int32_t> AccumulatorRow(std::int64_t row);
  std::span<std::int32_t> ParamRow(std::int64_t row);
};

// Memory comes from the spec (isa.h); these are the names messages use.
inline constexpr auto kMemoryNames = base::MakeEnumNames<Memory>({
    {Memory::kDram, "DRAM"},
    {Memory::kScratchpad, "scratchpad"},
    {Memory::kAccumulator, "accumulator"},
    {Memory::kParam, "parameter buffer"},
});
constexpr std::string_view MemoryName(Memory memory) { return kMemoryNames.Name(memory); }

struct MemoryTraffic {
  std::int64_t bytes_read = 0;
  std::int64_t bytes_written = 0;
  bool operator==(const MemoryTraffic& other) const = default;
};

// Architectural event counts (docs/isa.md, "Counters"); the RTL's counters count the same events.
struct IsaCounters {
  std::array<std::int64_t, 16> instructions_by_opcode{};
  std::int64_t instructions = 0;
  std::int64_t macs_issued = 0;  // ROWS · COLS per streamed activation row
  std::int64_t macs_useful = 0;  // k_lanes · n_lanes per streamed activation row
  MemoryTraffic dram;
  MemoryTraffic scratchpad;
  MemoryTraffic accumulator;
  MemoryTraffic param;
  bool operator==(const IsaCounters& other) const = default;
};

// What one instruction wrote to one memory: the lowest row (byte for DRAM) written, the extent
// (last − first + 1), and a hash independent of the write order: the sum modulo 2^64, over every
// element address written, of FNV-1a 64 of (address as 8 little-endian bytes, final value as its
// little-endian bytes: 1 for scratchpad and DRAM, 4 for accumulator and parameter words).
// Element addresses: bytes for DRAM and the scratchpad (row·ROWS + lane), words for the
// accumulator and parameter buffer (row·COLS + lane). Comparing records between two engines
// tells which instruction first wrote something different.
struct WriteRecord {
  std::int64_t instruction = 0;
  Memory memory = Memory::kDram;
  std::int64_t first = 0;
  std::int64_t extent = 0;
  std::uint64_t hash = 0;
  bool operator==(const WriteRecord& other) const = default;
};

// Executes instruction `index` on `state`: checks every address it will touch first (so a
// failing instruction changes nothing) and throws qsa::Error "instruction 12 (load.sp): DRAM
// read [0x1000, 0x1010) is outside the program's DRAM of 4096 bytes" — instruction index,
// memory, address range and bound — on the first out-of-bounds access, or names the field for
// an illegal field value (zero sizes, lanes above ROWS, a shift above 31, ...). Adds the
// instruction's events to `counters` and, when `writes` is not null, appends one WriteRecord per
// memory written. sync and finish have no data-path effect here.
void Execute(IsaState& state, const Instruction& instruction, std::int64_t index,
             IsaCounters& counters, std::vector<WriteRecord>* writes);

}  // namespace qsa::isa
