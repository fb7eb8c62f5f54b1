// The data-path semantics of each instruction (docs/isa.md, "Semantics" and "Counters").
//
// Every instruction first checks its field values and every address it will touch, then executes;
// a failing instruction therefore changes nothing (state, counters, write records). The loops
// follow the pseudo-code of docs/isa.md line by line.
#include "model/isa/executor.h"

#include <algorithm>
#include <limits>
#include <string>

#include "model/base/error.h"
#include "model/base/fnv.h"
#include "model/base/hex.h"
#include "model/golden/quant.h"

namespace qsa::isa {
namespace {

std::int32_t Sat32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(
      v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}

// Two's complement wrap modulo 2^32.
std::int32_t Wrap32(std::int64_t v) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}

// Byte `k` (0 = lowest) of a word, and the value of a byte as int8 when `is_signed`, else uint8.
std::uint32_t ByteOf(std::int32_t word, int k) {
  return (static_cast<std::uint32_t>(word) >> (8 * k)) & 0xFFu;
}
std::int32_t AsValue(std::uint32_t byte, bool is_signed) {
  const auto u = static_cast<std::uint8_t>(byte);
  return is_signed ? std::int32_t{static_cast<std::int8_t>(u)} : std::int32_t{u};
}
bool BitOf(std::int32_t word, int bit) {
  return ((static_cast<std::uint32_t>(word) >> bit) & 1u) != 0;
}

// A fixed-point scaler read from the parameter buffer: multiplier m and the shifts of the word
// `lsh | rsh << 8` (its upper 16 bits are ignored).
struct Scaler {
  std::int32_t m = 0;
  int lsh = 0;
  int rsh = 0;
};

Scaler ReadScaler(std::int32_t m, std::int32_t shifts) {
  return Scaler{m, static_cast<int>(ByteOf(shifts, 0)), static_cast<int>(ByteOf(shifts, 1))};
}

// Rq(x, m, lsh, rsh, single_rounding) of docs/isa.md. Two roundings:
// RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(sat32(x · 2^lsh), m), rsh); one rounding:
// MultiplyByQuantizedMultiplierSingleRounding(x, {m, lsh − rsh}). Requires lsh, rsh in [0, 31]
// and, in single rounding, lsh − rsh in [−31, 30] (CheckScaler); x · 2^lsh is exact in 64 bits.
std::int32_t Rq(std::int32_t x, const Scaler& s, bool single_rounding) {
  if (single_rounding) {
    return golden::MultiplyByQuantizedMultiplierSingleRounding(x, {s.m, s.lsh - s.rsh});
  }
  const std::int32_t shifted = Sat32(std::int64_t{x} * (std::int64_t{1} << s.lsh));
  return golden::RoundingDivideByPOT(golden::SaturatingRoundingDoublingHighMul(shifted, s.m),
                                     s.rsh);
}

// The instruction being executed, for messages: "instruction 12 (load.sp)".
struct Where {
  std::int64_t index = 0;
  std::string_view mnemonic;
  std::string Label() const {
    return "instruction " + std::to_string(index) + " (" + std::string(mnemonic) + ")";
  }
};

[[noreturn]] void Illegal(const Where& at, const std::string& what) {
  throw Error(at.Label() + ": " + what);
}

// A scaler's shifts must be at most 31 and, in single rounding, lsh − rsh in [−31, 30].
void CheckScaler(const Where& at, const Scaler& s, bool single_rounding, const std::string& what) {
  if (s.lsh > 31 || s.rsh > 31) {
    Illegal(at, what + " has shifts lsh = " + std::to_string(s.lsh) +
                    ", rsh = " + std::to_string(s.rsh) + "; each must be at most 31");
  }
  const int shift = s.lsh - s.rsh;
  if (single_rounding && (shift < -31 || shift > 30)) {
    Illegal(at, what + " has lsh - rsh = " + std::to_string(shift) +
                    ", outside [-31, 30] in single rounding");
  }
}

// The memories' sizes in the unit their addresses use: bytes for DRAM, rows on chip.
std::int64_t RowsOf(const IsaState& s, Memory memory) {
  switch (memory) {
    case Memory::kDram:
      return static_cast<std::int64_t>(s.dram.size());
    case Memory::kScratchpad:
      return static_cast<std::int64_t>(s.scratchpad.size()) / s.arch.rows;
    case Memory::kAccumulator:
      return static_cast<std::int64_t>(s.accumulator.size()) / s.arch.cols;
    case Memory::kParam:
      return static_cast<std::int64_t>(s.param.size()) / s.arch.cols;
  }
  return 0;
}

// Elements per row of a memory (1 for DRAM, whose addresses are bytes).
std::int64_t LanesOf(const IsaState& s, Memory memory) {
  switch (memory) {
    case Memory::kDram:
      return 1;
    case Memory::kScratchpad:
      return s.arch.rows;
    case Memory::kAccumulator:
    case Memory::kParam:
      return s.arch.cols;
  }
  return 1;
}

// Bytes of one element.
int ElementBytes(Memory memory) {
  return memory == Memory::kDram || memory == Memory::kScratchpad ? 1 : 4;
}

// Throws unless [lo, hi) (bytes for DRAM, rows otherwise) lies inside the memory.
void CheckAccess(const IsaState& s, const Where& at, Memory memory, bool write, std::int64_t lo,
                 std::int64_t hi) {
  const std::int64_t bound = RowsOf(s, memory);
  if (lo >= 0 && hi <= bound) return;
  const std::string kind = write ? " write " : " read ";
  if (memory == Memory::kDram) {
    Illegal(at, "DRAM" + kind + "[" + base::HexPrefixed(static_cast<std::uint64_t>(lo)) + ", " +
                    base::HexPrefixed(static_cast<std::uint64_t>(hi)) +
                    ") is outside the program's DRAM of " + std::to_string(bound) + " bytes");
  }
  const std::string name(MemoryName(memory));
  Illegal(at, name + kind + "rows [" + std::to_string(lo) + ", " + std::to_string(hi) +
                  ") is outside the " + name + " of " + std::to_string(bound) + " rows");
}

MemoryTraffic& TrafficOf(IsaCounters& c, Memory memory) {
  switch (memory) {
    case Memory::kDram:
      return c.dram;
    case Memory::kScratchpad:
      return c.scratchpad;
    case Memory::kAccumulator:
      return c.accumulator;
    case Memory::kParam:
      return c.param;
  }
  return c.dram;
}

// Element `e` of a memory (a byte for DRAM and the scratchpad, an int32 otherwise), read and
// written as int32 (bytes as uint8; writes keep the low 8 bits of a byte element).
std::int32_t GetElement(const IsaState& s, Memory memory, std::int64_t e) {
  const auto i = static_cast<std::size_t>(e);
  switch (memory) {
    case Memory::kDram:
      return s.dram[i];
    case Memory::kScratchpad:
      return s.scratchpad[i];
    case Memory::kAccumulator:
      return s.accumulator[i];
    case Memory::kParam:
      return s.param[i];
  }
  return 0;
}

void SetElement(IsaState& s, Memory memory, std::int64_t e, std::int32_t v) {
  const auto i = static_cast<std::size_t>(e);
  switch (memory) {
    case Memory::kDram:
      s.dram[i] = static_cast<std::uint8_t>(ByteOf(v, 0));
      return;
    case Memory::kScratchpad:
      s.scratchpad[i] = static_cast<std::uint8_t>(ByteOf(v, 0));
      return;
    case Memory::kAccumulator:
      s.accumulator[i] = v;
      return;
    case Memory::kParam:
      s.param[i] = v;
      return;
  }
}

// The little-endian int32 at DRAM byte address a.
std::int32_t Dram32(const IsaState& s, std::int64_t a) {
  std::uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = (v << 8) | s.dram[static_cast<std::size_t>(a + k)];
  return static_cast<std::int32_t>(v);
}

// FNV-1a 64 of (address as 8 little-endian bytes, value as its `bytes` little-endian bytes).
std::uint64_t ElementHash(std::int64_t address, std::int32_t value, int bytes) {
  const std::uint64_t h =
      base::Fnv1a64(base::kFnv1a64Offset, static_cast<std::uint64_t>(address), 8);
  return base::Fnv1a64(h, static_cast<std::uint32_t>(value), bytes);
}

// Collects the element addresses one instruction writes to one memory and turns them into a
// WriteRecord once the instruction is done (so the hash sees the final values).
class WriteLog {
 public:
  WriteLog(IsaState& state, Memory memory, bool enabled)
      : state_(state), memory_(memory), enabled_(enabled) {}

