// Constrained-random ISA programs (testkit/isa_random.h) run on the ISA simulator and compared,
// memory by memory, with a direct evaluation written here: a deliberately plain re-reading of
// docs/isa.md's semantics, one instruction after the other in program order, with no queues and
// no tokens, sharing nothing with model/isa/executor.cc (only the fixed-point primitives of
// model/golden/quant.h). Also: the generator covers what it promises, its programs give the same
// result in any order the tokens allow (checked with a small random scheduler written here), and
// every injected defect makes the simulator fail at the named instruction.
//
// Seeds: program k of a test uses seed QSA_TEST_SEED + k (default seed below). The number of
// programs per architecture is QSA_RANDOM_PROGRAMS (default 300; the other tests scale with it).
// A failure names the architecture and the program's seed; QSA_TEST_SEED=<seed>
// QSA_RANDOM_PROGRAMS=1 re-runs that program alone.
#include "testkit/isa_random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "model/base/error.h"
#include "model/golden/quant.h"
#include "model/isa/assembler.h"
#include "model/isa/isa.h"
#include "model/isa/simulator.h"
#include "testkit/op_test.h"

namespace qsa::testkit {

using namespace isa;  // the tests write in the ISA's own vocabulary
namespace {

constexpr std::uint64_t kDefaultSeed = 20240611;

std::int64_t ProgramCount() {
  const char* env = std::getenv("QSA_RANDOM_PROGRAMS");
  return env != nullptr ? std::strtoll(env, nullptr, 0) : 300;
}

// ---- Direct evaluation -------------------------------------------------------------------------

std::int32_t Sat32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(
      v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}
std::int32_t Wrap32(std::int64_t v) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));
}
// A raw byte read as int8 when `is_signed`, else as uint8.
std::int32_t As(std::uint32_t byte, bool is_signed) {
  const auto b = static_cast<std::uint8_t>(byte & 0xFF);
  return is_signed ? std::int32_t{static_cast<std::int8_t>(b)} : std::int32_t{b};
}
std::int32_t S8(std::uint32_t byte) { return As(byte, true); }
std::uint8_t Byte(std::int64_t v) { return static_cast<std::uint8_t>(v & 0xFF); }

// docs/isa.md, "Requantization primitive"; the shift word is lsh | rsh << 8.
std::int32_t Rq(std::int32_t x, std::int32_t m, std::int32_t shift_word, bool single_rounding) {
  const int lsh = static_cast<int>(shift_word & 0xFF);
  const int rsh = static_cast<int>((shift_word >> 8) & 0xFF);
  if (!single_rounding) {
    const std::int32_t shifted = Sat32(std::int64_t{x} * (std::int64_t{1} << lsh));
    return golden::RoundingDivideByPOT(golden::SaturatingRoundingDoublingHighMul(shifted, m), rsh);
  }
  return golden::MultiplyByQuantizedMultiplierSingleRounding(
      x, golden::FixedPointMultiplier{m, lsh - rsh});
}

// The architectural state, and for each element the instruction that last wrote it.
class DirectMachine {
  std::int64_t rows_;
  std::int64_t cols_;
  std::int64_t index_ = 0;

 public:
  DirectMachine(const isa::ArchConfig& arch, const isa::Program& program)
      : rows_(arch.rows),
        cols_(arch.cols),
        dram(program.dram_size, 0),
        scratchpad(static_cast<std::size_t>(arch.scratchpad_rows() * arch.rows), 0),
        accumulator(static_cast<std::size_t>(arch.accumulator_rows() * arch.cols), 0),
        param(static_cast<std::size_t>(arch.param_rows * arch.cols), 0),
        weights(static_cast<std::size_t>(arch.rows * arch.cols), 0),
        dram_by(dram.size(), -1),
        scratchpad_by(scratchpad.size(), -1),
        accumulator_by(accumulator.size(), -1),
        param_by(param.size(), -1) {
    std::copy(program.dram_image.begin(), program.dram_image.end(), dram.begin());
  }

  void Execute(const Instruction& instruction, std::int64_t index) {
    index_ = index;
    for (auto& w : written_) w.clear();
    std::visit([this](const auto& in) { Do(in); }, instruction);
  }

  // docs/isa.md, "Trace": one record per memory the last executed instruction wrote.
  std::vector<isa::WriteRecord> LastWrites() const {
    std::vector<isa::WriteRecord> records;
    for (int m = 0; m < 4; ++m) {
      const std::set<std::int64_t>& addresses = written_[static_cast<std::size_t>(m)];
      if (addresses.empty()) continue;
      const auto memory = static_cast<isa::Memory>(m);
      const std::int64_t per_row = memory == isa::Memory::kDram         ? 1
                                   : memory == isa::Memory::kScratchpad ? rows_
                                                                        : cols_;
      isa::WriteRecord r;
      r.instruction = index_;
      r.memory = memory;
      r.first = *addresses.begin() / per_row;
      r.extent = *addresses.rbegin() / per_row - r.first + 1;
      for (std::int64_t a : addresses) r.hash += ElementHash(memory, a);
      records.push_back(r);
    }
    return records;
  }

  std::vector<std::uint8_t> dram;
  std::vector<std::uint8_t> scratchpad;
  std::vector<std::int32_t> accumulator;
  std::vector<std::int32_t> param;
  std::vector<std::int8_t> weights;
  std::vector<std::int64_t> dram_by, scratchpad_by, accumulator_by, param_by;

