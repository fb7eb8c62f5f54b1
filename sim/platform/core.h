// What the platform's host and interconnect see of an accelerator core, whatever its model: a
// register target socket (qsa_regs's map), a memory initiator socket and an interrupt.
#pragma once

#include <cstdint>
#include <string>

#include <systemc>
#include <tlm>

namespace qsa::sim::platform {

class PlatformCore : public sc_core::sc_module {
 public:
  // High while IRQ_STATUS & IRQ_ENABLE is not zero.
  sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> irq;

  virtual tlm::tlm_target_socket<>& RegisterSocket() = 0;
  virtual tlm::tlm_initiator_socket<>& MemorySocket() = 0;
  // After a run ended with STATUS.ERROR: the model's own message, or "" when STATUS's code and
  // ERROR_PC say all it knows.
  virtual std::string ErrorMessage() const = 0;
  // Cycles the last run's DRAM traffic waited behind other initiators'.
  virtual std::int64_t contention_cycles() const = 0;

 protected:
  explicit PlatformCore(sc_core::sc_module_name name) : sc_core::sc_module(name), irq("irq") {}
};

}  // namespace qsa::sim::platform
