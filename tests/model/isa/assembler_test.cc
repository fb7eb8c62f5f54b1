// The assembler and disassembler: encodings against the generated encoders, directives, error
// locations, and round trips (text → program → text → program) on fixed and random programs.
#include "model/isa/assembler.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/golden/npy.h"

namespace qsa::isa {
namespace {

namespace fs = std::filesystem;

std::uint64_t TestSeed() {
  const char* env = std::getenv("QSA_TEST_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : 20240611;
}

std::uint64_t SeedFor(const std::string& test) {
  const std::uint64_t seed = TestSeed();
  std::cout << test << ": seed " << seed << " (set QSA_TEST_SEED to change)" << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Assembling `text` as "t.s" fails at `location` ("LINE:COL") with a message holding `phrase`.
void ExpectAsmError(const std::string& text, const std::string& location,
                    const std::string& phrase) {
  const std::string message = ErrorOf([&] { Assemble(text, "t.s"); });
  EXPECT_EQ(message.rfind("t.s:" + location + ": ", 0), 0u) << "text:\n"
                                                            << text << "\nmessage: " << message;
  EXPECT_NE(message.find(phrase), std::string::npos) << "text:\n"
                                                     << text << "\nmessage: " << message;
}

// Assembling the disassembly gives back the identical program (and the identical file).
void ExpectRoundTrip(const Program& p) {
  const std::string text = Disassemble(p);
  Program again;
  try {
    again = Assemble(text, "disassembly.s");
  } catch (const Error& e) {
    FAIL() << e.what() << "\n" << text;
  }
  EXPECT_EQ(again, p) << text;
  EXPECT_EQ(EncodeProgramBinary(again), EncodeProgramBinary(p));
}

Program Base() {
  Program p;
  p.arch_name = DefaultArchConfig().name;
  p.arch_hash = DefaultArchConfig().Hash();
  return p;
}

// ---- Encoding ----------------------------------------------------------------------------------

TEST(Assembler, EncodesLikeTheGeneratedEncoders) {
  const Program p = Assemble(
      "load.sp sram=0 dram=0x100 ny=9 nx=9 stride_y=27 stride_x=3 pad_top=1 lanes=3 fill=128 "
      "push_next\n"
      "gemm act=0 act_outer=18 act_inner=2 acc=0 acc_outer=4 n_outer=4 n_inner=4 w=200 "
      "k_lanes=3 n_lanes=8 preload pop_prev\n"
      "post n_lanes=16 param=4 n=2 acc=7 dst=300 dst_stride=2 blk_stride=1 single_rounding=1\n"
      "sync queue=2 push_prev pop_prev=1 push_next=0\n"
      "store.acc sram=1 dram=4 ny=1 nx=2 stride_x=64 lanes=16 lane0=0 pop_prev\n"
      "finish\n",
      "t.s");
  isa::LoadSp load;
  load.dram = 0x100;
  load.ny = 9;
  load.nx = 9;
  load.stride_y = 27;
  load.stride_x = 3;
  load.pad_top = 1;
  load.lanes = 3;
  load.fill = 128;
  load.deps.push_next = true;
  isa::Gemm gemm;
  gemm.act_outer = 18;
  gemm.act_inner = 2;
  gemm.acc_outer = 4;
  gemm.n_outer = 4;
  gemm.n_inner = 4;
  gemm.w = 200;
  gemm.k_lanes = 3;
  gemm.n_lanes = 8;
  gemm.preload = true;
  gemm.deps.pop_prev = true;
  isa::Post post;
  post.acc = 7;
  post.n = 2;
  post.dst = 300;
  post.dst_stride = 2;
  post.blk_stride = 1;
  post.n_lanes = 16;
  post.param = 4;
  post.single_rounding = true;
  isa::Sync sync;
  sync.queue = 2;
  sync.deps.push_prev = true;
  sync.deps.pop_prev = true;
  isa::StoreAcc store;
  store.sram = 1;
  store.dram = 4;
  store.ny = 1;
  store.nx = 2;
  store.stride_x = 64;
  store.lanes = 16;
  store.deps.pop_prev = true;
  const std::vector<isa::Word> expected = {isa::Encode(load),  isa::Encode(gemm),
                                           isa::Encode(post),  isa::Encode(sync),
                                           isa::Encode(store), isa::Encode(isa::Finish{})};
  EXPECT_EQ(p.instructions, expected);
  EXPECT_EQ(p.arch_hash, DefaultArchConfig().Hash());
  EXPECT_EQ(p.arch_name, "default");
  EXPECT_TRUE(p.dram_image.empty());
  EXPECT_EQ(p.dram_size, 0u);
}

TEST(Assembler, NegativeValuesAreStoredAsTwosComplement) {
  const Program p =
      Assemble("load.acc fill=-1 dram=-1 stride_x=-8192 stride_y=-0x10\nfinish", "t.s");
  const isa::LoadAcc in = std::get<isa::LoadAcc>(isa::Decode(p.instructions[0]));
  EXPECT_EQ(in.fill, 255u);
  EXPECT_EQ(in.dram, 0xffffffffu);
  EXPECT_EQ(in.stride_x, 8192u);
  EXPECT_EQ(in.stride_y, (1u << 18) - 16);
  ExpectAsmError("load.acc pad_top=-1\n", "1:18",
                 "field pad_top = -1 does not fit in 2 bits (0..3)");
  ExpectAsmError("load.acc fill=-129\n", "1:15",
                 "fill = -129 does not fit in 8 bits (0..255, or -128..-1)");
  ExpectAsmError("load.acc fill=256\n", "1:15", "fill = 256 does not fit");
}

TEST(Assembler, CommentsBlankLinesAndCarriageReturns) {
  const Program p = Assemble("  # a comment\r\n\r\n\tfinish ; trailing\r\n", "t.s");
  EXPECT_EQ(p.instructions, std::vector<isa::Word>{isa::Encode(isa::Finish{})});
}

// ---- Directives --------------------------------------------------------------------------------

TEST(Assembler, DataDirectivesBuildTheImage) {
  const Program p = Assemble(
      ".data 0x10 u8 1 2 0xff\n"
      ".data 0x13 i8 -1 -128 127 0x80\n"
      ".data 0x18 i32 -2 0x80000000\n"
      ".hex 4 0a0B 0c\n"
      ".zero 0x20 8\n"
      "finish\n",
      "t.s");
  std::vector<std::uint8_t> want(0x28, 0);
  const std::vector<std::pair<std::size_t, std::uint8_t>> set = {
      {0x10, 1},    {0x11, 2},    {0x12, 0xff}, {0x13, 0xff}, {0x14, 0x80},
      {0x15, 0x7f}, {0x16, 0x80}, {0x18, 0xfe}, {0x19, 0xff}, {0x1a, 0xff},
      {0x1b, 0xff}, {0x1f, 0x80}, {4, 0x0a},    {5, 0x0b},    {6, 0x0c}};
  for (const auto& [at, v] : set) want[at] = v;
  EXPECT_EQ(p.dram_image, want);
  EXPECT_EQ(p.dram_size, 0x28u);  // the image end when .dram_size is left out
  const Program sized = Assemble(".dram_size 0x1000\n.data 0 u8 5\nfinish\n", "t.s");
  EXPECT_EQ(sized.dram_size, 4096u);
  EXPECT_EQ(sized.dram_image, std::vector<std::uint8_t>{5});
}

TEST(Assembler, NpyDataIsReadRelativeToTheSource) {
  std::string pattern = (fs::temp_directory_path() / "qsa_asm_test_XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  golden::WriteNpy((dir / "w.npy").string(),
                   golden::Tensor::FromVector<std::int32_t>({2}, {1, -2}));
  golden::WriteNpy((dir / "f.npy").string(), golden::Tensor::FromVector<float>({1}, {1.0f}));
  const std::string source = (dir / "prog.s").string();
  std::ofstream(source) << ".npy 2 w.npy\nfinish\n";
  const Program p = AssembleFile(source);
  EXPECT_EQ(p.dram_image, (std::vector<std::uint8_t>{0, 0, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}));
  const std::string bad = ErrorOf([&] { Assemble(".npy 0 f.npy\nfinish", source); });
  EXPECT_NE(bad.find(source + ":1:8: '"), std::string::npos) << bad;
  EXPECT_NE(bad.find("holds float32"), std::string::npos) << bad;
  const std::string missing = ErrorOf([&] { Assemble(".npy 0 \"no such.npy\"\nfinish", source); });
  EXPECT_NE(missing.find(source + ":1:8: cannot open"), std::string::npos) << missing;
  fs::remove_all(dir);
}

TEST(Assembler, TensorDirectivesFillTheManifest) {
  const Program p = Assemble(
      ".dram_size 4096\n"
      ".input x 0x0 uint8 1,3,8,8 perm=0,2,3,1 scale=0.02 zero_point=128\n"
      ".output \"conv out:0\" 0x400 int8 [1,2] scale=0.5,0.25 zero_point=-3,4 axis=1\n"
      ".output acc 0x500 int32 []\n"
      "finish\n",
      "t.s");
  ASSERT_EQ(p.manifest.inputs.size(), 1u);
  ASSERT_EQ(p.manifest.outputs.size(), 2u);
  const ManifestTensor x{
      "x", 0, {1, 3, 8, 8}, golden::DType::kUInt8, {0, 2, 3, 1}, {{0.02f}, {128}, -1}};
  const ManifestTensor y{"conv out:0",         0x400, {1, 2},
                         golden::DType::kInt8, {},    {{0.5f, 0.25f}, {-3, 4}, 1}};
  const ManifestTensor acc{"acc", 0x500, {}, golden::DType::kInt32, {}, {}};
  EXPECT_EQ(p.manifest.inputs[0], x);
  EXPECT_EQ(p.manifest.outputs[0], y);
  EXPECT_EQ(p.manifest.outputs[1], acc);
  // Without .dram_size, DRAM extends to the end of the last tensor.
  EXPECT_EQ(Assemble(".output y 0x10 int32 2,2\nfinish", "t.s").dram_size, 0x20u);
}

TEST(Assembler, LayersCoverTheInstructionsBetweenDirectives) {
  const Program p = Assemble(
      "sync queue=0\n"
      ".layer a\n"
      "sync queue=1\n"
      "sync queue=1\n"
      ".layer empty\n"
      ".layer b\n"
      "sync queue=2\n"
      ".endlayer\n"
      "sync queue=0\n"
      ".layer last\n"
      "finish\n",
      "t.s");
  const std::vector<LayerRange> want = {{"a", 1, 2}, {"empty", 3, 0}, {"b", 3, 1}, {"last", 5, 1}};
  EXPECT_EQ(p.manifest.layers, want);
}

TEST(Assembler, ArchDirectiveMustMatchTheTargetArchitecture) {
  const ArchConfig& arch = DefaultArchConfig();
  EXPECT_NO_THROW(Assemble(".arch default\nfinish", "t.s"));
  EXPECT_NO_THROW(Assemble(".arch default " + arch.HashHex() + "\nfinish", "t.s"));
  EXPECT_NO_THROW(Assemble(".arch anything 0x" + arch.HashHex() + "\nfinish", "t.s"));
  ExpectAsmError(".arch 4x4\nfinish", "1:7",
                 "written for architecture '4x4' but is being assembled for 'default'");
  ExpectAsmError(".arch default 0123456789abcdef\nfinish", "1:15",
                 "(hash 0123456789abcdef) but is being assembled for 'default' (hash " +
                     arch.HashHex() + "); pass the matching --arch");
  ExpectAsmError(".arch default 12zz\nfinish", "1:15", "is not an architecture hash");
  ArchConfig other = arch;
  other.name = "wide";
  other.cols = 32;
  const Program p = Assemble("finish", "t.s", other);
  EXPECT_EQ(p.arch_name, "wide");
  EXPECT_EQ(p.arch_hash, other.Hash());
}

TEST(Assembler, WordDirectiveEmitsRawWords) {
  const Program p = Assemble(".word 0x1\n.word 0x00000000000000020000000000000003\nfinish", "t.s");
  ASSERT_EQ(p.instructions.size(), 3u);
  EXPECT_EQ(p.instructions[0], (isa::Word{1, 0}));
  EXPECT_EQ(p.instructions[1], (isa::Word{3, 2}));
  ExpectAsmError(".word 0x123456789012345678901234567890123\n", "1:7", "is not a 128-bit word");
  ExpectAsmError(".word 12\n", "1:7", "is not a 128-bit word");
}

// ---- Errors ------------------------------------------------------------------------------------

TEST(Assembler, ErrorsNameLineAndColumn) {
  ExpectAsmError("finish\n  gem act=1\n", "2:3",
                 "unknown instruction 'gem' (instructions: load.sp,");
  ExpectAsmError("gemm act=1 bogus=2\n", "1:12",
                 "gemm has no field 'bogus' (fields: act, act_outer,");
  ExpectAsmError("gemm n_outer=300\n", "1:14", "gemm: field n_outer = 300 does not fit in 8 bits");
  ExpectAsmError("gemm act=1  act=2\n", "1:13", "field 'act' is given twice (first at column 6)");
  ExpectAsmError("gemm pop_prev pop_prev\n", "1:15", "field 'pop_prev' is given twice");
  ExpectAsmError("\n\n.dat 0 u8 1\n", "3:1", "unknown directive '.dat' (directives: .arch .data");
  ExpectAsmError("gemm act=12x\n", "1:10", "'12x' is not a number");
  ExpectAsmError("gemm act=0x\n", "1:10", "'0x' is not a number");
  ExpectAsmError("gemm act=99999999999999999999999\n", "1:10", "is too large");
  ExpectAsmError("gemm act\n", "1:6", "field 'act' needs a value (act=N)");
  ExpectAsmError("gemm preload=2\n", "1:14", "preload = 2 does not fit in 1 bit (0..1)");
  ExpectAsmError("gemm pop_prev=2\n", "1:15", "pop_prev is a flag; its value must be 0 or 1");
  ExpectAsmError("gemm =3\n", "1:6", "expected field=value or a token flag");
  ExpectAsmError("load.sp pop_prev\n", "1:1",
                 "instruction 0 (load.sp): the load queue has no previous queue");
  ExpectAsmError("finish\nstore.sp push_next\n", "2:1",
                 "instruction 1 (store.sp): the store queue has no next queue");
  ExpectAsmError("sync queue=3\n", "1:1", "sync: queue 3 does not exist");
  ExpectAsmError(".data 0 u8 256\n", "1:12", "value 256 does not fit in u8 (0..255)");
  ExpectAsmError(".data 0 i8 128\n", "1:12",
                 "value 128 does not fit in i8 (-128..127 or 0x0..0xff)");
  ExpectAsmError(".data 0 i32 0x100000000\n", "1:13", "does not fit in i32");
  ExpectAsmError(".data 0 u16 1\n", "1:9", "unknown .data type 'u16' (u8, i8 or i32)");
  ExpectAsmError(".data 0 u8\n", "1:1", "missing arguments; usage: .data ADDR");
  ExpectAsmError(".dram_size 10 20\n", "1:15", "unexpected '20'; usage: .dram_size BYTES");
  ExpectAsmError(".dram_size -1\n", "1:12", ".dram_size -1 is out of range");
  ExpectAsmError(".dram_size 4\n.dram_size 4\n", "2:1",
                 ".dram_size is given twice (first on line 1)");
  ExpectAsmError(".hex 0 abc\n", "1:8", "even number of hexadecimal digits");
  ExpectAsmError(".hex 0 ag\n", "1:9", "'g' is not a hexadecimal digit");
  ExpectAsmError(".endlayer\n", "1:1", ".endlayer without an open .layer");
  ExpectAsmError(".layer \"unterminated\n", "1:8", "unterminated string");
  ExpectAsmError(".layer \"a\\q\"\n", "1:10", "unknown escape '\\q'");
  ExpectAsmError(".layer \"a\"b\n", "1:11", "expected a space after the closing '\"'");
  EXPECT_EQ(ErrorOf([] { Assemble("# nothing\n", "t.s"); }),
            "t.s: the program has no instructions (it must end with finish)");
}

TEST(Assembler, ImageAndManifestErrorsPointAtTheirDirective) {
  ExpectAsmError(".data 0x10 u8 1 2 3 4\nfinish\n.data 0x12 i32 7\n", "3:1",
                 ".data bytes [0x12, 0x16) overlap the .data bytes on line 1");
  ExpectAsmError(".zero 0 64\n.data 0x30 u8 1\n.data 0x8 u8 1\nfinish\n", "3:1",
                 ".data bytes [0x8, 0x9) overlap the .zero bytes on line 1");
  ExpectAsmError(".dram_size 16\n.data 0xc i32 1 2\nfinish\n", "2:1",
                 ".data bytes [0xc, 0x14) lie outside .dram_size 16 (line 1)");
  ExpectAsmError(".dram_size 16\n.output y 8 int32 1,3\nfinish\n", "2:1",
                 "tensor 'y': DRAM bytes [0x8, 0x14) are outside the program's DRAM of 16 bytes");
  ExpectAsmError(".input x 0 uint8 2,2\n.output x 8 uint8 2\nfinish\n", "2:9",
                 "tensor name 'x' is already declared on line 1");
  ExpectAsmError(".input x 0 uint8 2,2 perm=0,0\nfinish\n", "1:1",
                 "dram_perm [0,0] is not a permutation");
  ExpectAsmError(".input x 0 uint8 2,2 scale=0.1,0.2\nfinish\n", "1:1",
                 "2 scales given, expected 1");
  ExpectAsmError(".input x 0 float32 2\nfinish\n", "1:12", "'float32' is not a DRAM tensor type");
  ExpectAsmError(".input x 0 uint8 2,0\nfinish\n", "1:20", "value 0 is out of range (1..");
  ExpectAsmError(".input x 0 uint8 2 scale=abc\n", "1:26", "'abc' is not a number");
  ExpectAsmError(".dram_size 0x100000001\n", "1:12", ".dram_size 0x100000001 is out of range");
  ExpectAsmError("finish\n.data 0xffffffe i32 1\n", "2:1",
                 ".data bytes [0xffffffe, 0x10000002) lie outside the DRAM limit of 268435456 "
                 "bytes (256 MiB)");
  ExpectAsmError(".input x 0 int8 65536,65536,65536\n", "1:1",
                 "tensor 'x': shape [65536,65536,65536] is too large");
  ExpectAsmError(".input x 0 uint8 2 layout=nhwc\n", "1:20", "unknown option 'layout'");
  ExpectAsmError(".input x 0 uint8 2 axis=0 axis=0\n", "1:27", "'axis' is given twice");
}

// ---- Disassembly -------------------------------------------------------------------------------

TEST(Disassembler, PrintsEveryFieldInSpecOrder) {
  isa::Sync sync;
  sync.queue = 2;
  sync.deps.pop_prev = true;
  sync.deps.push_prev = true;
  EXPECT_EQ(DisassembleWord(isa::Encode(sync)), "sync queue=2 pop_prev push_prev");
  isa::StoreSp store;
  store.sram = 32;
  store.dram = 0x300;
  store.ny = 1;
  store.nx = 16;
  store.stride_x = 16;
  store.lanes = 16;
  EXPECT_EQ(DisassembleWord(isa::Encode(store)),
            "store.sp sram=32 dram=0x300 ny=1 nx=16 stride_y=0 stride_x=16 lanes=16 lane0=0");
  EXPECT_EQ(DisassembleWord(isa::Word{0, 0}), ".word 0x00000000000000000000000000000000");
  EXPECT_EQ(DisassembleWord(isa::Word{0x0b, 1}), ".word 0x0000000000000001000000000000000b");
}

TEST(Disassembler, IllegalWordsBecomeWordDirectivesWithTheReason) {
  Program p = Base();
  p.instructions = {isa::Word{0x11, 0}, isa::Word{0x0b, 1 << 20}, isa::Encode(isa::Finish{})};
  const std::string text = Disassemble(p);
  EXPECT_NE(text.find(".word 0x00000000000000000000000000000011  # 0: instruction 0 (load.sp): "
                      "the load queue has no previous queue"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(".word 0x0000000000100000000000000000000b  # 1: instruction 1: finish: "
                      "reserved bits"),
            std::string::npos)
      << text;
  ExpectRoundTrip(p);
}

TEST(Disassembler, FixedProgramRoundTrips) {
  const Program p = Assemble(
      ".dram_size 0x2000\n"
      ".input \"in put\" 0x0 uint8 1,3,4,4 perm=0,2,3,1 scale=0.0078125 zero_point=128\n"
      ".output y 0x1000 int8 1,10 scale=0.1 zero_point=-5\n"
      ".output z 0x1100 int8 2,3 scale=0.1,0.2 zero_point=0,0 axis=0\n"
      ".output raw 0x1200 int32 4 zero_point=3\n"
      ".data 0x100 i32 1 2 3 -4\n"
      ".data 0x400 u8 9\n"
      ".zero 0x800 0x10\n"
      ".layer first\n"
      "load.sp dram=0x100 ny=1 nx=1 lanes=3 push_next\n"
      ".endlayer\n"
      "sync queue=1 pop_prev\n"
      ".layer \"second #2\"\n"
      "gemm n_outer=1 n_inner=1 k_lanes=1 n_lanes=1 preload\n"
      ".layer empty\n"
      ".endlayer\n"
      "finish\n",
      "t.s");
  ExpectRoundTrip(p);
  const std::string text = Disassemble(p);
  EXPECT_NE(text.find(".arch default " + DefaultArchConfig().HashHex() + "\n"), std::string::npos);
  EXPECT_NE(text.find(".zero 0x401 1039\n"), std::string::npos) << text;
}

TEST(Disassembler, RandomLegalWordsRoundTrip) {
  std::mt19937_64 rng(SeedFor("RandomLegalWordsRoundTrip"));
  Program p = Base();
  for (int i = 0; i < 3000; ++i) {
    const isa::OpSpec& op = isa::kOps[rng() % isa::kOps.size()];
    isa::Word w;
    isa::SetBits(w, isa::kOpcodeLsb, isa::kOpcodeBits, op.opcode);
    isa::SetBits(w, isa::kPopPrevLsb, 4, rng());  // the four token flags
    for (const isa::FieldSpec& f : op.fields) isa::SetBits(w, f.lsb, f.bits, rng());
    ASSERT_NO_THROW(isa::Decode(w));
    p.instructions.push_back(w);
  }
  ExpectRoundTrip(p);
}

TEST(Disassembler, RandomWordsImagesAndLayersRoundTrip) {
  std::mt19937_64 rng(SeedFor("RandomWordsImagesAndLayersRoundTrip"));
  for (int trial = 0; trial < 40; ++trial) {
    Program p = Base();
    const std::size_t count = 1 + rng() % 40;
    for (std::size_t i = 0; i < count; ++i) {
      isa::Word w{rng(), rng()};
      if (rng() % 2 == 0) w.hi &= (std::uint64_t{1} << (rng() % 64)) - 1;  // sometimes decodable
      p.instructions.push_back(w);
    }
    // An image of random runs: zeros, sparse bytes, dense bytes; sometimes ending in zeros.
    const std::size_t image = rng() % 600;
    for (std::size_t i = 0; i < image; ++i) {
      const int mode = static_cast<int>((i / 50 + trial) % 3);
      p.dram_image.push_back(mode == 0   ? 0
                             : mode == 1 ? (rng() % 9 == 0 ? 1 : 0)
                                         : static_cast<std::uint8_t>(rng()));
    }
    p.dram_size = image + rng() % 100;
    // Layers in order, some empty, some adjacent, some with gaps.
    std::int64_t at = 0;
    for (int l = 0; at <= static_cast<std::int64_t>(count) && rng() % 5 != 0; ++l) {
      at += static_cast<std::int64_t>(rng() % 3);
      if (at > static_cast<std::int64_t>(count)) break;
      const std::int64_t len =
          static_cast<std::int64_t>(rng() % (count - static_cast<std::size_t>(at) + 1));
      p.manifest.layers.push_back({"layer" + std::to_string(l), at, len});
      at += len;
    }
    ExpectRoundTrip(p);
    if (HasFailure()) {
      std::cout << "trial " << trial << "\n";
      return;
    }
  }
}

TEST(Disassembler, FloatsAndNamesSurviveTheRoundTrip) {
  std::mt19937_64 rng(SeedFor("FloatsAndNamesSurviveTheRoundTrip"));
  Program p = Base();
  p.instructions = {isa::Encode(isa::Finish{})};
  p.dram_size = 1 << 20;
  const std::string names[] = {"a b",         "tab\there", "semi;colon", "hash#",       "quote\"",
                               "back\\slash", "new\nline", "\x01",       "plain.name:0"};
  std::uint64_t addr = 0;
  for (const std::string& name : names) {
    ManifestTensor t{name, addr, {3}, golden::DType::kInt8, {}, {}};
    std::uniform_real_distribution<float> scale(1e-9f, 1e3f);
    t.quant.scales = {scale(rng), scale(rng), scale(rng)};
    t.quant.zero_points = {-128, 0, 127};
    t.quant.axis = 0;
    p.manifest.outputs.push_back(t);
    addr += 3;
  }
  p.manifest.layers = {{"layer \"one\"", 0, 1}};
  ExpectRoundTrip(p);
}

// ---- The example --------------------------------------------------------------------------------

TEST(Assembler, GemmTileExampleAssembles) {
  const Program p = AssembleFile(QSA_SOURCE_DIR "/examples/isa/gemm_tile.s");
  ASSERT_EQ(p.instructions.size(), 7u);
  EXPECT_EQ(MnemonicOf(isa::Decode(p.instructions[3])), "gemm");
  EXPECT_EQ(std::get<isa::Finish>(isa::Decode(p.instructions.back())), isa::Finish{});
  for (std::size_t i = 0; i < p.instructions.size(); ++i) {
    EXPECT_NO_THROW(isa::CheckWord(p.instructions[i], static_cast<std::int64_t>(i)));
  }
  EXPECT_EQ(p.dram_size, 0x400u);
  ASSERT_EQ(p.manifest.inputs.size(), 1u);
  ASSERT_EQ(p.manifest.outputs.size(), 1u);
  EXPECT_EQ(p.manifest.outputs[0].dram_addr, 0x300u);
  EXPECT_EQ(p.manifest.layers, (std::vector<LayerRange>{{"conv1x1", 0, 6}}));
  // Parameter row 3 (the output format) at 0x2c0: zp 128, qmin 0, qmax 255, unsigned.
  ASSERT_EQ(p.dram_image.size(), 0x300u);
  for (std::size_t c = 0; c < 16; ++c) {
    EXPECT_EQ(p.dram_image[0x2c0 + 4 * c], 0x80);
    EXPECT_EQ(p.dram_image[0x2c0 + 4 * c + 2], 0xff);
  }
  ExpectRoundTrip(p);
}

}  // namespace
}  // namespace qsa::isa

namespace qsa::isa {
namespace {

// Issue #19: tiny sources that declared huge DRAM are refused before anything is allocated.
TEST(AssemblerLimits, HugeDeclaredSizesAreRefusedBeforeAllocation) {
  ExpectAsmError(".zero 0 0xffffffff\nfinish\n", "1:9", ".zero size 0xffffffff is out of range");
  ExpectAsmError(".zero 16 0x10000000\nfinish\n", "1:10",
                 ".zero size 0x10000000 is out of range (0..268435440)");
  ExpectAsmError(".data 0xfffffff0 u8 1 2 3\nfinish\n", "1:7",
                 "address 0xfffffff0 is out of range (0..268435456)");
  ExpectAsmError(".dram_size 0x100000000\nfinish\n", "1:12",
                 ".dram_size 0x100000000 is out of range (0..268435456)");
  // At the limit the program is fine.
  const Program p = Assemble(".dram_size 0x10000000\nfinish\n", "t.s");
  EXPECT_EQ(p.dram_size, kMaxDramSize);
}

// Issue #19: LF, CRLF and lone CR all end lines; line numbers count each ending once.
TEST(AssemblerLineEndings, LfCrlfAndCrAreAllLineEnds) {
  const std::string lf = ".data 0 u8 1 2\nsync\nfinish\n";
  std::string crlf, cr;
  for (char c : lf) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    cr += c == '\n' ? '\r' : c;
  }
  const Program a = Assemble(lf, "t.s");
  for (const std::string& text : {crlf, cr}) {
    const Program b = Assemble(text, "t.s");
    EXPECT_EQ(EncodeProgramBinary(a), EncodeProgramBinary(b));
    EXPECT_EQ(b.instructions.size(), 2u);
  }
  ExpectAsmError("finish\r\n\r\n.bogus\r\n", "3:1", "unknown directive '.bogus'");
  ExpectAsmError("finish\r\r.bogus\r", "3:1", "unknown directive '.bogus'");
}

// Issue #19: `.npy 0 /dev/zero` is refused at once instead of reading without end.
TEST(AssemblerLimits, NpyFromADeviceIsRefused) {
  ExpectAsmError(".npy 0 /dev/zero\nfinish\n", "1:8",
                 "cannot read '/dev/zero': it is a character device, not a regular file");
}

}  // namespace
}  // namespace qsa::isa
