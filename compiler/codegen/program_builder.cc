#include "compiler/codegen/program_builder.h"

#include <algorithm>
#include <sstream>

#include "model/base/error.h"
#include "model/isa/assembler.h"

namespace qsa::compiler {

namespace {

constexpr std::int64_t kDramAlign = 64;

std::int64_t AlignUp(std::int64_t v, std::int64_t a) { return (v + a - 1) / a * a; }

// True when some op of `later` conflicts with some op of `earlier`.
bool AnyConflict(const std::vector<LoweredOp>& later,
                 const std::vector<const std::vector<LoweredOp>*>& earlier,
                 const isa::ArchConfig& arch) {
  for (const LoweredOp& a : later) {
    const Accesses aa = AccessesOf(a.inst, arch);
    for (const auto* list : earlier) {
      for (const LoweredOp& b : *list) {
        if (Conflict(aa, AccessesOf(b.inst, arch))) return true;
      }
    }
  }
  return false;
}

}  // namespace

ProgramBuilder::ProgramBuilder(const isa::ArchConfig& arch) : arch_(arch) {}

std::int64_t ProgramBuilder::AllocDram(std::int64_t bytes) {
  const std::int64_t addr = AlignUp(dram_end_, kDramAlign);
  dram_end_ = addr + std::max<std::int64_t>(bytes, 1);
  if (dram_end_ > static_cast<std::int64_t>(isa::kMaxDramSize)) {
    throw Error("the program's DRAM would exceed " + isa::DramLimitText());
  }
  return addr;
}

void ProgramBuilder::WriteBytes(std::int64_t addr, std::span<const std::uint8_t> bytes) {
  const auto end = static_cast<std::size_t>(addr) + bytes.size();
  if (image_.size() < end) image_.resize(end, 0);
  std::copy(bytes.begin(), bytes.end(), image_.begin() + addr);
}

std::int64_t ProgramBuilder::PutBytes(std::span<const std::uint8_t> bytes) {
  const std::int64_t addr = AllocDram(static_cast<std::int64_t>(bytes.size()));
  WriteBytes(addr, bytes);
  return addr;
}

std::int64_t ProgramBuilder::PutWords(const std::vector<std::int32_t>& words) {
  std::vector<std::uint8_t> bytes(words.size() * 4);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto u = static_cast<std::uint32_t>(words[i]);
    for (std::size_t b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<std::uint8_t>(u >> (8 * b));
  }
  return PutBytes(bytes);
}

OnChipBase ProgramBuilder::TakeOnChip(std::int64_t scratchpad_rows, std::int64_t accumulator_rows,
                                      std::int64_t param_rows, const std::string& layer) {
  const auto take = [&](std::int64_t& cursor, std::int64_t rows, std::int64_t capacity,
                        const char* memory) {
    if (rows > capacity) {
      throw Error("layer '" + layer + "' needs " + std::to_string(rows) + " " + memory +
                  " rows; the architecture has " + std::to_string(capacity));
    }
    if (cursor + rows > capacity) cursor = 0;
    const std::int64_t base = cursor;
    cursor += rows;
    return base;
  };
  OnChipBase base;
  base.scratchpad =
      take(cursor_.scratchpad, scratchpad_rows, arch_.scratchpad_rows(), "scratchpad");
  base.accumulator =
      take(cursor_.accumulator, accumulator_rows, arch_.accumulator_rows(), "accumulator");
  base.param = take(cursor_.param, param_rows, arch_.param_rows, "parameter");
  return base;
}

bool ScratchpadGroupsApart(const isa::ArchConfig& arch, const std::vector<std::int64_t>& rows) {
  const std::int64_t bank = arch.scratchpad_rows() / arch.scratchpad_banks;
  std::int64_t banks = 0;
  for (std::int64_t r : rows) banks += (r + bank - 1) / bank;
  return banks <= arch.scratchpad_banks;
}

OnChipBase ProgramBuilder::TakeOnChipApart(const std::vector<std::int64_t>& scratchpad_groups,
                                           std::int64_t accumulator_rows, std::int64_t param_rows,
                                           const std::string& layer) {
  std::int64_t total = 0;
  for (std::int64_t r : scratchpad_groups) total += r;
  if (!ScratchpadGroupsApart(arch_, scratchpad_groups)) {
    OnChipBase base = TakeOnChip(total, accumulator_rows, param_rows, layer);
    std::int64_t at = base.scratchpad;
    for (std::int64_t r : scratchpad_groups) {
      base.groups.push_back(at);
      at += r;
    }
    return base;
  }
  OnChipBase base = TakeOnChip(0, accumulator_rows, param_rows, layer);
  const std::int64_t bank = arch_.scratchpad_rows() / arch_.scratchpad_banks;
  std::int64_t banks = 0;
  for (std::int64_t r : scratchpad_groups) banks += (r + bank - 1) / bank;
  // The first whole bank at or after the cursor, from bank 0 when the groups do not fit there.
  std::int64_t first = (cursor_.scratchpad + bank - 1) / bank;
  if (first + banks > arch_.scratchpad_banks) first = 0;
  std::int64_t b = first;
  for (std::int64_t r : scratchpad_groups) {
    base.groups.push_back(b * bank);
    b += (r + bank - 1) / bank;
  }
  base.scratchpad = base.groups.empty() ? first * bank : base.groups.front();
  cursor_.scratchpad = b * bank;
  return base;
}

int ProgramBuilder::BeginLayer(const std::string& name) {
  layers_.push_back(name);
  return static_cast<int>(layers_.size()) - 1;
}

Step& ProgramBuilder::NewStep() {
  steps_.emplace_back();
  steps_.back().layer = static_cast<int>(layers_.size()) - 1;
  return steps_.back();
}

isa::Program ProgramBuilder::Build(const isa::Manifest& io, std::string* listing,
                                   std::vector<bool>* ahead) const {
  if (ahead != nullptr) ahead->assign(layers_.size(), false);
  TokenScheduler scheduler(arch_);
  const auto emit = [&](const std::vector<LoweredOp>& ops, int layer) {
    for (const LoweredOp& op : ops) scheduler.Add(op.inst, op.comment, layer);
  };
  // Software pipelining: step i + 1's loads go ahead of step i's compute and stores when they
  // touch none of the memory those use (double-buffered regions), so that the load queue fills
  // the next buffer while the array works on the current one.
  const std::size_t n = steps_.size();
  if (n > 0) emit(steps_[0].loads, steps_[0].layer);
  for (std::size_t i = 0; i < n; ++i) {
    const Step& s = steps_[i];
    bool hoisted = false;
    if (i + 1 < n && !AnyConflict(steps_[i + 1].loads, {&s.computes, &s.stores}, arch_)) {
      emit(steps_[i + 1].loads, steps_[i + 1].layer);
      hoisted = true;
      if (ahead != nullptr && steps_[i + 1].layer != s.layer && steps_[i + 1].layer >= 0 &&
          !steps_[i + 1].loads.empty()) {
        (*ahead)[static_cast<std::size_t>(steps_[i + 1].layer)] = true;
      }
    }
    emit(s.computes, s.layer);
    emit(s.stores, s.layer);
    if (i + 1 < n && !hoisted) emit(steps_[i + 1].loads, steps_[i + 1].layer);
  }
  const std::vector<ScheduledInstruction> code = scheduler.Finish();

  isa::Program p;
  p.arch_name = arch_.name;
  p.arch_hash = arch_.Hash();
  p.dram_image = image_;
  p.dram_size = static_cast<std::uint64_t>(std::max<std::int64_t>(AlignUp(dram_end_, 16), 16));
  p.manifest = io;
  p.manifest.layers.clear();
  p.instructions.reserve(code.size());
  std::vector<std::int64_t> first(layers_.size(), -1);
  for (std::size_t i = 0; i < code.size(); ++i) {
    p.instructions.push_back(isa::Encode(code[i].inst));
    const int layer = code[i].layer;
    if (layer >= 0 && first[static_cast<std::size_t>(layer)] < 0) {
      first[static_cast<std::size_t>(layer)] = static_cast<std::int64_t>(i);
    }
  }
  // Layer ranges: from a layer's first instruction to the next layer's (a layer without
  // instructions gets an empty range where the next one starts).
  const auto total = static_cast<std::int64_t>(code.size());
  std::int64_t next_start = total - 1;  // `finish` belongs to no layer
  std::vector<isa::LayerRange> ranges(layers_.size());
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const std::int64_t start = first[l] < 0 ? next_start : std::min(first[l], next_start);
    ranges[l] = {layers_[l], start, next_start - start};
    next_start = start;
  }
  p.manifest.layers = ranges;

