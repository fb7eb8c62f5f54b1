#include "sim/platform/isa_core.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "model/base/error.h"
#include "model/isa/program.h"
#include "model/isa/simulator.h"
#include "sim/platform/tlm_dram.h"

namespace qsa::sim::platform {
namespace {

constexpr std::uint64_t kWordBytes = 16;
constexpr std::uint32_t kErrFetchBounds = 11;  // qsa_pkg::ERR_FETCH_BOUNDS

// "instruction 12 (load.sp): ..." → 12; the ISA simulator's messages name the failing instruction
// this way. Zero when the message names none (a deadlock, a check of the whole program).
std::uint32_t FailingInstruction(const std::string& message) {
  const std::string key = "instruction ";
  const std::size_t at = message.find(key);
  if (at == std::string::npos) return 0;
  std::uint32_t pc = 0;
  for (std::size_t i = at + key.size();
       i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
    pc = pc * 10 + static_cast<std::uint32_t>(message[i] - '0');
  }
  return pc;
}

}  // namespace

IsaCore::IsaCore(sc_core::sc_module_name name, const isa::ArchConfig& arch, sc_core::sc_time cycle,
                 int burst_bytes)
    : PlatformCore(name),
      regs("regs"),
      mem("mem"),
      arch_(arch),
      cycle_(cycle),
      burst_bytes_(burst_bytes) {
  if (burst_bytes < 1) throw Error("platform core: burst bytes must be at least 1");
  regs.register_b_transport(this, &IsaCore::RegTransport);
  SC_THREAD(Thread);
}

void IsaCore::RegTransport(tlm::tlm_generic_payload& trans, sc_core::sc_time& /*delay*/) {
  const std::uint64_t offset = trans.get_address();
  if (trans.get_data_length() != 4 || offset % 4 != 0 || offset > 0xFFF ||
      trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint32_t value = 0;
  bool ok = true;
  if (trans.is_read()) {
    value = ReadReg(static_cast<std::uint32_t>(offset));
    std::memcpy(trans.get_data_ptr(), &value, 4);
  } else if (trans.is_write()) {
    std::memcpy(&value, trans.get_data_ptr(), 4);
    ok = WriteReg(static_cast<std::uint32_t>(offset), value);
  }
  trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

std::uint32_t IsaCore::ReadReg(std::uint32_t offset) {
  if (offset >= reg::kCounters && offset < reg::kCounters + 8u * kNumCounters) {
    const std::size_t k = (offset - reg::kCounters) / 8;
    if ((offset & 4u) == 0) {
      captured_high_[k] = static_cast<std::uint32_t>(counters_[k] >> 32);
      return static_cast<std::uint32_t>(counters_[k]);
    }
    return captured_high_[k];
  }
  switch (offset) {
    case reg::kId:
      return reg::kIdValue;
    case reg::kShape:
      return static_cast<std::uint32_t>(arch_.rows) |
             (static_cast<std::uint32_t>(arch_.cols) << 16);
    case reg::kStatus:
      return status_ | (busy_ ? reg::kStatusBusy : 0u);
    case reg::kErrorPc:
      return error_pc_;
    case reg::kProgBase:
      return prog_base_;
    case reg::kProgLen:
      return prog_len_;
    case reg::kDramSize:
      return dram_size_;
    case reg::kMemSize:
      return mem_size_;
    case reg::kWatchdog:
      return watchdog_;
    case reg::kIrqEnable:
      return irq_enable_;
    case reg::kIrqStatus:
      return irq_status_;
    default:
      return 0;
  }
}

bool IsaCore::WriteReg(std::uint32_t offset, std::uint32_t value) {
  switch (offset) {
    case reg::kCtrl:
      if ((value & reg::kCtrlStart) != 0) {
        if (busy_) return false;
        busy_ = true;
        status_ = 0;
        start_.notify(sc_core::SC_ZERO_TIME);
      }
      return true;  // ABORT: a loosely-timed run is not interrupted (docs/platform.md)
    case reg::kIrqEnable:
      irq_enable_ = value & (reg::kIrqDone | reg::kIrqError);
      UpdateIrq();
      return true;
    case reg::kIrqStatus:
      irq_status_ &= ~value;
      UpdateIrq();
      return true;
    case reg::kProgBase:
    case reg::kProgLen:
    case reg::kDramSize:
    case reg::kWatchdog:
    case reg::kMemSize:
      if (busy_) return false;
      (offset == reg::kProgBase   ? prog_base_
       : offset == reg::kProgLen  ? prog_len_
       : offset == reg::kDramSize ? dram_size_
       : offset == reg::kMemSize  ? mem_size_
                                  : watchdog_) = value;
      return true;
    default:
      return false;
  }
}

void IsaCore::UpdateIrq() { irq.write((irq_status_ & irq_enable_) != 0); }

void IsaCore::Thread() {
  while (true) {
    sc_core::wait(start_);
    error_message_.clear();
    error_pc_ = 0;
    error_code_ = 0;
    std::fill(counters_.begin(), counters_.end(), 0);
    try {
      Run();
      status_ = reg::kStatusDone;
      irq_status_ |= reg::kIrqDone;
    } catch (const std::exception& e) {
      error_message_ = e.what();
      error_pc_ = FailingInstruction(error_message_);
      status_ = reg::kStatusError | (error_code_ << reg::kStatusCodeShift);
      irq_status_ |= reg::kIrqError;
    }
    busy_ = false;
    UpdateIrq();
  }
}

void IsaCore::Run() {
  const sc_core::sc_time run_start = sc_core::sc_time_stamp();
  // The program and its DRAM, by debug transport.
  auto debug = [this](std::uint64_t addr, std::uint64_t bytes, tlm::tlm_command command,
                      std::uint8_t* data) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(addr);
    trans.set_data_ptr(data);
    trans.set_data_length(static_cast<unsigned int>(bytes));
    trans.set_streaming_width(static_cast<unsigned int>(bytes));
    if (bytes > 0 && mem->transport_dbg(trans) != bytes) {
      throw Error("DRAM [" + std::to_string(addr) + ", " + std::to_string(addr + bytes) +
                  ") is outside the core's DRAM window");
    }
  };
  // Fetch's bounds, as the RTL checks them (ERR_FETCH_BOUNDS, docs/rtl.md "Runs").
  const std::uint64_t prog_end = std::uint64_t{prog_base_} + std::uint64_t{prog_len_} * kWordBytes;
  if (prog_len_ == 0 || prog_base_ % kWordBytes != 0 || prog_end > mem_size_) {
    error_code_ = kErrFetchBounds;
    throw Error("the program [" + std::to_string(prog_base_) + ", " + std::to_string(prog_end) +
                ") is empty, misaligned or beyond MEM_SIZE " + std::to_string(mem_size_));
  }
  isa::Program program;
  program.arch_name = arch_.name;
  program.arch_hash = arch_.Hash();
  std::vector<std::uint8_t> words(prog_len_ * kWordBytes);
  debug(prog_base_, words.size(), tlm::TLM_READ_COMMAND, words.data());
  program.instructions.resize(prog_len_);
  for (std::size_t i = 0; i < prog_len_; ++i) {
    std::memcpy(&program.instructions[i].lo, &words[i * kWordBytes], 8);
    std::memcpy(&program.instructions[i].hi, &words[i * kWordBytes + 8], 8);
  }
  program.dram_size = dram_size_;
  program.dram_image.resize(dram_size_);
  debug(0, dram_size_, tlm::TLM_READ_COMMAND, program.dram_image.data());

  isa::IsaSimulator simulator(arch_, program);
  std::vector<Transfer> transfers;
  isa::IsaSimOptions options;
  options.observe = [&transfers](const isa::InstructionRun& run) {
    const std::int64_t read = run.after->dram.bytes_read - run.before->dram.bytes_read;
    const std::int64_t written = run.after->dram.bytes_written - run.before->dram.bytes_written;
    if (read > 0) transfers.push_back({run.start, read, false});
    if (written > 0) transfers.push_back({run.start, written, true});
  };
  const isa::IsaRunResult result = simulator.Run(options);

  contention_ = Replay(transfers, run_start);
  const std::int64_t cycles = result.timing.cycles + contention_;
  sc_core::wait(run_start + static_cast<double>(cycles) * cycle_ - sc_core::sc_time_stamp());

  // Write back what changed.
  const std::vector<std::uint8_t>& after = simulator.state().dram;
  for (std::size_t i = 0; i < after.size();) {
    if (after[i] == program.dram_image[i]) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < after.size() && after[end] != program.dram_image[end]) ++end;
    std::vector<std::uint8_t> bytes(after.begin() + static_cast<std::ptrdiff_t>(i),
                                    after.begin() + static_cast<std::ptrdiff_t>(end));
    debug(i, bytes.size(), tlm::TLM_WRITE_COMMAND, bytes.data());
    i = end;
  }

  const isa::IsaCounters& c = result.counters;
  counters_[kCntCycles] = static_cast<std::uint64_t>(cycles);
  for (std::size_t op = 1; op < 12 && op < c.instructions_by_opcode.size(); ++op) {
    counters_[op] = static_cast<std::uint64_t>(c.instructions_by_opcode[op]);
  }
  const std::int64_t events[] = {c.macs_issued,
                                 c.macs_useful,
                                 c.dram.bytes_read,
                                 c.dram.bytes_written,
                                 c.scratchpad.bytes_read,
                                 c.scratchpad.bytes_written,
                                 c.accumulator.bytes_read,
                                 c.accumulator.bytes_written,
                                 c.param.bytes_read,
                                 c.param.bytes_written};
  for (std::size_t k = 0; k < std::size(events); ++k) {
    counters_[kCntMacsIssued + k] = static_cast<std::uint64_t>(events[k]);
  }
  for (std::size_t q = 0; q < result.timing.busy.size(); ++q) {
    counters_[kCntLoadBusy + q] = static_cast<std::uint64_t>(result.timing.busy[q]);
  }
  counters_[kCntBankStall] = static_cast<std::uint64_t>(result.timing.bank_stall_cycles);
}

std::int64_t IsaCore::Replay(const std::vector<Transfer>& transfers, sc_core::sc_time run_start) {
  struct Burst {
    std::int64_t at = 0;
    unsigned int bytes = 0;
    bool write = false;
  };
  const std::int64_t beats_per_burst =
      (burst_bytes_ + arch_.dram_bytes_per_cycle - 1) / arch_.dram_bytes_per_cycle;
  std::vector<Burst> bursts;
  for (const Transfer& t : transfers) {
    for (std::int64_t done = 0, j = 0; done < t.bytes; done += burst_bytes_, ++j) {
      const auto bytes =
          static_cast<unsigned int>(std::min<std::int64_t>(burst_bytes_, t.bytes - done));
      bursts.push_back({t.start + j * beats_per_burst, bytes, t.write});
    }
  }
  std::stable_sort(bursts.begin(), bursts.end(),
                   [](const Burst& a, const Burst& b) { return a.at < b.at; });
  std::int64_t waited = 0;
  DramWait wait;
  tlm::tlm_generic_payload trans;
  trans.set_extension(&wait);
  for (const Burst& burst : bursts) {
    const sc_core::sc_time at = run_start + static_cast<double>(burst.at + waited) * cycle_;
    if (at > sc_core::sc_time_stamp()) sc_core::wait(at - sc_core::sc_time_stamp());
    // Timing only: the ISA simulator has already moved the data.
    trans.set_command(tlm::TLM_IGNORE_COMMAND);
    trans.set_address(0);
    trans.set_data_ptr(nullptr);
    trans.set_data_length(burst.bytes);
    trans.set_streaming_width(burst.bytes);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    wait.cycles = 0;
    wait.ignore_as_write = burst.write;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    mem->b_transport(trans, delay);
    if (trans.is_response_error()) {
      trans.clear_extension(&wait);
      throw Error("DRAM answered " + trans.get_response_string() + " to the core's traffic");
    }
    waited += wait.cycles;
  }
  trans.clear_extension(&wait);
  return waited;
}

}  // namespace qsa::sim::platform
