// The register interface (rtl/ctrl/qsa_regs.sv), verilated on its own and driven as an AXI4-Lite
// master would: the register map of docs/rtl.md, byte strobes, address and data in either order,
// responses held under back-pressure, refused writes during a run, the interrupt and the
// counter window with its captured high word.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>

#include "tests/sim/sim_test_util.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vqsa_regs.h"
#include "verilated.h"
#pragma GCC diagnostic pop

namespace qsa::sim {
namespace {

constexpr std::uint32_t kOkay = 0;
constexpr std::uint32_t kSlvErr = 2;
constexpr std::uint32_t kCtrl = 0x008, kStatus = 0x00C, kErrorPc = 0x010, kProgBase = 0x014,
                        kProgLen = 0x018, kDramSize = 0x01C, kWatchdog = 0x020, kIrqEnable = 0x024,
                        kIrqStatus = 0x028, kMemSize = 0x02C, kCounters = 0x200;

struct ReadResult {
  std::uint32_t data = 0;
  std::uint32_t resp = 0;
};

// The block with a model of what is around it: control's busy level, and 33 counters whose value
// the test sets (counter k reads counters[k]).
class Regs {
 public:
  Regs() : top_(std::make_unique<Vqsa_regs>(context_.get())) {
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->eval();
    top_->rst_ni = 1;
    top_->eval();
  }

  Vqsa_regs& top() { return *top_; }
  std::uint64_t counters[64] = {};
  int start_pulses = 0, abort_pulses = 0, bad_write_pulses = 0;

  // One clock cycle with the inputs as set; counts control's pulses seen before the edge.
  void Tick() {
    top_->cnt_value_i = counters[top_->cnt_sel_o];
    top_->eval();
    start_pulses += top_->start_o;
    abort_pulses += top_->abort_o;
    bad_write_pulses += top_->bad_write_o;
    top_->clk_i = 1;
    top_->eval();
    top_->clk_i = 0;
    top_->finish_i = 0;
    top_->cnt_value_i = counters[top_->cnt_sel_o];
    top_->eval();
  }

  // An AXI4-Lite write: address `aw_delay` cycles after the data when positive, the data
  // -aw_delay cycles after the address when negative; the B response taken after `b_wait`
  // cycles of BREADY low, during which it must hold.
  std::uint32_t Write(std::uint32_t addr, std::uint32_t data, std::uint32_t strb = 0xF,
                      int aw_delay = 0, int b_wait = 0) {
    bool aw_done = false, w_done = false;
    for (int cycle = 0; !(aw_done && w_done); ++cycle) {
      EXPECT_LT(cycle, 20) << "write of 0x" << std::hex << addr << " not taken";
      if (cycle >= 20) return 0xFF;
      top_->awvalid_i = !aw_done && cycle >= std::max(aw_delay, 0);
      top_->awaddr_i = static_cast<std::uint16_t>(addr);
      top_->wvalid_i = !w_done && cycle >= std::max(-aw_delay, 0);
      top_->wdata_i = data;
      top_->wstrb_i = static_cast<std::uint8_t>(strb);
      top_->bready_i = 0;
      top_->eval();
      const bool aw_fire = top_->awvalid_i && top_->awready_o;
      const bool w_fire = top_->wvalid_i && top_->wready_o;
      Tick();
      aw_done = aw_done || aw_fire;
      w_done = w_done || w_fire;
    }
    top_->awvalid_i = 0;
    top_->wvalid_i = 0;
    int waited = 0;
    std::uint32_t resp = 0xFF;
    for (int cycle = 0; cycle < 20; ++cycle) {
      top_->bready_i = waited >= b_wait;
      top_->eval();
      if (top_->bvalid_o) {
        if (waited > 0) {
          EXPECT_EQ(top_->bresp_o, resp) << "BRESP changed while held";
        }
        resp = top_->bresp_o;
        const bool fire = top_->bready_i != 0;
        ++waited;
        Tick();
        if (fire) break;
      } else {
        EXPECT_EQ(waited, 0) << "BVALID dropped before BREADY";
        Tick();
      }
    }
    top_->bready_i = 0;
    return resp;
  }