  if (listing != nullptr) {
    std::ostringstream s;
    s << "# " << layers_.size() << " layers, " << code.size() << " instructions ("
      << scheduler.syncs_added() << " syncs added for dependency tokens) for the " << arch_.rows
      << "x" << arch_.cols << " array '" << arch_.name << "'\n";
    s << "# DRAM: " << p.dram_size << " bytes, of which the first " << image_.size()
      << " are the initial image in program.bin\n";
    for (const isa::ManifestTensor& t : io.inputs) {
      s << "# input  " << t.name << " at 0x" << std::hex << t.dram_addr << std::dec << "\n";
    }
    for (const isa::ManifestTensor& t : io.outputs) {
      s << "# output " << t.name << " at 0x" << std::hex << t.dram_addr << std::dec << "\n";
    }
    s << ".arch " << arch_.name << "\n";
    std::size_t next_layer = 0;
    for (std::size_t i = 0; i < code.size(); ++i) {
      while (next_layer < ranges.size() &&
             ranges[next_layer].first == static_cast<std::int64_t>(i)) {
        s << ".layer " << ranges[next_layer].name << "   # instructions "
          << ranges[next_layer].first << ".."
          << ranges[next_layer].first + ranges[next_layer].count - 1 << "\n";
        ++next_layer;
      }
      s << isa::DisassembleWord(p.instructions[i]);
      if (!code[i].comment.empty()) s << "   # " << code[i].comment;
      s << "\n";
    }
    *listing = s.str();
  }
  return p;
}

}  // namespace qsa::compiler
