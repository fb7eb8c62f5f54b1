#include "testkit/isa_random.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "model/base/enum_names.h"
#include "model/base/error.h"
#include "model/isa/executor.h"
#include "model/isa/isa.h"

namespace qsa::testkit {

using namespace isa;  // the generators write in the ISA's own vocabulary
namespace {

// ---- Random numbers: the same sequence on every platform (no std distributions) ----------------

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t Bits() { return engine_(); }
  // Uniform in [lo, hi], lo <= hi (modulo reduction: a negligible bias, no platform dependence).
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(engine_() % span);
  }
  bool Chance(int percent) { return Int(0, 99) < percent; }

 private:
  std::mt19937_64 engine_;
};

std::uint32_t U32(std::int64_t v) { return static_cast<std::uint32_t>(v); }
std::int32_t Wrap32(std::uint32_t v) { return static_cast<std::int32_t>(v); }
std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

constexpr std::int64_t kMaxRowField = 0xFFFF;        // row addresses are 16-bit fields
constexpr std::int64_t kMaxStrideY = (1 << 18) - 1;  // stride_y is 18 bits
constexpr std::int64_t kMaxStrideX = (1 << 14) - 1;  // stride_x is 14 bits

// ---- Memory footprints --------------------------------------------------------------------------

// Rows [first, end) of an on-chip memory, or bytes [first, end) of DRAM.
struct Range {
  Memory memory = Memory::kDram;
  std::int64_t first = 0;
  std::int64_t end = 0;
  bool empty() const { return end <= first; }
};

bool Overlaps(const Range& a, const Range& b) {
  return a.memory == b.memory && a.first < b.end && b.first < a.end;
}

bool AnyOverlap(const std::vector<Range>& a, const std::vector<Range>& b) {
  for (const Range& x : a) {
    for (const Range& y : b) {
      if (Overlaps(x, y)) return true;
    }
  }
  return false;
}

// What an instruction may read and write (a superset of what it touches).
struct Footprint {
  std::vector<Range> reads;
  std::vector<Range> writes;

  // Whether the two access one memory location and at least one of them writes it.
  bool ConflictsWith(const Footprint& other) const {
    return AnyOverlap(writes, other.reads) || AnyOverlap(writes, other.writes) ||
           AnyOverlap(reads, other.writes);
  }
};

// ---- Token links --------------------------------------------------------------------------------

// The four token queues: load → compute, compute → load, compute → store, store → compute.
constexpr int kNumLinks = 4;

int LinkOf(Queue from, Queue to) {
  if (from == Queue::kLoad) return 0;
  if (from == Queue::kStore) return 3;
  return to == Queue::kLoad ? 1 : 2;
}
Queue LinkSource(int link) {
  static constexpr Queue kSource[] = {Queue::kLoad, Queue::kCompute, Queue::kCompute,
                                      Queue::kStore};
  return kSource[link];
}
Queue LinkSink(int link) {
  static constexpr Queue kSink[] = {Queue::kCompute, Queue::kLoad, Queue::kStore, Queue::kCompute};
  return kSink[link];
}

std::vector<Queue> Neighbours(Queue queue) {
  if (queue == Queue::kCompute) return {Queue::kLoad, Queue::kStore};
  return {Queue::kCompute};
}

int Index(Queue queue) { return static_cast<int>(queue); }

void SetPop(Deps& deps, Queue self, Queue from) {
  (from < self ? deps.pop_prev : deps.pop_next) = true;
}
void SetPush(Deps& deps, Queue self, Queue to) {
  (to < self ? deps.push_prev : deps.push_next) = true;
}
bool Pops(const Deps& deps, Queue self, Queue from) {
  return from < self ? deps.pop_prev : deps.pop_next;
}
bool Pushes(const Deps& deps, Queue self, Queue to) {
  return to < self ? deps.push_prev : deps.push_next;
}

void SetDepsOf(Instruction& instruction, const Deps& deps) {
  std::visit([&](auto& in) { in.deps = deps; }, instruction);
}

// ---- Parameter words ----------------------------------------------------------------------------

// A requantizer's shift word `lsh | rsh << 8`, legal in both rounding modes.
bool ShiftWordOk(std::int32_t word) {
  const auto w = static_cast<std::uint32_t>(word);
  if ((w >> 16) != 0) return false;
  const int lsh = static_cast<int>(w & 0xFF);
  const int rsh = static_cast<int>((w >> 8) & 0xFF);
  return lsh <= 31 && rsh <= 31 && lsh - rsh <= 30;
}

// A clamp [qmin, qmax] of two raw bytes, read as int8 when `is_signed`.
bool ClampOk(std::uint32_t qmin, std::uint32_t qmax, bool is_signed) {
  const auto typed = [&](std::uint32_t b) {
    return is_signed ? static_cast<std::int32_t>(static_cast<std::int8_t>(b & 0xFF))
                     : static_cast<std::int32_t>(b & 0xFF);
  };
  return typed(qmin) <= typed(qmax);
}

enum class DescriptorKind { kPost, kVadd, kPool };

struct Window {
  std::int64_t first = 0;
  std::int64_t rows = 0;
  std::int64_t end() const { return first + rows; }
};

struct Region {
  std::int64_t first = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - first; }
};

// `count_y` × `count_x` DRAM elements of `bytes` bytes, element (y, x) at dram + y·stride_y +
// x·stride_x; `range` the bytes between the first and last byte touched (empty when no element).
struct Placement {
  std::int64_t dram = 0;
  std::int64_t stride_y = 0;
  std::int64_t stride_x = 0;
  Range range;
};

// The shape of a load: grid, padding, lanes, fill and DRAM placement of the inside elements.
struct LoadShape {
  std::int64_t ny = 1;
  std::int64_t nx = 1;
  std::int64_t pad_top = 0;
  std::int64_t pad_bottom = 0;
  std::int64_t pad_left = 0;
  std::int64_t pad_right = 0;
  std::int64_t lanes = 1;
  std::int64_t fill = 0;
  Placement placement;
};

template <typename T>
T MakeLoad(const LoadShape& s, std::int64_t sram) {
  T in;
  in.sram = U32(sram);
  in.dram = U32(s.placement.dram);
  in.ny = U32(s.ny);
  in.nx = U32(s.nx);
  in.stride_y = U32(s.placement.stride_y);
  in.stride_x = U32(s.placement.stride_x);
  in.pad_top = U32(s.pad_top);
  in.pad_bottom = U32(s.pad_bottom);
  in.pad_left = U32(s.pad_left);
  in.pad_right = U32(s.pad_right);
  in.lanes = U32(s.lanes);
  in.fill = U32(s.fill);
  return in;
}

// An instruction as generated, with what the ordering needs: its queue, footprint and vector
// clock (for each queue, how many of its instructions happen before this one or are this one).
struct Emitted {
  Instruction instruction;
  Queue queue = Queue::kCompute;
  Footprint footprint;
  std::array<std::int64_t, kNumQueues> clock{};
};

// A row base field of an instruction and how many rows from it the instruction touches.
struct RowField {
  std::uint32_t* field = nullptr;
  std::int64_t extent = 0;
  Memory memory = Memory::kScratchpad;
  std::string name;
};

class Generator {
 public:
  Generator(const isa::ArchConfig& arch, std::uint64_t seed, const RandomProgramOptions& options)
      : arch_(arch), rng_(seed), options_(options), rows_(arch.rows), cols_(arch.cols) {
    PlaceWindows();
    LayOutDram();
    shadow_param_.assign(static_cast<std::size_t>(arch.param_rows * cols_), 0);
  }

  isa::Program Generate(InjectedDefect* defect) {
    InjectedDefect injected;
    injected.kind = options_.defect;
    InitializeWindows();
    const std::int64_t prologue = Count();
    AddOperations(prologue, injected);
    PrepareDefect(injected);
    Append(Finish{}, {});
    ApplyFieldDefect(injected);
    isa::Program program = MakeProgram(prologue);
    ApplyWordDefect(injected, program.instructions);
    if (defect != nullptr) *defect = injected;
    return program;
  }

 private:
  // Random operations until the program holds options_.instructions instructions (an operation
  // may emit nothing, e.g. with no room left for a descriptor: the attempts are bounded). A
  // capacity deadlock goes anywhere among them; what follows it is never fetched.
  void AddOperations(std::int64_t prologue, InjectedDefect& injected) {
    std::int64_t capacity_at = -1;
    if (injected.kind == DefectKind::kQueueCapacity) {
      capacity_at = rng_.Int(prologue, std::max<std::int64_t>(prologue, options_.instructions - 1));
    }
    for (std::int64_t attempts = 0;
         Count() + 1 < options_.instructions && attempts < 20 * options_.instructions; ++attempts) {
      if (capacity_at >= 0 && Count() >= capacity_at) {
        PrepareQueueCapacity(injected);
        capacity_at = -1;
      }
      if (!RandomOperation()) break;
    }
    if (capacity_at >= 0) PrepareQueueCapacity(injected);
  }

