// The accelerator's software interface as the harness and the platform see it: qsa_regs's register
// map (rtl/ctrl/qsa_regs.sv, docs/rtl.md "Register map") and qsa_pkg's counter indices (CNT_*).
#pragma once

#include <cstdint>

#include "model/isa/executor.h"

namespace qsa::sim {

// qsa_regs: register addresses and bits.
namespace reg {
inline constexpr std::uint32_t kId = 0x000;
inline constexpr std::uint32_t kShape = 0x004;
inline constexpr std::uint32_t kCtrl = 0x008;
inline constexpr std::uint32_t kStatus = 0x00C;
inline constexpr std::uint32_t kErrorPc = 0x010;
inline constexpr std::uint32_t kProgBase = 0x014;
inline constexpr std::uint32_t kProgLen = 0x018;
inline constexpr std::uint32_t kDramSize = 0x01C;
inline constexpr std::uint32_t kWatchdog = 0x020;
inline constexpr std::uint32_t kIrqEnable = 0x024;
inline constexpr std::uint32_t kIrqStatus = 0x028;
inline constexpr std::uint32_t kMemSize = 0x02C;
inline constexpr std::uint32_t kCounters = 0x200;  // counter k at kCounters + 8k (low, high)
inline constexpr std::uint32_t kIdValue = 0x51534101;
inline constexpr std::uint32_t kCtrlStart = 1;
inline constexpr std::uint32_t kCtrlAbort = 2;
inline constexpr std::uint32_t kStatusBusy = 1;
inline constexpr std::uint32_t kStatusDone = 2;
inline constexpr std::uint32_t kStatusError = 4;
inline constexpr std::uint32_t kStatusAborted = 8;
inline constexpr std::uint32_t kStatusCodeShift = 8;  // the error code in STATUS[11:8]
inline constexpr std::uint32_t kIrqDone = 1;
inline constexpr std::uint32_t kIrqError = 2;
inline constexpr std::uint8_t kRespOkay = 0;
inline constexpr std::uint8_t kRespSlvErr = 2;
}  // namespace reg

// qsa_pkg: counter indices (1..11: instructions started, by opcode).
enum Counter : std::uint32_t {
  kCntCycles = 0,
  kCntMacsIssued = 12,
  kCntMacsUseful = 13,
  kCntDramRd = 14,
  kCntDramWr = 15,
  kCntSpRd = 16,
  kCntSpWr = 17,
  kCntAccRd = 18,
  kCntAccWr = 19,
  kCntParamRd = 20,
  kCntParamWr = 21,
  kCntLoadBusy = 22,  // + queue
  kCntLoadStall = 25,
  kCntFetchStall = 28,
  kCntArrayBusy = 29,
  kCntDramRdBeats = 30,
  kCntDramWrBeats = 31,
  kCntBankStall = 32,
  kNumCounters = 33,
};
inline constexpr std::uint32_t kNumOpcodes = 11;

// The architectural event counts from the counters; `get(k)` reads counter k.
template <typename Get>
isa::IsaCounters IsaCountersOf(Get&& get) {
  isa::IsaCounters c;
  for (std::uint32_t op = 1; op <= kNumOpcodes; ++op) {
    c.instructions_by_opcode[op] = static_cast<std::int64_t>(get(op));
    c.instructions += c.instructions_by_opcode[op];
  }
  auto count = [&](std::uint32_t k) { return static_cast<std::int64_t>(get(k)); };
  c.macs_issued = count(kCntMacsIssued);
  c.macs_useful = count(kCntMacsUseful);
  c.dram = {count(kCntDramRd), count(kCntDramWr)};
  c.scratchpad = {count(kCntSpRd), count(kCntSpWr)};
  c.accumulator = {count(kCntAccRd), count(kCntAccWr)};
  c.param = {count(kCntParamRd), count(kCntParamWr)};
  return c;
}

}  // namespace qsa::sim