  // An AXI4-Lite read; the R response taken after `r_wait` cycles of RREADY low.
  ReadResult Read(std::uint32_t addr, int r_wait = 0) {
    top_->araddr_i = static_cast<std::uint16_t>(addr);
    top_->arvalid_i = 1;
    top_->rready_i = 0;
    for (int cycle = 0; cycle < 20; ++cycle) {
      top_->eval();
      const bool fire = top_->arready_o != 0;
      Tick();
      if (fire) break;
    }
    top_->arvalid_i = 0;
    ReadResult r{0xDEADBEEF, 0xFF};
    int waited = 0;
    for (int cycle = 0; cycle < 20; ++cycle) {
      top_->rready_i = waited >= r_wait;
      top_->eval();
      if (top_->rvalid_o) {
        if (waited > 0) {
          EXPECT_EQ(top_->rdata_o, r.data) << "RDATA changed while held";
          EXPECT_EQ(top_->rresp_o, r.resp) << "RRESP changed while held";
        }
        r = {top_->rdata_o, top_->rresp_o};
        const bool fire = top_->rready_i != 0;
        ++waited;
        Tick();
        if (fire) break;
      } else {
        Tick();
      }
    }
    top_->rready_i = 0;
    return r;
  }

  // Control ends the run: one finish pulse.
  void Finish(bool error, bool aborted, std::uint32_t code, std::uint32_t pc) {
    top_->busy_i = 0;
    top_->finish_i = 1;
    top_->finish_error_i = error;
    top_->finish_aborted_i = aborted;
    top_->finish_code_i = static_cast<std::uint8_t>(code);
    top_->finish_pc_i = pc;
    Tick();
  }