  isa::Program MakeProgram(std::int64_t prologue) const {
    isa::Program program;
    program.arch_name = arch_.name;
    program.arch_hash = arch_.Hash();
    for (const Emitted& e : emitted_) program.instructions.push_back(Encode(e.instruction));
    program.dram_size = static_cast<std::uint64_t>(dram_.size());
    // Descriptors are written after the image size is drawn: the image holds them all.
    const std::int64_t image = std::max(image_size_, blob_next_);
    program.dram_image.assign(dram_.begin(), dram_.begin() + image);
    if (stored_.end > stored_.first) {
      isa::ManifestTensor out;
      out.name = "dram";
      out.dram_addr = static_cast<std::uint64_t>(stored_.first);
      out.shape = {stored_.end - stored_.first};
      out.dtype = golden::DType::kUInt8;
      program.manifest.outputs.push_back(out);
    }
    program.manifest.layers.push_back({"init", 0, prologue});
    program.manifest.layers.push_back({"body", prologue, Count() - prologue});
    return program;
  }

  std::int64_t Count() const { return static_cast<std::int64_t>(emitted_.size()); }
  std::int64_t Depth() const { return arch_.token_queue_depth; }
  std::int64_t ScratchpadRows() const { return arch_.scratchpad_rows(); }
  std::int64_t AccumulatorRows() const { return arch_.accumulator_rows(); }

  // ---- Layout ----------------------------------------------------------------------------------

  // A window of `rows` rows of a memory of `memory_rows`: at its start, at its end or anywhere.
  Window RandomWindow(std::int64_t memory_rows, std::int64_t rows) {
    Window w;
    w.rows = std::min(memory_rows, rows);
    const int where = static_cast<int>(rng_.Int(0, 2));
    w.first = where == 0   ? 0
              : where == 1 ? memory_rows - w.rows
                           : rng_.Int(0, memory_rows - w.rows);
    return w;
  }

  void PlaceWindows() {
    sp_ = RandomWindow(ScratchpadRows(), 128);
    acc_ = RandomWindow(AccumulatorRows(), 48);
    param_ = RandomWindow(arch_.param_rows, 32);
    if (param_.rows < 4 || acc_.rows < 8 || sp_.rows < std::max<std::int64_t>(cols_, 16)) {
      throw Error("random programs: architecture '" + arch_.name +
                  "' is too small (need at least 4 parameter rows, 8 accumulator rows and " +
                  std::to_string(std::max<std::int64_t>(cols_, 16)) + " scratchpad rows)");
    }
  }

  // DRAM: a read-only area for parameter loads (random words, then descriptor blobs written
  // once each before any load reads them) and a data area that loads read and stores write; the
  // program's DRAM ends at the end of one of them.
  void LayOutDram() {
    const std::int64_t junk = std::max<std::int64_t>(1024, 2 * param_.rows * 4 * cols_);
    const std::int64_t blobs = 4096 + 128 * 4 * std::int64_t{cols_};
    const std::int64_t data = std::max<std::int64_t>(
        {16384, 2 * sp_.rows * rows_, 2 * acc_.rows * 4 * std::int64_t{cols_}});
    const bool data_first = rng_.Chance(50);
    const std::int64_t param_base = data_first ? data : 0;
    const std::int64_t data_base = data_first ? 0 : junk + blobs;
    param_junk_ = {param_base, param_base + junk};
    blob_ = {param_base + junk, param_base + junk + blobs};
    blob_next_ = blob_.first;
    data_ = {data_base, data_base + data};
    dram_.resize(static_cast<std::size_t>(data + junk + blobs));
    for (std::size_t i = 0; i < dram_.size(); i += 8) {
      const std::uint64_t bits = rng_.Bits();
      for (std::size_t b = 0; b < 8 && i + b < dram_.size(); ++b) {
        dram_[i + b] = static_cast<std::uint8_t>(bits >> (8 * b));
      }
    }
    // Sometimes the image stops short of the DRAM size: the rest reads as zero.
    image_size_ = static_cast<std::int64_t>(dram_.size());
    if (rng_.Chance(25)) {
      image_size_ -= rng_.Int(1, 256);
      std::fill(dram_.begin() + image_size_, dram_.end(), std::uint8_t{0});
    }
  }

