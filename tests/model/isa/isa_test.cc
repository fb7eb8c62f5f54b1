// The ISA encoding: bit helpers, every instruction's encoder/decoder against the spec's field
// table, legality checks, and the generated artefacts against the checked-in documentation.
#include "model/isa/isa.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace qsa::isa {
namespace {

std::uint64_t TestSeed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20261122;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(IsaBits, GetAndSetAcrossTheWordBoundary) {
  Word w;
  SetBits(w, 60, 8, 0xAB);  // bits 60..67 straddle the two halves
  EXPECT_EQ(w.lo, std::uint64_t{0xB} << 60);
  EXPECT_EQ(w.hi, std::uint64_t{0xA});
  EXPECT_EQ(GetBits(w, 60, 8), 0xABu);
  SetBits(w, 60, 8, 0x12);  // overwriting clears the old bits
  EXPECT_EQ(GetBits(w, 60, 8), 0x12u);
  EXPECT_EQ(GetBits(w, 0, 60), 0u);
  SetBits(w, 120, 8, 0xFF);
  EXPECT_EQ(w.hi >> 56, 0xFFu);
  SetBits(w, 0, 64, ~std::uint64_t{0});
  EXPECT_EQ(w.lo, ~std::uint64_t{0});
  EXPECT_EQ(GetBits(w, 64, 64), w.hi);
}

TEST(IsaSpec, FieldsArePackedWithoutOverlapInto128Bits) {
  std::set<std::string> mnemonics;
  for (const OpSpec& op : kOps) {
    EXPECT_TRUE(mnemonics.insert(std::string(op.mnemonic)).second) << op.mnemonic;
    int next = 8;
    for (const FieldSpec& f : op.fields) {
      EXPECT_EQ(f.lsb, next) << op.mnemonic << "." << f.name;
      next += f.bits;
    }
    EXPECT_EQ(op.used_bits, next) << op.mnemonic;
    EXPECT_LE(op.used_bits, kInstructionBits) << op.mnemonic;
    EXPECT_EQ(FindOp(op.mnemonic), &op);
    EXPECT_EQ(FindOp(std::uint64_t{op.opcode}), &op);
  }
  EXPECT_EQ(FindOp(std::uint64_t{0}), nullptr);
  EXPECT_EQ(FindOp("nop"), nullptr);
}

// Random field values through the generic field table, then the typed decoder and encoder: the
// word must survive both, and every field must read back through the table.
TEST(IsaEncoding, EveryInstructionRoundTripsThroughTypedStructs) {
  const std::uint64_t seed = TestSeed();
  std::cout << "seed " << seed << "\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const OpSpec& op : kOps) {
    for (int trial = 0; trial < 200; ++trial) {
      Word w;
      SetBits(w, kOpcodeLsb, kOpcodeBits, op.opcode);
      std::vector<std::uint64_t> values;
      for (const FieldSpec& f : op.fields) {
        std::uint64_t v = rng() & ((std::uint64_t{1} << f.bits) - 1);
        if (op.queue_from_field && f.name == "queue") v %= 3;
        values.push_back(v);
        SetField(w, op.mnemonic, f, v);
      }
      Deps deps{(rng() & 1) != 0, (rng() & 1) != 0, (rng() & 1) != 0, (rng() & 1) != 0};
      SetDeps(w, deps);
      const Instruction in = Decode(w);
      EXPECT_EQ(MnemonicOf(in), op.mnemonic);
      EXPECT_EQ(DepsOf(in), deps);
      EXPECT_EQ(Encode(in), w) << op.mnemonic << " trial " << trial;
      for (size_t i = 0; i < op.fields.size(); ++i) {
        EXPECT_EQ(GetBits(w, op.fields[i].lsb, op.fields[i].bits), values[i]);
      }
    }
  }
}

TEST(IsaEncoding, TypedFieldsLandAtTheirSpecPositions) {
  Gemm g;
  g.act = 0x1234;
  g.n_outer = 7;
  g.accumulate = true;
  g.deps.push_next = true;
  const Word w = Encode(Instruction{g});
  EXPECT_EQ(GetBits(w, kOpcodeLsb, kOpcodeBits), 6u);
  EXPECT_EQ(GetBits(w, kPushNextLsb, 1), 1u);
  EXPECT_EQ(GetBits(w, kGemmFields[0].lsb, 16), 0x1234u);
  EXPECT_EQ(kGemmFields[0].name, "act");
  for (const FieldSpec& f : kGemmFields) {
    std::uint64_t want = 0;
    if (f.name == "act") want = 0x1234;
    if (f.name == "n_outer") want = 7;
    if (f.name == "accumulate") want = 1;
    EXPECT_EQ(GetBits(w, f.lsb, f.bits), want) << f.name;
  }
}