  void Write(std::int64_t element, std::int32_t value) {
    SetElement(state_, memory_, element, value);
    if (enabled_) elements_.push_back(element);
  }

  void AppendTo(std::vector<WriteRecord>* writes, std::int64_t index) {
    if (writes == nullptr || elements_.empty()) return;
    std::sort(elements_.begin(), elements_.end());
    elements_.erase(std::unique(elements_.begin(), elements_.end()), elements_.end());
    const std::int64_t lanes = LanesOf(state_, memory_);
    WriteRecord r;
    r.instruction = index;
    r.memory = memory_;
    r.first = elements_.front() / lanes;
    r.extent = elements_.back() / lanes - r.first + 1;
    for (std::int64_t e : elements_) {
      r.hash += ElementHash(e, GetElement(state_, memory_, e), ElementBytes(memory_));
    }
    writes->push_back(r);
  }

 private:
  IsaState& state_;
  Memory memory_;
  bool enabled_;
  std::vector<std::int64_t> elements_;
};

// Runs one instruction; one overload per instruction type.
class Executor {
 public:
  Executor(IsaState& state, std::int64_t index, IsaCounters& counters,
           std::vector<WriteRecord>* writes)
      : s_(state), index_(index), counters_(counters), writes_(writes) {}

  void operator()(const LoadSp& in) { Load(in, Memory::kScratchpad); }
  void operator()(const LoadAcc& in) { Load(in, Memory::kAccumulator); }
  void operator()(const LoadParam& in) { Load(in, Memory::kParam); }
  void operator()(const StoreSp& in) { Store(in, Memory::kScratchpad); }
  void operator()(const StoreAcc& in) { Store(in, Memory::kAccumulator); }
  void operator()(const Gemm& in);
  void operator()(const Post& in);
  void operator()(const Vadd& in);
  void operator()(const Pool& in);
  void operator()(const Sync&) {}
  void operator()(const Finish&) {}

