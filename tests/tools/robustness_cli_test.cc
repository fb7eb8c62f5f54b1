// Hostile input to the `qsa` command (issue #19): unbounded reads, huge declared sizes, outputs
// left behind after an error, option values, and messages. Each case runs the real binary.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;

const std::string kCnn3 = QSA_SOURCE_DIR "/examples/cnn3/cnn3.json";
const std::string kCnn3Input = QSA_SOURCE_DIR "/examples/cnn3/input.npy";
const std::string kGemm = QSA_SOURCE_DIR "/examples/isa/gemm_tile.s";
const std::string kGemmInput = QSA_SOURCE_DIR "/examples/isa/gemm_tile_input.npy";
const std::string kDigitsFloat = QSA_SOURCE_DIR "/examples/digits/digits_float.onnx";
const std::string kDigitsCalibration = QSA_SOURCE_DIR "/examples/digits/calibration.npz";

class RobustnessCliTest : public CliFixture {
 protected:
  // Every entry of the test folder (recursively), relative, to check that nothing is left.
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      names.push_back(fs::relative(e.path(), dir_).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  // The gemm_tile example assembled into the program folder "prog".
  std::string Program() {
    const CliResult r = Qsa({"asm", kGemm, "-o", Path("prog")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Path("prog");
  }
};

// ---- Unbounded reads ----------------------------------------------------------------------------

TEST_F(RobustnessCliTest, DevicesAreRefusedInsteadOfReadWithoutEnd) {
  ExpectError(Qsa({"run", kCnn3, "--input", "/dev/zero", "--out", Path("o")}), 1,
              {"cannot read '/dev/zero': it is a character device, not a regular file"});
  fs::create_symlink("/dev/zero", Path("zero.onnx"));
  ExpectError(Qsa({"inspect", Path("zero.onnx")}), 1,
              {"'" + Path("zero.onnx") + "'", "it is a character device"});
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["tensors"]["w1"].erase("data");
  j["tensors"]["w1"]["npy"] = "/dev/zero";
  const std::string model = WriteText("npy.json", j.dump());
  ExpectError(Qsa({"run", model, "--input", kCnn3Input, "--out", Path("o")}), 1,
              {"tensors.w1", "cannot read '/dev/zero': it is a character device"});
  WriteText("dev.s", ".npy 0 /dev/zero\nfinish\n");
  ExpectError(Qsa({"asm", Path("dev.s"), "-o", Path("p")}), 1,
              {"dev.s:1:8: cannot read '/dev/zero'"});
  EXPECT_FALSE(fs::exists(Path("o")));
  EXPECT_FALSE(fs::exists(Path("p")));
}

// ---- Huge declared sizes ------------------------------------------------------------------------

TEST_F(RobustnessCliTest, HugeDeclaredSizesAreRefusedAndLeaveNoTemporary) {
  WriteText("zero.s", ".zero 0 0xffffffff\nfinish\n");
  ExpectError(Qsa({"asm", Path("zero.s"), "-o", Path("zero.bin")}), 1,
              {"zero.s:1:9: .zero size 0xffffffff is out of range (0..268435456)"});
  WriteText("data.s", ".data 0xfffffff0 u8 1 2 3\nfinish\n");
  ExpectError(Qsa({"asm", Path("data.s"), "-o", Path("data.bin")}), 1,
              {"data.s:1:7: address 0xfffffff0 is out of range"});
  WriteText("dram.s", ".dram_size 0x100000000\nfinish\n");
  ExpectError(Qsa({"run", Path("dram.s"), "--engine", "isa", "--out", Path("o")}), 1,
              {"dram.s:1:12: .dram_size 0x100000000 is out of range (0..268435456)"});
  EXPECT_EQ(Entries(), (std::vector<std::string>{"data.s", "dram.s", "zero.s"}));
}

// A Conv whose pads overflow the output shape is blamed on that Conv and its pads, not on a
// later node.
TEST_F(RobustnessCliTest, ShapeOverflowNamesTheNodeAndAttribute) {
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["nodes"][0]["attrs"]["pads"] = {1 << 30, 1 << 30, 1 << 30, 1 << 30};
  const std::string model = WriteText("pads.json", j.dump());
  ExpectError(Qsa({"inspect", model}), 1,
              {"Conv 'conv1': pads [1073741824, 1073741824] give an output height of "
               "2147483654, above the limit of 2147483648"});
}

// ---- Nothing left behind ------------------------------------------------------------------------

TEST_F(RobustnessCliTest, RunWritesNothingWhenAReportOrTraceCannotBeWritten) {
  const std::string prog = Program();
  fs::create_directory(Path("folder.json"));
  const std::vector<std::vector<std::string>> extras = {
      {"--report", "/proc/r.json"},
      {"--report", Path("folder.json")},
      {"--trace-isa", "/proc/trace.txt"},
  };
  for (const std::vector<std::string>& extra : extras) {
    std::vector<std::string> args = {"run",     prog,       "--engine", "isa",
                                     "--input", kGemmInput, "--out",    Path("o")};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = Qsa(args);
    ExpectError(r, 1, {"cannot write '" + extra[1] + "'"});
    EXPECT_FALSE(fs::exists(Path("o"))) << extra[1];
  }
  // With writable paths the same command writes all three.
  const CliResult ok =
      Qsa({"run", prog, "--engine", "isa", "--input", kGemmInput, "--out", Path("o"), "--report",
           Path("o/r.json"), "--trace-isa", Path("o/t.txt")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(fs::exists(Path("o/y.npy")));
  EXPECT_TRUE(fs::exists(Path("o/r.json")));
  EXPECT_TRUE(fs::exists(Path("o/t.txt")));
}

TEST_F(RobustnessCliTest, QuantizeWritesNoModelWhenTheReportCannotBeWritten) {
  const CliResult r = Qsa({"quantize", kDigitsFloat, "-c", kDigitsCalibration, "-o", Path("q.onnx"),
                           "--report", "/proc/r.json"});
  ExpectError(r, 1, {"cannot write '/proc/r.json'"});
  EXPECT_EQ(Entries(), std::vector<std::string>{});
}

TEST_F(RobustnessCliTest, CompileToAnEmptyNameLeavesNoPartialFolder) {
  const std::string cwd = fs::current_path().string();
  fs::current_path(dir_);
  const CliResult r = Qsa({"compile", kCnn3, "-o", ""});
  fs::current_path(cwd);
  ExpectError(r, 1, {"the output folder name is empty"});
  EXPECT_EQ(Entries(), std::vector<std::string>{});
}

// ---- Strictness and messages --------------------------------------------------------------------

TEST_F(RobustnessCliTest, OptionValuesAreCheckedWithTheirRealRange) {
  const std::vector<std::string> base = {"quantize",         kDigitsFloat, "-c",
                                         kDigitsCalibration, "-o",         Path("q.onnx")};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return Qsa(args);
  };
  ExpectError(with({"--samples", "0"}), 2, {"--samples: '0' is not an integer of at least 1"});
  ExpectError(with({"--percentile", "nan"}), 2,
              {"--percentile: 'nan' is not a number in [50, 100]"});
  ExpectError(with({"--smoothquant", "nan"}), 2,
              {"--smoothquant: 'nan' is not a number in [0, 1]"});
  ExpectError(with({"--outlier-threshold", "inf"}), 2, {"'inf' is not a finite number above 0"});
  ExpectError(with({"--weight-budget", "1e23"}), 1,
              {"budget '1e23' is above the largest budget, 1099511627776 bytes (1 TiB)"});
  ExpectError(with({"--weight-budget", "120%"}), 1, {"above 100% of the all-8-bit size"});
  ExpectError(Qsa({"run", Program(), "--engine", "rtl", "--dram-seed", "-1", "--out", Path("o")}),
              2, {"--dram-seed: '-1' is not an integer of at least 0"});
  EXPECT_FALSE(fs::exists(Path("q.onnx")));
}

TEST_F(RobustnessCliTest, JsonErrorsNameTheFileAndNeverSayInternal) {
  const std::string big = WriteText("big.json", "{\"qsa_graph\": 1e400}");
  const CliResult r = Qsa({"inspect", big});
  ExpectError(r, 1, {"'" + big + "': malformed JSON: number overflow"});
  EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 400u) << r.err;
}

TEST_F(RobustnessCliTest, LongNamesAreCutAndControlBytesEscaped) {
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["nodes"][1]["inputs"][0] = std::string(100000, 'h');
  const CliResult r = Qsa({"inspect", WriteText("long.json", j.dump())});
  ExpectError(r, 1, {"hhh... (100000 characters)"});
  EXPECT_LT(r.err.size(), 2000u);

  j = nlohmann::json::parse(ReadText(kCnn3));
  j["nodes"][1]["op"] = std::string("Co\0nv", 5);
  const CliResult nul = Qsa({"inspect", WriteText("nul.json", j.dump())});
  ExpectError(nul, 1, {"unknown op 'Co\\x00nv'"});
  EXPECT_EQ(nul.err.find('\0'), std::string::npos);
}

// A model without outputs is refused instead of exiting 0 having printed nothing.
TEST_F(RobustnessCliTest, AModelWithoutOutputsIsRefused) {
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["outputs"] = nlohmann::json::array();
  const std::string model = WriteText("none.json", j.dump());
  ExpectError(Qsa({"run", model, "--input", kCnn3Input, "--out", Path("o")}), 1,
              {"'" + model + "': outputs: a graph needs at least one output"});
  EXPECT_FALSE(fs::exists(Path("o")));
}

// compiled.json: type errors name the key path; enumerated strings are validated.
TEST_F(RobustnessCliTest, CompiledDescriptionErrorsNameTheKeyPath) {
  ASSERT_EQ(Qsa({"compile", kCnn3, "-o", Path("c")}).exit_code, 0);
  const std::string json_path = Path("c/compiled.json");
  const nlohmann::json good = nlohmann::json::parse(ReadText(json_path));
  const auto run_with = [&](const nlohmann::json& j) {
    WriteText("c/compiled.json", j.dump(2));
    return Qsa({"run", Path("c"), "--engine", "isa", "--input", kCnn3Input, "--out", Path("o")});
  };
  nlohmann::json j = good;
  j["rounding"] = "banana";
  ExpectError(run_with(j), 1,
              {"'" + json_path +
               "': rounding: 'banana' is not an accelerator rounding (expected "
               "tflite-double or single-rounding)"});
  j = good;
  j["steps"][0]["layers"][0]["macs"] = "many";
  ExpectError(run_with(j), 1,
              {"'" + json_path + "': steps[0].layers[0].macs: expected an integer"});
  j = good;
  j["steps"][0].erase("nodes");
  ExpectError(run_with(j), 1, {"'" + json_path + "': steps[0]: missing key \"nodes\""});
  j = good;
  j["extra"] = 1;
  ExpectError(run_with(j), 1, {"'" + json_path + "': unknown key 'extra'"});
  EXPECT_FALSE(fs::exists(Path("o")));
  // The untouched description runs (a model wholly on the accelerator has an empty host.json).
  const CliResult ok = run_with(good);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(RobustnessCliTest, InstructionErrorsNameTheProgramFile) {
  // A load whose DRAM address lies outside the program's DRAM: the error names the file.
  WriteText("oob.s",
            ".dram_size 64\nload.sp sram=0 dram=0x1000 ny=1 nx=1 stride_x=16 lanes=16\nfinish\n");
  const CliResult r = Qsa({"run", Path("oob.s"), "--engine", "isa", "--out", Path("o")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(Path("oob.s")), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(Path("o")));
}

}  // namespace
}  // namespace qsa::tools