TEST(IsaEncoding, ValueTooWideIsRefusedNamingTheField) {
  Gemm g;
  g.n_outer = 300;
  try {
    Encode(Instruction{g});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "gemm: field n_outer = 300 does not fit in 8 bits");
  }
}

TEST(IsaDecoding, IllegalOpcodesAndReservedBitsAreRefused) {
  for (std::uint64_t opcode : {0u, 12u, 13u, 14u, 15u}) {
    Word w;
    SetBits(w, kOpcodeLsb, kOpcodeBits, opcode);
    try {
      Decode(w);
      FAIL() << "opcode " << opcode << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "illegal opcode " + std::to_string(opcode));
    }
  }
  // finish uses 8 bits; any bit above is reserved, in either half of the word.
  for (int bit : {8, 63, 64, 127}) {
    Word w;
    SetBits(w, kOpcodeLsb, kOpcodeBits, static_cast<std::uint64_t>(Opcode::kFinish));
    SetBits(w, bit, 1, 1);
    EXPECT_THROW(Decode(w), Error) << "bit " << bit;
  }
  Word sync_word;
  SetBits(sync_word, kOpcodeLsb, kOpcodeBits, static_cast<std::uint64_t>(Opcode::kSync));
  SetBits(sync_word, 10, 1, 1);  // above sync's 2-bit queue field
  EXPECT_THROW(Decode(sync_word), Error);
}

TEST(IsaDecoding, CheckWordRefusesTokensTowardMissingNeighbours) {
  LoadSp load;
  load.deps.pop_prev = true;
  try {
    CheckWord(Encode(Instruction{load}), 4);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "instruction 4 (load.sp): the load queue has no previous queue to exchange "
                 "tokens with");
  }
  StoreSp store;
  store.deps.push_next = true;
  EXPECT_THROW(CheckWord(Encode(Instruction{store}), 0), Error);
  Sync sync;
  sync.queue = 3;
  try {
    CheckWord(Encode(Instruction{sync}), 9);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "instruction 9: sync: queue 3 does not exist (0 load, 1 compute, 2 store)");
  }
  sync.queue = 2;
  sync.deps.pop_prev = true;
  EXPECT_EQ(QueueOf(CheckWord(Encode(Instruction{sync}), 0)), Queue::kStore);
  Gemm gemm;
  gemm.deps = {true, true, true, true};
  EXPECT_EQ(QueueOf(CheckWord(Encode(Instruction{gemm}), 0)), Queue::kCompute);
  EXPECT_THROW(CheckWord(Word{}, 2), Error);
}

TEST(IsaGenerated, DocumentationTablesMatchTheSpec) {
  const std::string generated = ReadFile(std::string(QSA_GENERATED_DIR) + "/docs/isa_fields.md");
  const std::string checked_in = ReadFile(std::string(QSA_SOURCE_DIR) + "/docs/isa-fields.md");
  ASSERT_FALSE(generated.empty());
  EXPECT_EQ(checked_in, generated) << "docs/isa-fields.md is out of date: copy "
                                   << QSA_GENERATED_DIR << "/docs/isa_fields.md over it";
  const std::string package = ReadFile(std::string(QSA_GENERATED_DIR) + "/rtl/qsa_isa_pkg.sv");
  ASSERT_FALSE(package.empty());
  EXPECT_EQ(ReadFile(std::string(QSA_SOURCE_DIR) + "/rtl/top/qsa_isa_pkg.sv"), package)
      << "rtl/top/qsa_isa_pkg.sv is out of date: copy " << QSA_GENERATED_DIR
      << "/rtl/qsa_isa_pkg.sv over it";
  const std::string isa_doc = ReadFile(std::string(QSA_SOURCE_DIR) + "/docs/isa.md");
  for (const OpSpec& op : kOps) {
    EXPECT_NE(isa_doc.find("`" + std::string(op.mnemonic) + "`"), std::string::npos)
        << op.mnemonic << " is not described in docs/isa.md";
  }
}

TEST(IsaGenerated, SystemVerilogPackageHasEveryOpcodeAndField) {
  const std::string sv = ReadFile(std::string(QSA_GENERATED_DIR) + "/rtl/qsa_isa_pkg.sv");
  ASSERT_NE(sv.find("package qsa_isa_pkg;"), std::string::npos);
  EXPECT_NE(sv.find("localparam logic [3:0] OP_GEMM = 4'd6;"), std::string::npos);
  for (const OpSpec& op : kOps) {
    std::string prefix;
    for (char c : op.mnemonic) prefix += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    for (const FieldSpec& f : op.fields) {
      std::string name;
      for (char c : f.name) name += static_cast<char>(std::toupper(c));
      const std::string line =
          "localparam int " + prefix + "_" + name + "_LSB = " + std::to_string(f.lsb) + ";";
      EXPECT_NE(sv.find(line), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace qsa::isa