 private:
  template <typename T>
  Where At(const T&) const {
    return Where{index_, T::kMnemonic};
  }
  std::int64_t Rows() const { return s_.arch.rows; }
  std::int64_t Cols() const { return s_.arch.cols; }
  WriteLog Log(Memory memory) { return WriteLog(s_, memory, writes_ != nullptr); }
  std::int32_t ParamWord(std::int64_t word) const {
    return s_.param[static_cast<std::size_t>(word)];
  }
  // Checks that parameter words [first, first + count) exist ("read rows [p, q)").
  void CheckParamWords(const Where& at, std::int64_t first, std::int64_t count) const {
    CheckAccess(s_, at, Memory::kParam, false, first / Cols(),
                (first + count + Cols() - 1) / Cols());
  }

  template <typename T>
  void Load(const T& in, Memory memory);
  template <typename T>
  void Store(const T& in, Memory memory);

  IsaState& s_;
  std::int64_t index_;
  IsaCounters& counters_;
  std::vector<WriteRecord>* writes_;
};

template <typename T>
void Executor::Load(const T& in, Memory memory) {
  const Where at = At(in);
  const bool sp = memory == Memory::kScratchpad;
  const std::int64_t lanes_max = LanesOf(s_, memory);
  const std::int64_t esize = ElementBytes(memory);
  const std::int64_t inner_y = in.ny - in.pad_top - in.pad_bottom;
  const std::int64_t inner_x = in.nx - in.pad_left - in.pad_right;
  const std::int64_t rows = std::int64_t{in.ny} * in.nx;
  const std::int64_t dram = in.dram;
  if (inner_y > 0 && inner_x > 0) {
    const std::int64_t last = dram + (inner_y - 1) * in.stride_y + (inner_x - 1) * in.stride_x;
    CheckAccess(s_, at, Memory::kDram, false, dram, last + in.lanes * esize);
  }
  CheckAccess(s_, at, memory, true, in.sram, in.sram + rows);

  // load.sp fills with the byte; load.acc / load.param with s8(fill) sign-extended.
  const std::int32_t fill = sp ? static_cast<std::int32_t>(in.fill) : AsValue(in.fill, true);
  WriteLog log = Log(memory);
  for (std::int64_t y = 0; y < in.ny; ++y) {
    for (std::int64_t x = 0; x < in.nx; ++x) {
      const std::int64_t row = in.sram + y * in.nx + x;
      const bool inside = y >= in.pad_top && y < in.ny - in.pad_bottom && x >= in.pad_left &&
                          x < in.nx - in.pad_right;
      const std::int64_t a =
          dram + (y - in.pad_top) * in.stride_y + (x - in.pad_left) * in.stride_x;
      for (std::int64_t l = 0; l < lanes_max; ++l) {
        std::int32_t v = fill;
        if (inside && l < in.lanes)
          v = sp ? s_.dram[static_cast<std::size_t>(a + l)] : Dram32(s_, a + 4 * l);
        log.Write(row * lanes_max + l, v);
      }
    }
  }
  log.AppendTo(writes_, index_);
  counters_.dram.bytes_read += inner_y * inner_x * in.lanes * esize;
  TrafficOf(counters_, memory).bytes_written += rows * lanes_max * esize;
}

template <typename T>
void Executor::Store(const T& in, Memory memory) {
  const Where at = At(in);
  const std::int64_t lanes_max = LanesOf(s_, memory);
  const std::int64_t esize = ElementBytes(memory);
  const std::int64_t rows = std::int64_t{in.ny} * in.nx;
  const std::int64_t dram = in.dram;
  CheckAccess(s_, at, memory, false, in.sram, in.sram + rows);
  const std::int64_t last =
      dram + (in.ny - 1) * std::int64_t{in.stride_y} + (in.nx - 1) * std::int64_t{in.stride_x};
  CheckAccess(s_, at, Memory::kDram, true, dram, last + in.lanes * esize);

  WriteLog log = Log(Memory::kDram);
  for (std::int64_t y = 0; y < in.ny; ++y) {
    for (std::int64_t x = 0; x < in.nx; ++x) {
      const std::int64_t row = in.sram + y * in.nx + x;
      const std::int64_t a = dram + y * in.stride_y + x * in.stride_x;
      for (std::int64_t l = 0; l < in.lanes; ++l) {
        const std::int32_t v = GetElement(s_, memory, row * lanes_max + in.lane0 + l);
        for (std::int64_t k = 0; k < esize; ++k) {
          log.Write(a + esize * l + k, static_cast<std::int32_t>(ByteOf(v, static_cast<int>(k))));
        }
      }
    }
  }
  log.AppendTo(writes_, index_);
  TrafficOf(counters_, memory).bytes_read += rows * lanes_max * esize;
  counters_.dram.bytes_written += rows * in.lanes * esize;
}

void Executor::operator()(const Gemm& in) {
  const Where at = At(in);
  const std::int64_t n_outer = in.n_outer, n_inner = in.n_inner;
  if (in.preload) CheckAccess(s_, at, Memory::kScratchpad, false, in.w, in.w + Cols());
  const std::int64_t last_act =
      in.act + (n_outer - 1) * std::int64_t{in.act_outer} + (n_inner - 1) * in.act_inner;
  CheckAccess(s_, at, Memory::kScratchpad, false, in.act, last_act + 1);
  const std::int64_t last_acc = in.acc + (n_outer - 1) * std::int64_t{in.acc_outer} + n_inner - 1;
  CheckAccess(s_, at, Memory::kAccumulator, true, in.acc, last_acc + 1);

  const std::int64_t rows = Rows(), cols = Cols();
  if (in.preload) {
    for (std::int64_t c = 0; c < cols; ++c) {
      for (std::int64_t r = 0; r < rows; ++r) {
        s_.weights[static_cast<std::size_t>(c * rows + r)] = static_cast<std::int8_t>(
            s_.scratchpad[static_cast<std::size_t>((in.w + c) * rows + r)]);
      }
    }
  }
  WriteLog log = Log(Memory::kAccumulator);
  std::vector<std::int32_t> x(static_cast<std::size_t>(rows));  // one activation row, as values
  for (std::int64_t i = 0; i < n_outer; ++i) {
    for (std::int64_t j = 0; j < n_inner; ++j) {
      const std::int64_t a = in.act + i * in.act_outer + j * in.act_inner;
      const std::int64_t out = in.acc + i * in.acc_outer + j;
      const std::uint8_t* act_row = &s_.scratchpad[static_cast<std::size_t>(a * rows)];
      for (std::int64_t r = 0; r < rows; ++r) {
        x[static_cast<std::size_t>(r)] = AsValue(act_row[r], in.act_signed);
      }
      for (std::int64_t c = 0; c < cols; ++c) {
        const std::int8_t* w = &s_.weights[static_cast<std::size_t>(c * rows)];
        std::int32_t sum = 0;  // |sum| <= ROWS · 255 · 128 < 2^23 for ROWS <= 128: exact
        for (std::int64_t r = 0; r < rows; ++r) sum += x[static_cast<std::size_t>(r)] * w[r];
        const std::int64_t e = out * cols + c;
        const std::int32_t old = s_.accumulator[static_cast<std::size_t>(e)];
        log.Write(e, in.accumulate ? Wrap32(std::int64_t{old} + sum) : sum);
      }
    }
  }
  log.AppendTo(writes_, index_);
  const std::int64_t streamed = n_outer * n_inner;
  counters_.macs_issued += streamed * rows * cols;
  counters_.macs_useful += streamed * in.k_lanes * in.n_lanes;
  counters_.scratchpad.bytes_read += (streamed + (in.preload ? cols : 0)) * rows;
  counters_.accumulator.bytes_written += streamed * 4 * cols;
  if (in.accumulate) counters_.accumulator.bytes_read += streamed * 4 * cols;
}

void Executor::operator()(const Post& in) {
  const Where at = At(in);
  const std::int64_t rows = Rows(), cols = Cols();
  const std::int64_t n = in.n;
  CheckAccess(s_, at, Memory::kAccumulator, false, in.acc, in.acc + n);
  CheckAccess(s_, at, Memory::kParam, false, in.param, in.param + 4);
  const std::int64_t last_block = (in.dst_lane + in.n_lanes - 1) / rows;
  const std::int64_t last_dst =
      in.dst + (n - 1) * std::int64_t{in.dst_stride} + last_block * in.blk_stride;
  CheckAccess(s_, at, Memory::kScratchpad, true, in.dst, last_dst + 1);

  // Per-lane parameters: bias, multiplier, shifts, output format.
  struct Lane {
    std::int32_t bias;
    Scaler scaler;
    std::int32_t zp, qmin, qmax;
  };
  std::vector<Lane> lanes;
  for (std::int64_t c = 0; c < in.n_lanes; ++c) {
    const std::int64_t word = in.param * cols + c;
    const std::int32_t format = ParamWord(word + 3 * cols);
    const bool is_signed = BitOf(format, 24);
    const Lane lane{ParamWord(word), ReadScaler(ParamWord(word + cols), ParamWord(word + 2 * cols)),
                    AsValue(ByteOf(format, 0), is_signed), AsValue(ByteOf(format, 1), is_signed),
                    AsValue(ByteOf(format, 2), is_signed)};
    CheckScaler(
        at, lane.scaler, in.single_rounding,
        "lane " + std::to_string(c) + " (parameter row " + std::to_string(in.param + 2) + ")");
    lanes.push_back(lane);
  }

  WriteLog log = Log(Memory::kScratchpad);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t c = 0; c < in.n_lanes; ++c) {
      const Lane& p = lanes[static_cast<std::size_t>(c)];
      const std::int32_t acc = s_.accumulator[static_cast<std::size_t>((in.acc + i) * cols + c)];
      const std::int32_t v = Wrap32(std::int64_t{acc} + p.bias);
      std::int64_t y = std::int64_t{Rq(v, p.scaler, in.single_rounding)} + p.zp;
      y = std::min<std::int64_t>(std::max<std::int64_t>(y, p.qmin), p.qmax);
      const std::int64_t g = in.dst_lane + c;
      const std::int64_t row = in.dst + i * in.dst_stride + (g / rows) * in.blk_stride;
      log.Write(row * rows + g % rows, static_cast<std::int32_t>(y));
    }
  }
  log.AppendTo(writes_, index_);
  counters_.accumulator.bytes_read += n * 4 * cols;
  counters_.scratchpad.bytes_written += n * in.n_lanes;
  counters_.param.bytes_read += 16 * cols;
}

