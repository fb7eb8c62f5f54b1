// End-to-end tests of `qsa run --engine isa`: programs assembled with `qsa asm`, run by the real
// binary, their outputs, summary, report and trace read back; and every error path.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/golden/npy.h"
#include "model/golden/tensor.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

using golden::Tensor;

const std::string kGemmTile = QSA_SOURCE_DIR "/examples/isa/gemm_tile.s";
const std::string kGemmTileInput = QSA_SOURCE_DIR "/examples/isa/gemm_tile_input.npy";
const std::string kGemmTileExpected = QSA_SOURCE_DIR "/examples/isa/gemm_tile_expected.npy";
const std::string kArch4x4 = QSA_SOURCE_DIR "/model/isa/arch/4x4.json";

// Copies input a (uint8 [1,4]) to output ya and b (int8 [2,2]) to yb through the scratchpad.
const std::string kCopyTwo = R"(
.dram_size 0x100
.input a 0x00 uint8 1,4
.input b 0x10 int8 2,2
.output ya 0x40 uint8 1,4
.output yb 0x50 int8 2,2
load.sp sram=0 dram=0x00 ny=1 nx=1 lanes=4
load.sp sram=1 dram=0x10 ny=1 nx=1 lanes=4 push_next
sync queue=1 pop_prev push_next
store.sp sram=0 dram=0x40 ny=1 nx=1 lanes=4 pop_prev
store.sp sram=1 dram=0x50 ny=1 nx=1 lanes=4
finish
)";

class RunIsaCliTest : public CliFixture {
 protected:
  // Assembles `source` (a path, or text written to a file first) into folder `name`.
  std::string Assemble(const std::string& name, const std::string& text,
                       const std::vector<std::string>& extra = {}) {
    const std::string source = WriteText(name + ".s", text);
    std::vector<std::string> args = {"asm", source, "-o", Path(name)};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = Qsa(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Path(name);
  }

  std::string Npy(const std::string& name, const Tensor& value) {
    golden::WriteNpy(Path(name), value);
    return Path(name);
  }

  // A failed isa run: exit 1, one error line with every phrase, no output folder contents.
  void ExpectRunError(const CliResult& r, const std::vector<std::string>& phrases) {
    ExpectError(r, 1, phrases);
    EXPECT_TRUE(FilesUnder("out", ".npy").empty());
    EXPECT_TRUE(FilesUnder("out", ".json").empty());
  }
};

std::string Fnv1aSumHex(std::uint64_t first_address, const std::vector<std::uint8_t>& values) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint64_t h = 14695981039346656037ull;
    const std::uint64_t address = first_address + i;
    for (int k = 0; k < 9; ++k) {
      h ^= k < 8 ? (address >> (8 * k)) & 0xff : values[i];
      h *= 1099511628211ull;
    }
    sum += h;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(sum));
  return text;
}