 private:
  std::unique_ptr<VerilatedContext> context_ = std::make_unique<VerilatedContext>();
  std::unique_ptr<Vqsa_regs> top_;
};

TEST(Regs, IdentityAndShape) {
  Regs r;
  EXPECT_EQ(r.Read(0x000).data, 0x51534101u);
  EXPECT_EQ(r.Read(0x004).data, (16u << 16) | 16u);  // ArrayCols, ArrayRows
  EXPECT_EQ(r.Read(kStatus).data, 0u);
  EXPECT_EQ(r.Read(kCtrl).data, 0u);
}

TEST(Regs, ConfigurationRegistersTakeStrobedWritesInEitherOrder) {
  Regs r;
  EXPECT_EQ(r.Write(kProgBase, 0x11223344), kOkay);
  EXPECT_EQ(r.Write(kProgLen, 0x00000100, 0xF, 3), kOkay);      // data first
  EXPECT_EQ(r.Write(kDramSize, 0x00400000, 0xF, -2), kOkay);    // address first
  EXPECT_EQ(r.Write(kWatchdog, 0x000186A0, 0xF, 0, 4), kOkay);  // B held 4 cycles
  EXPECT_EQ(r.Write(kProgBase, 0xAABBCCDD, 0b0101), kOkay);     // bytes 0 and 2 only
  EXPECT_EQ(r.Read(kProgBase).data, 0x11BB33DDu);
  EXPECT_EQ(r.Read(kProgLen, 5).data, 0x100u);
  EXPECT_EQ(r.Read(kDramSize).data, 0x400000u);
  EXPECT_EQ(r.Read(kWatchdog).data, 100000u);
  EXPECT_EQ(r.top().prog_base_o, 0x11BB33DDu);
  EXPECT_EQ(r.top().prog_len_o, 0x100u);
  EXPECT_EQ(r.top().dram_size_o, 0x400000u);
  EXPECT_EQ(r.top().watchdog_o, 100000u);
  EXPECT_EQ(r.Write(kMemSize, 0x12345670u), kOkay);
  EXPECT_EQ(r.Read(kMemSize).data, 0x12345670u);
  EXPECT_EQ(r.top().mem_size_o, 0x12345670u);
}

TEST(Regs, UnmappedOrUnalignedAddressesAnswerSlvErr) {
  Regs r;
  EXPECT_EQ(r.Write(0x030, 1), kSlvErr);  // past MEM_SIZE, the last register
  EXPECT_EQ(r.Write(0x000, 1), kSlvErr);  // ID is read-only
  EXPECT_EQ(r.Write(kProgBase + 1, 1), kSlvErr);
  EXPECT_EQ(r.Read(kProgBase).data, 0u);
  const ReadResult unmapped = r.Read(0x1F0);
  EXPECT_EQ(unmapped.resp, kSlvErr);
  EXPECT_EQ(unmapped.data, 0u);
  EXPECT_EQ(r.Read(kCounters + 8 * 33).resp, kSlvErr);  // past the last counter
  EXPECT_EQ(r.Read(kCounters + 8 * 32).resp, kOkay);
  EXPECT_EQ(r.Read(kStatus + 2).resp, kSlvErr);
}

TEST(Regs, StartRunFinishAndInterrupt) {
  Regs r;
  EXPECT_EQ(r.Write(kIrqEnable, 0b11), kOkay);
  EXPECT_EQ(r.Write(kCtrl, 1), kOkay);
  EXPECT_EQ(r.start_pulses, 1);
  r.top().busy_i = 1;
  EXPECT_EQ(r.Read(kStatus).data, 1u);  // BUSY
  EXPECT_EQ(r.top().irq_o, 0);
  r.Finish(false, false, 0, 0);
  EXPECT_EQ(r.Read(kStatus).data, 0b0010u);  // DONE
  EXPECT_EQ(r.Read(kIrqStatus).data, 0b01u);
  EXPECT_EQ(r.top().irq_o, 1);
  EXPECT_EQ(r.Write(kIrqStatus, 0b01), kOkay);  // write 1 to clear
  EXPECT_EQ(r.top().irq_o, 0);
  EXPECT_EQ(r.Read(kIrqStatus).data, 0u);

  // A run that fails: error code and pc, both interrupt bits.
  EXPECT_EQ(r.Write(kCtrl, 1), kOkay);
  EXPECT_EQ(r.start_pulses, 2);
  r.top().busy_i = 1;
  r.Finish(true, false, 5, 1234);
  EXPECT_EQ(r.Read(kStatus).data, (5u << 8) | 0b0110u);  // ERROR, DONE, code 5
  EXPECT_EQ(r.Read(kErrorPc).data, 1234u);
  EXPECT_EQ(r.Read(kIrqStatus).data, 0b11u);
  // Interrupt masked: the status bits stay, irq_o follows the enable.
  EXPECT_EQ(r.Write(kIrqEnable, 0), kOkay);
  EXPECT_EQ(r.top().irq_o, 0);
  EXPECT_EQ(r.Write(kIrqEnable, 0b10), kOkay);
  EXPECT_EQ(r.top().irq_o, 1);
  // The next start clears DONE, ERROR and the code.
  EXPECT_EQ(r.Write(kCtrl, 1), kOkay);
  r.top().busy_i = 1;
  EXPECT_EQ(r.Read(kStatus).data, 1u);
}

TEST(Regs, WritesDuringARunAreRefused) {
  Regs r;
  EXPECT_EQ(r.Write(kProgLen, 7), kOkay);
  EXPECT_EQ(r.Write(kCtrl, 1), kOkay);
  r.top().busy_i = 1;
  EXPECT_EQ(r.Write(kProgLen, 99), kSlvErr);
  EXPECT_EQ(r.Write(kCtrl, 1), kSlvErr);  // START while busy
  EXPECT_EQ(r.bad_write_pulses, 2);
  EXPECT_EQ(r.start_pulses, 1);
  EXPECT_EQ(r.Read(kProgLen).data, 7u);
  // ABORT and the interrupt registers are writable during a run.
  EXPECT_EQ(r.Write(kCtrl, 2), kOkay);
  EXPECT_EQ(r.abort_pulses, 1);
  EXPECT_EQ(r.Write(kIrqEnable, 1), kOkay);
  r.Finish(false, true, 0, 0);
  EXPECT_EQ(r.Read(kStatus).data, 0b1010u);  // ABORTED, DONE
  EXPECT_EQ(r.top().irq_o, 1);
  EXPECT_EQ(r.Write(kProgLen, 99), kOkay);  // idle again
  EXPECT_EQ(r.Read(kProgLen).data, 99u);
}

TEST(Regs, CounterWindowCapturesTheHighWord) {
  const std::uint64_t seed = sim_test::TestSeed(20261207);
  std::mt19937_64 rng(seed);
  Regs r;
  for (int k = 0; k < 33; ++k) r.counters[k] = rng();
  for (int k = 0; k < 33; ++k) {
    const std::uint64_t before = r.counters[k];
    EXPECT_EQ(r.Read(kCounters + 8 * k).data, static_cast<std::uint32_t>(before)) << k;
    // The counter moves on between the two reads; the high word is the captured one.
    r.counters[k] = before + (std::uint64_t{1} << 32) * 3;
    EXPECT_EQ(r.Read(kCounters + 8 * k + 4).data, static_cast<std::uint32_t>(before >> 32)) << k;
  }
  // A high word without the low word of the same counter first: the current one.
  r.counters[4] = 0x0123456789ABCDEFu;
  EXPECT_EQ(r.Read(kCounters + 8 * 4 + 4).data, 0x01234567u);
}

}  // namespace
}  // namespace qsa::sim
