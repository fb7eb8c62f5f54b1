#include "sim/platform/rtl_core.h"

#include <array>
#include <cstring>

#include "model/base/error.h"
#include "sim/accel_regs.h"
#include "sim/platform/tlm_dram.h"

namespace qsa::sim::platform {

RtlCore::RtlCore(sc_core::sc_module_name name, const isa::ArchConfig& arch, sc_core::sc_time cycle,
                 std::uint64_t window_bytes)
    : PlatformCore(name),
      regs("regs"),
      mem("mem"),
      cycle_(cycle),
      window_bytes_(window_bytes),
      backing_(*this),
      machine_(std::make_unique<RtlMachine>(arch, backing_)) {
  regs.register_b_transport(this, &RtlCore::RegTransport);
  // Every clock cycle of the RTL takes one cycle of simulated time.
  machine_->SetObserver([this](const QsaRtlInputs&, const QsaRtlOutputs&,
                               const std::optional<DramWrite>&) { sc_core::wait(cycle_); });
  SC_THREAD(Thread);
}

std::int64_t RtlCore::Backing::Transport(tlm::tlm_generic_payload& trans) {
  DramWait wait;
  trans.set_extension(&wait);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  core.mem->b_transport(trans, delay);
  trans.clear_extension(&wait);
  if (trans.is_response_error()) {
    throw Error("the platform DRAM answered " + trans.get_response_string() + " at address " +
                std::to_string(trans.get_address()) + " of core " + core.name());
  }
  return wait.cycles;
}

std::int64_t RtlCore::Backing::Read(std::uint32_t addr, std::span<std::uint8_t> bytes) {
  tlm::tlm_generic_payload trans;
  trans.set_command(tlm::TLM_READ_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(bytes.data());
  trans.set_data_length(static_cast<unsigned int>(bytes.size()));
  trans.set_streaming_width(static_cast<unsigned int>(bytes.size()));
  return Transport(trans);
}

std::int64_t RtlCore::Backing::Write(std::uint32_t addr, const Beat& data, std::uint16_t strb) {
  Beat bytes = data;
  std::array<unsigned char, kBusBytes> enable{};
  for (std::size_t k = 0; k < kBusBytes; ++k) {
    enable[k] = ((strb >> k) & 1u) != 0 ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
  }
  tlm::tlm_generic_payload trans;
  trans.set_command(tlm::TLM_WRITE_COMMAND);
  trans.set_address(addr);
  trans.set_data_ptr(bytes.data());
  trans.set_data_length(kBusBytes);
  trans.set_streaming_width(kBusBytes);
  trans.set_byte_enable_ptr(enable.data());
  trans.set_byte_enable_length(kBusBytes);
  return Transport(trans);
}

void RtlCore::RegTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& /*delay*/) {
  if (trans.get_data_length() != 4 || trans.get_byte_enable_ptr() != nullptr ||
      trans.get_address() > 0xFFF || trans.get_address() % 4 != 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  Access access;
  access.write = trans.is_write();
  access.addr = static_cast<std::uint32_t>(trans.get_address());
  if (access.write) std::memcpy(&access.value, trans.get_data_ptr(), 4);
  accesses_.push_back(&access);
  posted_.notify(sc_core::SC_ZERO_TIME);
  while (!access.done) sc_core::wait(done_);
  if (!access.write) std::memcpy(trans.get_data_ptr(), &access.value, 4);
  trans.set_response_status(access.ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

void RtlCore::Perform(Access& access) {
  if (access.write) {
    access.ok = machine_->WriteReg(access.addr, access.value) == reg::kRespOkay;
    if (access.ok && access.addr == reg::kCtrl && (access.value & reg::kCtrlStart) != 0) {
      running_ = true;
      waits_at_start_ = machine_->dram().stats().backing_wait_cycles;
    }
  } else {
    try {
      access.value = machine_->ReadReg(access.addr);
      access.ok = true;
    } catch (const Error&) {
      access.ok = false;
    }
  }
  access.done = true;
  done_.notify(sc_core::SC_ZERO_TIME);
}

void RtlCore::Thread() {
  while (true) {
    if (!accesses_.empty()) {
      Access* access = accesses_.front();
      accesses_.pop_front();
      Perform(*access);
    } else if (running_) {
      machine_->Step();
      if (machine_->outputs().irq != 0) running_ = false;
    } else {
      sc_core::wait(posted_);
      continue;
    }
    irq.write(machine_->outputs().irq != 0);
  }
}

}  // namespace qsa::sim::platform