TEST_F(RunIsaCliTest, GemmTileGivesTheGoldenOutputSummaryReportAndTrace) {
  const std::string prog = Path("gemm_tile");
  ASSERT_EQ(Qsa({"asm", kGemmTile, "-o", prog}).exit_code, 0);
  const std::string out = Path("out");
  const CliResult r = Qsa({"run", prog, "--engine", "isa", "--input", kGemmTileInput, "--out", out,
                           "--trace-isa", Path("trace.txt"), "--report", Path("report.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Tensor expected = golden::ReadNpy(kGemmTileExpected);
  EXPECT_TRUE(golden::ReadNpy(out + "/y.npy") == expected);

  // Default architecture: 16×16, DRAM latency 100, 16 bytes per cycle. Instruction fetch: the
  // program's 7 words are one burst requested at cycle 1; its first word arrives at 101 and
  // enters its queue at 102, the next ones one cycle apart. Each load moves 256 bytes (16 beats,
  // 16 port cycles) and completes 2 cycles after its data; the next load starts the cycle after
  // the previous one's 16 cycles of issue: [102, 220), [119, 237), [136, 254); the gemm waits for
  // load.param's token: 16 rows, 15 bank stalls (its weight rows 16..31 share bank 0 with its
  // activation rows, so the stream waits for the preload's last 15 rows) + 2 + 32 of fill/drain
  // → [254, 319); post from 255 (beside the drain), its first row at the gemm's end, 16 rows + 10
  // → [255, 345); the store, 256 bytes, 16 + 100 + 5 → [345, 466); finish [466, 467). 16 rows ×
  // 256 MACs, all useful.
  EXPECT_EQ(r.out, "y  uint8[1,16,4,4]  " + out +
                       "/y.npy\n"
                       "isa: 7 instructions (load.sp 2, load.param 1, store.sp 1, gemm 1, post 1, "
                       "finish 1)\n"
                       "cycles: 467 estimated, 0.934 us at 500 MHz (busy: load 48, compute 53, "
                       "store 16)\n"
                       "MACs: 4,096 issued, 4,096 useful; array utilization 3.4% of 16x16\n"
                       "DRAM: 768 bytes read, 256 bytes written\n");

  const nlohmann::json report = nlohmann::json::parse(ReadText(Path("report.json")));
  EXPECT_EQ(report.at("engine"), "isa");
  EXPECT_EQ(report.at("program"), prog);
  EXPECT_EQ(report.at("arch").at("name"), "default");
  EXPECT_EQ(report.at("cycles"), 467);
  EXPECT_DOUBLE_EQ(report.at("time_us").get<double>(), 0.934);  // 467 cycles at 500 MHz
  EXPECT_DOUBLE_EQ(report.at("array_utilization").get<double>(), 4096.0 / (256.0 * 467.0));
  EXPECT_EQ(report.at("busy_cycles"),
            (nlohmann::json{{"load", 48}, {"compute", 53}, {"store", 16}}));
  EXPECT_EQ(report.at("bank_stall_cycles"), 15);
  EXPECT_EQ(report.at("instructions").at("load.sp"), 2);
  EXPECT_EQ(report.at("instructions_total"), 7);
  EXPECT_EQ(report.at("macs_issued"), 4096);
  EXPECT_EQ(report.at("macs_useful"), 4096);
  EXPECT_EQ(report.at("dram"), (nlohmann::json{{"bytes_read", 768}, {"bytes_written", 256}}));
  for (const char* key : {"scratchpad", "accumulator", "param", "clock_mhz"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }

  // The store's record hashes what the golden output holds, laid out NHWC at 0x300.
  std::vector<std::uint8_t> nhwc(256);
  for (int c = 0; c < 16; ++c) {
    for (int p = 0; p < 16; ++p) {
      nhwc[static_cast<std::size_t>(p * 16 + c)] =
          static_cast<std::uint8_t>(expected.GetInt(c * 16 + p));
    }
  }
  const std::vector<std::string> trace = Lines(ReadText(Path("trace.txt")));
  ASSERT_EQ(trace.size(), 7u);
  EXPECT_EQ(trace[0].rfind("#0 load load.sp [102, 220) wrote scratchpad rows 0..15 hash ", 0), 0u);
  EXPECT_EQ(
      trace[2].rfind("#2 load load.param [136, 254) wrote parameter buffer rows 0..3 hash ", 0),
      0u);
  EXPECT_EQ(trace[3].rfind("#3 compute gemm [254, 319) wrote accumulator rows 0..15 hash ", 0), 0u);
  EXPECT_EQ(trace[5], "#5 store store.sp [345, 466) wrote DRAM bytes 0x300..0x3ff hash " +
                          Fnv1aSumHex(0x300, nhwc));
  EXPECT_EQ(trace[6], "#6 compute finish [466, 467)");
}

TEST_F(RunIsaCliTest, InputsAreMatchedByNameAndEveryOutputIsWritten) {
  const std::string prog = Assemble("copy", kCopyTwo);
  const Tensor a = Tensor::FromVector<std::uint8_t>({1, 4}, {1, 2, 250, 7});
  const Tensor b = Tensor::FromVector<std::int8_t>({2, 2}, {-1, 5, -128, 127});
  const CliResult r = Qsa({"run", prog, "--engine", "isa", "-i", "b=" + Npy("b.npy", b), "-i",
                           "a=" + Npy("a.npy", a), "-o", Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(golden::ReadNpy(Path("out/ya.npy")) == a);
  EXPECT_TRUE(golden::ReadNpy(Path("out/yb.npy")) == b);
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0], "ya  uint8[1,4]  " + Path("out") + "/ya.npy");
  EXPECT_EQ(lines[1], "yb  int8[2,2]  " + Path("out") + "/yb.npy");
  EXPECT_EQ(lines[2], "isa: 6 instructions (load.sp 2, store.sp 2, sync 1, finish 1)");
}

TEST_F(RunIsaCliTest, ArchOptionSelectsTheConfigurationTheProgramWasBuiltFor) {
  const std::string prog = Assemble("copy4", kCopyTwo, {"--arch", kArch4x4});
  const Tensor a = Tensor::FromVector<std::uint8_t>({1, 4}, {9, 8, 7, 6});
  const Tensor b = Tensor::FromVector<std::int8_t>({2, 2}, {1, 2, 3, 4});
  const std::vector<std::string> inputs = {"-i", "a=" + Npy("a.npy", a), "-i",
                                           "b=" + Npy("b.npy", b)};
  std::vector<std::string> args = {"run",    prog,     "--engine", "isa",
                                   "--arch", kArch4x4, "-o",       Path("out")};
  args.insert(args.end(), inputs.begin(), inputs.end());
  const CliResult r = Qsa(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("% of 4x4\n"), std::string::npos) << r.out;
  EXPECT_TRUE(golden::ReadNpy(Path("out/yb.npy")) == b);

  // Without --arch the default configuration is used, which the program was not built for.
  args = {"run", prog, "--engine", "isa", "-o", Path("out2")};
  args.insert(args.end(), inputs.begin(), inputs.end());
  ExpectError(Qsa(args), 1,
              {"program '" + prog + "' was built for architecture '4x4'", "not for 'default'",
               "pass the matching --arch"});
  EXPECT_TRUE(FilesUnder("out2", ".npy").empty());
}

TEST_F(RunIsaCliTest, InputErrorsNameTheInputAndWriteNothing) {
  const std::string prog = Assemble("copy", kCopyTwo);
  const std::string a = Npy("a.npy", Tensor::FromVector<std::uint8_t>({1, 4}, {1, 2, 3, 4}));
  const std::string b = Npy("b.npy", Tensor::FromVector<std::int8_t>({2, 2}, {1, 2, 3, 4}));
  const std::string a_int8 = Npy("a8.npy", Tensor::FromVector<std::int8_t>({1, 4}, {1, 2, 3, 4}));
  const std::string b_shape = Npy("b3.npy", Tensor::FromVector<std::int8_t>({4}, {1, 2, 3, 4}));
  const std::vector<std::string> run = {"run", prog, "--engine", "isa", "-o", Path("out")};
  auto with = [&](const std::vector<std::string>& more) {
    std::vector<std::string> args = run;
    args.insert(args.end(), more.begin(), more.end());
    return Qsa(args);
  };
  ExpectRunError(with({"-i", "a=" + a}),
                 {"no value for program input 'b' (int8[2,2]); give --input b=FILE.npy"});
  ExpectRunError(with({"-i", a}), {"--input " + a +
                                   " has no name, but the program has 2 inputs "
                                   "without a value (a, b)"});
  ExpectRunError(with({"-i", "a=" + a, "-i", "b=" + b, "-i", "c=" + b}),
                 {"unknown input name 'c'", "the program's inputs are: a, b"});
  ExpectRunError(
      with({"-i", "a=" + a_int8, "-i", "b=" + b}),
      {"input 'a' from '" + a_int8 + "' has dtype int8", "the program expects uint8[1,4]"});
  ExpectRunError(
      with({"-i", "a=" + a, "-i", "b=" + b_shape}),
      {"input 'b' from '" + b_shape + "' has shape [4]", "the program expects int8[2,2]"});
}

TEST_F(RunIsaCliTest, DeadlockFailsWithTheQueueHeadsAndKeepsTheTraceSoFar) {
  const std::string prog = Assemble("dead", R"(
.dram_size 0x100
load.sp sram=0 dram=0 ny=1 nx=1 lanes=4
sync queue=1 pop_prev
finish
)");
  const CliResult r = Qsa({"run", prog, "--engine", "isa", "-o", Path("out"), "--trace-isa",
                           Path("trace.txt"), "--report", Path("out/report.json")});
  ExpectRunError(r, {"deadlock: load queue is empty; compute queue waits at instruction 1 (sync) "
                     "for a token from load; store queue is empty; fetch has dispatched all 3 "
                     "instructions"});
  // Fetched at 102 (the first word of the first burst); 4 bytes: one beat (one port cycle), one
  // row, 100 of latency, 2 to complete.
  const std::vector<std::string> trace = Lines(ReadText(Path("trace.txt")));
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0].rfind("#0 load load.sp [102, 205) wrote scratchpad rows 0..0 hash ", 0), 0u);
}

TEST_F(RunIsaCliTest, OutOfBoundsAccessFailsNamingTheInstruction) {
  const std::string prog = Assemble("oob", R"(
.dram_size 0x40
load.sp sram=0 dram=0x3e ny=1 nx=1 lanes=4
finish
)");
  ExpectRunError(Qsa({"run", prog, "--engine", "isa", "-o", Path("out")}),
                 {"instruction 0 (load.sp): DRAM read [0x3e, 0x42) is outside the program's "
                  "DRAM of 64 bytes"});
}

TEST_F(RunIsaCliTest, CorruptProgramIsRefused) {
  const std::string prog = Assemble("copy", kCopyTwo);
  std::string bin = ReadText(prog + "/program.bin");
  bin[bin.size() - 1] = static_cast<char>(bin[bin.size() - 1] ^ 0x40);
  WriteText("copy/program.bin", bin);
  const std::string a = Npy("a.npy", Tensor::FromVector<std::uint8_t>({1, 4}, {1, 2, 3, 4}));
  const std::string b = Npy("b.npy", Tensor::FromVector<std::int8_t>({2, 2}, {1, 2, 3, 4}));
  ExpectRunError(
      Qsa({"run", prog, "--engine", "isa", "-i", "a=" + a, "-i", "b=" + b, "-o", Path("out")}),
      {"program.bin"});
}

TEST_F(RunIsaCliTest, EngineChoiceAndIsaOnlyOptions) {
  const std::string prog = Assemble("copy", kCopyTwo);
  ExpectRunError(Qsa({"run", prog, "--engine", "rtl", "-o", Path("out")}), {"program input", "a"});
  ExpectRunError(Qsa({"run", prog, "--engine", "tpu", "-o", Path("out")}),
                 {"unknown engine 'tpu'"});
  const std::string model = QSA_SOURCE_DIR "/examples/cnn3/cnn3.json";
  const std::string input = QSA_SOURCE_DIR "/examples/cnn3/input.npy";
  ExpectRunError(Qsa({"run", model, "-i", input, "-o", Path("out"), "--report", Path("r.json")}),
                 {"--report needs --engine isa"});
  ExpectRunError(Qsa({"run", model, "-i", input, "-o", Path("out"), "--trace-isa", Path("t")}),
                 {"--trace-isa needs --engine isa"});
  // The golden engine ignores --arch.
  const CliResult golden = Qsa({"run", model, "-i", input, "-o", Path("out"), "--arch", kArch4x4});
  EXPECT_EQ(golden.exit_code, 0) << golden.err;
  EXPECT_EQ(FilesUnder("out", ".npy").size(), 1u);
}

}  // namespace
}  // namespace qsa::tools
