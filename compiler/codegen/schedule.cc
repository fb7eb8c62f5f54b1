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

std::int64_t I(std::uint32_t v) { return static_cast<std::int64_t>(v); }

// Bytes [lo, hi) a strided DRAM access touches: an ny × nx grid (minus padding) of `bytes`-byte
// elements, `sy` and `sx` apart; empty when the grid has no element inside the padding.
MemRange DramGrid(std::int64_t addr, std::int64_t ny, std::int64_t nx, std::int64_t sy,
                  std::int64_t sx, std::int64_t bytes) {
  if (ny <= 0 || nx <= 0) return {MemKind::kDram, 0, 0};
  return {MemKind::kDram, addr, addr + (ny - 1) * sy + (nx - 1) * sx + bytes};
}

template <typename Load>
Accesses LoadAccesses(const Load& in, MemKind dst, std::int64_t bytes_per_lane) {
  Accesses a;
  const std::int64_t ny = I(in.ny) - I(in.pad_top) - I(in.pad_bottom);
  const std::int64_t nx = I(in.nx) - I(in.pad_left) - I(in.pad_right);
  const MemRange d =
      DramGrid(I(in.dram), ny, nx, I(in.stride_y), I(in.stride_x), I(in.lanes) * bytes_per_lane);
  if (d.hi > d.lo) a.reads.push_back(d);
  a.writes.push_back({dst, I(in.sram), I(in.sram) + I(in.ny) * I(in.nx)});
  return a;
}

template <typename Store>
Accesses StoreAccesses(const Store& out, MemKind src, std::int64_t bytes_per_lane) {
  Accesses a;
  a.reads.push_back({src, I(out.sram), I(out.sram) + I(out.ny) * I(out.nx)});
  a.writes.push_back(DramGrid(I(out.dram), I(out.ny), I(out.nx), I(out.stride_y), I(out.stride_x),
                              I(out.lanes) * bytes_per_lane));
  return a;
}

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
  const std::int64_t rows = arch.rows, cols = arch.cols;
  return std::visit(
      [&](const auto& i) -> Accesses {
        using T = std::decay_t<decltype(i)>;
        if constexpr (std::is_same_v<T, isa::LoadSp>) {
          return LoadAccesses(i, MemKind::kScratchpad, 1);
        } else if constexpr (std::is_same_v<T, isa::LoadAcc>) {
          return LoadAccesses(i, MemKind::kAccumulator, 4);
        } else if constexpr (std::is_same_v<T, isa::LoadParam>) {
          return LoadAccesses(i, MemKind::kParam, 4);
        } else if constexpr (std::is_same_v<T, isa::StoreSp>) {
          return StoreAccesses(i, MemKind::kScratchpad, 1);
        } else if constexpr (std::is_same_v<T, isa::StoreAcc>) {
          return StoreAccesses(i, MemKind::kAccumulator, 4);
        } else if constexpr (std::is_same_v<T, isa::Gemm>) {
          Accesses a;
          const std::int64_t last_act =
              I(i.act) + (I(i.n_outer) - 1) * I(i.act_outer) + (I(i.n_inner) - 1) * I(i.act_inner);
          a.reads.push_back({MemKind::kScratchpad, I(i.act), last_act + 1});
          if (i.preload) a.reads.push_back({MemKind::kScratchpad, I(i.w), I(i.w) + cols});
          const MemRange out{MemKind::kAccumulator, I(i.acc),
                             I(i.acc) + (I(i.n_outer) - 1) * I(i.acc_outer) + I(i.n_inner)};
          if (i.accumulate) a.reads.push_back(out);
          a.writes.push_back(out);
          return a;
        } else if constexpr (std::is_same_v<T, isa::Post>) {
          Accesses a;
          a.reads.push_back({MemKind::kAccumulator, I(i.acc), I(i.acc) + I(i.n)});
          a.reads.push_back({MemKind::kParam, I(i.param), I(i.param) + 4});
          const std::int64_t blocks = (I(i.dst_lane) + I(i.n_lanes) - 1) / rows;
          a.writes.push_back(
              {MemKind::kScratchpad, I(i.dst),
               I(i.dst) + (I(i.n) - 1) * I(i.dst_stride) + blocks * I(i.blk_stride) + 1});
          return a;
        } else if constexpr (std::is_same_v<T, isa::Vadd>) {
          Accesses a;
          a.reads.push_back({MemKind::kScratchpad, I(i.a), I(i.a) + I(i.n)});
          a.reads.push_back({MemKind::kScratchpad, I(i.b), I(i.b) + I(i.n)});
          a.reads.push_back({MemKind::kParam, I(i.param), I(i.param) + (7 + cols) / cols});
          a.writes.push_back({MemKind::kScratchpad, I(i.dst), I(i.dst) + I(i.n)});
          return a;
        } else if constexpr (std::is_same_v<T, isa::Pool>) {
          Accesses a;
          a.reads.push_back({MemKind::kScratchpad, I(i.src), I(i.src) + I(i.in_h) * I(i.in_w)});
          const std::int64_t words = 2 + (i.max ? 0 : 2 * I(i.kh) * I(i.kw));
          a.reads.push_back({MemKind::kParam, I(i.param), I(i.param) + (words + cols - 1) / cols});
          a.writes.push_back({MemKind::kScratchpad, I(i.dst), I(i.dst) + I(i.out_h) * I(i.out_w)});
          return a;
        } else {
          return Accesses{};  // sync, finish
        }
      },
      inst);
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
