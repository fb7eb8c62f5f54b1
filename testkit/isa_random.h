// Constrained-random ISA programs (docs/isa.md, "Random programs"): valid by construction for a
// given architecture, so that any two engines (the ISA simulator, a direct evaluation, the RTL)
// can be compared on them; or, on request, with exactly one injected defect that an engine must
// report at the right instruction.
//
// A valid program initializes the on-chip memory windows it uses, then runs random loads of all
// three memories, gemm, post, vadd, pool, stores of both memories and sync, all in bounds and with
// legal field and parameter values; every pair of instructions in different queues that touch
// the same memory, one of them writing it, is ordered by dependency tokens, so the final state
// does not depend on how the queues interleave. When it stores, its manifest has one output,
// "dram", covering the DRAM bytes its stores may write. The same (architecture, seed, options)
// always gives the same program, on every platform.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/isa/arch.h"
#include "model/isa/program.h"

namespace qsa::testkit {

// The instruction classes a random program draws its operations from (bit flags).
enum RandomClass : std::uint32_t {
  kRandomLoadSp = 1u << 0,
  kRandomLoadAcc = 1u << 1,
  kRandomLoadParam = 1u << 2,
  kRandomStoreSp = 1u << 3,
  kRandomStoreAcc = 1u << 4,
  kRandomGemm = 1u << 5,
  kRandomPost = 1u << 6,
  kRandomVadd = 1u << 7,
  kRandomPool = 1u << 8,
  kRandomSync = 1u << 9,
};
inline constexpr std::uint32_t kAllRandomClasses = (1u << 10) - 1;

// The defect an invalid random program carries.
enum class DefectKind : std::uint8_t {
  kNone,
  kIllegalOpcode,    // opcode 0 or an unlisted opcode
  kReservedBit,      // a bit above the instruction's last field is set
  kBadTokenFlag,     // a token flag toward a neighbour the queue does not have
  kDramOutOfBounds,  // a load or store touches DRAM at or beyond dram_size
  kRowOutOfBounds,   // an access beyond the last row of an on-chip memory
  kIllegalField,     // a field value outside its documented range (zero size, lanes above L, ...)
  kMissingPush,      // a push removed: the instruction that pops its token waits forever
  kQueueCapacity,    // a pop whose push is behind a full instruction queue: fetch stalls forever
};
inline constexpr DefectKind kAllDefectKinds[] = {
    DefectKind::kIllegalOpcode,   DefectKind::kReservedBit,    DefectKind::kBadTokenFlag,
    DefectKind::kDramOutOfBounds, DefectKind::kRowOutOfBounds, DefectKind::kIllegalField,
    DefectKind::kMissingPush,     DefectKind::kQueueCapacity,
};
std::string_view DefectKindName(DefectKind kind);
// True for the kinds that stop the accelerator by a deadlock rather than an error.
bool IsDeadlockDefect(DefectKind kind);

struct RandomProgramOptions {
  // Operations are added until the program holds at least this many instructions (the memory
  // initialization, descriptor loads and syncs that order the queues included); finish follows.
  int instructions = 48;
  // RandomClass flags of the operations drawn. Helper instructions (initialization loads,
  // descriptor loads, ordering syncs) are emitted whatever the mask.
  std::uint32_t classes = kAllRandomClasses;
  DefectKind defect = DefectKind::kNone;
};

// Where and what the injected defect is.
struct InjectedDefect {
  DefectKind kind = DefectKind::kNone;
  // The instruction an engine's error message must name: the defective instruction; for
  // kMissingPush the instruction left waiting for the token, for kQueueCapacity the instruction
  // at the head of the full queue waiting for a token that is never fetched.
  std::int64_t instruction = -1;
  std::string description;  // what was changed, for failure messages
};

// A random program for `arch`. With options.defect != kNone the program carries exactly that
// defect, described in `*defect` when not null. Throws qsa::Error when the architecture is too
// small for the generator's memory windows.
isa::Program GenerateRandomProgram(const isa::ArchConfig& arch, std::uint64_t seed,
                                   const RandomProgramOptions& options = {},
                                   InjectedDefect* defect = nullptr);

}  // namespace qsa::testkit