 private:
  // FNV-1a 64 of the element address (8 bytes) and its value (1 or 4 bytes), little-endian.
  std::uint64_t ElementHash(isa::Memory memory, std::int64_t a) const {
    std::uint64_t h = 14695981039346656037ull;
    const auto mix = [&h](std::uint64_t v, int bytes) {
      for (int k = 0; k < bytes; ++k) h = (h ^ ((v >> (8 * k)) & 0xFF)) * 1099511628211ull;
    };
    mix(static_cast<std::uint64_t>(a), 8);
    const auto at = static_cast<std::size_t>(a);
    switch (memory) {
      case isa::Memory::kDram:
        mix(dram[at], 1);
        break;
      case isa::Memory::kScratchpad:
        mix(scratchpad[at], 1);
        break;
      case isa::Memory::kAccumulator:
        mix(static_cast<std::uint32_t>(accumulator[at]), 4);
        break;
      case isa::Memory::kParam:
        mix(static_cast<std::uint32_t>(param[at]), 4);
        break;
    }
    return h;
  }
  void Wrote(isa::Memory memory, std::int64_t a) {
    written_[static_cast<std::size_t>(memory)].insert(a);
  }

  // Bounds-checked element access (a generator bug, not the simulator's, if one throws).
  std::uint8_t Dram8(std::int64_t a) const { return dram.at(static_cast<std::size_t>(a)); }
  std::int32_t Dram32(std::int64_t a) const {
    std::uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= std::uint32_t{Dram8(a + b)} << (8 * b);
    return static_cast<std::int32_t>(v);
  }
  void SetDram8(std::int64_t a, std::uint8_t v) {
    dram.at(static_cast<std::size_t>(a)) = v;
    dram_by.at(static_cast<std::size_t>(a)) = index_;
    Wrote(isa::Memory::kDram, a);
  }
  void SetDram32(std::int64_t a, std::int32_t v) {
    for (int b = 0; b < 4; ++b) {
      SetDram8(a + b, static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> (8 * b)));
    }
  }
  std::uint8_t Sp(std::int64_t row, std::int64_t lane) const {
    return scratchpad.at(static_cast<std::size_t>(row * rows_ + lane));
  }
  void SetSp(std::int64_t row, std::int64_t lane, std::uint8_t v) {
    scratchpad.at(static_cast<std::size_t>(row * rows_ + lane)) = v;
    scratchpad_by.at(static_cast<std::size_t>(row * rows_ + lane)) = index_;
    Wrote(isa::Memory::kScratchpad, row * rows_ + lane);
  }
  std::int32_t Acc(std::int64_t row, std::int64_t lane) const {
    return accumulator.at(static_cast<std::size_t>(row * cols_ + lane));
  }
  void SetAcc(std::int64_t row, std::int64_t lane, std::int32_t v) {
    accumulator.at(static_cast<std::size_t>(row * cols_ + lane)) = v;
    accumulator_by.at(static_cast<std::size_t>(row * cols_ + lane)) = index_;
    Wrote(isa::Memory::kAccumulator, row * cols_ + lane);
  }
  std::int32_t ParamWord(std::int64_t word) const {
    return param.at(static_cast<std::size_t>(word));
  }
  void SetParam(std::int64_t row, std::int64_t lane, std::int32_t v) {
    param.at(static_cast<std::size_t>(row * cols_ + lane)) = v;
    param_by.at(static_cast<std::size_t>(row * cols_ + lane)) = index_;
    Wrote(isa::Memory::kParam, row * cols_ + lane);
  }

  // The load loop: put(row, lane, inside, a) for every lane of every grid row, `a` the DRAM
  // address of the element when inside the padding border.
  template <typename T, typename Put>
  static void LoadLoop(const T& in, std::int64_t lane_count, Put put) {
    for (std::int64_t y = 0; y < in.ny; ++y) {
      for (std::int64_t x = 0; x < in.nx; ++x) {
        const std::int64_t row = std::int64_t{in.sram} + y * in.nx + x;
        const bool inside = in.pad_top <= y && y < std::int64_t{in.ny} - in.pad_bottom &&
                            in.pad_left <= x && x < std::int64_t{in.nx} - in.pad_right;
        const std::int64_t a = std::int64_t{in.dram} + (y - in.pad_top) * in.stride_y +
                               (x - in.pad_left) * in.stride_x;
        for (std::int64_t l = 0; l < lane_count; ++l) put(row, l, inside && l < in.lanes, a);
      }
    }
  }

  void Do(const LoadSp& in) {
    LoadLoop(in, rows_, [&](std::int64_t row, std::int64_t l, bool read, std::int64_t a) {
      SetSp(row, l, read ? Dram8(a + l) : Byte(in.fill));
    });
  }
  void Do(const LoadAcc& in) {
    LoadLoop(in, cols_, [&](std::int64_t row, std::int64_t l, bool read, std::int64_t a) {
      SetAcc(row, l, read ? Dram32(a + 4 * l) : S8(in.fill));
    });
  }
  void Do(const LoadParam& in) {
    LoadLoop(in, cols_, [&](std::int64_t row, std::int64_t l, bool read, std::int64_t a) {
      SetParam(row, l, read ? Dram32(a + 4 * l) : S8(in.fill));
    });
  }

  template <typename T, typename Put>
  static void StoreLoop(const T& in, Put put) {
    for (std::int64_t y = 0; y < in.ny; ++y) {
      for (std::int64_t x = 0; x < in.nx; ++x) {
        const std::int64_t row = std::int64_t{in.sram} + y * in.nx + x;
        const std::int64_t a = std::int64_t{in.dram} + y * in.stride_y + x * in.stride_x;
        for (std::int64_t l = 0; l < in.lanes; ++l) put(row, in.lane0 + l, a, l);
      }
    }
  }
  void Do(const StoreSp& in) {
    StoreLoop(in, [&](std::int64_t row, std::int64_t lane, std::int64_t a, std::int64_t l) {
      SetDram8(a + l, Sp(row, lane));
    });
  }
  void Do(const StoreAcc& in) {
    StoreLoop(in, [&](std::int64_t row, std::int64_t lane, std::int64_t a, std::int64_t l) {
      SetDram32(a + 4 * l, Acc(row, lane));
    });
  }

  void Do(const Gemm& in) {
    if (in.preload) {
      for (std::int64_t c = 0; c < cols_; ++c) {
        for (std::int64_t r = 0; r < rows_; ++r) {
          weights.at(static_cast<std::size_t>(c * rows_ + r)) =
              static_cast<std::int8_t>(S8(Sp(in.w + c, r)));
        }
      }
    }
    for (std::int64_t i = 0; i < in.n_outer; ++i) {
      for (std::int64_t j = 0; j < in.n_inner; ++j) {
        const std::int64_t a = std::int64_t{in.act} + i * in.act_outer + j * in.act_inner;
        const std::int64_t out = std::int64_t{in.acc} + i * in.acc_outer + j;
        for (std::int64_t c = 0; c < cols_; ++c) {
          std::int64_t s = 0;
          for (std::int64_t r = 0; r < rows_; ++r) {
            s += std::int64_t{As(Sp(a, r), in.act_signed)} *
                 weights.at(static_cast<std::size_t>(c * rows_ + r));
          }
          SetAcc(out, c, in.accumulate ? Wrap32(Acc(out, c) + s) : Wrap32(s));
        }
      }
    }
  }

  void Do(const Post& in) {
    for (std::int64_t i = 0; i < in.n; ++i) {
      for (std::int64_t c = 0; c < in.n_lanes; ++c) {
        const std::int32_t bias = ParamWord((in.param + 0) * cols_ + c);
        const std::int32_t mult = ParamWord((in.param + 1) * cols_ + c);
        const std::int32_t shifts = ParamWord((in.param + 2) * cols_ + c);
        const auto format = static_cast<std::uint32_t>(ParamWord((in.param + 3) * cols_ + c));
        const bool is_signed = ((format >> 24) & 1) != 0;
        const std::int32_t zp = As(format, is_signed);
        const std::int32_t qmin = As(format >> 8, is_signed);
        const std::int32_t qmax = As(format >> 16, is_signed);
        const std::int32_t v = Wrap32(std::int64_t{Acc(in.acc + i, c)} + bias);
        std::int64_t y = std::int64_t{Rq(v, mult, shifts, in.single_rounding)} + zp;
        y = std::min<std::int64_t>(std::max<std::int64_t>(y, qmin), qmax);
        const std::int64_t g = in.dst_lane + c;
        SetSp(std::int64_t{in.dst} + i * in.dst_stride + (g / rows_) * in.blk_stride, g % rows_,
              Byte(y));
      }
    }
  }

  void Do(const Vadd& in) {
    const std::int64_t d = std::int64_t{in.param} * cols_;
    const auto w0 = static_cast<std::uint32_t>(ParamWord(d));
    const auto w1 = static_cast<std::uint32_t>(ParamWord(d + 1));
    const bool a_signed = ((w0 >> 24) & 1) != 0;
    const bool b_signed = ((w0 >> 25) & 1) != 0;
    const bool y_signed = ((w0 >> 26) & 1) != 0;
    const std::int32_t qmin = As(w1, y_signed);
    const std::int32_t qmax = As(w1 >> 8, y_signed);
    const int left_shift = static_cast<int>((w1 >> 16) & 0xFF);
    for (std::int64_t i = 0; i < in.n; ++i) {
      for (std::int64_t r = 0; r < rows_; ++r) {
        const std::int64_t da = As(Sp(in.a + i, r), a_signed) - As(w0, a_signed);
        const std::int64_t db = As(Sp(in.b + i, r), b_signed) - As(w0 >> 8, b_signed);
        const std::int32_t fa = Rq(Sat32(da * (std::int64_t{1} << left_shift)), ParamWord(d + 2),
                                   ParamWord(d + 3), in.single_rounding);
        const std::int32_t fb = Rq(Sat32(db * (std::int64_t{1} << left_shift)), ParamWord(d + 4),
                                   ParamWord(d + 5), in.single_rounding);
        const std::int64_t y = std::int64_t{Rq(Wrap32(std::int64_t{fa} + fb), ParamWord(d + 6),
                                               ParamWord(d + 7), in.single_rounding)} +
                               As(w0 >> 16, y_signed);
        SetSp(in.dst + i, r, Byte(std::min<std::int64_t>(std::max<std::int64_t>(y, qmin), qmax)));
      }
    }
  }

  void Do(const Pool& in) {
    const std::int64_t d = std::int64_t{in.param} * cols_;
    const auto w0 = static_cast<std::uint32_t>(ParamWord(d));
    const auto w1 = static_cast<std::uint32_t>(ParamWord(d + 1));
    const bool is_signed = (w1 & 1) != 0;
    const bool count_include_pad = (w1 & 2) != 0;
    const std::int32_t zx = As(w0, is_signed);
    const std::int32_t zy = As(w0 >> 8, is_signed);
    const std::int32_t qmin = As(w0 >> 16, is_signed);
    const std::int32_t qmax = As(w0 >> 24, is_signed);
    for (std::int64_t oy = 0; oy < in.out_h; ++oy) {
      for (std::int64_t ox = 0; ox < in.out_w; ++ox) {
        std::vector<std::int64_t> iys, ixs;  // the taps are every (iy, ix) pair
        for (std::int64_t ky = 0; ky < in.kh; ++ky) {
          const std::int64_t iy = oy * in.stride_h - in.pad_top + ky * in.dil_h;
          if (iy >= 0 && iy < in.in_h) iys.push_back(iy);
        }
        for (std::int64_t kx = 0; kx < in.kw; ++kx) {
          const std::int64_t ix = ox * in.stride_w - in.pad_left + kx * in.dil_w;
          if (ix >= 0 && ix < in.in_w) ixs.push_back(ix);
        }
        const auto th = static_cast<std::int64_t>(iys.size());
        const auto tw = static_cast<std::int64_t>(ixs.size());
        ASSERT_GT(th * tw, 0) << "instruction " << index_ << ": a pool window without taps";
        const std::int64_t e = count_include_pad ? 0 : (in.kh - th) * in.kw + (in.kw - tw);
        for (std::int64_t r = 0; r < rows_; ++r) {
          std::int64_t best = std::numeric_limits<std::int64_t>::min();
          std::int64_t sum = 0;
          for (std::int64_t iy : iys) {
            for (std::int64_t ix : ixs) {
              const std::int32_t x = As(Sp(in.src + iy * in.in_w + ix, r), is_signed);
              best = std::max<std::int64_t>(best, x);
              sum += x - zx;
            }
          }
          std::int64_t y = best;
          if (!in.max) {
            y = std::int64_t{Rq(static_cast<std::int32_t>(sum), ParamWord(d + 2 + 2 * e),
                                ParamWord(d + 3 + 2 * e), in.single_rounding)} +
                zy;
            y = std::min<std::int64_t>(std::max<std::int64_t>(y, qmin), qmax);
          }
          SetSp(in.dst + oy * in.out_w + ox, r, Byte(y));
        }
      }
    }
  }

  void Do(const Sync&) {}
  void Do(const Finish&) {}

  std::array<std::set<std::int64_t>, 4> written_;  // element addresses, by Memory
};

