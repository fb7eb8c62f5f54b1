#include "sim/platform/tlm_bus.h"

#include <string>

#include "model/base/error.h"
#include "sim/platform/tlm_dram.h"

namespace qsa::sim::platform {

TlmBus::TlmBus(sc_core::sc_module_name name, std::vector<BusWindow> windows)
    : sc_core::sc_module(name),
      targets("targets"),
      dram("dram"),
      windows_(std::move(windows)),
      stats_(windows_.size()) {
  targets.register_b_transport(this, &TlmBus::BTransport);
  targets.register_transport_dbg(this, &TlmBus::TransportDbg);
}

bool TlmBus::Translate(int port, tlm::tlm_generic_payload& trans) {
  if (port < 0 || static_cast<std::size_t>(port) >= windows_.size()) {
    throw Error("platform interconnect: port " + std::to_string(port) + " has no window");
  }
  const BusWindow& window = windows_[static_cast<std::size_t>(port)];
  const std::uint64_t addr = trans.get_address();
  const std::uint64_t length = trans.get_data_length();
  if (addr > window.size || length > window.size - addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  trans.set_address(window.base + addr);
  return true;
}

void TlmBus::BTransport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const std::uint64_t addr = trans.get_address();
  if (!Translate(port, trans)) return;
  // The DRAM reports its wait through the extension; add one when the initiator did not.
  DramWait local;
  DramWait* wait = trans.get_extension<DramWait>();
  const bool added = wait == nullptr;
  if (added) {
    wait = &local;
    trans.set_extension(wait);
  }
  wait->cycles = 0;
  wait->initiator = port;
  dram->b_transport(trans, delay);
  BusPortStats& stats = stats_[static_cast<std::size_t>(port)];
  stats.transfers += 1;
  if (trans.is_write() ||
      (trans.get_command() == tlm::TLM_IGNORE_COMMAND && wait->ignore_as_write)) {
    stats.bytes_written += trans.get_data_length();
  } else {
    stats.bytes_read += trans.get_data_length();
  }
  stats.contention_cycles += wait->cycles;
  if (added) trans.clear_extension(wait);
  trans.set_address(addr);
}

unsigned int TlmBus::TransportDbg(int port, tlm::tlm_generic_payload& trans) {
  const std::uint64_t addr = trans.get_address();
  if (!Translate(port, trans)) return 0;
  const unsigned int moved = dram->transport_dbg(trans);
  trans.set_address(addr);
  return moved;
}

}  // namespace qsa::sim::platform
