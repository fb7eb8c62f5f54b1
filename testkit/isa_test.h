// Shared by the ISA tests: architecture configurations by name, a machine that executes typed
// instructions in program order on the architectural state (isa::Execute), and a
// program builder that lays data out in DRAM and turns a three-phase program (loads, compute,
// stores) into a isa::Program the ISA simulator runs.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/executor.h"
#include "model/isa/isa.h"
#include "model/isa/program.h"
#include "testkit/op_test.h"

namespace qsa::testkit::isa_test {

using op_test::TestSeed;

// A configuration of model/isa/arch/ by file stem: "default", "4x4", "8x8", "8x16".
inline isa::ArchConfig Arch(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

// A valid configuration with COLS < ROWS (8 × 4), which no shipped configuration has.
inline isa::ArchConfig Arch8x4() {
  return isa::ParseArchConfig(
      nlohmann::json::parse(R"({"name": "8x4", "array": {"rows": 8, "cols": 4},
          "memory": {"scratchpad_kib": 16, "accumulator_kib": 4, "param_rows": 64}})"),
      "8x4");
}

// The architectural state, its counters and write records; instructions run one after the other
// in program order, numbered from 0.
class Machine {
 public:
  Machine(const isa::ArchConfig& arch, std::uint64_t dram_size) : state_(arch, dram_size) {}

  isa::IsaState& state() { return state_; }
  const isa::IsaCounters& counters() const { return counters_; }
  const std::vector<isa::WriteRecord>& writes() const { return writes_; }
  std::int64_t executed() const { return next_; }

  void Run(const isa::Instruction& in) { isa::Execute(state_, in, next_++, counters_, &writes_); }
  void Run(const std::vector<isa::Instruction>& program) {
    for (const isa::Instruction& in : program) Run(in);
  }

  // The message of the error `in` throws ("" when it runs); counts as an executed instruction.
  std::string ErrorOf(const isa::Instruction& in) {
    try {
      Run(in);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  void PutBytes(std::uint64_t addr, std::span<const std::uint8_t> bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) state_.dram.at(addr + i) = bytes[i];
  }
  void PutInt32(std::uint64_t addr, std::span<const std::int32_t> values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto v = static_cast<std::uint32_t>(values[i]);
      for (std::size_t k = 0; k < 4; ++k) {
        state_.dram.at(addr + 4 * i + k) = static_cast<std::uint8_t>(v >> (8 * k));
      }
    }
  }
  std::int32_t Int32At(std::uint64_t addr) const {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v |= std::uint32_t{state_.dram.at(addr + k)} << (8 * k);
    return static_cast<std::int32_t>(v);
  }

 private:
  isa::IsaState state_;
  isa::IsaCounters counters_;
  std::vector<isa::WriteRecord> writes_;
  std::int64_t next_ = 0;
};

// A program under construction: a DRAM image with a bump allocator and three instruction lists
// that run in this order — loads (load queue), compute, stores (store queue).
struct ProgramBuilder {
  std::vector<std::uint8_t> dram;
  std::vector<isa::Instruction> loads;
  std::vector<isa::Instruction> compute;
  std::vector<isa::Instruction> stores;

  // `bytes` of zeroed DRAM, 16-byte aligned; returns the address.
  std::uint32_t Alloc(std::int64_t bytes) {
    const std::size_t at = (dram.size() + 15) / 16 * 16;
    dram.resize(at + static_cast<std::size_t>(bytes), 0);
    return static_cast<std::uint32_t>(at);
  }
  std::uint32_t PutBytes(std::span<const std::uint8_t> bytes) {
    const std::uint32_t at = Alloc(static_cast<std::int64_t>(bytes.size()));
    for (std::size_t i = 0; i < bytes.size(); ++i) dram[at + i] = bytes[i];
    return at;
  }
  std::uint32_t PutInt32(std::span<const std::int32_t> values) {
    const std::uint32_t at = Alloc(4 * static_cast<std::int64_t>(values.size()));
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto v = static_cast<std::uint32_t>(values[i]);
      for (std::size_t k = 0; k < 4; ++k)
        dram[at + 4 * i + k] = static_cast<std::uint8_t>(v >> (8 * k));
    }
    return at;
  }

  // Every instruction in program order (loads, compute, stores), without finish.
  std::vector<isa::Instruction> InOrder() const {
    std::vector<isa::Instruction> all = loads;
    all.insert(all.end(), compute.begin(), compute.end());
    all.insert(all.end(), stores.begin(), stores.end());
    return all;
  }

  // Executes the instructions in program order on a fresh machine holding the DRAM image.
  Machine RunInOrder(const isa::ArchConfig& arch) const {
    Machine m(arch, dram.size());
    m.PutBytes(0, dram);
    m.Run(InOrder());
    return m;
  }

  // The program for the simulator: the last load gives compute a token, the first compute
  // instruction takes it; the last compute instruction gives store a token, the first store
  // takes it; then finish. Needs at least one instruction in each list.
  isa::Program ToProgram(const isa::ArchConfig& arch) const {
    std::vector<isa::Instruction> l = loads, c = compute, s = stores;
    SetDeps(l.back(), [](isa::Deps& d) { d.push_next = true; });
    SetDeps(c.front(), [](isa::Deps& d) { d.pop_prev = true; });
    SetDeps(c.back(), [](isa::Deps& d) { d.push_next = true; });
    SetDeps(s.front(), [](isa::Deps& d) { d.pop_prev = true; });
    isa::Program p;
    p.arch_name = arch.name;
    p.arch_hash = arch.Hash();
    for (const auto* list : {&l, &c, &s}) {
      for (const isa::Instruction& in : *list) p.instructions.push_back(isa::Encode(in));
    }
    p.instructions.push_back(isa::Encode(isa::Instruction{isa::Finish{}}));
    p.dram_image = dram;
    p.dram_size = dram.size();
    return p;
  }

 private:
  template <typename F>
  static void SetDeps(isa::Instruction& in, F set) {
    std::visit([&](auto& typed) { set(typed.deps); }, in);
  }
};

}  // namespace qsa::testkit::isa_test
