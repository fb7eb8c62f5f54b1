// The dependency-token scheduler: turns a list of instructions in program order (with no token
// flags) into a program whose load, compute and store queues may run concurrently without
// changing its meaning (docs/compiler.md, "Scheduling").
//
// Program order is the meaning: an instruction must see every earlier instruction's effect on a
// memory it touches. Within a queue the hardware keeps that order; across queues the scheduler
// adds dependency tokens. For each new instruction X it finds, per other queue, the latest earlier
// instruction that touches a memory range X touches (one of the two writing) and is not yet known
// to be complete when X starts (vector clocks over the queues), and makes X pop a token pushed at
// or after it:
//   - between neighbours (load ↔ compute ↔ store) the push is set on the first instruction of
//     the other queue at or after the conflicting one that does not push that way yet, or on a
//     new `sync` in that queue when there is none;
//   - load ↔ store go through a compute `sync` that pops from one and pushes to the other.
// Every token is pushed before it is popped in program order, and a push is placed so that no
// token queue holds more than `token_queue_depth` tokens counted in program order; together these
// make the program deadlock-free whatever the queue depths (docs/isa.md, "Random programs").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/isa/arch.h"
#include "model/isa/isa.h"

namespace qsa::compiler {

// A range of one memory: DRAM bytes or on-chip rows [lo, hi).
using MemKind = isa::Memory;
struct MemRange {
  MemKind mem = MemKind::kDram;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

// What an instruction reads and writes, as bounding ranges per memory (conservative for strided
// and padded accesses). Derived from the fields alone: the spec's footprint
// (isa::FootprintOf).
struct Accesses {
  std::vector<MemRange> reads;
  std::vector<MemRange> writes;
};
Accesses AccessesOf(const isa::Instruction& inst, const isa::ArchConfig& arch);
// True when a and b touch a common element of some memory and at least one of them writes it.
bool Conflict(const Accesses& a, const Accesses& b);

// One instruction of a scheduled program with the text that explains it in the listing and the
// layer it belongs to (-1: none, e.g. a sync).
struct ScheduledInstruction {
  isa::Instruction inst;
  std::string comment;
  int layer = -1;
};

class TokenScheduler {
 public:
  explicit TokenScheduler(const isa::ArchConfig& arch);

  // Appends `inst` (its token flags must be clear) in program order, with the tokens (and
  // syncs) that order it after every conflicting earlier instruction of another queue.
  void Add(const isa::Instruction& inst, std::string comment, int layer);
  // Appends the final `finish` and returns the program.
  std::vector<ScheduledInstruction> Finish();

  std::int64_t size() const { return static_cast<std::int64_t>(entries_.size()); }
  std::int64_t syncs_added() const { return syncs_; }

 private:
  using Clock = std::array<std::int64_t, isa::kNumQueues>;
  struct Entry {
    ScheduledInstruction si;
    int queue = 0;
    std::int64_t pos = 0;  // position in its queue
    Clock start{};         // instructions of each queue known complete when this one starts
    Accesses acc;
  };
  // A token link in program order: pushed by instruction `push`, popped by `pop`.
  struct Link {
    std::int64_t push = 0;
    std::int64_t pop = 0;
  };

  std::int64_t AppendEntry(Entry e);
  // Latest position in `queue` of an instruction conflicting with `acc` and not known complete
  // under `clock`; -1 when there is none.
  std::int64_t LatestConflict(int queue, const Accesses& acc, const Clock& clock) const;
  // Makes the instruction being built (in `queue_x`, with `clock`, flags in `deps`) pop a token
  // from neighbour `from`, pushed at or after `from`'s position `pos`. Updates clock and deps.
  void PopFrom(int queue_x, int from, std::int64_t pos, Clock& clock, isa::Deps& deps);
  std::int64_t AddSync(int queue, const Clock& clock);
  Clock ClockOf(int queue) const;

  isa::ArchConfig arch_;
  std::vector<Entry> entries_;
  std::array<std::vector<std::int64_t>, isa::kNumQueues> queues_;  // entry indices
  // Direction index: from * 3 + to (neighbours only).
  std::array<std::int64_t, 9> last_pusher_{};  // position in `from` of its last push that way
  std::array<std::vector<Link>, 9> links_;
  std::int64_t syncs_ = 0;
};

}  // namespace qsa::compiler
