// The accelerator's instruction set (docs/isa.md). The opcodes, fields and their bit positions are
// defined once, in model/isa/isa.json; the build generates from it the typed instruction structs,
// their encoders and decoders and the field tables (model/isa/isa_generated.h in the build tree,
// included below), the SystemVerilog package rtl/top/qsa_isa_pkg.sv and the field tables of
// docs/isa.md.
//
// An instruction is a 128-bit word: bits [3:0] opcode, [4] pop_prev, [5] pop_next, [6] push_prev,
// [7] push_next, then the instruction's fields packed upwards from bit 8; unused bits are zero.
// In memory and in program files a word is 16 bytes, little-endian (bits [63:0] first).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "model/base/enum_names.h"
#include "model/base/error.h"

namespace qsa::isa {

// A 128-bit instruction word.
struct Word {
  std::uint64_t lo = 0;  // bits [63:0]
  std::uint64_t hi = 0;  // bits [127:64]
  bool operator==(const Word& other) const = default;
};

// The three instruction queues. Tokens flow between neighbours only: load ↔ compute ↔ store.
enum class Queue : std::uint8_t { kLoad = 0, kCompute = 1, kStore = 2 };
inline constexpr int kNumQueues = 3;
inline constexpr auto kQueueNames = base::MakeEnumNames<Queue>({
    {Queue::kLoad, "load"},
    {Queue::kCompute, "compute"},
    {Queue::kStore, "store"},
});
constexpr std::string_view QueueName(Queue queue) { return kQueueNames.Name(queue); }

// Dependency-token flags of an instruction (the header bits [7:4]).
struct Deps {
  bool pop_prev = false;
  bool pop_next = false;
  bool push_prev = false;
  bool push_next = false;
  bool operator==(const Deps& other) const = default;
};

// Bits [lsb, lsb + bits) of a word, bits in 1..64, lsb + bits <= 128.
constexpr std::uint64_t GetBits(const Word& w, int lsb, int bits) {
  const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  std::uint64_t v = 0;
  if (lsb >= 64) {
    v = w.hi >> (lsb - 64);
  } else {
    v = w.lo >> lsb;
    if (lsb + bits > 64) v |= w.hi << (64 - lsb);
  }
  return v & mask;
}

// Stores the low `bits` bits of v at [lsb, lsb + bits); other bits are unchanged.
constexpr void SetBits(Word& w, int lsb, int bits, std::uint64_t v) {
  const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  v &= mask;
  if (lsb >= 64) {
    w.hi = (w.hi & ~(mask << (lsb - 64))) | (v << (lsb - 64));
    return;
  }
  w.lo = (w.lo & ~(mask << lsb)) | (v << lsb);
  if (lsb + bits > 64) {
    const int high_bits = lsb + bits - 64;
    const std::uint64_t high_mask = (std::uint64_t{1} << high_bits) - 1;
    w.hi = (w.hi & ~high_mask) | (v >> (64 - lsb));
  }
}

// One field of an instruction as the spec defines it.
struct FieldSpec {
  std::string_view name;
  int lsb;
  int bits;
  std::string_view doc;
};

// One instruction as the spec defines it: opcode, mnemonic, queue, fields in encoding order,
// and the number of bits used (header included); bits above are reserved and must be zero.
struct OpSpec {
  std::uint8_t opcode;
  std::string_view mnemonic;
  Queue queue;
  bool queue_from_field;  // sync: the `queue` field names the queue
  std::span<const FieldSpec> fields;
  int used_bits;
  std::string_view doc;
};

// Sets field `field` of `w` to `value`; throws qsa::Error "gemm: field n_outer = 300 does not fit
// in 8 bits" when it does not fit.
void SetField(Word& w, std::string_view mnemonic, const FieldSpec& field, std::uint64_t value);

}  // namespace qsa::isa

#include "model/isa/isa_generated.h"  // IWYU pragma: export

namespace qsa::isa {

// The spec entry of an opcode, nullptr when the opcode is illegal.
const OpSpec* FindOp(std::uint64_t opcode);
// The spec entry of a mnemonic ("load.sp"), nullptr when unknown.
const OpSpec* FindOp(std::string_view mnemonic);

// The opcode and token flags of a word (no legality check).
std::uint64_t OpcodeOf(const Word& w);
Deps DepsOf(const Word& w);
void SetDeps(Word& w, const Deps& deps);

// Decodes a word; throws qsa::Error naming the problem for an illegal opcode or set reserved
// bits. Token flags toward a queue with no such neighbour are checked by CheckWord.
Instruction Decode(const Word& w);
// The encoded word of an instruction.
Word Encode(const Instruction& instruction);

// The queue an instruction executes in (a sync names its own; an illegal sync queue throws).
Queue QueueOf(const Instruction& instruction);
Deps DepsOf(const Instruction& instruction);
std::string_view MnemonicOf(const Instruction& instruction);

// Decodes and checks a word for execution: legal opcode, reserved bits zero, no token flag
// toward a missing neighbour (load has no previous queue, store no next one). Throws qsa::Error
// "instruction 12 (gemm): ..." with `index` in the message.
Instruction CheckWord(const Word& w, std::int64_t index);

}  // namespace qsa::isa
