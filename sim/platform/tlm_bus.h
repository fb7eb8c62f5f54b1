// The platform's interconnect: N initiators (the accelerators' memory ports and the host) share
// one DRAM target. Each initiator port sees its own window of the DRAM from address 0 (an
// accelerator's DRAM addresses are program-relative, so each core gets a private window); an
// access beyond the window answers TLM_ADDRESS_ERROR_RESPONSE. The interconnect forwards blocking
// transport in call order, which under the platform's loosely-timed cores is time order: first
// come, first served at the DRAM's data path. It counts per port the transfers, bytes and cycles
// spent waiting for the DRAM behind other traffic.
#pragma once

#include <cstdint>
#include <vector>

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

namespace qsa::sim::platform {

struct BusWindow {
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

struct BusPortStats {
  std::int64_t transfers = 0;
  std::int64_t bytes_read = 0;
  std::int64_t bytes_written = 0;
  std::int64_t contention_cycles = 0;
};

class TlmBus : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<TlmBus> targets;
  tlm_utils::simple_initiator_socket<TlmBus> dram;

  // windows[i] is the part of the DRAM initiator port i sees.
  TlmBus(sc_core::sc_module_name name, std::vector<BusWindow> windows);

  const std::vector<BusPortStats>& stats() const { return stats_; }

 private:
  void BTransport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int TransportDbg(int port, tlm::tlm_generic_payload& trans);
  // Moves the transaction into the DRAM's address space; false when it leaves the window.
  bool Translate(int port, tlm::tlm_generic_payload& trans);

  std::vector<BusWindow> windows_;
  std::vector<BusPortStats> stats_;
};

}  // namespace qsa::sim::platform
