#include "sim/platform/tlm_dram.h"

#include <algorithm>
#include <cstring>

#include "model/base/error.h"

namespace qsa::sim::platform {

TlmDram::TlmDram(sc_core::sc_module_name name, std::uint64_t bytes, const DramTiming& timing,
                 sc_core::sc_time cycle)
    : sc_core::sc_module(name), socket("socket"), bytes_(bytes), timing_(timing), cycle_(cycle) {
  if (timing.latency_cycles < 1 || timing.bytes_per_cycle < 1) {
    throw Error("platform DRAM: latency and bandwidth must be at least 1 (latency " +
                std::to_string(timing.latency_cycles) + " cycles, " +
                std::to_string(timing.bytes_per_cycle) + " bytes per cycle)");
  }
  socket.register_b_transport(this, &TlmDram::BTransport);
  socket.register_transport_dbg(this, &TlmDram::TransportDbg);
}

std::int64_t TlmDram::IdleCycles(std::int64_t bytes) const {
  return timing_.latency_cycles + (bytes + timing_.bytes_per_cycle - 1) / timing_.bytes_per_cycle;
}

bool TlmDram::Access(tlm::tlm_generic_payload& trans) {
  const std::uint64_t addr = trans.get_address();
  const std::uint64_t length = trans.get_data_length();
  if (addr > bytes_ || length > bytes_ - addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  const unsigned char* enable = trans.get_byte_enable_ptr();
  const unsigned int enable_length = trans.get_byte_enable_length();
  if (enable != nullptr && enable_length == 0) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return false;
  }
  std::uint8_t* data = trans.get_data_ptr();
  if (trans.is_read() || trans.is_write()) {
    for (std::uint64_t done = 0; done < length;) {
      const std::uint64_t at = addr + done;
      const std::uint64_t offset = at % kPageBytes;
      const std::uint64_t n = std::min(length - done, kPageBytes - offset);
      auto page = pages_.find(at / kPageBytes);
      if (trans.is_read()) {
        if (page == pages_.end()) {
          std::memset(data + done, 0, n);
        } else {
          std::memcpy(data + done, page->second->data() + offset, n);
        }
      } else {
        if (page == pages_.end()) {
          page = pages_.emplace(at / kPageBytes, std::make_unique<Page>()).first;
          page->second->fill(0);
        }
        if (enable == nullptr) {
          std::memcpy(page->second->data() + offset, data + done, n);
        } else {
          for (std::uint64_t k = 0; k < n; ++k) {
            if (enable[(done + k) % enable_length] == TLM_BYTE_ENABLED) {
              (*page->second)[offset + k] = data[done + k];
            }
          }
        }
      }
      done += n;
    }
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return true;
}

void TlmDram::BTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (!Access(trans)) return;
  const auto length = static_cast<std::int64_t>(trans.get_data_length());
  const std::int64_t beats = (length + timing_.bytes_per_cycle - 1) / timing_.bytes_per_cycle;
  const sc_core::sc_time arrive = sc_core::sc_time_stamp() + delay;
  const sc_core::sc_time latency = timing_.latency_cycles * cycle_;
  DramWait* wait = trans.get_extension<DramWait>();
  const bool write = trans.is_write() || (trans.get_command() == tlm::TLM_IGNORE_COMMAND &&
                                          wait != nullptr && wait->ignore_as_write);
  // A read's data can start after the latency; a write's data goes first.
  const sc_core::sc_time ready = write ? arrive : arrive + latency;
  const sc_core::sc_time start = std::max(ready, data_free_);
  const sc_core::sc_time length_time = static_cast<double>(beats) * cycle_;
  data_free_ = start + length_time;
  sc_core::sc_time& alone = alone_free_[wait != nullptr ? wait->initiator : 0];
  const sc_core::sc_time alone_start = std::max(ready, alone);
  alone = alone_start + length_time;
  const sc_core::sc_time done = write ? data_free_ + latency : data_free_;
  delay = done - sc_core::sc_time_stamp();

  const auto waited =
      start > alone_start ? static_cast<std::int64_t>((start - alone_start) / cycle_ + 0.5) : 0;
  stats_.transfers += 1;
  stats_.bytes += length;
  stats_.busy_cycles += beats;
  stats_.contention_cycles += waited;
  if (wait != nullptr) wait->cycles = waited;
}

unsigned int TlmDram::TransportDbg(tlm::tlm_generic_payload& trans) {
  return Access(trans) ? trans.get_data_length() : 0;
}

}  // namespace qsa::sim::platform
