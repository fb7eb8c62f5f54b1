// A cycle-accurate accelerator core on the platform: the verilated qsa_top (through the harness's
// RtlMachine and the model library the harness uses) behind the platform's sockets
// (docs/platform.md). Approximately timed: the core's thread steps the RTL one clock cycle per
// cycle of simulated time;
// - a register access from the host is carried out on the AXI4-Lite port between two cycles, the
//   host's call blocking until its response;
// - the AXI4 memory port is answered by the harness's AXI DRAM model (its latency, bandwidth and
//   ordering, so that a core alone runs exactly the cycles of `qsa run --engine rtl`), whose
//   bytes are the platform's DRAM: a read burst is read, and each write beat written, through
//   the memory socket when the model takes it, and any cycles the transfer waited there behind
//   other initiators' traffic delay the burst's data or response by as much.
// While the core is idle (before START, after its interrupt) its clock does not run.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "model/isa/arch.h"
#include "sim/axi_dram.h"
#include "sim/platform/core.h"
#include "sim/rtl_sim.h"

namespace qsa::sim::platform {

class RtlCore : public PlatformCore {
 public:
  tlm_utils::simple_target_socket<RtlCore> regs;
  tlm_utils::simple_initiator_socket<RtlCore> mem;

  // `window_bytes`: the memory the core's AXI port addresses (its window of the platform DRAM).
  // Finds or builds the model library for `arch`; throws qsa::Error.
  RtlCore(sc_core::sc_module_name name, const isa::ArchConfig& arch, sc_core::sc_time cycle,
          std::uint64_t window_bytes);

  tlm::tlm_target_socket<>& RegisterSocket() override { return regs; }
  tlm::tlm_initiator_socket<>& MemorySocket() override { return mem; }
  std::string ErrorMessage() const override { return ""; }
  // Summed over the last run's bursts: each burst's delay for other initiators' traffic (several
  // bursts are in flight at once, so this may exceed the cycles the run lost).
  std::int64_t contention_cycles() const override {
    return machine_->dram().stats().backing_wait_cycles - waits_at_start_;
  }
  // Clock cycles the RTL has been stepped (register accesses included).
  std::int64_t cycles() const { return machine_->cycle(); }

 private:
  SC_HAS_PROCESS(RtlCore);

  // The AXI DRAM's bytes, through the memory socket.
  struct Backing : AxiBacking {
    explicit Backing(RtlCore& owner) : core(owner) {}
    std::uint64_t Size() const override { return core.window_bytes_; }
    std::int64_t Read(std::uint32_t addr, std::span<std::uint8_t> bytes) override;
    std::int64_t Write(std::uint32_t addr, const Beat& data, std::uint16_t strb) override;
    std::int64_t Transport(tlm::tlm_generic_payload& trans);
    RtlCore& core;
  };
  // A register access waiting for the core's thread.
  struct Access {
    bool write = false;
    std::uint32_t addr = 0;
    std::uint32_t value = 0;
    bool ok = false;
    bool done = false;
  };

  void RegTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void Thread();
  void Perform(Access& access);

  sc_core::sc_time cycle_;
  std::uint64_t window_bytes_;
  Backing backing_;
  std::unique_ptr<RtlMachine> machine_;
  std::deque<Access*> accesses_;
  sc_core::sc_event posted_;
  sc_core::sc_event done_;
  bool running_ = false;
  std::int64_t waits_at_start_ = 0;  // backing_wait_cycles at the last START
};

}  // namespace qsa::sim::platform
