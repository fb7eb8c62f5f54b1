#include "model/isa/simulator.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <span>

#include "model/base/error.h"
#include "model/base/hex.h"

namespace qsa::isa {
namespace {

// Programs address DRAM with 32-bit fields; a program may not claim more.
// The pipeline of the RTL (docs/rtl.md, "Microarchitecture"; docs/isa.md, "Timing model").
// DRAM moves in aligned beats of this many bytes; a row costs the beats it touches.
constexpr std::int64_t kBeatBytes = 16;
// The RTL's instruction fetch (qsa_fetch in qsa_top): words per burst, prefetch buffer words,
// the cycle (counted from the run's first) the first burst's address is taken, and the cycles
// from one burst's address (or the freeing of buffer room) to the next one's.
constexpr std::int64_t kFetchBurst = 16;
constexpr std::int64_t kFetchDepth = 32;
constexpr std::int64_t kFetchFirstRequest = 1;
constexpr std::int64_t kFetchBurstLag = 2;
// A load or store with DRAM bytes: cycles after its last beat's data (load) or write response
// (store) until the unit reports completion. A store's also holds the cycle its first AXI write
// beat waits for the burst's address to be accepted (docs/rtl.md, "AXI4 memory port").
constexpr std::int64_t kLoadTail = 2;
constexpr std::int64_t kStoreTail = 5;
// A load without DRAM bytes (padding only): cycles after its last row until completion.
constexpr std::int64_t kFillTail = 3;
// Loads the load unit holds at once (qsa_load's InsnSlots).
constexpr int kLoadSlots = 4;
// post: the four parameter rows and the shift check before the first accumulator row, then a row
// read in cycle t is written from t + 3 + L (L = 4, the shared requantizer's stages).
constexpr std::int64_t kPostSetup = 5;
constexpr std::int64_t kPostLatency = 10;
// vadd: descriptor and checks, then rows through a pipeline of 4 + 2L stages.
constexpr std::int64_t kVaddSetup = 2;
constexpr std::int64_t kVaddLatency = 15;
// pool: the geometry pass, then tap rows; a pixel is written L + 1 cycles after its last tap.
constexpr std::int64_t kPoolSetup = 2;
constexpr std::int64_t kPoolLatency = 6;
// gemm: row k of a gemm accepted in cycle a is written in a + 2 + ROWS + COLS + k.
constexpr std::int64_t kGemmExtra = 2;

// A bounded FIFO in simulated time. An entry may enter only while there is room, and no earlier
// than the cycle at which the entry `capacity` places ahead of it left.
template <typename T>
class TimedFifo {
 public:
  explicit TimedFifo(int capacity)
      : capacity_(static_cast<std::size_t>(capacity)), departures_(capacity_, 0) {}

  bool empty() const { return entries_.empty(); }
  bool full() const { return entries_.size() >= capacity_; }
  std::size_t capacity() const { return capacity_; }
  const T& front() const { return entries_.front(); }

  // The cycle from which the next entry has room (0 while fewer than `capacity` have entered).
  std::int64_t RoomCycle() const { return departures_[entered_ % capacity_]; }
  void Push(T value) {
    entries_.push_back(std::move(value));
    ++entered_;
  }
  // Removes the front entry at `cycle`.
  T Pop(std::int64_t cycle) {
    T value = std::move(entries_.front());
    entries_.pop_front();
    departures_[left_ % capacity_] = cycle;
    ++left_;
    return value;
  }