std::vector<Instruction> DecodeAll(const isa::Program& program) {
  std::vector<Instruction> out;
  for (const isa::Word& w : program.instructions) out.push_back(isa::Decode(w));
  return out;
}

// Runs the program in program order; an exception (an out-of-range access, an illegal shift) is a
// generator bug, reported with the instruction.
DirectMachine RunInProgramOrder(const isa::ArchConfig& arch, const isa::Program& program) {
  DirectMachine machine(arch, program);
  const std::vector<Instruction> instructions = DecodeAll(program);
  for (std::size_t i = 0; i < instructions.size(); ++i) {
    try {
      machine.Execute(instructions[i], static_cast<std::int64_t>(i));
    } catch (const std::exception& e) {
      throw std::runtime_error("direct evaluation of instruction " + std::to_string(i) + " (" +
                               std::string(isa::MnemonicOf(instructions[i])) + "): " + e.what());
    }
  }
  return machine;
}

std::string Hex(std::int64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

std::string WrittenBy(const std::vector<Instruction>& instructions, std::int64_t index) {
  if (index < 0) return "never written in the direct evaluation";
  return "last written by instruction " + std::to_string(index) + " (" +
         std::string(isa::MnemonicOf(instructions[static_cast<std::size_t>(index)])) + ")";
}

// The first element that differs between two copies of a memory ("" when none does).
// `lanes` elements make a row (0: a byte-addressed memory without rows).
template <typename T>
std::string FirstDifference(const std::string& memory, const std::vector<T>& simulated,
                            const std::vector<T>& direct, const std::vector<std::int64_t>& by,
                            std::int64_t lanes, const std::vector<Instruction>& instructions) {
  if (simulated.size() != direct.size()) {
    return memory + ": the simulator has " + std::to_string(simulated.size()) +
           " elements, the direct evaluation " + std::to_string(direct.size());
  }
  for (std::size_t i = 0; i < direct.size(); ++i) {
    if (simulated[i] == direct[i]) continue;
    const auto at = static_cast<std::int64_t>(i);
    std::string where = memory + " element " + Hex(at);
    if (lanes > 0) {
      where += " (row " + std::to_string(at / lanes) + " lane " + std::to_string(at % lanes) + ")";
    }
    return where + ": simulator " + std::to_string(simulated[i]) + ", direct evaluation " +
           std::to_string(direct[i]) + "; " +
           (by.empty() ? std::string() : WrittenBy(instructions, by[i]));
  }
  return "";
}

std::string RecordText(const isa::WriteRecord& r) {
  return std::string(isa::MemoryName(r.memory)) + " [" + std::to_string(r.first) + ", +" +
         std::to_string(r.extent) + ") hash " + Hex(static_cast<std::int64_t>(r.hash));
}

// The first instruction (in program order) whose writes differ between the simulator's records
// and the direct evaluation's, for a failure message.
std::string FirstDifferingInstruction(const isa::ArchConfig& arch, const isa::Program& program) {
  const std::vector<Instruction> instructions = DecodeAll(program);
  std::map<std::int64_t, std::vector<isa::WriteRecord>> simulated, direct;
  isa::IsaSimOptions options;
  options.record_writes = true;
  try {
    isa::IsaSimulator sim(arch, program);
    for (const isa::WriteRecord& r : sim.Run(options).writes) simulated[r.instruction].push_back(r);
  } catch (const Error& e) {
    return std::string("(the simulator's records are not available: ") + e.what() + ")";
  }
  DirectMachine machine(arch, program);
  for (std::size_t i = 0; i < instructions.size(); ++i) {
    machine.Execute(instructions[i], static_cast<std::int64_t>(i));
    for (const isa::WriteRecord& r : machine.LastWrites()) direct[r.instruction].push_back(r);
  }
  const auto by_memory = [](std::vector<isa::WriteRecord> v) {
    std::sort(v.begin(), v.end(), [](const isa::WriteRecord& a, const isa::WriteRecord& b) {
      return a.memory < b.memory;
    });
    return v;
  };
  for (std::size_t i = 0; i < instructions.size(); ++i) {
    const auto index = static_cast<std::int64_t>(i);
    const std::vector<isa::WriteRecord> s = by_memory(simulated[index]);
    const std::vector<isa::WriteRecord> d = by_memory(direct[index]);
    if (s == d) continue;
    std::string text = "first differing writes: instruction " + std::to_string(index) + " (" +
                       isa::DisassembleWord(program.instructions[i]) + "): simulator";
    for (const isa::WriteRecord& r : s) text += " " + RecordText(r);
    text += "; direct evaluation";
    for (const isa::WriteRecord& r : d) text += " " + RecordText(r);
    return text;
  }
  return "every instruction wrote the same in both";
}

// Every memory of `direct` compared with the simulator's final state.
std::string CompareState(const isa::IsaState& sim, const DirectMachine& direct,
                         const isa::Program& program, const isa::ArchConfig& arch) {
  const std::vector<Instruction> instructions = DecodeAll(program);
  for (const std::string& diff :
       {FirstDifference("DRAM", sim.dram, direct.dram, direct.dram_by, 0, instructions),
        FirstDifference("scratchpad", sim.scratchpad, direct.scratchpad, direct.scratchpad_by,
                        arch.rows, instructions),
        FirstDifference("accumulator", sim.accumulator, direct.accumulator, direct.accumulator_by,
                        arch.cols, instructions),
        FirstDifference("parameter buffer", sim.param, direct.param, direct.param_by, arch.cols,
                        instructions),
        FirstDifference("weights", sim.weights, direct.weights, {}, arch.rows, instructions)}) {
    if (!diff.empty()) return diff;
  }
  return "";
}

// ---- A random scheduler: the orders the queues and tokens allow --------------------------------

// The token queue an instruction of `queue` pops from (or pushes into) with the flag toward
// `prev`ious or next queue: 0 load → compute, 1 compute → load, 2 compute → store, 3 store →
// compute.
int PopLink(isa::Queue queue, bool prev) {
  if (queue == isa::Queue::kCompute) return prev ? 0 : 3;
  return queue == isa::Queue::kLoad ? 1 : 2;
}
int PushLink(isa::Queue queue, bool prev) {
  if (queue == isa::Queue::kCompute) return prev ? 1 : 2;
  return queue == isa::Queue::kLoad ? 0 : 3;
}

struct Schedule {
  std::vector<std::int64_t> order;  // instructions in execution order
  bool deadlock = false;
  std::vector<std::int64_t> blocked;  // the queue heads when deadlocked
};

// Fetches in program order into queues of instruction_queue_depth, then repeatedly runs a random
// queue head that may start (its tokens available, room for its pushes; finish only once the load
// and store queues are empty), atomically, until finish runs or nothing can start.
Schedule RandomSchedule(const isa::ArchConfig& arch, const std::vector<Instruction>& program,
                        std::mt19937_64& rng) {
  Schedule s;
  std::array<std::deque<std::int64_t>, isa::kNumQueues> queues;
  std::array<std::int64_t, 4> tokens{};
  std::size_t pc = 0;
  const auto depth = static_cast<std::size_t>(arch.instruction_queue_depth);
  while (true) {
    while (pc < program.size()) {
      auto& q = queues[static_cast<std::size_t>(isa::QueueOf(program[pc]))];
      if (q.size() >= depth) break;
      q.push_back(static_cast<std::int64_t>(pc++));
    }
    std::vector<std::size_t> ready;
    for (std::size_t q = 0; q < queues.size(); ++q) {
      if (queues[q].empty()) continue;
      const Instruction& in = program[static_cast<std::size_t>(queues[q].front())];
      const isa::Deps d = isa::DepsOf(in);
      const auto queue = static_cast<isa::Queue>(q);
      bool ok = true;
      if (d.pop_prev) ok = ok && tokens[static_cast<std::size_t>(PopLink(queue, true))] > 0;
      if (d.pop_next) ok = ok && tokens[static_cast<std::size_t>(PopLink(queue, false))] > 0;
      if (d.push_prev) {
        ok = ok && tokens[static_cast<std::size_t>(PushLink(queue, true))] < arch.token_queue_depth;
      }
      if (d.push_next) {
        ok =
            ok && tokens[static_cast<std::size_t>(PushLink(queue, false))] < arch.token_queue_depth;
      }
      if (std::holds_alternative<Finish>(in)) ok = ok && queues[0].empty() && queues[2].empty();
      if (ok) ready.push_back(q);
    }
    if (ready.empty()) {
      s.deadlock = true;
      for (const auto& q : queues) {
        if (!q.empty()) s.blocked.push_back(q.front());
      }
      return s;
    }
    const std::size_t q = ready[static_cast<std::size_t>(rng() % ready.size())];
    const std::int64_t index = queues[q].front();
    queues[q].pop_front();
    const isa::Deps d = isa::DepsOf(program[static_cast<std::size_t>(index)]);
    const auto queue = static_cast<isa::Queue>(q);
    if (d.pop_prev) --tokens[static_cast<std::size_t>(PopLink(queue, true))];
    if (d.pop_next) --tokens[static_cast<std::size_t>(PopLink(queue, false))];
    if (d.push_prev) ++tokens[static_cast<std::size_t>(PushLink(queue, true))];
    if (d.push_next) ++tokens[static_cast<std::size_t>(PushLink(queue, false))];
    s.order.push_back(index);
    if (std::holds_alternative<Finish>(program[static_cast<std::size_t>(index)])) return s;
  }
}

// ---- Architectures -----------------------------------------------------------------------------

struct ArchCase {
  std::string name;
  isa::ArchConfig (*make)();
};

isa::ArchConfig FromFile(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

const ArchCase kArchs[] = {
    {"4x4", [] { return FromFile("4x4"); }},
    {"8x8", [] { return FromFile("8x8"); }},
    {"8x16", [] { return FromFile("8x16"); }},
    {"default", [] { return isa::DefaultArchConfig(); }},
    // COLS < ROWS: post writes part of a scratchpad row (dst_lane).
    {"16x8",
     [] {
       isa::ArchConfig arch = FromFile("8x8");
       arch.name = "16x8";
       arch.rows = 16;
       return arch;
     }},
    // Queues of two instructions and token queues of one token.
    {"4x4_shallow_queues",
     [] {
       isa::ArchConfig arch = FromFile("4x4");
       arch.name = "4x4-shallow";
       arch.instruction_queue_depth = 2;
       arch.token_queue_depth = 1;
       return arch;
     }},
};

void PrintTo(const ArchCase& c, std::ostream* os) { *os << c.name; }

class IsaRandomTest : public ::testing::TestWithParam<ArchCase> {
 protected:
  void SetUp() override {
    arch_ = GetParam().make();
    isa::ValidateArchConfig(arch_, GetParam().name);
    seed_ = op_test::TestSeed(kDefaultSeed);
  }
  void CompareWithSimulator(std::int64_t count, const RandomProgramOptions& options);
  bool CheckDefect(std::uint64_t seed, const RandomProgramOptions& options);
  std::string Where(std::uint64_t seed) const {
    return "arch " + arch_.name + ", seed " + std::to_string(seed);
  }

  isa::ArchConfig arch_;
  std::uint64_t seed_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Archs, IsaRandomTest, ::testing::ValuesIn(kArchs),
                         [](const ::testing::TestParamInfo<ArchCase>& c) { return c.param.name; });

// Runs `count` programs of `options` from seed_ on the simulator and compares the final states.
void IsaRandomTest::CompareWithSimulator(std::int64_t count, const RandomProgramOptions& options) {
  std::int64_t instructions = 0;
  for (std::int64_t k = 0; k < count; ++k) {
    const std::uint64_t seed = seed_ + static_cast<std::uint64_t>(k);
    const isa::Program program = GenerateRandomProgram(arch_, seed, options);
    instructions += static_cast<std::int64_t>(program.instructions.size());
    std::optional<DirectMachine> direct;
    try {
      direct.emplace(RunInProgramOrder(arch_, program));
    } catch (const std::exception& e) {
      FAIL() << Where(seed) << ": " << e.what();
    }
    if (HasFatalFailure()) return;
    std::optional<isa::IsaSimulator> sim;
    try {
      sim.emplace(arch_, program);
      sim->Run();
    } catch (const Error& e) {
      FAIL() << Where(seed) << ": the simulator failed on a valid program: " << e.what();
    }
    const std::string diff = CompareState(sim->state(), *direct, program, arch_);
    ASSERT_EQ(diff, "") << Where(seed) << ": " << diff << "\n"
                        << FirstDifferingInstruction(arch_, program);
  }
  std::cout << "[   INFO   ] " << count << " programs, " << instructions << " instructions on "
            << arch_.name << std::endl;
}

TEST_P(IsaRandomTest, SimulatorMatchesDirectEvaluation) {
  CompareWithSimulator(ProgramCount(), {});
}

// Long programs reuse descriptors and memory windows many times over.
TEST_P(IsaRandomTest, LongProgramsMatchDirectEvaluation) {
  RandomProgramOptions options;
  options.instructions = 1000;
  CompareWithSimulator(std::max<std::int64_t>(1, ProgramCount() / 100), options);
}

// The manifest output covers every DRAM byte the program changes.
TEST_P(IsaRandomTest, ManifestOutputCoversTheStores) {
  for (std::int64_t k = 0; k < 50; ++k) {
    const std::uint64_t seed = seed_ + static_cast<std::uint64_t>(k);
    const isa::Program program = GenerateRandomProgram(arch_, seed);
    const DirectMachine direct = RunInProgramOrder(arch_, program);
    std::int64_t first = -1, end = -1;
    for (std::size_t a = 0; a < direct.dram_by.size(); ++a) {
      if (direct.dram_by[a] < 0) continue;
      if (first < 0) first = static_cast<std::int64_t>(a);
      end = static_cast<std::int64_t>(a) + 1;
    }
    if (first < 0) continue;
    ASSERT_EQ(program.manifest.outputs.size(), 1u) << Where(seed);
    const isa::ManifestTensor& out = program.manifest.outputs[0];
    EXPECT_LE(static_cast<std::int64_t>(out.dram_addr), first) << Where(seed);
    EXPECT_GE(static_cast<std::int64_t>(out.dram_addr) + out.Bytes(), end) << Where(seed);
  }
}

// Any order the tokens allow gives the program-order result, and no order deadlocks.
TEST_P(IsaRandomTest, EveryTokenOrderGivesTheSameResult) {
  std::mt19937_64 rng(seed_);
  for (std::int64_t k = 0; k < std::max<std::int64_t>(1, ProgramCount() / 5); ++k) {
    const std::uint64_t seed = seed_ + static_cast<std::uint64_t>(k);
    const isa::Program program = GenerateRandomProgram(arch_, seed);
    const std::vector<Instruction> instructions = DecodeAll(program);
    const DirectMachine in_order = RunInProgramOrder(arch_, program);
    for (int trial = 0; trial < 3; ++trial) {
      const Schedule schedule = RandomSchedule(arch_, instructions, rng);
      ASSERT_FALSE(schedule.deadlock) << Where(seed) << ": a valid program deadlocks";
      ASSERT_EQ(schedule.order.size(), instructions.size()) << Where(seed);
      DirectMachine shuffled(arch_, program);
      for (std::int64_t i : schedule.order) {
        try {
          shuffled.Execute(instructions[static_cast<std::size_t>(i)], i);
        } catch (const std::exception& e) {
          FAIL() << Where(seed) << ": instruction " << i << " fails when run in a reordered "
                 << "schedule (a race between queues): " << e.what();
        }
      }
      for (const std::string& diff :
           {FirstDifference("DRAM", shuffled.dram, in_order.dram, {}, 0, instructions),
            FirstDifference("scratchpad", shuffled.scratchpad, in_order.scratchpad, {}, arch_.rows,
                            instructions),
            FirstDifference("accumulator", shuffled.accumulator, in_order.accumulator, {},
                            arch_.cols, instructions),
            FirstDifference("parameter buffer", shuffled.param, in_order.param, {}, arch_.cols,
                            instructions)}) {
        ASSERT_EQ(diff, "") << Where(seed) << ": a race between queues (reordered run vs program "
                            << "order)";
      }
    }
  }
}

// "instruction N" followed by something other than a digit.
bool NamesInstruction(const std::string& message, std::int64_t index) {
  return std::regex_search(message, std::regex("instruction " + std::to_string(index) + "(\\D|$)"));
}

// Generates the program of `seed` with `options` (a defect set) and checks that the simulator
// fails at the named instruction, with "deadlock" for the deadlock kinds. Returns whether the
// program could be compared with the valid one of the same seed (same size: no instruction was
// added to carry the defect), which must then differ in exactly the named instruction.
bool IsaRandomTest::CheckDefect(std::uint64_t seed, const RandomProgramOptions& options) {
  InjectedDefect defect;
  const isa::Program program = GenerateRandomProgram(arch_, seed, options, &defect);
  const std::string where = Where(seed) + ", " + std::string(DefectKindName(options.defect)) +
                            " (" + defect.description + ")";
  EXPECT_EQ(defect.kind, options.defect) << where;
  const auto count = static_cast<std::int64_t>(program.instructions.size());
  if (defect.instruction < 0 || defect.instruction >= count) {
    ADD_FAILURE() << where << ": instruction " << defect.instruction << " is not in the program";
    return false;
  }
  bool compared = false;
  if (!IsDeadlockDefect(options.defect)) {
    RandomProgramOptions valid_options = options;
    valid_options.defect = DefectKind::kNone;
    const isa::Program valid = GenerateRandomProgram(arch_, seed, valid_options);
    if (valid.instructions.size() == program.instructions.size()) {
      compared = true;
      std::vector<std::int64_t> differ;
      for (std::size_t i = 0; i < valid.instructions.size(); ++i) {
        if (!(valid.instructions[i] == program.instructions[i])) {
          differ.push_back(static_cast<std::int64_t>(i));
        }
      }
      EXPECT_EQ(differ, std::vector<std::int64_t>{defect.instruction}) << where;
    }
  } else {
    // The scheduler written here deadlocks too, with the named instruction at a queue head.
    std::mt19937_64 rng(seed);
    const Schedule schedule = RandomSchedule(arch_, DecodeAll(program), rng);
    EXPECT_TRUE(schedule.deadlock) << where;
    EXPECT_NE(std::find(schedule.blocked.begin(), schedule.blocked.end(), defect.instruction),
              schedule.blocked.end())
        << where;
  }
  std::string message;
  try {
    isa::IsaSimulator sim(arch_, program);
    sim.Run();
  } catch (const Error& e) {
    message = e.what();
  }
  if (message.empty()) {
    ADD_FAILURE() << where << ": the simulator did not fail";
    return compared;
  }
  EXPECT_TRUE(NamesInstruction(message, defect.instruction))
      << where << ": the message does not name instruction " << defect.instruction << ": "
      << message;
  if (IsDeadlockDefect(options.defect)) {
    EXPECT_NE(message.find("deadlock"), std::string::npos) << where << ": " << message;
  }
  EXPECT_EQ(message.find('\n'), std::string::npos) << where << ": not one line: " << message;
  return compared;
}

TEST_P(IsaRandomTest, EveryDefectIsReportedAtItsInstruction) {
  const std::int64_t per_kind = std::max<std::int64_t>(1, ProgramCount() / 25);
  std::int64_t compared = 0;
  for (DefectKind kind : kAllDefectKinds) {
    RandomProgramOptions options;
    options.defect = kind;
    for (std::int64_t k = 0; k < per_kind && !HasFailure(); ++k) {
      compared += CheckDefect(seed_ + static_cast<std::uint64_t>(k), options) ? 1 : 0;
    }
  }
  // Six kinds change one instruction of the valid program (unless it has none to change).
  EXPECT_GE(compared, 5 * per_kind);
}

// Programs of nothing but the memory initialization: a defect still finds its instruction.
TEST_P(IsaRandomTest, DefectsInMinimalPrograms) {
  for (DefectKind kind : kAllDefectKinds) {
    RandomProgramOptions options;
    options.defect = kind;
    options.instructions = 1;
    for (std::uint64_t k = 0; k < 4 && !HasFailure(); ++k) CheckDefect(seed_ + k, options);
  }
}

// ---- The generator itself ----------------------------------------------------------------------

TEST(IsaRandomGeneratorTest, SameSeedSameProgramOtherSeedAnother) {
  const isa::ArchConfig arch = FromFile("8x8");
  const isa::Program a = GenerateRandomProgram(arch, 7);
  EXPECT_EQ(a, GenerateRandomProgram(arch, 7));
  EXPECT_NE(a, GenerateRandomProgram(arch, 8));
  EXPECT_EQ(a.arch_hash, arch.Hash());
  EXPECT_GE(a.dram_size, a.dram_image.size());
}

TEST(IsaRandomGeneratorTest, InstructionCountAndClasses) {
  const isa::ArchConfig arch = FromFile("4x4");
  RandomProgramOptions options;
  options.instructions = 200;
  const isa::Program big = GenerateRandomProgram(arch, 3, options);
  EXPECT_GE(big.instructions.size(), 200u);
  EXPECT_LE(big.instructions.size(), 240u);

  // Only gemm and store.acc (plus the helpers: initialization loads, syncs).
  options.instructions = 60;
  options.classes = kRandomGemm | kRandomStoreAcc;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const isa::Program p = GenerateRandomProgram(arch, seed, options);
    const std::vector<Instruction> instructions = DecodeAll(p);
    const std::int64_t init = p.manifest.layers.at(0).count;
    for (std::size_t i = static_cast<std::size_t>(init); i + 1 < instructions.size(); ++i) {
      const Instruction& in = instructions[i];
      EXPECT_TRUE(std::holds_alternative<Gemm>(in) || std::holds_alternative<StoreAcc>(in) ||
                  std::holds_alternative<Sync>(in))
          << "seed " << seed << ": instruction " << i << " is " << isa::MnemonicOf(in);
    }
  }
}

// What the generator promises to produce, counted over programs on each architecture.
TEST_P(IsaRandomTest, CoversEveryInstructionClassAndFeature) {
  std::map<std::string, int> seen;
  const auto note = [&](bool condition, const std::string& feature) {
    if (condition) ++seen[feature];
  };
  for (std::uint64_t k = 0; k < 100; ++k) {
    const isa::Program program = GenerateRandomProgram(arch_, seed_ + k);
    for (const Instruction& instruction : DecodeAll(program)) {
      const std::string m(isa::MnemonicOf(instruction));
      note(true, m);
      const isa::Deps d = isa::DepsOf(instruction);
      if (!std::holds_alternative<Sync>(instruction)) {
        note(d.pop_prev, "pop_prev on an operation");
        note(d.pop_next, "pop_next on an operation");
        note(d.push_prev, "push_prev on an operation");
        note(d.push_next, "push_next on an operation");
      }
      std::visit(
          [&](const auto& in) {
            using T = std::decay_t<decltype(in)>;
            if constexpr (std::is_same_v<T, LoadSp> || std::is_same_v<T, LoadAcc> ||
                          std::is_same_v<T, LoadParam>) {
              const std::uint32_t lanes = std::is_same_v<T, LoadSp> ? arch_.rows : arch_.cols;
              const std::uint32_t element = std::is_same_v<T, LoadSp> ? 1 : 4;
              note(in.pad_top + in.pad_bottom + in.pad_left + in.pad_right > 0, m + " padding");
              note(in.lanes < lanes, m + " lanes < L");
              note(in.nx > 1 && in.stride_x != in.lanes * element, m + " stride_x not dense");
            } else if constexpr (std::is_same_v<T, StoreSp> || std::is_same_v<T, StoreAcc>) {
              note(in.lane0 > 0, m + " lane0 > 0");
              note(in.nx > 1 && in.ny > 1, m + " 2-D");
            } else if constexpr (std::is_same_v<T, Gemm>) {
              note(in.preload, "gemm preload");
              note(!in.preload, "gemm reuse");
              note(in.accumulate, "gemm accumulate");
              note(in.act_signed, "gemm act_signed");
              note(in.n_outer > 1 && in.n_inner > 1, "gemm two-level loop");
            } else if constexpr (std::is_same_v<T, Post>) {
              note(in.single_rounding, "post single rounding");
              note(!in.single_rounding, "post double rounding");
              note(in.n_lanes < static_cast<std::uint32_t>(arch_.cols), "post n_lanes < COLS");
              note(arch_.cols <= arch_.rows || in.n_lanes > static_cast<std::uint32_t>(arch_.rows),
                   "post several lane blocks (COLS > ROWS)");
              note(arch_.cols >= arch_.rows || in.dst_lane > 0, "post dst_lane > 0 (COLS < ROWS)");
            } else if constexpr (std::is_same_v<T, Vadd>) {
              note(in.single_rounding, "vadd single rounding");
              note(!in.single_rounding, "vadd double rounding");
              note(in.dst == in.a, "vadd in place");
              note(in.dst != in.a && in.dst != in.b, "vadd to other rows");
            } else if constexpr (std::is_same_v<T, Pool>) {
              note(in.max, "pool max");
              note(!in.max, "pool average");
              note(in.pad_top + in.pad_left > 0, "pool padding");
              note(in.dil_h > 1 || in.dil_w > 1, "pool dilation");
              note(in.stride_h > 1 || in.stride_w > 1, "pool stride");
            } else if constexpr (std::is_same_v<T, Sync>) {
              note(true, "sync in queue " + std::to_string(in.queue));
            }
          },
          instruction);
    }
  }
  std::vector<std::string> expected = {"load.sp",
                                       "load.acc",
                                       "load.param",
                                       "store.sp",
                                       "store.acc",
                                       "gemm",
                                       "post",
                                       "vadd",
                                       "pool",
                                       "sync",
                                       "finish",
                                       "pop_prev on an operation",
                                       "pop_next on an operation",
                                       "push_prev on an operation",
                                       "push_next on an operation",
                                       "gemm preload",
                                       "gemm reuse",
                                       "gemm accumulate",
                                       "gemm act_signed",
                                       "gemm two-level loop",
                                       "post single rounding",
                                       "post double rounding",
                                       "post n_lanes < COLS",
                                       "post several lane blocks (COLS > ROWS)",
                                       "post dst_lane > 0 (COLS < ROWS)",
                                       "vadd single rounding",
                                       "vadd double rounding",
                                       "vadd in place",
                                       "vadd to other rows",
                                       "pool max",
                                       "pool average",
                                       "pool padding",
                                       "pool dilation",
                                       "pool stride",
                                       "sync in queue 0",
                                       "sync in queue 1",
                                       "sync in queue 2"};
  for (const char* m : {"load.sp", "load.acc", "load.param"}) {
    expected.push_back(std::string(m) + " padding");
    expected.push_back(std::string(m) + " lanes < L");
    expected.push_back(std::string(m) + " stride_x not dense");
  }
  for (const char* m : {"store.sp", "store.acc"}) {
    expected.push_back(std::string(m) + " lane0 > 0");
    expected.push_back(std::string(m) + " 2-D");
  }
  for (const std::string& feature : expected) {
    EXPECT_GT(seen[feature], 0) << arch_.name << ": no program has " << feature;
  }
}

}  // namespace
}  // namespace qsa::testkit
