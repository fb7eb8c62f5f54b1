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

// The spec's limits, generated: each instruction reports its first violated limit, naming the
// field and the bound, and nothing for a legal instruction.
TEST(IsaSpecLimits, FirstViolatedLimitNamesTheFieldAndBound) {
  const ArchParams p{8, 4};  // ROWS = 8, COLS = 4
  LoadSp load;
  load.ny = 3;
  load.nx = 2;
  load.lanes = 8;
  EXPECT_EQ(LimitViolation(load, p), std::nullopt);
  load.lanes = 9;
  EXPECT_EQ(LimitViolation(load, p), "field lanes = 9 is outside [1, 8] (1..ROWS)");
  load.pad_top = 2;
  load.pad_bottom = 2;
  EXPECT_EQ(LimitViolation(load, p), "pad_top + pad_bottom = 4 exceeds ny = 3");
  load.ny = 0;
  EXPECT_EQ(LimitViolation(Instruction{load}, p), "field ny = 0 is outside [1, 255]");

  StoreAcc store;
  store.ny = store.nx = 1;
  store.lanes = 3;
  store.lane0 = 2;
  EXPECT_EQ(LimitViolation(store, p), "lane0 + lanes = 5 exceeds COLS = 4");

  Gemm gemm;
  gemm.n_outer = 2;
  gemm.n_inner = 3;
  gemm.acc_outer = 2;
  gemm.k_lanes = 8;
  gemm.n_lanes = 4;
  EXPECT_EQ(LimitViolation(gemm, p),
            "acc_outer = 2 is below n_inner = 3; output rows would be written twice");
  gemm.n_outer = 1;
  EXPECT_EQ(LimitViolation(gemm, p), std::nullopt);

  Post post;
  post.n = 1;
  post.n_lanes = 4;
  post.dst_lane = 4;
  EXPECT_EQ(LimitViolation(post, p), std::nullopt);
  post.dst_lane = 2;
  EXPECT_EQ(LimitViolation(post, p),
            "field dst_lane = 2 must be a multiple of COLS = 4 below ROWS = 8");
  EXPECT_EQ(LimitViolation(post, ArchParams{4, 4}),
            "field dst_lane = 2 must be 0 when COLS >= ROWS");

  Vadd vadd;
  vadd.a = 0;
  vadd.b = 10;
  vadd.dst = 2;
  vadd.n = 4;
  EXPECT_EQ(LimitViolation(vadd, p),
            "output rows [2, 6) overlap input a rows [0, 4) without being equal to them");
  vadd.dst = 0;
  EXPECT_EQ(LimitViolation(vadd, p), std::nullopt);

  Pool pool;
  EXPECT_EQ(LimitViolation(pool, p), "field in_h = 0; it must be at least 1");

  Sync sync;
  sync.queue = 3;
  EXPECT_EQ(LimitViolation(sync, p),
            "field queue = 3 is outside [0, 2] (0 load, 1 compute, 2 store)");
  EXPECT_EQ(LimitViolation(Finish{}, p), std::nullopt);
}

// The spec's footprints, generated: the rows and bytes a hand-made instruction touches.
TEST(IsaSpecFootprint, RangesOfHandMadeInstructions) {
  const ArchParams p{8, 4};
  LoadAcc load;
  load.sram = 10;
  load.dram = 100;
  load.ny = 3;
  load.nx = 2;
  load.stride_y = 64;
  load.stride_x = 16;
  load.pad_top = 1;
  load.lanes = 4;
  // Inside the padding: 2 x 2 elements of 16 bytes, the last at 100 + 64 + 16.
  EXPECT_EQ(FootprintOf(load, p),
            (std::vector<MemoryAccess>{{Memory::kDram, false, 100, 196},
                                       {Memory::kAccumulator, true, 10, 16}}));
  load.pad_bottom = 2;  // all padding: no DRAM read
  EXPECT_EQ(FootprintOf(load, p),
            (std::vector<MemoryAccess>{{Memory::kAccumulator, true, 10, 16}}));

  Gemm gemm;
  gemm.act = 5;
  gemm.act_outer = 10;
  gemm.act_inner = 2;
  gemm.acc = 20;
  gemm.acc_outer = 4;
  gemm.n_outer = 3;
  gemm.n_inner = 4;
  gemm.w = 100;
  gemm.preload = true;
  gemm.accumulate = true;
  EXPECT_EQ(FootprintOf(gemm, p),
            (std::vector<MemoryAccess>{{Memory::kScratchpad, false, 5, 32},
                                       {Memory::kScratchpad, false, 100, 104},
                                       {Memory::kAccumulator, false, 20, 32},
                                       {Memory::kAccumulator, true, 20, 32}}));

  Post post;  // COLS = 16 over ROWS = 8: two lane groups
  post.acc = 3;
  post.n = 2;
  post.dst = 50;
  post.dst_stride = 1;
  post.blk_stride = 10;
  post.n_lanes = 16;
  post.param = 7;
  EXPECT_EQ(FootprintOf(post, ArchParams{8, 16}),
            (std::vector<MemoryAccess>{{Memory::kAccumulator, false, 3, 5},
                                       {Memory::kParam, false, 7, 11},
                                       {Memory::kScratchpad, true, 50, 62}}));

  Pool pool;
  pool.src = 0;
  pool.in_h = pool.in_w = 3;
  pool.dst = 20;
  pool.out_h = pool.out_w = 2;
  pool.kh = pool.kw = 2;
  pool.param = 6;
  // Average: 2 + 2·4 = 10 descriptor words, 3 rows of 4.
  EXPECT_EQ(FootprintOf(pool, p), (std::vector<MemoryAccess>{{Memory::kScratchpad, false, 0, 9},
                                                             {Memory::kParam, false, 6, 9},
                                                             {Memory::kScratchpad, true, 20, 24}}));
  EXPECT_TRUE(FootprintOf(Instruction{Sync{}}, p).empty());
  EXPECT_TRUE(TouchesDram(Instruction{load}));
  EXPECT_FALSE(TouchesDram(Instruction{gemm}));
}

TEST(IsaSpec, QueueOfEveryOpcodeMatchesTheOpTable) {
  for (const OpSpec& op : kOps) {
    const std::optional<Queue> queue = QueueOfOpcode(static_cast<Opcode>(op.opcode));
    if (op.queue_from_field) {
      EXPECT_EQ(queue, std::nullopt) << op.mnemonic;
    } else {
      EXPECT_EQ(queue, op.queue) << op.mnemonic;
    }
  }
}

}  // namespace
}  // namespace qsa::isa