 private:
  std::size_t capacity_;
  std::deque<T> entries_;
  // departures_[k % capacity] is the cycle at which entry k left; the ring holds the last
  // `capacity` departures, which include the one the next entry waits for.
  std::vector<std::int64_t> departures_;
  std::size_t entered_ = 0;
  std::size_t left_ = 0;
};

// The four token queues, one per direction between neighbouring instruction queues.
struct Link {
  Queue from;
  Queue to;
};
constexpr std::array<Link, 4> kLinks = {{{Queue::kLoad, Queue::kCompute},
                                         {Queue::kCompute, Queue::kLoad},
                                         {Queue::kCompute, Queue::kStore},
                                         {Queue::kStore, Queue::kCompute}}};

int LinkIndex(Queue from, Queue to) {
  for (std::size_t k = 0; k < kLinks.size(); ++k) {
    if (kLinks[k].from == from && kLinks[k].to == to) return static_cast<int>(k);
  }
  throw Error("internal error: no token queue from " + std::string(QueueName(from)) + " to " +
              std::string(QueueName(to)));
}

Queue Neighbour(Queue queue, int step) {
  return static_cast<Queue>(static_cast<int>(queue) + step);
}

// Up to two token queues (indices into kLinks).
struct LinkSet {
  std::array<int, 2> links{};
  int count = 0;
  void Add(int link) { links[static_cast<std::size_t>(count++)] = link; }
  const int* begin() const { return links.data(); }
  const int* end() const { return links.data() + count; }
};

// The token queues an instruction pops from and pushes into (CheckWord has ruled out flags toward
// a missing neighbour).
struct TokenUse {
  LinkSet pops;
  LinkSet pushes;
};

TokenUse TokenUseOf(Queue queue, const Deps& deps) {
  TokenUse use;
  if (deps.pop_prev) use.pops.Add(LinkIndex(Neighbour(queue, -1), queue));
  if (deps.pop_next) use.pops.Add(LinkIndex(Neighbour(queue, 1), queue));
  if (deps.push_prev) use.pushes.Add(LinkIndex(queue, Neighbour(queue, -1)));
  if (deps.push_next) use.pushes.Add(LinkIndex(queue, Neighbour(queue, 1)));
  return use;
}

// "1 token", "8 tokens".
std::string Plural(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Decodes and checks every word, and the program's shape: one finish, last; DRAM image and size.
std::vector<Instruction> CheckProgram(const ArchConfig& arch, const Program& program) {
  CheckProgramArch(program, arch, "(in memory)");
  const std::int64_t count = static_cast<std::int64_t>(program.instructions.size());
  if (count == 0) throw Error("the program has no instructions; it must end with finish");
  std::vector<Instruction> decoded;
  decoded.reserve(program.instructions.size());
  for (std::int64_t i = 0; i < count; ++i) {
    decoded.push_back(CheckWord(program.instructions[static_cast<std::size_t>(i)], i));
    const bool is_finish = std::holds_alternative<Finish>(decoded.back());
    if (is_finish && i != count - 1) {
      throw Error("instruction " + std::to_string(i) +
                  " (finish): finish must be the last instruction (the program has " +
                  Plural(static_cast<std::size_t>(count), "instruction") + ")");
    }
    if (!is_finish && i == count - 1) {
      throw Error("instruction " + std::to_string(i) + " (" +
                  std::string(MnemonicOf(decoded.back())) +
                  "): the program's last instruction must be finish");
    }
  }
  if (program.dram_size > kMaxDramSize) {
    throw Error("the program's DRAM of " + std::to_string(program.dram_size) + " bytes is above " +
                DramLimitText());
  }
  if (program.dram_image.size() > program.dram_size) {
    throw Error("the program's DRAM image of " + std::to_string(program.dram_image.size()) +
                " bytes is larger than its DRAM of " + std::to_string(program.dram_size) +
                " bytes");
  }
  return decoded;
}

// An instruction waiting in its queue, with the cycle it entered the queue.
struct Pending {
  std::int64_t index = 0;
  std::int64_t fetched = 0;
};

// The timing state of one queue's execution unit.
struct Unit {
  std::int64_t issue_free = 0;  // when the unit can take its next instruction
  std::int64_t last_end = 0;    // when its last instruction completed (completion is in order)
  bool last_was_gemm = false;
  bool last_was_load = false;
  // The load unit's instructions held (taken and not complete): their ends, oldest first.
  std::deque<std::int64_t> load_ends;
  // The compute unit's last gemm: its activation stream's first row and its rows, when its stream
  // frees the array for the next gemm and when it completes.
  std::int64_t gemm_act = 0;
  std::int64_t gemm_rows = 0;
  std::int64_t gemm_free = 0;
  std::int64_t gemm_end = 0;
  // The compute unit's last instruction: its start, and whether it was a post.
  std::int64_t last_start = -1;
  bool last_was_post = false;
  // The last post, vadd or pool: its completion. The last post: the cycle it streams (gemms after
  // it may start from then), its completion and its footprint (inclusive row ranges).
  std::int64_t sub_end = 0;
  std::int64_t post_run = 0;
  std::int64_t post_end = 0;
  std::int64_t post_acc_lo = 0, post_acc_hi = -1, post_sp_lo = 0, post_sp_hi = -1;
};

// Whether inclusive row ranges [a0, a1] and [b0, b1] meet.
bool RangesMeet(std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1) {
  return a0 <= b1 && b0 <= a1;
}

// What an executed instruction costs (docs/isa.md, "Timing model").
struct Cost {
  std::int64_t busy = 0;         // cycles the unit is occupied
  std::int64_t latency = 0;      // cycles after that until the result is complete
  std::int64_t port_cycles = 0;  // cycles the DRAM port is occupied
  std::int64_t bank_stall = 0;   // cycles of `busy` lost to reads that share a bank
};

// The aligned DRAM beats covering `bytes` bytes from `address`.
std::int64_t BeatsOf(std::int64_t address, std::int64_t bytes) {
  if (bytes <= 0) return 0;
  return (address + bytes - 1) / kBeatBytes - address / kBeatBytes + 1;
}

// The beats a load requests: those covering each element inside the padding border, element by
// element (docs/rtl.md, "Load").
template <typename T>
std::int64_t LoadBeats(const T& in, std::int64_t esize) {
  const std::int64_t inner_y = std::int64_t{in.ny} - in.pad_top - in.pad_bottom;
  const std::int64_t inner_x = std::int64_t{in.nx} - in.pad_left - in.pad_right;
  std::int64_t beats = 0;
  for (std::int64_t y = 0; y < inner_y; ++y) {
    for (std::int64_t x = 0; x < inner_x; ++x) {
      beats += BeatsOf(in.dram + y * in.stride_y + x * in.stride_x, in.lanes * esize);
    }
  }
  return beats;
}

// The beats a store sends: those covering each element, never merged across elements.
template <typename T>
std::int64_t StoreBeats(const T& in, std::int64_t esize) {
  std::int64_t beats = 0;
  for (std::int64_t y = 0; y < in.ny; ++y) {
    for (std::int64_t x = 0; x < in.nx; ++x) {
      beats += BeatsOf(in.dram + y * in.stride_y + x * in.stride_x, in.lanes * esize);
    }
  }
  return beats;
}

// Runs a checked program: fetch into the instruction queues, the token protocol, the choice of
// the next instruction, timing, counters and trace.
class Machine {
 public:
  Machine(IsaState& state, const std::vector<Instruction>& program, const IsaSimOptions& options)
      : state_(state),
        program_(program),
        options_(options),
        queues_{TimedFifo<Pending>(state.arch.instruction_queue_depth),
                TimedFifo<Pending>(state.arch.instruction_queue_depth),
                TimedFifo<Pending>(state.arch.instruction_queue_depth)},
        tokens_{TimedFifo<std::int64_t>(state.arch.token_queue_depth),
                TimedFifo<std::int64_t>(state.arch.token_queue_depth),
                TimedFifo<std::int64_t>(state.arch.token_queue_depth),
                TimedFifo<std::int64_t>(state.arch.token_queue_depth)} {
    queue_of_.reserve(program.size());
    tokens_of_.reserve(program.size());
    for (const Instruction& in : program) {
      queue_of_.push_back(QueueOf(in));
      tokens_of_.push_back(TokenUseOf(queue_of_.back(), DepsOf(in)));
    }
  }

  IsaRunResult Run() {
    IsaRunResult result;
    bool finished = false;
    while (!finished) {
      Fetch();
      const std::optional<Choice> next = PickNext();
      if (!next) throw Error(DeadlockMessage());
      finished = Step(next->queue, next->start, result);
      if (options_.progress && ++retired_ % IsaSimOptions::kProgressEvery == 0) {
        options_.progress(retired_, units_[static_cast<int>(Queue::kCompute)].last_end);
      }
    }
    result.timing.cycles = units_[static_cast<int>(Queue::kCompute)].last_end;
    return result;
  }

 private:
  const Instruction& At(std::int64_t index) const {
    return program_[static_cast<std::size_t>(index)];
  }
  Queue QueueAt(std::int64_t index) const { return queue_of_[static_cast<std::size_t>(index)]; }
  const TokenUse& TokensAt(std::int64_t index) const {
    return tokens_of_[static_cast<std::size_t>(index)];
  }
  TimedFifo<Pending>& QueueFifo(Queue q) { return queues_[static_cast<int>(q)]; }
  const TimedFifo<Pending>& QueueFifo(Queue q) const { return queues_[static_cast<int>(q)]; }
  std::int64_t Count() const { return static_cast<std::int64_t>(program_.size()); }

  // The cycle instruction word `index` can enter control at the earliest, as the RTL's
  // instruction fetch delivers it (docs/isa.md, "Timing model"): bursts of kFetchBurst words
  // from DRAM, the first two requested at once, each later one when the prefetch buffer
  // (kFetchDepth words) has room for it, that is kFetchBurstLag cycles after control took the
  // last word of the burst two before; a burst's first word arrives latency cycles after its
  // request and no earlier than the beat after the previous burst's last; words follow at the
  // port's beat rate; a word can enter control the cycle after it arrived.
  std::int64_t FetchArrival(std::int64_t index) {
    if (options_.instant_fetch) return 0;
    const std::int64_t burst = index / kFetchBurst;
    const std::int64_t beat = CeilDiv(kBeatBytes, state_.arch.dram_bytes_per_cycle);
    while (static_cast<std::int64_t>(fetch_first_beat_.size()) <= burst) {
      const auto k = static_cast<std::int64_t>(fetch_first_beat_.size());
      std::int64_t request = kFetchFirstRequest + kFetchBurstLag * std::min<std::int64_t>(k, 1);
      if (k > 0) request = std::max(request, fetch_request_.back() + kFetchBurstLag);
      if (k >= kFetchDepth / kFetchBurst) {
        const std::int64_t freeing = (k - kFetchDepth / kFetchBurst + 1) * kFetchBurst - 1;
        request =
            std::max(request, fetched_at_[static_cast<std::size_t>(freeing)] + kFetchBurstLag);
      }
      std::int64_t first = request + state_.arch.dram_latency_cycles;
      if (k > 0) first = std::max(first, fetch_first_beat_.back() + kFetchBurst * beat);
      fetch_request_.push_back(request);
      fetch_first_beat_.push_back(first);
    }
    return fetch_first_beat_[static_cast<std::size_t>(burst)] + (index % kFetchBurst) * beat + 1;
  }

  // Dispatches instructions in program order until one meets a full queue.
  void Fetch() {
    while (pc_ < Count()) {
      TimedFifo<Pending>& queue = QueueFifo(QueueAt(pc_));
      if (queue.full()) return;
      last_fetch_ = std::max({last_fetch_, queue.RoomCycle(), FetchArrival(pc_)});
      fetched_at_.push_back(last_fetch_);
      queue.Push(Pending{pc_, last_fetch_});
      ++pc_;
    }
  }

  // load.* and store.* (not a sync in those queues): the instructions whose spec footprint has
  // DRAM in it use the DRAM port.
  static bool IsDataTransfer(const Instruction& in) { return TouchesDram(in); }
  static bool IsLoad(const Instruction& in) {
    return std::holds_alternative<LoadSp>(in) || std::holds_alternative<LoadAcc>(in) ||
           std::holds_alternative<LoadParam>(in);
  }

  // Whether the head instruction `index` may start now: its tokens are there, the token queues
  // it pushes into have room and, for finish, the load and store queues are empty.
  bool CanStart(std::int64_t index) const {
    const TokenUse& use = TokensAt(index);
    for (int link : use.pops) {
      if (tokens_[link].empty()) return false;
    }
    for (int link : use.pushes) {
      if (tokens_[link].full()) return false;
    }
    if (std::holds_alternative<Finish>(At(index))) {
      return QueueFifo(Queue::kLoad).empty() && QueueFifo(Queue::kStore).empty();
    }
    return true;
  }

  // The earliest cycle at which the head of queue q can start.
  std::int64_t EstimatedStart(Queue q) const {
    const Pending& head = QueueFifo(q).front();
    const Instruction& in = At(head.index);
    const Unit& unit = units_[static_cast<int>(q)];
    // The store unit takes one instruction at a time; the load unit takes a load once it has
    // requested the previous one's last burst (the cycle after), while that one's data still
    // arrive, holding at most kLoadSlots loads; the array overlaps consecutive gemms, a post
    // starts while the gemms before it drain and the gemms after it run beside it (docs/isa.md,
    // "Timing model").
    std::int64_t ready = unit.last_end;
    if (q == Queue::kCompute) {
      const bool is_gemm = std::holds_alternative<Gemm>(in);
      if (is_gemm && unit.last_was_gemm) {
        ready = unit.issue_free;
      } else if (is_gemm && unit.last_was_post) {
        ready = std::max(unit.gemm_free, unit.last_start + 1);
      } else if (std::holds_alternative<Post>(in)) {
        ready = std::max(unit.last_start + 1, unit.sub_end);
      }
    }
    const bool load_pipelined = q == Queue::kLoad && unit.last_was_load && IsLoad(in);
    if (load_pipelined) ready = unit.issue_free;
    std::int64_t start = std::max(head.fetched, ready);
    if (load_pipelined && unit.load_ends.size() >= static_cast<std::size_t>(kLoadSlots)) {
      start = std::max(start, unit.load_ends[unit.load_ends.size() - kLoadSlots]);
    }
    const TokenUse& use = TokensAt(head.index);
    for (int link : use.pops) start = std::max(start, tokens_[link].front());
    for (int link : use.pushes) start = std::max(start, tokens_[link].RoomCycle());
    if (const Gemm* g = std::get_if<Gemm>(&in); g != nullptr && start < unit.post_end) {
      // A gemm after the running post: taken once the post streams; it waits for the post's end
      // when it would write an accumulator row the post reads or read a row the post writes.
      start = std::max(start, unit.post_run);
      if (GemmMeetsPost(*g, unit)) start = std::max(start, unit.post_end);
    }
    if (std::holds_alternative<Finish>(in)) {
      start = std::max({start, units_[static_cast<int>(Queue::kLoad)].last_end,
                        units_[static_cast<int>(Queue::kStore)].last_end});
    }
    return start;
  }

  // The queue whose head runs next and its estimated start cycle.
  struct Choice {
    Queue queue;
    std::int64_t start;
  };

  // Among the heads that may start, the one with the earliest estimated start (the lowest
  // instruction index on a tie).
  std::optional<Choice> PickNext() const {
    std::optional<Choice> best;
    std::int64_t best_index = 0;
    for (int k = 0; k < kNumQueues; ++k) {
      const Queue q = static_cast<Queue>(k);
      if (QueueFifo(q).empty()) continue;
      const std::int64_t index = QueueFifo(q).front().index;
      if (!CanStart(index)) continue;
      const std::int64_t start = EstimatedStart(q);
      if (!best || start < best->start || (start == best->start && index < best_index)) {
        best = Choice{q, start};
        best_index = index;
      }
    }
    return best;
  }

  Cost CostOf(const Instruction& in, const IsaCounters& before, const IsaCounters& after) const {
    const ArchConfig& arch = state_.arch;
    // A transfer of `beats` DRAM beats and `rows` on-chip rows (one a cycle, overlapped with the
    // beats); the port is occupied kBeatBytes / bytes_per_cycle cycles a beat.
    auto transfer = [&](std::int64_t beats, std::int64_t rows, std::int64_t tail) {
      const std::int64_t port = CeilDiv(beats * kBeatBytes, arch.dram_bytes_per_cycle);
      return Cost{std::max(port, rows), beats > 0 ? arch.dram_latency_cycles + tail : kFillTail,
                  port};
    };
    auto grid = [](const auto& t) { return std::int64_t{t.ny} * t.nx; };
    // Each cycle of SRAM read latency beyond the first delays a result by one cycle: a gemm's
    // and a store's rows, and a vector instruction twice (its parameter rows, then its data rows).
    const std::int64_t extra_read = std::int64_t{arch.sram_read_latency} - 1;
    const auto load = [&](const auto& x, std::int64_t esize) {
      return transfer(LoadBeats(x, esize), grid(x), kLoadTail);
    };
    const auto store = [&](const auto& x, std::int64_t esize) {
      Cost c = transfer(StoreBeats(x, esize), grid(x), kStoreTail);
      c.latency += extra_read;
      return c;
    };
    // One overload per instruction: an instruction added to the spec has no cost until it gets one
    // here, and until then this does not compile.
    return std::visit(
        Overloaded{[&](const LoadSp& x) { return load(x, 1); },
                   [&](const LoadAcc& x) { return load(x, 4); },
                   [&](const LoadParam& x) { return load(x, 4); },
                   [&](const StoreSp& x) { return store(x, 1); },
                   [&](const StoreAcc& x) { return store(x, 4); },
                   [&](const Gemm& x) {
                     const std::int64_t rows = std::int64_t{x.n_outer} * x.n_inner;
                     const std::int64_t stall = PreloadBankStall(x);
                     // After a gemm the preload waits for the inactive buffer and takes COLS
                     // cycles; on a unit that ran something else it runs beside the stream's first
                     // rows.
                     const bool after_gemm = after_stream_;
                     const std::int64_t preload =
                         x.preload && after_gemm ? std::int64_t{arch.cols} : 0;
                     return Cost{std::max(rows, preload) + stall,
                                 kGemmExtra + arch.rows + arch.cols + extra_read, 0, stall};
                   },
                   [&](const Post& x) {
                     return Cost{kPostSetup + x.n, kPostLatency + 2 * extra_read, 0};
                   },
                   [&](const Vadd& x) {
                     // Rows a + i and b + i in one bank: b + i is read one cycle earlier, alone.
                     std::int64_t stall = 0;
                     for (std::int64_t i = 0; i < x.n; ++i) {
                       if (arch.scratchpad_bank(x.a + i) == arch.scratchpad_bank(x.b + i)) ++stall;
                     }
                     return Cost{kVaddSetup + x.n + stall, kVaddLatency + 2 * extra_read, 0, stall};
                   },
                   [&](const Pool&) {
                     const std::int64_t taps =
                         (after.scratchpad.bytes_read - before.scratchpad.bytes_read) / arch.rows;
                     return Cost{kPoolSetup + taps, kPoolLatency + 2 * extra_read, 0};
                   },
                   [](const Sync&) {
                     return Cost{1, 0, 0};
                   },
                   [](const Finish&) {
                     return Cost{1, 0, 0};
                   }},
        in);
  }

  // Whether a gemm's footprint meets the last post's: its accumulator rows against the post's
  // accumulator rows, its activation and weight rows against the post's scratchpad rows.
  bool GemmMeetsPost(const Gemm& g, const Unit& unit) const {
    const std::int64_t act_hi = std::int64_t{g.act} + (std::int64_t{g.n_outer} - 1) * g.act_outer +
                                (std::int64_t{g.n_inner} - 1) * g.act_inner;
    const std::int64_t acc_hi =
        std::int64_t{g.acc} + (std::int64_t{g.n_outer} - 1) * g.acc_outer + g.n_inner - 1;
    return RangesMeet(g.acc, acc_hi, unit.post_acc_lo, unit.post_acc_hi) ||
           RangesMeet(g.act, act_hi, unit.post_sp_lo, unit.post_sp_hi) ||
           (g.preload && RangesMeet(g.w, std::int64_t{g.w} + state_.arch.cols - 1, unit.post_sp_lo,
                                    unit.post_sp_hi));
  }

  // The activation rows a gemm's weight preload delays (the preload reads first): the preload's
  // COLS rows run while the previous gemm streams when gemms follow each other, else alongside
  // this gemm's own first rows. Estimated from the streams' first rows.
  std::int64_t PreloadBankStall(const Gemm& x) const {
    if (!x.preload) return 0;
    const ArchConfig& arch = state_.arch;
    const Unit& unit = units_[static_cast<int>(Queue::kCompute)];
    const std::int64_t w_bank = arch.scratchpad_bank(x.w);
    if (after_stream_) {
      return arch.scratchpad_bank(unit.gemm_act) == w_bank
                 ? std::min<std::int64_t>(arch.cols, unit.gemm_rows)
                 : 0;
    }
    return arch.scratchpad_bank(x.act) == w_bank ? std::int64_t{arch.cols} - 1 : 0;
  }

  // Starts (at `start`, from EstimatedStart), executes and completes the head of queue q; true
  // when it was finish.
  bool Step(Queue q, std::int64_t start, IsaRunResult& result) {
    const Pending head = QueueFifo(q).Pop(start);
    const Instruction& in = At(head.index);
    const TokenUse& use = TokensAt(head.index);
    for (int link : use.pops) tokens_[link].Pop(start);

    const bool keep_writes = options_.record_writes || options_.trace != nullptr;
    std::vector<WriteRecord>* writes = options_.record_writes ? &result.writes : &scratch_writes_;
    const std::size_t first_write = keep_writes ? writes->size() : 0;
    const IsaCounters before = result.counters;
    Execute(state_, in, head.index, result.counters, keep_writes ? writes : nullptr);
    Unit& unit = units_[static_cast<int>(q)];
    // A gemm taken while the previous gemm streams (right after it, or after a post between them
    // while that gemm's rows still stream).
    after_stream_ = q == Queue::kCompute &&
                    (unit.last_was_gemm || (unit.last_was_post && unit.gemm_free >= start));
    Cost cost = CostOf(in, before, result.counters);
    if (IsDataTransfer(in) && cost.port_cycles > 0) {
      // The port serves a read and a write beat alike: a transfer that starts while another
      // still holds the port shares it half and half until that one's beats are done.
      const std::int64_t ahead = std::max<std::int64_t>(port_free_ - start, 0);
      const std::int64_t shared =
          std::min(2 * cost.port_cycles, cost.port_cycles + CeilDiv(ahead, 2));
      cost.busy = std::max(cost.busy, shared);
      port_free_ = std::max(port_free_, start) + cost.port_cycles;
    }

    // A post reads its first accumulator row once the gemms before it are done.
    const Post* post = std::get_if<Post>(&in);
    const std::int64_t extra_read = std::int64_t{state_.arch.sram_read_latency} - 1;
    const std::int64_t post_wait =
        post != nullptr
            ? std::max<std::int64_t>(unit.gemm_end - (start + kPostSetup + extra_read), 0)
            : 0;
    const std::int64_t end = std::max(start + post_wait + cost.busy + cost.latency, unit.last_end);
    unit.issue_free = start + cost.busy;
    unit.last_end = end;
    unit.last_was_gemm = std::holds_alternative<Gemm>(in);
    unit.last_was_load = IsLoad(in);
    if (unit.last_was_load) {
      unit.issue_free += 1;  // the generator takes the next load the cycle after its last burst
      unit.load_ends.push_back(end);
      while (unit.load_ends.size() > static_cast<std::size_t>(kLoadSlots))
        unit.load_ends.pop_front();
    }
    if (q == Queue::kCompute) {
      unit.last_start = start;
      unit.last_was_post = post != nullptr;
      if (!unit.last_was_gemm) unit.sub_end = end;
    }
    if (const Gemm* g = std::get_if<Gemm>(&in)) {
      unit.gemm_act = g->act;
      unit.gemm_rows = std::int64_t{g->n_outer} * g->n_inner;
      unit.gemm_free = start + cost.busy;
      unit.gemm_end = end;
    }
    if (post != nullptr) {
      const ArchConfig& arch = state_.arch;
      const std::int64_t blocks =
          arch.cols > arch.rows ? CeilDiv(std::int64_t{post->n_lanes}, arch.rows) : 1;
      unit.post_run = start + kPostSetup + extra_read;
      unit.post_end = end;
      unit.post_acc_lo = post->acc;
      unit.post_acc_hi = std::int64_t{post->acc} + post->n - 1;
      unit.post_sp_lo = post->dst;
      unit.post_sp_hi = std::int64_t{post->dst} + (std::int64_t{post->n} - 1) * post->dst_stride +
                        (blocks - 1) * post->blk_stride;
    }
    result.timing.bank_stall_cycles += cost.bank_stall;
    result.timing.busy[static_cast<std::size_t>(q)] += cost.busy;
    for (int link : use.pushes) tokens_[link].Push(end);
    if (options_.observe) {
      options_.observe(InstructionRun{head.index, q, start, end, &in, &before, &result.counters});
    }

    if (options_.trace != nullptr) {
      Trace(head.index, q, start, end, std::span(*writes).subspan(first_write));
    }
    if (!options_.record_writes) scratch_writes_.clear();
    return std::holds_alternative<Finish>(in);
  }

  void Trace(std::int64_t index, Queue q, std::int64_t start, std::int64_t end,
             std::span<const WriteRecord> writes) const {
    std::ostream& out = *options_.trace;
    out << '#' << index << ' ' << QueueName(q) << ' ' << MnemonicOf(At(index)) << " [" << start
        << ", " << end << ")";
    const char* separator = " wrote ";
    for (const WriteRecord& w : writes) {
      const std::int64_t last = w.first + w.extent - 1;
      out << separator << MemoryName(w.memory);
      if (w.memory == Memory::kDram) {
        out << " bytes " << base::HexPrefixed(static_cast<std::uint64_t>(w.first)) << ".."
            << base::HexPrefixed(static_cast<std::uint64_t>(last));
      } else {
        out << " rows " << w.first << ".." << last;
      }
      out << " hash " << base::HexDigits(w.hash);
      separator = ", ";
    }
    out << '\n';
  }

  // "load queue waits at instruction 3 (load.sp) for a token from compute", "store queue is
  // empty".
  std::string HeadState(Queue q) const {
    const std::string name = std::string(QueueName(q)) + " queue";
    if (QueueFifo(q).empty()) return name + " is empty";
    const std::int64_t index = QueueFifo(q).front().index;
    std::vector<std::string> waits;
    const TokenUse& use = TokensAt(index);
    for (int link : use.pops) {
      if (tokens_[link].empty()) {
        waits.push_back("a token from " + std::string(QueueName(kLinks[link].from)));
      }
    }
    for (int link : use.pushes) {
      if (tokens_[link].full()) {
        waits.push_back("room in the token queue to " + std::string(QueueName(kLinks[link].to)) +
                        " (full, " + Plural(tokens_[link].capacity(), "token") + ")");
      }
    }
    if (std::holds_alternative<Finish>(At(index))) {
      const bool load = !QueueFifo(Queue::kLoad).empty();
      const bool store = !QueueFifo(Queue::kStore).empty();
      if (load || store) {
        waits.push_back(std::string("the ") +
                        (load && store ? "load and store queues"
                         : load        ? "load queue"
                                       : "store queue") +
                        " to drain");
      }
    }
    std::string text = name + " waits at instruction " + std::to_string(index) + " (" +
                       std::string(MnemonicOf(At(index))) + ") for ";
    for (std::size_t k = 0; k < waits.size(); ++k) text += (k > 0 ? " and " : "") + waits[k];
    return text;
  }

  std::string DeadlockMessage() const {
    std::string message = "deadlock: ";
    for (int k = 0; k < kNumQueues; ++k) message += HeadState(static_cast<Queue>(k)) + "; ";
    if (pc_ < Count()) {
      const Queue q = QueueAt(pc_);
      message += "fetch stalled at instruction " + std::to_string(pc_) + " (" +
                 std::string(MnemonicOf(At(pc_))) + "): the " + std::string(QueueName(q)) +
                 " queue is full (" + Plural(QueueFifo(q).capacity(), "instruction") + ")";
    } else {
      message += "fetch has dispatched all " + std::to_string(Count()) + " instructions";
    }
    return message;
  }

  IsaState& state_;
  const std::vector<Instruction>& program_;
  const IsaSimOptions& options_;
  std::vector<Queue> queue_of_;
  std::vector<TokenUse> tokens_of_;
  std::array<TimedFifo<Pending>, kNumQueues> queues_;
  std::array<TimedFifo<std::int64_t>, kLinks.size()> tokens_;
  std::array<Unit, kNumQueues> units_{};
  bool after_stream_ = false;  // the instruction being costed is a gemm behind a streaming gemm
  std::int64_t port_free_ = 0;
  std::int64_t pc_ = 0;
  std::int64_t retired_ = 0;  // instructions retired, for options_.progress
  std::int64_t last_fetch_ = 0;
  // Instruction fetch: the cycle each word entered its queue; each burst's request and first
  // beat.
  std::vector<std::int64_t> fetched_at_;
  std::vector<std::int64_t> fetch_request_;
  std::vector<std::int64_t> fetch_first_beat_;
  std::vector<WriteRecord> scratch_writes_;
};

}  // namespace

IsaSimulator::IsaSimulator(const ArchConfig& arch, const Program& program)
    : decoded_(CheckProgram(arch, program)), state_(arch, program.dram_size) {
  std::copy(program.dram_image.begin(), program.dram_image.end(), state_.dram.begin());
}

IsaRunResult IsaSimulator::Run(const IsaSimOptions& options) {
  if (ran_) throw Error("the ISA simulator has already run this program; make a new one");
  ran_ = true;
  return Machine(state_, decoded_, options).Run();
}

IsaProgramRun RunProgramOnIsa(const ArchConfig& arch, const Program& program,
                              const std::map<std::string, golden::Tensor>& inputs,
                              const IsaSimOptions& options) {
  IsaSimulator simulator(arch, program);
  WriteProgramInputs(program, inputs, simulator.state().dram);
  IsaProgramRun run;
  run.result = simulator.Run(options);
  for (const ManifestTensor& out : program.manifest.outputs) {
    run.outputs[out.name] = ReadTensorFromDram(out, simulator.state().dram);
  }
  return run;
}

nlohmann::json IsaRunResultToJson(const IsaRunResult& result) {
  const IsaCounters& c = result.counters;
  nlohmann::json busy = nlohmann::json::object();
  for (int q = 0; q < kNumQueues; ++q) {
    busy[std::string(QueueName(static_cast<Queue>(q)))] =
        result.timing.busy[static_cast<std::size_t>(q)];
  }
  nlohmann::json instructions = nlohmann::json::object();
  for (const OpSpec& op : kOps) {
    instructions[std::string(op.mnemonic)] = c.instructions_by_opcode[op.opcode];
  }
  auto traffic = [](const MemoryTraffic& t) {
    return nlohmann::json{{"bytes_read", t.bytes_read}, {"bytes_written", t.bytes_written}};
  };
  return {{"cycles", result.timing.cycles},
          {"busy_cycles", busy},
          {"bank_stall_cycles", result.timing.bank_stall_cycles},
          {"instructions", instructions},
          {"instructions_total", c.instructions},
          {"macs_issued", c.macs_issued},
          {"macs_useful", c.macs_useful},
          {"dram", traffic(c.dram)},
          {"scratchpad", traffic(c.scratchpad)},
          {"accumulator", traffic(c.accumulator)},
          {"param", traffic(c.param)}};
}

}  // namespace qsa::isa
