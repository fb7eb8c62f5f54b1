#include "model/isa/isa.h"

#include <algorithm>

#include "model/base/hex.h"

namespace qsa::isa {

void SetField(Word& w, std::string_view mnemonic, const FieldSpec& field, std::uint64_t value) {
  if (field.bits < 64 && (value >> field.bits) != 0) {
    throw Error(std::string(mnemonic) + ": field " + std::string(field.name) + " = " +
                std::to_string(value) + " does not fit in " + std::to_string(field.bits) + " bits");
  }
  SetBits(w, field.lsb, field.bits, value);
}

const OpSpec* FindOp(std::uint64_t opcode) {
  for (const OpSpec& op : kOps) {
    if (op.opcode == opcode) return &op;
  }
  return nullptr;
}

const OpSpec* FindOp(std::string_view mnemonic) {
  for (const OpSpec& op : kOps) {
    if (op.mnemonic == mnemonic) return &op;
  }
  return nullptr;
}

std::uint64_t OpcodeOf(const Word& w) { return GetBits(w, kOpcodeLsb, kOpcodeBits); }

Deps DepsOf(const Word& w) {
  return Deps{GetBits(w, kPopPrevLsb, 1) != 0, GetBits(w, kPopNextLsb, 1) != 0,
              GetBits(w, kPushPrevLsb, 1) != 0, GetBits(w, kPushNextLsb, 1) != 0};
}

void SetDeps(Word& w, const Deps& deps) {
  SetBits(w, kPopPrevLsb, 1, deps.pop_prev ? 1 : 0);
  SetBits(w, kPopNextLsb, 1, deps.pop_next ? 1 : 0);
  SetBits(w, kPushPrevLsb, 1, deps.push_prev ? 1 : 0);
  SetBits(w, kPushNextLsb, 1, deps.push_next ? 1 : 0);
}

Instruction Decode(const Word& w) {
  const std::uint64_t opcode = OpcodeOf(w);
  const OpSpec* op = FindOp(opcode);
  if (op == nullptr) throw Error("illegal opcode " + std::to_string(opcode));
  const int used = op->used_bits;
  for (int lsb = used; lsb < kInstructionBits; lsb += 64) {
    const int bits = std::min(64, kInstructionBits - lsb);
    if (GetBits(w, lsb, bits) != 0) {
      throw Error(std::string(op->mnemonic) + ": reserved bits [" +
                  std::to_string(kInstructionBits - 1) + ":" + std::to_string(used) +
                  "] are not zero (word " + base::HexPrefixed(w.hi) + "_" +
                  base::HexPrefixed(w.lo) + ")");
    }
  }
  return DecodeLegal(w, static_cast<Opcode>(opcode));
}

Word Encode(const Instruction& instruction) {
  return std::visit([](const auto& in) { return Encode(in); }, instruction);
}

Queue QueueOf(const Instruction& instruction) {
  if (const Sync* sync = std::get_if<Sync>(&instruction)) {
    if (sync->queue > 2) {
      throw Error("sync: queue " + std::to_string(sync->queue) +
                  " does not exist (0 load, 1 compute, 2 store)");
    }
    return static_cast<Queue>(sync->queue);
  }
  return std::visit(
      [](const auto& in) {
        using T = std::decay_t<decltype(in)>;
        return *QueueOfOpcode(T::kOpcode);  // only sync has no fixed queue (above)
      },
      instruction);
}

Deps DepsOf(const Instruction& instruction) {
  return std::visit([](const auto& in) { return in.deps; }, instruction);
}

std::string_view MnemonicOf(const Instruction& instruction) {
  return std::visit([](const auto& in) { return std::decay_t<decltype(in)>::kMnemonic; },
                    instruction);
}

Instruction CheckWord(const Word& w, std::int64_t index) {
  const std::string where = "instruction " + std::to_string(index);
  Instruction in;
  try {
    in = Decode(w);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  const std::string label = where + " (" + std::string(MnemonicOf(in)) + ")";
  Queue queue = Queue::kCompute;
  try {
    queue = QueueOf(in);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  const Deps deps = DepsOf(in);
  if (queue == Queue::kLoad && (deps.pop_prev || deps.push_prev)) {
    throw Error(label + ": the load queue has no previous queue to exchange tokens with");
  }
  if (queue == Queue::kStore && (deps.pop_next || deps.push_next)) {
    throw Error(label + ": the store queue has no next queue to exchange tokens with");
  }
  return in;
}

}  // namespace qsa::isa