void Executor::operator()(const Vadd& in) {
  const Where at = At(in);
  const std::int64_t n = in.n;
  const std::int64_t word = std::int64_t{in.param} * Cols();
  CheckParamWords(at, word, 8);
  CheckAccess(s_, at, Memory::kScratchpad, false, in.a, in.a + n);
  CheckAccess(s_, at, Memory::kScratchpad, false, in.b, in.b + n);
  CheckAccess(s_, at, Memory::kScratchpad, true, in.dst, in.dst + n);

  const std::int32_t w0 = ParamWord(word), w1 = ParamWord(word + 1);
  const bool a_signed = BitOf(w0, 24), b_signed = BitOf(w0, 25), y_signed = BitOf(w0, 26);
  const std::int32_t za = AsValue(ByteOf(w0, 0), a_signed);
  const std::int32_t zb = AsValue(ByteOf(w0, 1), b_signed);
  const std::int32_t zy = AsValue(ByteOf(w0, 2), y_signed);
  const std::int32_t qmin = AsValue(ByteOf(w1, 0), y_signed);
  const std::int32_t qmax = AsValue(ByteOf(w1, 1), y_signed);
  const auto left_shift = static_cast<int>(ByteOf(w1, 2));
  if (left_shift > 30) {
    Illegal(at, "descriptor left_shift = " + std::to_string(left_shift) + " is above 30");
  }
  const Scaler sa = ReadScaler(ParamWord(word + 2), ParamWord(word + 3));
  const Scaler sb = ReadScaler(ParamWord(word + 4), ParamWord(word + 5));
  const Scaler sy = ReadScaler(ParamWord(word + 6), ParamWord(word + 7));
  CheckScaler(at, sa, in.single_rounding, "descriptor scaler a");
  CheckScaler(at, sb, in.single_rounding, "descriptor scaler b");
  CheckScaler(at, sy, in.single_rounding, "descriptor scaler y");

  const std::int64_t rows = Rows();
  const std::int64_t pow2 = std::int64_t{1} << left_shift;
  WriteLog log = Log(Memory::kScratchpad);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int32_t da =
          AsValue(s_.scratchpad[static_cast<std::size_t>((in.a + i) * rows + r)], a_signed) - za;
      const std::int32_t db =
          AsValue(s_.scratchpad[static_cast<std::size_t>((in.b + i) * rows + r)], b_signed) - zb;
      const std::int32_t fa = Rq(Sat32(da * pow2), sa, in.single_rounding);
      const std::int32_t fb = Rq(Sat32(db * pow2), sb, in.single_rounding);
      const std::int64_t y =
          std::int64_t{Rq(Wrap32(std::int64_t{fa} + fb), sy, in.single_rounding)} + zy;
      log.Write((in.dst + i) * rows + r, static_cast<std::int32_t>(std::min<std::int64_t>(
                                             std::max<std::int64_t>(y, qmin), qmax)));
    }
  }
  log.AppendTo(writes_, index_);
  counters_.scratchpad.bytes_read += 2 * n * rows;
  counters_.scratchpad.bytes_written += n * rows;
  counters_.param.bytes_read += 32;
}

