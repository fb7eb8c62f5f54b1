// The platform's DRAM: a TLM-2.0 target (blocking transport) with the timing of the C++ harness's
// AXI DRAM (sim/axi_dram.h) at transaction level. Reads and writes share one data path of
// bytes_per_cycle: a read's data may start latency cycles after it arrives and then takes its
// beats on the data path, after any transfer already holding it; a write's data takes its beats on
// the data path first and its response comes latency cycles after the last one. A transfer that
// finds the data path busy waits (contention), and the wait is returned in a DramWait extension
// when the transaction carries one.
//
// Writes honour byte enables (TLM_BYTE_ENABLED bytes only; reads return every byte).
// TLM_IGNORE_COMMAND transfers are timed like reads (or writes, DramWait::ignore_as_write) and move
// no data (timing-only traffic of a
// transaction-level accelerator); debug transport reads and writes without time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

namespace qsa::sim::platform {

struct DramTiming {
  int latency_cycles = 100;
  int bytes_per_cycle = 16;
};

// Filled by the DRAM: the cycles this transfer waited for the data path because of other
// initiators' transfers (beyond what it would have waited behind its own initiator's earlier
// transfers alone). Set on the way in: the initiator (by the interconnect; transfers without one
// count as one initiator), and whether a TLM_IGNORE_COMMAND transfer is timed as a write (else as
// a read).
struct DramWait : tlm::tlm_extension<DramWait> {
  std::int64_t cycles = 0;
  int initiator = 0;
  bool ignore_as_write = false;
  tlm::tlm_extension_base* clone() const override { return new DramWait(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    cycles = static_cast<const DramWait&>(other).cycles;
    initiator = static_cast<const DramWait&>(other).initiator;
    ignore_as_write = static_cast<const DramWait&>(other).ignore_as_write;
  }
};

struct DramStats {
  std::int64_t transfers = 0;
  std::int64_t bytes = 0;
  std::int64_t busy_cycles = 0;        // cycles the data path moved data
  std::int64_t contention_cycles = 0;  // waits behind other initiators, summed over transfers
};

class TlmDram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TlmDram> socket;

  // `bytes` of address space, stored sparsely (4 KiB pages, made on the first write; unwritten
  // bytes read 0).
  TlmDram(sc_core::sc_module_name name, std::uint64_t bytes, const DramTiming& timing,
          sc_core::sc_time cycle);

  // Cycles a transfer of `bytes` takes on an idle DRAM (a read: latency + beats; a write: beats +
  // latency).
  std::int64_t IdleCycles(std::int64_t bytes) const;

  const DramStats& stats() const { return stats_; }

 private:
  void BTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int TransportDbg(tlm::tlm_generic_payload& trans);
  // Checks the range and copies; false (with the response status set) when out of range.
  bool Access(tlm::tlm_generic_payload& trans);

  static constexpr std::uint64_t kPageBytes = 4096;
  using Page = std::array<std::uint8_t, kPageBytes>;
  std::uint64_t bytes_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages_;
  DramTiming timing_;
  sc_core::sc_time cycle_;
  sc_core::sc_time data_free_ = sc_core::SC_ZERO_TIME;  // the data path is busy until then
  // Per initiator: when the data path would be free had that initiator been alone.
  std::unordered_map<int, sc_core::sc_time> alone_free_;
  DramStats stats_;
};

}  // namespace qsa::sim::platform
