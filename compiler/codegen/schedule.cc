#include "compiler/codegen/schedule.h"

#include <algorithm>
#include <type_traits>

#include "model/base/error.h"

namespace qsa::compiler {

namespace {

constexpr int kLoad = static_cast<int>(isa::Queue::kLoad);
constexpr int kCompute = static_cast<int>(isa::Queue::kCompute);
constexpr int kStore = static_cast<int>(isa::Queue::kStore);

// How far back LatestConflict looks before it assumes a conflict (keeps scheduling linear on
// programs whose queues run far apart; assuming a conflict only adds an ordering).
constexpr std::int64_t kScanLimit = 2048;

bool Overlap(const std::vector<MemRange>& a, const std::vector<MemRange>& b) {
  for (const MemRange& x : a) {
    for (const MemRange& y : b) {
      if (x.mem == y.mem && x.lo < y.hi && y.lo < x.hi) return true;
    }
  }
  return false;
}

void SetPush(isa::Instruction& inst, bool next) {
  std::visit(
      [&](auto& i) {
        if (next) {
          i.deps.push_next = true;
        } else {
          i.deps.push_prev = true;
        }
      },
      inst);
}

void SetDeps(isa::Instruction& inst, const isa::Deps& deps) {
  std::visit([&](auto& i) { i.deps = deps; }, inst);
}

}  // namespace

Accesses AccessesOf(const isa::Instruction& inst, const isa::ArchConfig& arch) {
  Accesses a;
  for (const isa::MemoryAccess& m : isa::FootprintOf(inst, isa::ArchParams{arch.rows, arch.cols})) {
    (m.write ? a.writes : a.reads).push_back({m.memory, m.lo, m.hi});
  }
  return a;
}

bool Conflict(const Accesses& a, const Accesses& b) {
  return Overlap(a.writes, b.reads) || Overlap(a.reads, b.writes) || Overlap(a.writes, b.writes);
}

TokenScheduler::TokenScheduler(const isa::ArchConfig& arch) : arch_(arch) { last_pusher_.fill(-1); }

TokenScheduler::Clock TokenScheduler::ClockOf(int queue) const {
  Clock clock{};
  const auto& q = queues_[static_cast<std::size_t>(queue)];
  if (!q.empty()) clock = entries_[static_cast<std::size_t>(q.back())].start;
  clock[static_cast<std::size_t>(queue)] = static_cast<std::int64_t>(q.size());
  return clock;
}

std::int64_t TokenScheduler::AppendEntry(Entry e) {
  auto& q = queues_[static_cast<std::size_t>(e.queue)];
  e.pos = static_cast<std::int64_t>(q.size());
  const auto index = static_cast<std::int64_t>(entries_.size());
  q.push_back(index);
  entries_.push_back(std::move(e));
  return index;
}

std::int64_t TokenScheduler::AddSync(int queue, const Clock& clock) {
  Entry e;
  isa::Sync sync;
  sync.queue = static_cast<std::uint32_t>(queue);
  e.si.inst = sync;
  e.queue = queue;
  e.start = clock;
  ++syncs_;
  return AppendEntry(std::move(e));
}

std::int64_t TokenScheduler::LatestConflict(int queue, const Accesses& acc,
                                            const Clock& clock) const {
  const auto& q = queues_[static_cast<std::size_t>(queue)];
  const std::int64_t known = clock[static_cast<std::size_t>(queue)];
  std::int64_t scanned = 0;
  for (auto pos = static_cast<std::int64_t>(q.size()) - 1; pos >= known; --pos, ++scanned) {
    if (scanned >= kScanLimit) return pos;
    if (Conflict(entries_[static_cast<std::size_t>(q[static_cast<std::size_t>(pos)])].acc, acc)) {
      return pos;
    }
  }
  return -1;
}

void TokenScheduler::PopFrom(int queue_x, int from, std::int64_t pos, Clock& clock,
                             isa::Deps& deps) {
  const std::size_t dir = static_cast<std::size_t>(from * 3 + queue_x);
  const bool forward = queue_x == from + 1;  // the pusher pushes to its next queue
  auto& from_q = queues_[static_cast<std::size_t>(from)];
  std::int64_t cand = std::max(pos, last_pusher_[dir] + 1);
  std::int64_t pusher = -1;
  if (cand < static_cast<std::int64_t>(from_q.size())) {
    pusher = from_q[static_cast<std::size_t>(cand)];
    // Tokens of this link counted in program order while the new one is outstanding: every
    // earlier link still open at the pusher (their pops all come before the new pop).
    // Pops come in program order, so the links still open are a suffix.
    const auto& links = links_[dir];
    const auto open =
        links.end() - std::partition_point(links.begin(), links.end(),
                                           [&](const Link& l) { return l.pop <= pusher; });
    if (open >= arch_.token_queue_depth) pusher = -1;
  }
  if (pusher < 0) {
    pusher = AddSync(from, ClockOf(from));
    cand = entries_[static_cast<std::size_t>(pusher)].pos;
  }
  Entry& p = entries_[static_cast<std::size_t>(pusher)];
  SetPush(p.si.inst, forward);
  last_pusher_[dir] = cand;
  // The popping instruction is appended next, after any syncs this call or a later one adds;
  // its index is filled in by Add.
  links_[dir].push_back({pusher, -1});
  Clock done = p.start;
  done[static_cast<std::size_t>(from)] = std::max(done[static_cast<std::size_t>(from)], cand + 1);
  for (std::size_t i = 0; i < clock.size(); ++i) clock[i] = std::max(clock[i], done[i]);
  if (forward) {
    deps.pop_prev = true;
  } else {
    deps.pop_next = true;
  }
}

void TokenScheduler::Add(const isa::Instruction& inst, std::string comment, int layer) {
  if (isa::DepsOf(inst) != isa::Deps{}) {
    throw Error("internal: the scheduler sets token flags itself");
  }
  const int q = static_cast<int>(isa::QueueOf(inst));
  Entry e;
  e.si = {inst, std::move(comment), layer};
  e.queue = q;
  e.acc = AccessesOf(inst, arch_);
  Clock clock = ClockOf(q);
  isa::Deps deps;
  std::vector<std::size_t> pops;  // directions popped, for the link records
  const auto pop = [&](int from, std::int64_t pos) {
    PopFrom(q, from, pos, clock, deps);
    pops.push_back(static_cast<std::size_t>(from * 3 + q));
  };
  if (q == kCompute) {
    for (int from : {kLoad, kStore}) {
      const std::int64_t k = LatestConflict(from, e.acc, clock);
      if (k >= 0) pop(from, k);
    }
  } else {
    const int other = q == kLoad ? kStore : kLoad;
    std::int64_t k_compute = LatestConflict(kCompute, e.acc, clock);
    const std::int64_t k_other = LatestConflict(other, e.acc, clock);
    if (k_other >= 0) {
      // Through compute: a sync that pops from `other` and pushes to this queue.
      Clock z_clock = ClockOf(kCompute);
      isa::Deps z_deps;
      PopFrom(kCompute, other, k_other, z_clock, z_deps);
      const std::int64_t z = AddSync(kCompute, z_clock);
      SetDeps(entries_[static_cast<std::size_t>(z)].si.inst, z_deps);
      links_[static_cast<std::size_t>(other * 3 + kCompute)].back().pop = z;
      k_compute = std::max(k_compute, entries_[static_cast<std::size_t>(z)].pos);
    }
    if (k_compute >= 0) pop(kCompute, k_compute);
  }
  SetDeps(e.si.inst, deps);
  e.start = clock;
  const std::int64_t index = AppendEntry(std::move(e));
  for (std::size_t dir : pops) links_[dir].back().pop = index;
}

std::vector<ScheduledInstruction> TokenScheduler::Finish() {
  Entry e;
  e.si.inst = isa::Finish{};
  e.queue = kCompute;
  e.start = ClockOf(kCompute);
  AppendEntry(std::move(e));
  std::vector<ScheduledInstruction> out;
  out.reserve(entries_.size());
  for (Entry& entry : entries_) out.push_back(std::move(entry.si));
  entries_.clear();
  return out;
}

}  // namespace qsa::compiler