// The taps k in [0, kernel) of output index o along one axis whose input position
// o·stride − pad + k·dilation lies in [0, in): they form the range [lo, hi) (empty when lo >= hi).
struct AxisTaps {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::int64_t Count() const { return std::max<std::int64_t>(hi - lo, 0); }
};

AxisTaps TapsOf(std::int64_t o, std::int64_t stride, std::int64_t pad, std::int64_t dilation,
                std::int64_t kernel, std::int64_t in) {
  AxisTaps t{kernel, 0};
  for (std::int64_t k = 0; k < kernel; ++k) {
    const std::int64_t p = o * stride - pad + k * dilation;
    if (p < 0 || p >= in) continue;
    t.lo = std::min(t.lo, k);
    t.hi = k + 1;
  }
  return t;
}

void Executor::operator()(const Pool& in) {
  const Where at = At(in);
  const std::int64_t out_rows = std::int64_t{in.out_h} * in.out_w;
  // The window of every output pixel, per axis; no window may lie entirely in the padding.
  auto axis_taps = [&](std::int64_t out, std::int64_t stride, std::int64_t pad, std::int64_t dil,
                       std::int64_t kernel, std::int64_t size, const char* axis) {
    std::vector<AxisTaps> taps;
    for (std::int64_t o = 0; o < out; ++o) {
      taps.push_back(TapsOf(o, stride, pad, dil, kernel, size));
      if (taps.back().Count() == 0) {
        Illegal(at, std::string("output ") + axis + " " + std::to_string(o) +
                        " has a window with no tap inside the input");
      }
    }
    return taps;
  };
  const std::vector<AxisTaps> ty =
      axis_taps(in.out_h, in.stride_h, in.pad_top, in.dil_h, in.kh, in.in_h, "row");
  const std::vector<AxisTaps> tx =
      axis_taps(in.out_w, in.stride_w, in.pad_left, in.dil_w, in.kw, in.in_w, "column");
  // Input rows read: every (iy, ix) combination of the windows' positions.
  auto positions_read = [](const std::vector<AxisTaps>& t, std::int64_t stride, std::int64_t pad,
                           std::int64_t dil) {
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
    for (std::size_t o = 0; o < t.size(); ++o) {
      const std::int64_t base = static_cast<std::int64_t>(o) * stride - pad;
      lo = std::min(lo, base + t[o].lo * dil);
      hi = std::max(hi, base + (t[o].hi - 1) * dil);
    }
    return std::pair{lo, hi};
  };
  const auto [iy_lo, iy_hi] = positions_read(ty, in.stride_h, in.pad_top, in.dil_h);
  const auto [ix_lo, ix_hi] = positions_read(tx, in.stride_w, in.pad_left, in.dil_w);

  const std::int64_t cols = Cols(), rows = Rows();
  const std::int64_t word = std::int64_t{in.param} * cols;
  CheckParamWords(at, word, 2);
  const std::int32_t w0 = ParamWord(word), w1 = ParamWord(word + 1);
  const bool is_signed = BitOf(w1, 0);
  const bool count_include_pad = BitOf(w1, 1);
  const std::int64_t entries = in.max ? 0 : (count_include_pad ? 1 : std::int64_t{in.kh} * in.kw);
  CheckParamWords(at, word, 2 + 2 * entries);
  CheckAccess(s_, at, Memory::kScratchpad, false, in.src + iy_lo * in.in_w + ix_lo,
              in.src + iy_hi * in.in_w + ix_hi + 1);
  CheckAccess(s_, at, Memory::kScratchpad, true, in.dst, in.dst + out_rows);

  const std::int32_t zx = AsValue(ByteOf(w0, 0), is_signed);
  const std::int32_t zy = AsValue(ByteOf(w0, 1), is_signed);
  const std::int32_t qmin = AsValue(ByteOf(w0, 2), is_signed);
  const std::int32_t qmax = AsValue(ByteOf(w0, 3), is_signed);
  // The requantizer entry of each output pixel; the entries used must be legal.
  std::vector<std::int64_t> entry(static_cast<std::size_t>(out_rows), 0);
  std::vector<Scaler> table;
  for (std::int64_t e = 0; e < entries; ++e) {
    table.push_back(ReadScaler(ParamWord(word + 2 + 2 * e), ParamWord(word + 3 + 2 * e)));
  }
  std::int64_t taps_read = 0;
  for (std::int64_t oy = 0; oy < in.out_h; ++oy) {
    for (std::int64_t ox = 0; ox < in.out_w; ++ox) {
      const std::int64_t th = ty[static_cast<std::size_t>(oy)].Count();
      const std::int64_t tw = tx[static_cast<std::size_t>(ox)].Count();
      taps_read += th * tw;
      if (in.max) continue;
      const std::int64_t e = count_include_pad ? 0 : (in.kh - th) * in.kw + (in.kw - tw);
      entry[static_cast<std::size_t>(oy * in.out_w + ox)] = e;
      CheckScaler(at, table[static_cast<std::size_t>(e)], in.single_rounding,
                  "requantizer entry " + std::to_string(e));
    }
  }

  WriteLog log = Log(Memory::kScratchpad);
  for (std::int64_t oy = 0; oy < in.out_h; ++oy) {
    const AxisTaps& wy = ty[static_cast<std::size_t>(oy)];
    for (std::int64_t ox = 0; ox < in.out_w; ++ox) {
      const AxisTaps& wx = tx[static_cast<std::size_t>(ox)];
      const std::int64_t o = oy * in.out_w + ox;
      for (std::int64_t r = 0; r < rows; ++r) {
        std::int64_t best = std::numeric_limits<std::int64_t>::min();
        std::int64_t acc = 0;  // |acc| <= 255 · 255 · 255, exact in int32
        for (std::int64_t ky = wy.lo; ky < wy.hi; ++ky) {
          const std::int64_t iy = oy * in.stride_h - in.pad_top + ky * in.dil_h;
          for (std::int64_t kx = wx.lo; kx < wx.hi; ++kx) {
            const std::int64_t ix = ox * in.stride_w - in.pad_left + kx * in.dil_w;
            const std::int32_t v = AsValue(
                s_.scratchpad[static_cast<std::size_t>((in.src + iy * in.in_w + ix) * rows + r)],
                is_signed);
            best = std::max<std::int64_t>(best, v);
            acc += v - zx;
          }
        }
        std::int64_t y = best;
        if (!in.max) {
          const Scaler& sc = table[static_cast<std::size_t>(entry[static_cast<std::size_t>(o)])];
          y = std::int64_t{Rq(static_cast<std::int32_t>(acc), sc, in.single_rounding)} + zy;
          y = std::min<std::int64_t>(std::max<std::int64_t>(y, qmin), qmax);
        }
        log.Write((in.dst + o) * rows + r, static_cast<std::int32_t>(y));
      }
    }
  }
  log.AppendTo(writes_, index_);
  counters_.scratchpad.bytes_read += taps_read * rows;
  counters_.scratchpad.bytes_written += out_rows * rows;
  counters_.param.bytes_read += 8 + 8 * entries;
}

}  // namespace

