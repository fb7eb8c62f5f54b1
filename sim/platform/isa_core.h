// A transaction-level accelerator built on the ISA simulator, with the RTL's interfaces: a
// register target socket with qsa_regs's map (docs/rtl.md, "Register map"), a memory initiator
// socket and an interrupt. Loosely timed (docs/platform.md):
//
// - START reads PROG_LEN instructions at PROG_BASE (within MEM_SIZE, else ERR_FETCH_BOUNDS) and
//   the program's DRAM [0, DRAM_SIZE) by debug transport, runs the ISA simulator on them (its
//   timing model gives each instruction's start and end cycle), and writes back the DRAM bytes the
//   program changed, by debug transport.
// - The program's DRAM traffic is replayed on the memory socket in simulated time, timing only
//   (TLM_IGNORE_COMMAND): each load's and store's bytes as bursts of `burst_bytes`, burst j of an
//   instruction starting at cycle s issued at s + j·(burst beats), as the ISA timing model paces
//   them. A burst that waits for the shared DRAM behind other initiators' traffic delays the rest
//   of the run by that wait (a conservative rule: the wait is assumed to be on the critical path).
// - ERROR's code in STATUS is ERR_FETCH_BOUNDS for a program outside MEM_SIZE and 0 for an error
//   of the ISA simulator (its message, error_message(), names it).
// - DONE (or ERROR) comes at the ISA simulator's cycles plus the waits; the counters hold the ISA
//   simulator's events (those it does not count read 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "model/isa/arch.h"
#include "sim/accel_regs.h"
#include "sim/platform/core.h"

namespace qsa::sim::platform {

class IsaCore : public PlatformCore {
 public:
  tlm_utils::simple_target_socket<IsaCore> regs;
  tlm_utils::simple_initiator_socket<IsaCore> mem;

  IsaCore(sc_core::sc_module_name name, const isa::ArchConfig& arch, sc_core::sc_time cycle,
          int burst_bytes);

  tlm::tlm_target_socket<>& RegisterSocket() override { return regs; }
  tlm::tlm_initiator_socket<>& MemorySocket() override { return mem; }
  // The last run's error message (with STATUS.ERROR), e.g. the ISA simulator's.
  std::string ErrorMessage() const override { return error_message_; }
  std::int64_t contention_cycles() const override { return contention_; }

 private:
  SC_HAS_PROCESS(IsaCore);
  void RegTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  std::uint32_t ReadReg(std::uint32_t offset);
  // False when the write is refused (a run is in progress).
  bool WriteReg(std::uint32_t offset, std::uint32_t value);
  void Thread();
  // One run: fetch, simulate, replay the traffic, write back. Throws qsa::Error.
  void Run();
  // A load's or store's DRAM bytes, starting at the ISA simulator's cycle `start` of the run.
  struct Transfer {
    std::int64_t start = 0;
    std::int64_t bytes = 0;
    bool write = false;
  };
  // Issues the transfers' bursts in time order; returns the cycles they waited in all.
  std::int64_t Replay(const std::vector<Transfer>& transfers, sc_core::sc_time run_start);
  void UpdateIrq();

  isa::ArchConfig arch_;
  sc_core::sc_time cycle_;
  int burst_bytes_;
  sc_core::sc_event start_;
  bool busy_ = false;
  std::uint32_t status_ = 0;
  std::uint32_t error_pc_ = 0;
  std::uint32_t error_code_ = 0;  // qsa_pkg::ERR_* where the model knows it, else 0
  std::uint32_t prog_base_ = 0;
  std::uint32_t prog_len_ = 0;
  std::uint32_t dram_size_ = 0;
  std::uint32_t mem_size_ = 0;
  std::uint32_t watchdog_ = 0;
  std::uint32_t irq_enable_ = 0;
  std::uint32_t irq_status_ = 0;
  std::vector<std::uint64_t> counters_ = std::vector<std::uint64_t>(kNumCounters, 0);
  std::vector<std::uint32_t> captured_high_ = std::vector<std::uint32_t>(kNumCounters, 0);
  std::string error_message_;
  std::int64_t contention_ = 0;
};

}  // namespace qsa::sim::platform