  std::int32_t DramWord(std::int64_t a) const {
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b) {
      v |= std::uint32_t{dram_[static_cast<std::size_t>(a + b)]} << (8 * b);
    }
    return Wrap32(v);
  }
  void SetDramWord(std::int64_t a, std::int32_t word) {
    const auto v = static_cast<std::uint32_t>(word);
    for (int b = 0; b < 4; ++b) {
      dram_[static_cast<std::size_t>(a + b)] = static_cast<std::uint8_t>(v >> (8 * b));
    }
  }

  // A random strided placement of count_y × count_x elements of `bytes` bytes in `region`,
  // aligned to `align` most of the time; nullopt when it does not fit.
  std::optional<Placement> Place(std::int64_t count_y, std::int64_t count_x, std::int64_t bytes,
                                 std::int64_t align, const Region& region, bool overlap_ok) {
    Placement p;
    if (count_y == 0 || count_x == 0) {  // all padding: the address is never read
      p.dram = rng_.Int(region.first, region.end - 1);
      p.stride_y = rng_.Int(0, 256);
      p.stride_x = rng_.Int(0, 64);
      return p;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool dense = attempt == 1 || rng_.Chance(40);
      std::int64_t sx = bytes;
      if (!dense && rng_.Chance(60)) sx += align * rng_.Int(1, 4);
      if (!dense && overlap_ok && rng_.Chance(20)) sx = rng_.Int(0, bytes);
      std::int64_t sy = count_x * sx;
      if (!dense && rng_.Chance(50)) sy += align * rng_.Int(1, 8);
      if (!dense && overlap_ok && rng_.Chance(15)) sy = rng_.Int(0, sy);
      // A stride that is never used may hold anything.
      if (count_x == 1 && rng_.Chance(50)) sx = rng_.Int(0, kMaxStrideX);
      if (count_y == 1 && rng_.Chance(50)) sy = rng_.Int(0, kMaxStrideY);
      if (sx > kMaxStrideX || sy > kMaxStrideY) continue;
      const std::int64_t span = (count_y - 1) * sy + (count_x - 1) * sx + bytes;
      if (span > region.size()) continue;
      std::int64_t first = rng_.Int(region.first, region.end - span);
      if (align > 1 && rng_.Chance(90) && first - first % align >= region.first) {
        first -= first % align;
      }
      p.dram = first;
      p.stride_y = sy;
      p.stride_x = sx;
      p.range = {Memory::kDram, first, first + span};
      return p;
    }
    return std::nullopt;
  }

  // A random load shape of ny × nx rows with `lane_limit` lanes of `element` bytes from `region`.
  std::optional<LoadShape> RandomLoadShape(std::int64_t ny, std::int64_t nx,
                                           std::int64_t lane_limit, std::int64_t element,
                                           const Region& region, bool padding) {
    LoadShape s;
    s.ny = ny;
    s.nx = nx;
    if (padding && rng_.Chance(40)) {
      s.pad_top = rng_.Int(0, std::min<std::int64_t>(3, ny));
      s.pad_bottom = rng_.Int(0, std::min<std::int64_t>(3, ny - s.pad_top));
    }
    if (padding && rng_.Chance(40)) {
      s.pad_left = rng_.Int(0, std::min<std::int64_t>(3, nx));
      s.pad_right = rng_.Int(0, std::min<std::int64_t>(3, nx - s.pad_left));
    }
    s.lanes = rng_.Chance(50) ? lane_limit : rng_.Int(1, lane_limit);
    s.fill = rng_.Int(0, 255);
    const std::optional<Placement> p =
        Place(ny - s.pad_top - s.pad_bottom, nx - s.pad_left - s.pad_right, s.lanes * element,
              element, region, true);
    if (!p) return std::nullopt;
    s.placement = *p;
    return s;
  }

  // What an instruction may read and write: the spec's footprint.
  Footprint SpecFootprint(const Instruction& instruction) const {
    Footprint f;
    for (const MemoryAccess& m : FootprintOf(instruction, ArchParams{rows_, cols_})) {
      (m.write ? f.writes : f.reads).push_back({m.memory, m.lo, m.hi});
    }
    return f;
  }

  // What a load.param writes into the parameter buffer, applied to the generator's copy of it
  // (parameter loads read only the read-only DRAM area, so the copy is exact).
  void ApplyParamLoad(const LoadParam& in) {
    for (std::int64_t y = 0; y < in.ny; ++y) {
      for (std::int64_t x = 0; x < in.nx; ++x) {
        const std::int64_t row = in.sram + y * in.nx + x;
        const bool inside = y >= in.pad_top && y < in.ny - in.pad_bottom && x >= in.pad_left &&
                            x < in.nx - in.pad_right;
        for (std::int64_t l = 0; l < cols_; ++l) {
          const std::int64_t a = std::int64_t{in.dram} + (y - in.pad_top) * in.stride_y +
                                 (x - in.pad_left) * in.stride_x + 4 * l;
          shadow_param_[static_cast<std::size_t>(row * cols_ + l)] =
              inside && l < in.lanes ? DramWord(a)
                                     : static_cast<std::int8_t>(static_cast<std::uint8_t>(in.fill));
        }
      }
    }
  }

  // ---- Emission and ordering ------------------------------------------------------------------

  std::array<std::int64_t, kNumQueues> ClockOf(Queue queue) const {
    const std::int64_t last = last_in_queue_[static_cast<std::size_t>(Index(queue))];
    if (last < 0) return {};
    return emitted_[static_cast<std::size_t>(last)].clock;
  }

  // Tokens pushed into `link` (in program order) that no instruction so far pops.
  std::int64_t Pending(int link) const {
    return static_cast<std::int64_t>(pushes_[static_cast<std::size_t>(link)].size()) -
           popped_[static_cast<std::size_t>(link)];
  }

  [[noreturn]] void Internal(const std::string& what) const {
    throw Error("random program generator: internal error: " + what);
  }

  // Appends an instruction with its final token flags. Keeps the invariants that make a program
  // deadlock-free (each pop's token is pushed earlier in program order; at most token_depth
  // tokens outstanding in program order) unless `checked` is false (deadlock defects).
  std::int64_t Append(Instruction instruction, Footprint footprint, bool checked = true) {
    const std::int64_t index = Count();
    Emitted e;
    e.queue = QueueOf(instruction);
    e.clock = ClockOf(e.queue);
    const Deps deps = DepsOf(instruction);
    for (Queue from : Neighbours(e.queue)) {
      if (!Pops(deps, e.queue, from)) continue;
      const auto link = static_cast<std::size_t>(LinkOf(from, e.queue));
      if (Pending(static_cast<int>(link)) > 0) {
        const Emitted& pusher = emitted_[static_cast<std::size_t>(
            pushes_[link][static_cast<std::size_t>(popped_[link])])];
        for (int q = 0; q < kNumQueues; ++q) {
          const auto qi = static_cast<std::size_t>(q);
          e.clock[qi] = std::max(e.clock[qi], pusher.clock[qi]);
        }
      } else if (checked) {
        Internal("instruction " + std::to_string(index) + " pops a token never pushed");
      }
      ++popped_[link];
      pops_[link].push_back(index);
    }
    const auto self = static_cast<std::size_t>(Index(e.queue));
    e.clock[self] = ++queue_counts_[self];
    for (Queue to : Neighbours(e.queue)) {
      if (!Pushes(deps, e.queue, to)) continue;
      const int link = LinkOf(e.queue, to);
      if (checked && Pending(link) >= Depth()) {
        Internal("instruction " + std::to_string(index) + " overfills a token queue");
      }
      pushes_[static_cast<std::size_t>(link)].push_back(index);
    }
    e.instruction = std::move(instruction);
    e.footprint = std::move(footprint);
    emitted_.push_back(std::move(e));
    last_in_queue_[self] = index;
    return index;
  }

  std::int64_t AppendSync(Queue queue, const Deps& deps, bool checked = true) {
    Sync sync;
    sync.deps = deps;
    sync.queue = U32(Index(queue));
    return Append(sync, {}, checked);
  }

  // Gives the last instruction of `from` a push toward `to` after the fact, when it has none and
  // the token queue stays within its depth: no push on that link follows it, so its token is the
  // next one `to` pops, and the link's program-order count only rises by one from there on.
  bool PushFromLast(Queue from, Queue to) {
    const std::int64_t last = last_in_queue_[static_cast<std::size_t>(Index(from))];
    if (last < 0) return false;
    Emitted& e = emitted_[static_cast<std::size_t>(last)];
    Deps deps = DepsOf(e.instruction);
    if (Pushes(deps, from, to)) return false;
    const int link = LinkOf(from, to);
    const std::vector<std::int64_t>& pops = pops_[static_cast<std::size_t>(link)];
    const auto pops_since =
        std::count_if(pops.begin(), pops.end(), [last](std::int64_t pop) { return pop > last; });
    if (Pending(link) + pops_since >= Depth()) return false;
    SetPush(deps, from, to);
    SetDepsOf(e.instruction, deps);
    pushes_[static_cast<std::size_t>(link)].push_back(last);
    return true;
  }

  // Makes the next token `self` pops from neighbour `from` one pushed after the first `need`
  // instructions of `from`: pops (with syncs) older tokens, or has `from` push a fresh one.
  void TokenFrom(Queue self, Queue from, std::int64_t need) {
    const int link = LinkOf(from, self);
    const auto l = static_cast<std::size_t>(link);
    while (true) {
      if (Pending(link) == 0) {
        if (rng_.Chance(25) || !PushFromLast(from, self)) {
          Deps push;
          SetPush(push, from, self);
          AppendSync(from, push);
        }
        return;
      }
      const std::int64_t pusher = pushes_[l][static_cast<std::size_t>(popped_[l])];
      if (emitted_[static_cast<std::size_t>(pusher)].clock[static_cast<std::size_t>(Index(from))] >=
          need) {
        return;
      }
      Deps drain;
      SetPop(drain, self, from);
      AppendSync(self, drain);
    }
  }

  // The token pops an instruction of `self` with `footprint` needs so that every earlier
  // instruction of another queue it conflicts with happens before it; emits the syncs needed.
  // Load and store are not neighbours: their order goes through a compute sync.
  Deps Acquire(Queue self, const Footprint& footprint) {
    std::array<std::int64_t, kNumQueues> need{};
    for (const Emitted& e : emitted_) {
      if (e.queue == self || !e.footprint.ConflictsWith(footprint)) continue;
      const auto q = static_cast<std::size_t>(Index(e.queue));
      need[q] = std::max(need[q], e.clock[q]);
    }
    const auto compute = static_cast<std::size_t>(Index(Queue::kCompute));
    if (self != Queue::kCompute) {
      const Queue far = self == Queue::kLoad ? Queue::kStore : Queue::kLoad;
      const std::int64_t far_need = need[static_cast<std::size_t>(Index(far))];
      if (ClockOf(self)[static_cast<std::size_t>(Index(far))] < far_need) {
        TokenFrom(Queue::kCompute, far, far_need);
        Deps relay;
        SetPop(relay, Queue::kCompute, far);
        if (Pending(LinkOf(Queue::kCompute, self)) == 0) SetPush(relay, Queue::kCompute, self);
        const std::int64_t index = AppendSync(Queue::kCompute, relay);
        need[compute] =
            std::max(need[compute], emitted_[static_cast<std::size_t>(index)].clock[compute]);
      }
    }
    Deps deps;
    for (Queue from : Neighbours(self)) {
      const std::int64_t n = need[static_cast<std::size_t>(Index(from))];
      if (ClockOf(self)[static_cast<std::size_t>(Index(from))] >= n) continue;
      TokenFrom(self, from, n);
      SetPop(deps, self, from);
    }
    return deps;
  }

  // Random extra token traffic: pops of outstanding tokens and pushes while there is room.
  void Decorate(Queue self, Deps& deps) {
    for (Queue other : Neighbours(self)) {
      if (!Pops(deps, self, other) && Pending(LinkOf(other, self)) > 0 && rng_.Chance(10)) {
        SetPop(deps, self, other);
      }
      if (Pending(LinkOf(self, other)) < Depth() && rng_.Chance(8)) SetPush(deps, self, other);
    }
  }

  // Orders an operation after the conflicting instructions of other queues and appends it.
  void Emit(Instruction instruction) {
    Footprint footprint = SpecFootprint(instruction);
    const Queue queue = QueueOf(instruction);
    Deps deps = Acquire(queue, footprint);
    Decorate(queue, deps);
    SetDepsOf(instruction, deps);
    Append(std::move(instruction), std::move(footprint));
  }

  // ---- Memory initialization ------------------------------------------------------------------

  // Loads that together write every row of a window (so that nothing reads a row never written).
  template <typename T>
  void InitializeWindow(const Window& window, std::int64_t lane_limit, std::int64_t element,
                        const Region& region) {
    std::int64_t row = window.first;
    while (row < window.end()) {
      const std::int64_t left = window.end() - row;
      std::int64_t rows = rng_.Chance(50) ? left : rng_.Int(1, left);
      // A grid of ny × nx = rows (both at most 255).
      std::vector<std::int64_t> divisors;
      for (std::int64_t d = 1; d <= std::min<std::int64_t>(rows, 255); ++d) {
        if (rows % d == 0 && rows / d <= 255) divisors.push_back(d);
      }
      if (divisors.empty()) {
        rows = std::min<std::int64_t>(rows, 255);
        divisors.push_back(rows);
      }
      const std::int64_t nx = divisors[static_cast<std::size_t>(
          rng_.Int(0, static_cast<std::int64_t>(divisors.size()) - 1))];
      std::optional<LoadShape> s =
          RandomLoadShape(rows / nx, nx, lane_limit, element, region, true);
      if (!s) s = RandomLoadShape(rows / nx, nx, lane_limit, element, region, false);
      if (!s) Internal("the DRAM data area cannot hold a window initialization");
      T load = MakeLoad<T>(*s, row);
      if constexpr (std::is_same_v<T, LoadParam>) ApplyParamLoad(load);
      Emit(load);
      row += rows;
    }
  }

  void InitializeWindows() {
    InitializeWindow<LoadParam>(param_, cols_, 4, param_junk_);
    InitializeWindow<LoadAcc>(acc_, cols_, 4, data_);
    InitializeWindow<LoadSp>(sp_, rows_, 1, data_);
  }

  // ---- Descriptors -----------------------------------------------------------------------------

  std::int32_t RandomMultiplier() {
    const int kind = static_cast<int>(rng_.Int(0, 9));
    if (kind == 0) return Wrap32(U32(rng_.Int(0, 0xFFFFFFFF)));  // any int32, negative too
    if (kind == 1) return static_cast<std::int32_t>(rng_.Int(0, 1 << 16));
    return static_cast<std::int32_t>(rng_.Int(std::int64_t{1} << 30, (std::int64_t{1} << 31) - 1));
  }
  std::int32_t RandomShiftWord(std::int64_t max_rsh) {
    const std::int64_t lsh = rng_.Chance(70) ? 0 : rng_.Int(0, 31);
    std::int64_t rsh = rng_.Int(0, max_rsh);
    if (lsh - rsh > 30) rsh = lsh - 30;
    return static_cast<std::int32_t>(lsh | rsh << 8);
  }
  // Raw bytes qmin <= qmax in the given type.
  std::pair<std::int64_t, std::int64_t> RandomClamp(bool is_signed) {
    const std::int64_t lo = is_signed ? -128 : 0;
    const std::int64_t hi = is_signed ? 127 : 255;
    if (rng_.Chance(50)) return {lo & 0xFF, hi & 0xFF};
    std::int64_t a = rng_.Int(lo, hi);
    std::int64_t b = rng_.Int(lo, hi);
    if (a > b) std::swap(a, b);
    return {a & 0xFF, b & 0xFF};
  }

  // post: rows bias, multiplier, shifts, format (COLS words each).
  std::vector<std::int32_t> PostWords() {
    std::vector<std::int32_t> w(static_cast<std::size_t>(4 * cols_));
    for (std::int64_t c = 0; c < cols_; ++c) {
      const auto at = [&](std::int64_t row) { return static_cast<std::size_t>(row * cols_ + c); };
      w[at(0)] = rng_.Chance(80) ? static_cast<std::int32_t>(rng_.Int(-(1 << 20), 1 << 20))
                                 : Wrap32(U32(rng_.Int(0, 0xFFFFFFFF)));
      w[at(1)] = RandomMultiplier();
      w[at(2)] = RandomShiftWord(31);
      const bool is_signed = rng_.Chance(50);
      const auto [qmin, qmax] = RandomClamp(is_signed);
      w[at(3)] = Wrap32(
          U32(rng_.Int(0, 255) | qmin << 8 | qmax << 16 | std::int64_t{is_signed ? 1 : 0} << 24));
    }
    return w;
  }

  std::vector<std::int32_t> VaddWords() {
    std::vector<std::int32_t> w(8);
    const bool y_signed = rng_.Chance(50);
    w[0] = Wrap32(U32(rng_.Int(0, 0xFFFFFF) | std::int64_t{rng_.Chance(50) ? 1 : 0} << 24 |
                      std::int64_t{rng_.Chance(50) ? 1 : 0} << 25 |
                      std::int64_t{y_signed ? 1 : 0} << 26));
    const auto [qmin, qmax] = RandomClamp(y_signed);
    const std::int64_t left_shift = rng_.Chance(70) ? 20 : rng_.Int(0, 30);
    w[1] = Wrap32(U32(qmin | qmax << 8 | left_shift << 16));
    for (std::size_t k = 2; k < 8; k += 2) {
      w[k] = RandomMultiplier();
      w[k + 1] = RandomShiftWord(31);
    }
    return w;
  }

  std::vector<std::int32_t> PoolWords(bool count_include_pad, std::int64_t entries) {
    std::vector<std::int32_t> w(static_cast<std::size_t>(2 + 2 * entries));
    const bool is_signed = rng_.Chance(50);
    const auto [qmin, qmax] = RandomClamp(is_signed);
    w[0] = Wrap32(U32(rng_.Int(0, 0xFFFF) | qmin << 16 | qmax << 24));
    w[1] = (is_signed ? 1 : 0) | (count_include_pad ? 2 : 0);
    for (std::size_t e = 0; e < static_cast<std::size_t>(entries); ++e) {
      w[2 + 2 * e] = RandomMultiplier();
      w[3 + 2 * e] = RandomShiftWord(20);
    }
    return w;
  }

  // The largest pool table that fits the parameter window.
  std::int64_t MaxPoolEntries() const {
    return std::min<std::int64_t>(9, (param_.rows * cols_ - 2) / 2);
  }

  // Writes a new descriptor's words into fresh DRAM of the read-only area, laid out for a random
  // load shape, and returns that shape; nullopt when the area is used up.
  std::optional<LoadShape> WriteDescriptor(DescriptorKind kind) {
    std::vector<std::int32_t> words;
    bool shaped = false;  // post rows stay legal with padding and partial lanes (fill in 0..30)
    if (kind == DescriptorKind::kPost) {
      words = PostWords();
      shaped = true;
    } else if (kind == DescriptorKind::kVadd) {
      words = VaddWords();
    } else {
      const bool cip = rng_.Chance(30);
      words = PoolWords(cip, cip ? 1 : MaxPoolEntries());
    }
    const std::int64_t used = static_cast<std::int64_t>(words.size());
    const std::int64_t rows = CeilDiv(used, cols_);
    if (rows > param_.rows) return std::nullopt;
    while (static_cast<std::int64_t>(words.size()) < rows * cols_) {
      words.push_back(Wrap32(U32(rng_.Int(0, 0xFFFFFFFF))));
    }
    std::vector<std::int64_t> divisors;
    for (std::int64_t d = 1; d <= rows; ++d) {
      if (rows % d == 0) divisors.push_back(d);
    }
    LoadShape s;
    s.nx = divisors[static_cast<std::size_t>(
        rng_.Int(0, static_cast<std::int64_t>(divisors.size()) - 1))];
    s.ny = rows / s.nx;
    if (shaped && rng_.Chance(30)) {
      s.pad_top = rng_.Int(0, std::min<std::int64_t>(3, s.ny));
      s.pad_bottom = rng_.Int(0, std::min<std::int64_t>(3, s.ny - s.pad_top));
      s.pad_left = rng_.Int(0, std::min<std::int64_t>(3, s.nx));
      s.pad_right = rng_.Int(0, std::min<std::int64_t>(3, s.nx - s.pad_left));
    }
    const std::int64_t min_lanes = rows == 1 ? used : cols_;
    s.lanes = shaped && rng_.Chance(40) ? rng_.Int(1, cols_) : rng_.Int(min_lanes, cols_);
    s.fill = shaped ? rng_.Int(0, 30) : rng_.Int(0, 255);
    const std::int64_t iy = s.ny - s.pad_top - s.pad_bottom;
    const std::int64_t ix = s.nx - s.pad_left - s.pad_right;
    const Region fresh = iy == 0 || ix == 0 ? blob_ : Region{blob_next_, blob_.end};
    std::optional<Placement> p = Place(iy, ix, 4 * s.lanes, 4, fresh, false);
    if (!p) return std::nullopt;
    s.placement = *p;
    if (!p->range.empty()) blob_next_ = p->range.end;
    for (std::int64_t y = 0; y < iy; ++y) {
      for (std::int64_t x = 0; x < ix; ++x) {
        const std::int64_t row = (y + s.pad_top) * s.nx + x + s.pad_left;
        for (std::int64_t l = 0; l < s.lanes; ++l) {
          SetDramWord(p->dram + y * p->stride_y + x * p->stride_x + 4 * l,
                      words[static_cast<std::size_t>(row * cols_ + l)]);
        }
      }
    }
    return s;
  }

  // Loads a descriptor of `kind` into parameter rows: a new one, or once the DRAM area is used
  // up, one written before. Returns the first row, or nullopt when there is none.
  std::optional<std::int64_t> LoadDescriptor(DescriptorKind kind) {
    std::optional<LoadShape> s = WriteDescriptor(kind);
    if (s) {
      blobs_.push_back({kind, *s});
    } else {
      std::vector<LoadShape> same;
      for (const auto& [k, shape] : blobs_) {
        if (k == kind) same.push_back(shape);
      }
      if (same.empty()) return std::nullopt;
      s = same[static_cast<std::size_t>(rng_.Int(0, static_cast<std::int64_t>(same.size()) - 1))];
    }
    const std::int64_t first = rng_.Int(param_.first, param_.end() - s->ny * s->nx);
    const LoadParam load = MakeLoad<LoadParam>(*s, first);
    ApplyParamLoad(load);
    Emit(load);
    descriptors_.push_back({kind, first});
    return first;
  }

  std::int32_t Param(std::int64_t word) const {
    return shadow_param_[static_cast<std::size_t>(word)];
  }
  std::int64_t ParamWords() const { return arch_.param_rows * cols_; }

  bool PostOk(std::int64_t row, std::int64_t n_lanes) const {
    if (row + 4 > arch_.param_rows) return false;
    for (std::int64_t c = 0; c < n_lanes; ++c) {
      if (!ShiftWordOk(Param((row + 2) * cols_ + c))) return false;
      const auto format = static_cast<std::uint32_t>(Param((row + 3) * cols_ + c));
      if ((format >> 25) != 0 || !ClampOk(format >> 8, format >> 16, (format >> 24) & 1)) {
        return false;
      }
    }
    return true;
  }

  bool VaddOk(std::int64_t row) const {
    const std::int64_t b = row * cols_;
    if (b + 8 > ParamWords()) return false;
    const auto w0 = static_cast<std::uint32_t>(Param(b));
    const auto w1 = static_cast<std::uint32_t>(Param(b + 1));
    return (w0 >> 27) == 0 && (w1 >> 24) == 0 && ((w1 >> 16) & 0xFF) <= 30 &&
           ClampOk(w1, w1 >> 8, (w0 >> 26) & 1) && ShiftWordOk(Param(b + 3)) &&
           ShiftWordOk(Param(b + 5)) && ShiftWordOk(Param(b + 7));
  }

  // The words a pool descriptor at `row` occupies for a kh × kw window (0 when it is illegal).
  std::int64_t PoolWordsUsed(std::int64_t row, bool max, std::int64_t kh, std::int64_t kw) const {
    const std::int64_t b = row * cols_;
    if (b + 2 > ParamWords()) return 0;
    const auto w0 = static_cast<std::uint32_t>(Param(b));
    const auto w1 = static_cast<std::uint32_t>(Param(b + 1));
    if ((w1 >> 2) != 0 || !ClampOk(w0 >> 16, w0 >> 24, w1 & 1)) return 0;
    if (max) return 2;
    const std::int64_t entries = (w1 & 2) != 0 ? 1 : kh * kw;
    if (b + 2 + 2 * entries > ParamWords()) return 0;
    for (std::int64_t e = 0; e < entries; ++e) {
      if (!ShiftWordOk(Param(b + 3 + 2 * e))) return 0;
    }
    return 2 + 2 * entries;
  }

  // A parameter row holding a legal descriptor of `kind` (by `ok`), loading one when none does.
  std::optional<std::int64_t> FindDescriptor(DescriptorKind kind,
                                             const std::function<bool(std::int64_t)>& ok) {
    const auto count = static_cast<std::int64_t>(descriptors_.size());
    if (count > 0 && rng_.Chance(80)) {
      const std::int64_t start = rng_.Int(0, count - 1);
      for (std::int64_t k = 0; k < count; ++k) {
        const auto& [d_kind, row] = descriptors_[static_cast<std::size_t>((start + k) % count)];
        if (d_kind == kind && ok(row)) return row;
      }
    }
    const std::optional<std::int64_t> row = LoadDescriptor(kind);
    if (row && ok(*row)) return row;
    return std::nullopt;
  }

  // ---- Operations ------------------------------------------------------------------------------

  // Runs one random operation of an enabled class; false when no class is enabled.
  bool RandomOperation() {
    struct Choice {
      RandomClass cls;
      int weight;
      void (Generator::*op)();
    };
    static constexpr Choice kChoices[] = {
        {kRandomLoadSp, 3, &Generator::OpLoadSp},       {kRandomLoadAcc, 2, &Generator::OpLoadAcc},
        {kRandomLoadParam, 2, &Generator::OpLoadParam}, {kRandomStoreSp, 3, &Generator::OpStoreSp},
        {kRandomStoreAcc, 2, &Generator::OpStoreAcc},   {kRandomGemm, 4, &Generator::OpGemm},
        {kRandomPost, 3, &Generator::OpPost},           {kRandomVadd, 2, &Generator::OpVadd},
        {kRandomPool, 2, &Generator::OpPool},           {kRandomSync, 1, &Generator::OpSync},
    };
    int total = 0;
    for (const Choice& c : kChoices) {
      if ((options_.classes & c.cls) != 0) total += c.weight;
    }
    if (total == 0) return false;
    std::int64_t pick = rng_.Int(0, total - 1);
    for (const Choice& c : kChoices) {
      if ((options_.classes & c.cls) == 0) continue;
      if (pick < c.weight) {
        (this->*c.op)();
        return true;
      }
      pick -= c.weight;
    }
    return true;
  }

  template <typename T>
  void OpLoad(const Window& window, std::int64_t lane_limit, std::int64_t element,
              const Region& region) {
    const std::int64_t ny = rng_.Int(1, std::min<std::int64_t>(6, window.rows));
    const std::int64_t nx = rng_.Int(1, std::min<std::int64_t>(8, window.rows / ny));
    const std::optional<LoadShape> s = RandomLoadShape(ny, nx, lane_limit, element, region, true);
    if (!s) return;
    const std::int64_t sram = rng_.Int(window.first, window.end() - ny * nx);
    const T load = MakeLoad<T>(*s, sram);
    if constexpr (std::is_same_v<T, LoadParam>) ApplyParamLoad(load);
    Emit(load);
  }

  void OpLoadSp() { OpLoad<LoadSp>(sp_, rows_, 1, data_); }
  void OpLoadAcc() { OpLoad<LoadAcc>(acc_, cols_, 4, data_); }
  void OpLoadParam() {
    if (rng_.Chance(40)) {
      OpLoad<LoadParam>(param_, cols_, 4, param_junk_);
      return;
    }
    static constexpr DescriptorKind kKinds[] = {DescriptorKind::kPost, DescriptorKind::kVadd,
                                                DescriptorKind::kPool};
    LoadDescriptor(kKinds[rng_.Int(0, 2)]);
  }

  template <typename T>
  void OpStore(const Window& window, std::int64_t lane_limit, std::int64_t element) {
    const std::int64_t ny = rng_.Int(1, std::min<std::int64_t>(4, window.rows));
    const std::int64_t nx = rng_.Int(1, std::min<std::int64_t>(8, window.rows / ny));
    const std::int64_t lane0 = rng_.Chance(50) ? 0 : rng_.Int(0, lane_limit - 1);
    const std::int64_t lanes =
        lane0 == 0 && rng_.Chance(50) ? lane_limit : rng_.Int(1, lane_limit - lane0);
    const std::optional<Placement> p = Place(ny, nx, lanes * element, element, data_, true);
    if (!p) return;
    T store;
    store.sram = U32(rng_.Int(window.first, window.end() - ny * nx));
    store.dram = U32(p->dram);
    store.ny = U32(ny);
    store.nx = U32(nx);
    store.stride_y = U32(p->stride_y);
    store.stride_x = U32(p->stride_x);
    store.lanes = U32(lanes);
    store.lane0 = U32(lane0);
    if (stored_.end <= stored_.first) {
      stored_ = {p->range.first, p->range.end};
    } else {
      stored_ = {std::min(stored_.first, p->range.first), std::max(stored_.end, p->range.end)};
    }
    Emit(store);
  }

  void OpStoreSp() { OpStore<StoreSp>(sp_, rows_, 1); }
  void OpStoreAcc() { OpStore<StoreAcc>(acc_, cols_, 4); }

  void OpGemm() {
    Gemm g;
    g.preload = !weights_loaded_ || rng_.Chance(40);
    std::int64_t n_outer = rng_.Int(1, 4);
    const std::int64_t n_inner = rng_.Int(1, 8);
    std::int64_t act_outer = rng_.Chance(20) ? rng_.Int(0, 3) : rng_.Int(n_inner, n_inner + 4);
    std::int64_t act_inner = rng_.Chance(70) ? 1 : rng_.Int(0, 3);
    std::int64_t act_extent = (n_outer - 1) * act_outer + (n_inner - 1) * act_inner + 1;
    if (act_extent > sp_.rows) {
      act_outer = 0;
      act_inner = 0;
      act_extent = 1;
    }
    const std::int64_t acc_outer = n_outer > 1 ? rng_.Int(n_inner, n_inner + 4) : rng_.Int(0, 16);
    std::int64_t acc_extent = (n_outer - 1) * acc_outer + n_inner;
    if (acc_extent > acc_.rows) {
      n_outer = 1;
      acc_extent = n_inner;
      act_extent = (n_inner - 1) * act_inner + 1;
    }
    g.act = U32(rng_.Int(sp_.first, sp_.end() - act_extent));
    g.act_outer = U32(act_outer);
    g.act_inner = U32(act_inner);
    g.acc = U32(rng_.Int(acc_.first, acc_.end() - acc_extent));
    g.acc_outer = U32(acc_outer);
    g.n_outer = U32(n_outer);
    g.n_inner = U32(n_inner);
    g.w = g.preload ? U32(rng_.Int(sp_.first, sp_.end() - cols_)) : U32(rng_.Int(0, kMaxRowField));
    g.k_lanes = U32(rng_.Chance(50) ? rows_ : rng_.Int(1, rows_));
    g.n_lanes = U32(rng_.Chance(50) ? cols_ : rng_.Int(1, cols_));
    g.accumulate = rng_.Chance(50);
    g.act_signed = rng_.Chance(50);
    weights_loaded_ = true;
    Emit(g);
  }

  void OpPost() {
    Post p;
    const std::int64_t n = rng_.Int(1, 8);
    const std::int64_t n_lanes = rng_.Chance(50) ? cols_ : rng_.Int(1, cols_);
    const std::optional<std::int64_t> param = FindDescriptor(
        DescriptorKind::kPost, [&](std::int64_t row) { return PostOk(row, n_lanes); });
    if (!param) return;
    std::int64_t blocks = 1;
    if (cols_ > rows_) blocks = CeilDiv(n_lanes, rows_);
    if (cols_ < rows_) p.dst_lane = U32(cols_ * rng_.Int(0, rows_ / cols_ - 1));
    std::int64_t dst_stride = rng_.Chance(60) ? 1 : rng_.Int(0, 3);
    std::int64_t blk_stride = cols_ > rows_ ? rng_.Int(0, 2 * n + 2) : rng_.Int(0, 40);
    std::int64_t extent = (n - 1) * dst_stride + (blocks - 1) * blk_stride + 1;
    if (extent > sp_.rows) {
      dst_stride = 1;
      blk_stride = n;
      extent = n * blocks;
      if (extent > sp_.rows) return;
    }
    p.acc = U32(rng_.Int(acc_.first, acc_.end() - n));
    p.n = U32(n);
    p.dst = U32(rng_.Int(sp_.first, sp_.end() - extent));
    p.dst_stride = U32(dst_stride);
    p.blk_stride = U32(blk_stride);
    p.n_lanes = U32(n_lanes);
    p.param = U32(*param);
    p.single_rounding = rng_.Chance(50);
    Emit(p);
  }

  // A run of n rows in the scratchpad window that does not overlap [avoid, avoid + avoid_n).
  std::optional<std::int64_t> DisjointRows(std::int64_t n, std::int64_t avoid,
                                           std::int64_t avoid_n) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      const std::int64_t r = rng_.Int(sp_.first, sp_.end() - n);
      if (r + n <= avoid || avoid + avoid_n <= r) return r;
    }
    return std::nullopt;
  }

  void OpVadd() {
    Vadd v;
    const std::int64_t n = rng_.Int(1, 8);
    const std::optional<std::int64_t> param =
        FindDescriptor(DescriptorKind::kVadd, [&](std::int64_t row) { return VaddOk(row); });
    if (!param) return;
    const std::int64_t a = rng_.Int(sp_.first, sp_.end() - n);
    std::int64_t dst = a;
    if (rng_.Chance(70)) dst = DisjointRows(n, a, n).value_or(a);
    std::int64_t b = dst;
    if (rng_.Chance(80)) {
      const std::int64_t candidate = rng_.Int(sp_.first, sp_.end() - n);
      if (candidate + n <= dst || dst + n <= candidate) b = candidate;
    }
    v.a = U32(a);
    v.b = U32(b);
    v.dst = U32(dst);
    v.n = U32(n);
    v.param = U32(*param);
    v.single_rounding = rng_.Chance(50);
    Emit(v);
  }

  // How many outputs from 0 of a pooled dimension have a tap inside the input (at most limit).
  static std::int64_t ValidOutputs(std::int64_t in, std::int64_t k, std::int64_t stride,
                                   std::int64_t pad, std::int64_t dilation, std::int64_t limit) {
    std::int64_t count = 0;
    while (count < limit) {
      bool any = false;
      for (std::int64_t t = 0; t < k; ++t) {
        const std::int64_t i = count * stride - pad + t * dilation;
        any = any || (i >= 0 && i < in);
      }
      if (!any) break;
      ++count;
    }
    return count;
  }

  // One pooled dimension: input size, window, stride, padding, dilation and output size.
  struct PoolDim {
    std::int64_t in = 1, k = 1, stride = 1, pad = 0, dilation = 1, out = 1;
  };
  PoolDim RandomPoolDim(std::int64_t max_k) {
    PoolDim d;
    d.in = rng_.Int(1, 6);
    d.k = rng_.Int(1, max_k);
    d.stride = rng_.Chance(90) ? rng_.Int(1, 3) : rng_.Int(4, 15);
    d.dilation = rng_.Chance(70) ? 1 : rng_.Int(2, 3);
    d.pad = rng_.Chance(50) ? 0 : rng_.Int(0, std::min<std::int64_t>(15, (d.k - 1) * d.dilation));
    std::int64_t valid = ValidOutputs(d.in, d.k, d.stride, d.pad, d.dilation, 4);
    if (valid == 0) {
      d.pad = 0;
      valid = ValidOutputs(d.in, d.k, d.stride, d.pad, d.dilation, 4);
    }
    d.out = rng_.Int(1, valid);
    return d;
  }

  void OpPool() {
    Pool p;
    p.max = rng_.Chance(50);
    const std::int64_t max_k = MaxPoolEntries() >= 9 ? 3 : 1;
    const PoolDim h = RandomPoolDim(max_k);
    const PoolDim w = RandomPoolDim(max_k);
    std::int64_t words = 0;
    const std::optional<std::int64_t> param =
        FindDescriptor(DescriptorKind::kPool, [&](std::int64_t row) {
          words = PoolWordsUsed(row, p.max, h.k, w.k);
          return words > 0;
        });
    if (!param) return;
    const std::int64_t in_rows = h.in * w.in;
    const std::int64_t out_rows = h.out * w.out;
    if (in_rows + out_rows > sp_.rows) return;
    const std::int64_t src = rng_.Int(sp_.first, sp_.end() - in_rows);
    const std::optional<std::int64_t> dst = DisjointRows(out_rows, src, in_rows);
    if (!dst) return;
    p.src = U32(src);
    p.dst = U32(*dst);
    p.in_h = U32(h.in);
    p.in_w = U32(w.in);
    p.out_h = U32(h.out);
    p.out_w = U32(w.out);
    p.kh = U32(h.k);
    p.kw = U32(w.k);
    p.stride_h = U32(h.stride);
    p.stride_w = U32(w.stride);
    p.pad_top = U32(h.pad);
    p.pad_left = U32(w.pad);
    p.dil_h = U32(h.dilation);
    p.dil_w = U32(w.dilation);
    p.param = U32(*param);
    p.single_rounding = rng_.Chance(50);
    Emit(p);
  }

  void OpSync() {
    const auto queue = static_cast<Queue>(rng_.Int(0, 2));
    Deps deps;
    for (Queue other : Neighbours(queue)) {
      if (Pending(LinkOf(other, queue)) > 0 && rng_.Chance(50)) SetPop(deps, queue, other);
      if (Pending(LinkOf(queue, other)) < Depth() && rng_.Chance(50)) SetPush(deps, queue, other);
    }
    AppendSync(queue, deps);
  }

  // ---- Defects ---------------------------------------------------------------------------------

  // A random instruction (not the final finish) for which `eligible` holds; -1 when none does.
  std::int64_t PickInstruction(const std::function<bool(const Emitted&)>& eligible) {
    std::vector<std::int64_t> candidates;
    for (std::int64_t i = 0; i + 1 < Count(); ++i) {
      if (eligible(emitted_[static_cast<std::size_t>(i)])) candidates.push_back(i);
    }
    if (candidates.empty()) return -1;
    return candidates[static_cast<std::size_t>(
        rng_.Int(0, static_cast<std::int64_t>(candidates.size()) - 1))];
  }

  std::int64_t PickOrFail(const std::function<bool(const Emitted&)>& eligible) {
    const std::int64_t index = PickInstruction(eligible);
    if (index < 0) Internal("no instruction can carry the defect");
    return index;
  }

  static Range DramRange(const Emitted& e) {
    for (const std::vector<Range>* list : {&e.footprint.reads, &e.footprint.writes}) {
      for (const Range& r : *list) {
        if (r.memory == Memory::kDram) return r;
      }
    }
    return {};
  }

  // The row base fields whose move past the end of their memory makes the instruction touch a
  // row beyond it (every row from the base to base + extent − 1 is touched).
  std::vector<RowField> RowFields(Instruction& instruction) {
    std::vector<RowField> fields;
    const std::int64_t params_of_vadd = CeilDiv(8, cols_);
    std::visit(
        [&](auto& in) {
          using T = std::decay_t<decltype(in)>;
          if constexpr (std::is_same_v<T, LoadSp> || std::is_same_v<T, StoreSp>) {
            fields.push_back({&in.sram, std::int64_t{in.ny} * in.nx, Memory::kScratchpad, "sram"});
          } else if constexpr (std::is_same_v<T, LoadAcc> || std::is_same_v<T, StoreAcc>) {
            fields.push_back({&in.sram, std::int64_t{in.ny} * in.nx, Memory::kAccumulator, "sram"});
          } else if constexpr (std::is_same_v<T, LoadParam>) {
            fields.push_back({&in.sram, std::int64_t{in.ny} * in.nx, Memory::kParam, "sram"});
          } else if constexpr (std::is_same_v<T, Gemm>) {
            fields.push_back({&in.act,
                              std::int64_t{in.n_outer - 1} * in.act_outer +
                                  std::int64_t{in.n_inner - 1} * in.act_inner + 1,
                              Memory::kScratchpad, "act"});
            fields.push_back({&in.acc, std::int64_t{in.n_outer - 1} * in.acc_outer + in.n_inner,
                              Memory::kAccumulator, "acc"});
          } else if constexpr (std::is_same_v<T, Post>) {
            fields.push_back({&in.acc, in.n, Memory::kAccumulator, "acc"});
            fields.push_back({&in.param, 4, Memory::kParam, "param"});
          } else if constexpr (std::is_same_v<T, Vadd>) {
            fields.push_back({&in.a, in.n, Memory::kScratchpad, "a"});
            fields.push_back({&in.b, in.n, Memory::kScratchpad, "b"});
            fields.push_back({&in.param, params_of_vadd, Memory::kParam, "param"});
          } else if constexpr (std::is_same_v<T, Pool>) {
            fields.push_back(
                {&in.dst, std::int64_t{in.out_h} * in.out_w, Memory::kScratchpad, "dst"});
          }
        },
        instruction);
    std::erase_if(fields, [&](const RowField& f) {
      return MemoryRows(f.memory) - f.extent + 1 > kMaxRowField;
    });
    return fields;
  }

  std::int64_t MemoryRows(Memory memory) const {
    if (memory == Memory::kScratchpad) return ScratchpadRows();
    if (memory == Memory::kAccumulator) return AccumulatorRows();
    return arch_.param_rows;
  }

  // Field changes that make an instruction illegal (docs/isa.md, "require" lines), as
  // (description, change) pairs.
  using Corruption = std::pair<std::string, std::function<void()>>;
  std::vector<Corruption> Corruptions(Instruction& instruction) {
    std::vector<Corruption> list;
    const std::int64_t r = rows_;
    const std::int64_t c = cols_;
    std::visit(
        [&](auto& in) {
          using T = std::decay_t<decltype(in)>;
          if constexpr (std::is_same_v<T, LoadSp> || std::is_same_v<T, LoadAcc> ||
                        std::is_same_v<T, LoadParam>) {
            const std::int64_t lanes = std::is_same_v<T, LoadSp> ? r : c;
            list.push_back({"ny = 0", [&in] { in.ny = 0; }});
            list.push_back({"nx = 0", [&in] { in.nx = 0; }});
            list.push_back({"lanes = 0", [&in] { in.lanes = 0; }});
            list.push_back({"lanes = L + 1", [&in, lanes] { in.lanes = U32(lanes + 1); }});
            list.push_back({"pad_top + pad_bottom > ny", [&in] {
                              in.ny = 1;
                              in.pad_top = 1;
                              in.pad_bottom = 1;
                            }});
            list.push_back({"pad_left + pad_right > nx", [&in] {
                              in.nx = 2;
                              in.pad_left = 2;
                              in.pad_right = 1;
                            }});
          } else if constexpr (std::is_same_v<T, StoreSp> || std::is_same_v<T, StoreAcc>) {
            const std::int64_t lanes = std::is_same_v<T, StoreSp> ? r : c;
            list.push_back({"ny = 0", [&in] { in.ny = 0; }});
            list.push_back({"nx = 0", [&in] { in.nx = 0; }});
            list.push_back({"lanes = 0", [&in] { in.lanes = 0; }});
            list.push_back({"lane0 + lanes = L + 1",
                            [&in, lanes] { in.lane0 = U32(lanes + 1 - std::int64_t{in.lanes}); }});
          } else if constexpr (std::is_same_v<T, Gemm>) {
            list.push_back({"n_outer = 0", [&in] { in.n_outer = 0; }});
            list.push_back({"n_inner = 0", [&in] { in.n_inner = 0; }});
            list.push_back({"k_lanes = 0", [&in] { in.k_lanes = 0; }});
            list.push_back({"k_lanes = ROWS + 1", [&in, r] { in.k_lanes = U32(r + 1); }});
            list.push_back({"n_lanes = COLS + 1", [&in, c] { in.n_lanes = U32(c + 1); }});
            if (in.n_outer >= 2) {
              list.push_back({"acc_outer < n_inner", [&in] { in.acc_outer = in.n_inner - 1; }});
            }
          } else if constexpr (std::is_same_v<T, Post>) {
            list.push_back({"n = 0", [&in] { in.n = 0; }});
            list.push_back({"n_lanes = 0", [&in] { in.n_lanes = 0; }});
            list.push_back({"n_lanes = COLS + 1", [&in, c] { in.n_lanes = U32(c + 1); }});
            if (c >= r) {
              list.push_back({"dst_lane != 0 with COLS >= ROWS",
                              [&in, this] { in.dst_lane = U32(rng_.Int(1, 255)); }});
            } else {
              list.push_back({"dst_lane = ROWS", [&in, r] { in.dst_lane = U32(r); }});
            }
          } else if constexpr (std::is_same_v<T, Vadd>) {
            list.push_back({"n = 0", [&in] { in.n = 0; }});
            if (in.n >= 2 && in.a + 1 + in.n <= ScratchpadRows()) {
              list.push_back({"dst overlaps a in part", [&in] { in.dst = in.a + 1; }});
            }
          } else if constexpr (std::is_same_v<T, Pool>) {
            list.push_back({"in_h = 0", [&in] { in.in_h = 0; }});
            list.push_back({"kw = 0", [&in] { in.kw = 0; }});
            list.push_back({"stride_w = 0", [&in] { in.stride_w = 0; }});
            list.push_back({"dil_h = 0", [&in] { in.dil_h = 0; }});
            list.push_back({"out_w = 0", [&in] { in.out_w = 0; }});
            list.push_back({"dst = src", [&in] { in.dst = in.src; }});
            list.push_back({"an output window without taps (kh = 1, pad_top = 15)", [&in] {
                              in.kh = 1;
                              in.pad_top = 15;
                            }});
          } else if constexpr (std::is_same_v<T, Sync>) {
            list.push_back({"queue = 3", [&in] { in.queue = 3; }});
          }
        },
        instruction);
    return list;
  }

  // Before finish: adds what a defect needs (the construction of a deadlock; an instruction to
  // corrupt when the program has none that qualifies).
  void PrepareDefect(InjectedDefect& d) {
    switch (d.kind) {
      case DefectKind::kNone:
        return;
      case DefectKind::kMissingPush:
        PrepareMissingPush(d);
        return;
      case DefectKind::kDramOutOfBounds:
        if (PickInstruction([](const Emitted& e) { return !DramRange(e).empty(); }) < 0) {
          OpStoreSp();
        }
        return;
      case DefectKind::kRowOutOfBounds:
        if (PickInstruction([&](const Emitted& e) {
              Instruction copy = e.instruction;
              return !RowFields(copy).empty();
            }) < 0) {
          OpStoreSp();
        }
        return;
      default:
        return;  // the other kinds always find an instruction (every program starts with loads)
    }
  }

  // A balanced token link (every push popped); its last pop loses its push after finish is
  // added. Everything before that pop in program order still completes, so the pop ends at the
  // head of its queue waiting forever. A link already balanced puts the deadlock anywhere in the
  // program; otherwise syncs that pop the outstanding tokens balance one.
  void PrepareMissingPush(InjectedDefect& d) {
    std::vector<int> balanced;
    for (int l = 0; l < kNumLinks; ++l) {
      if (Pending(l) == 0 && !pops_[static_cast<std::size_t>(l)].empty()) balanced.push_back(l);
    }
    const int link = balanced.empty() ? static_cast<int>(rng_.Int(0, kNumLinks - 1))
                                      : balanced[static_cast<std::size_t>(rng_.Int(
                                            0, static_cast<std::int64_t>(balanced.size()) - 1))];
    const Queue from = LinkSource(link);
    const Queue to = LinkSink(link);
    while (Pending(link) > 0) {
      Deps drain;
      SetPop(drain, to, from);
      AppendSync(to, drain);
    }
    if (pops_[static_cast<std::size_t>(link)].empty()) {
      Deps push;
      SetPush(push, from, to);
      AppendSync(from, push);
      Deps pop;
      SetPop(pop, to, from);
      AppendSync(to, pop);
    }
    const auto l = static_cast<std::size_t>(link);
    missing_push_link_ = link;
    d.instruction = pops_[l].back();
  }

  // A pop in one queue whose push comes after more instructions of that queue than it holds.
  void PrepareQueueCapacity(InjectedDefect& d) {
    const int link = static_cast<int>(rng_.Int(0, kNumLinks - 1));
    const Queue from = LinkSource(link);
    const Queue to = LinkSink(link);
    while (Pending(link) > 0) {
      Deps drain;
      SetPop(drain, to, from);
      AppendSync(to, drain);
    }
    Deps pop;
    SetPop(pop, to, from);
    d.instruction = AppendSync(to, pop, false);
    for (int k = 0; k < arch_.instruction_queue_depth + 2; ++k) AppendSync(to, {});
    Deps push;
    SetPush(push, from, to);
    const std::int64_t pusher = AppendSync(from, push, false);
    d.description =
        "instruction " + std::to_string(d.instruction) + " (sync, " + std::string(QueueName(to)) +
        " queue) pops a token that instruction " + std::to_string(pusher) + " pushes after " +
        std::to_string(arch_.instruction_queue_depth + 2) + " more instructions of that queue";
  }

  std::string Label(std::int64_t index) const {
    return "instruction " + std::to_string(index) + " (" +
           std::string(MnemonicOf(emitted_[static_cast<std::size_t>(index)].instruction)) + ")";
  }

  // Defects made by changing fields of the instruction structs (after finish is appended).
  void ApplyFieldDefect(InjectedDefect& d) {
    switch (d.kind) {
      case DefectKind::kMissingPush: {
        const auto l = static_cast<std::size_t>(missing_push_link_);
        const std::int64_t pusher = pushes_[l][pops_[l].size() - 1];
        Emitted& e = emitted_[static_cast<std::size_t>(pusher)];
        Deps deps = DepsOf(e.instruction);
        const Queue to = LinkSink(missing_push_link_);
        (to < e.queue ? deps.push_prev : deps.push_next) = false;
        SetDepsOf(e.instruction, deps);
        d.description =
            Label(pusher) + " no longer pushes the token " + Label(d.instruction) + " pops";
        return;
      }
      case DefectKind::kBadTokenFlag: {
        d.instruction =
            PickInstruction([](const Emitted& e) { return e.queue != Queue::kCompute; });
        Emitted& e = emitted_[static_cast<std::size_t>(d.instruction)];
        Deps deps = DepsOf(e.instruction);
        const bool pop = rng_.Chance(50);
        if (e.queue == Queue::kLoad) {
          (pop ? deps.pop_prev : deps.push_prev) = true;
        } else {
          (pop ? deps.pop_next : deps.push_next) = true;
        }
        SetDepsOf(e.instruction, deps);
        d.description = Label(d.instruction) + " in the " + std::string(QueueName(e.queue)) +
                        " queue has " +
                        (e.queue == Queue::kLoad ? (pop ? "pop_prev" : "push_prev")
                                                 : (pop ? "pop_next" : "push_next"));
        return;
      }
      case DefectKind::kDramOutOfBounds: {
        d.instruction = PickOrFail([](const Emitted& e) { return !DramRange(e).empty(); });
        Emitted& e = emitted_[static_cast<std::size_t>(d.instruction)];
        const Range range = DramRange(e);
        const std::int64_t span = range.end - range.first;
        const std::int64_t size = static_cast<std::int64_t>(dram_.size());
        const std::int64_t dram =
            rng_.Chance(70) ? size - span + rng_.Int(1, span) : 0xFFFFFFFF - rng_.Int(0, 15);
        std::visit(
            [&](auto& in) {
              if constexpr (requires { in.dram; }) in.dram = U32(dram);
            },
            e.instruction);
        d.description = Label(d.instruction) + ": dram = " + std::to_string(dram) + " (" +
                        std::to_string(span) + " bytes from there; DRAM of " +
                        std::to_string(size) + " bytes)";
        return;
      }
      case DefectKind::kRowOutOfBounds: {
        d.instruction = PickOrFail([&](const Emitted& e) {
          Instruction copy = e.instruction;
          return !RowFields(copy).empty();
        });
        Emitted& e = emitted_[static_cast<std::size_t>(d.instruction)];
        std::vector<RowField> fields = RowFields(e.instruction);
        RowField& f = fields[static_cast<std::size_t>(
            rng_.Int(0, static_cast<std::int64_t>(fields.size()) - 1))];
        const std::int64_t rows = MemoryRows(f.memory);
        const std::int64_t base =
            rows - f.extent + rng_.Int(1, std::min(f.extent, kMaxRowField - rows + f.extent));
        *f.field = U32(base);
        d.description = Label(d.instruction) + ": " + f.name + " = " + std::to_string(base) +
                        " with " + std::to_string(f.extent) + " rows from there; " +
                        std::string(MemoryName(f.memory)) + " of " + std::to_string(rows) + " rows";
        return;
      }
      case DefectKind::kIllegalField: {
        d.instruction = PickOrFail([&](const Emitted& e) {
          Instruction copy = e.instruction;
          return !Corruptions(copy).empty();
        });
        Emitted& e = emitted_[static_cast<std::size_t>(d.instruction)];
        std::vector<Corruption> list = Corruptions(e.instruction);
        Corruption& pick =
            list[static_cast<std::size_t>(rng_.Int(0, static_cast<std::int64_t>(list.size()) - 1))];
        pick.second();
        d.description = Label(d.instruction) + ": " + pick.first;
        return;
      }
      default:
        return;
    }
  }

  // Defects made on the encoded words.
  void ApplyWordDefect(InjectedDefect& d, std::vector<Word>& words) {
    if (d.kind == DefectKind::kIllegalOpcode) {
      d.instruction = PickOrFail([](const Emitted&) { return true; });
      static constexpr std::uint64_t kIllegal[] = {0, 12, 13, 14, 15};
      const std::uint64_t opcode = kIllegal[rng_.Int(0, 4)];
      SetBits(words[static_cast<std::size_t>(d.instruction)], kOpcodeLsb, kOpcodeBits, opcode);
      d.description = Label(d.instruction) + ": opcode set to " + std::to_string(opcode);
    } else if (d.kind == DefectKind::kReservedBit) {
      // Any instruction but the three loads (which use all 128 bits); finish always qualifies.
      d.instruction = PickInstruction([](const Emitted& e) {
        return isa::FindOp(static_cast<std::uint64_t>(std::visit(
                               [](const auto& in) { return std::decay_t<decltype(in)>::kOpcode; },
                               e.instruction)))
                   ->used_bits < kInstructionBits;
      });
      if (d.instruction < 0) d.instruction = Count() - 1;
      const Word& w = words[static_cast<std::size_t>(d.instruction)];
      const int used = isa::FindOp(OpcodeOf(w))->used_bits;
      const int bit = static_cast<int>(rng_.Int(used, kInstructionBits - 1));
      SetBits(words[static_cast<std::size_t>(d.instruction)], bit, 1, 1);
      d.description = Label(d.instruction) + ": reserved bit " + std::to_string(bit) + " set";
    }
  }

  const isa::ArchConfig& arch_;
  Rng rng_;
  RandomProgramOptions options_;
  std::int64_t rows_;
  std::int64_t cols_;

  Window sp_, acc_, param_;
  Region param_junk_, blob_, data_;
  std::int64_t blob_next_ = 0;
  std::vector<std::uint8_t> dram_;
  std::int64_t image_size_ = 0;
  std::vector<std::int32_t> shadow_param_;
  std::vector<std::pair<DescriptorKind, std::int64_t>> descriptors_;  // kind, parameter row
  std::vector<std::pair<DescriptorKind, LoadShape>> blobs_;           // kind, DRAM layout
  bool weights_loaded_ = false;
  Region stored_;

  std::vector<Emitted> emitted_;
  std::array<std::int64_t, kNumQueues> queue_counts_{};
  std::array<std::int64_t, kNumQueues> last_in_queue_{-1, -1, -1};
  std::array<std::vector<std::int64_t>, kNumLinks> pushes_;
  std::array<std::int64_t, kNumLinks> popped_{};
  std::array<std::vector<std::int64_t>, kNumLinks> pops_;
  int missing_push_link_ = 0;
};

}  // namespace

constexpr auto kDefectKindNames = base::MakeEnumNames<DefectKind>({
    {DefectKind::kNone, "none"},
    {DefectKind::kIllegalOpcode, "illegal-opcode"},
    {DefectKind::kReservedBit, "reserved-bit"},
    {DefectKind::kBadTokenFlag, "bad-token-flag"},
    {DefectKind::kDramOutOfBounds, "dram-out-of-bounds"},
    {DefectKind::kRowOutOfBounds, "row-out-of-bounds"},
    {DefectKind::kIllegalField, "illegal-field"},
    {DefectKind::kMissingPush, "missing-push"},
    {DefectKind::kQueueCapacity, "queue-capacity"},
});

std::string_view DefectKindName(DefectKind kind) { return kDefectKindNames.Name(kind); }

bool IsDeadlockDefect(DefectKind kind) {
  return kind == DefectKind::kMissingPush || kind == DefectKind::kQueueCapacity;
}

isa::Program GenerateRandomProgram(const isa::ArchConfig& arch, std::uint64_t seed,
                                   const RandomProgramOptions& options, InjectedDefect* defect) {
  Generator generator(arch, seed, options);
  return generator.Generate(defect);
}

}  // namespace qsa::testkit