IsaState::IsaState(const ArchConfig& arch_config, std::uint64_t dram_size)
    : arch(arch_config),
      dram(static_cast<std::size_t>(dram_size), 0),
      scratchpad(static_cast<std::size_t>(arch_config.scratchpad_rows() * arch_config.rows), 0),
      accumulator(static_cast<std::size_t>(arch_config.accumulator_rows() * arch_config.cols), 0),
      param(static_cast<std::size_t>(arch_config.param_rows * arch_config.cols), 0),
      weights(static_cast<std::size_t>(arch_config.rows * arch_config.cols), 0) {}

namespace {

template <typename T>
std::span<T> RowOf(std::vector<T>& data, std::int64_t row, std::int64_t lanes, Memory memory) {
  const std::int64_t rows = static_cast<std::int64_t>(data.size()) / lanes;
  if (row < 0 || row >= rows) {
    const std::string name(MemoryName(memory));
    throw Error(name + " row " + std::to_string(row) + " is outside the " + name + " of " +
                std::to_string(rows) + " rows");
  }
  return std::span<T>(data).subspan(static_cast<std::size_t>(row * lanes),
                                    static_cast<std::size_t>(lanes));
}

}  // namespace

std::span<std::uint8_t> IsaState::ScratchpadRow(std::int64_t row) {
  return RowOf(scratchpad, row, arch.rows, Memory::kScratchpad);
}
std::span<std::int32_t> IsaState::AccumulatorRow(std::int64_t row) {
  return RowOf(accumulator, row, arch.cols, Memory::kAccumulator);
}
std::span<std::int32_t> IsaState::ParamRow(std::int64_t row) {
  return RowOf(param, row, arch.cols, Memory::kParam);
}

void Execute(IsaState& state, const Instruction& instruction, std::int64_t index,
             IsaCounters& counters, std::vector<WriteRecord>* writes) {
  // Each instruction checks everything before it changes anything, counters included: first the
  // field limits of the spec, then the addresses it touches.
  if (std::optional<std::string> violation =
          LimitViolation(instruction, ArchParams{state.arch.rows, state.arch.cols})) {
    throw Error("instruction " + std::to_string(index) + " (" +
                std::string(MnemonicOf(instruction)) + "): " + *violation);
  }
  std::visit(Executor(state, index, counters, writes), instruction);
  const auto opcode = static_cast<std::size_t>(
      std::visit([](const auto& in) { return std::decay_t<decltype(in)>::kOpcode; }, instruction));
  ++counters.instructions_by_opcode[opcode];
  ++counters.instructions;
}

}  // namespace qsa::isa
