// qsa run --engine systemc: the digits example on the SystemC platform with one and two
// transaction-level cores against the ISA simulator and the RTL; the errors a user can meet.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "model/golden/npy.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

const std::string kDigits = std::string(QSA_SOURCE_DIR) + "/examples/digits/";

class PlatformCliTest : public CliFixture {
 protected:
  void SetUp() override {
#if !QSA_HAVE_SYSTEMC
    GTEST_SKIP() << "qsa is built without SystemC";
#endif
    CliFixture::SetUp();
  }
  static nlohmann::json ReadJson(const std::string& path) {
    return nlohmann::json::parse(std::ifstream(path));
  }
};

TEST_F(PlatformCliTest, DigitsOnTwoCoresIsBitExactAndReportsEachCore) {
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  const std::string x = kDigits + "input.npy";
  const CliResult rtl =
      Qsa({"run", Path("prog"), "--engine", "rtl", "--input", x, "--out", Path("rtl")});
  ASSERT_EQ(rtl.exit_code, 0) << rtl.err;
  const CliResult isa = Qsa({"run", Path("prog"), "--engine", "isa", "--input", x, "--out",
                             Path("isa"), "--report", Path("isa.json")});
  ASSERT_EQ(isa.exit_code, 0) << isa.err;

  const CliResult one = Qsa({"run", Path("prog"), "--engine", "systemc", "--input", x, "--out",
                             Path("one"), "--report", Path("one.json")});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CliResult two = Qsa({"run", Path("prog"), "--engine", "systemc", "--cores", "2", "--input",
                             x, "--out", Path("two"), "--report", Path("two.json")});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  std::printf("%s", two.out.c_str());

  const golden::Tensor expected = golden::ReadNpy(Path("rtl/logits.npy"));
  EXPECT_TRUE(golden::ReadNpy(Path("one/logits.npy")) == expected);
  EXPECT_TRUE(golden::ReadNpy(Path("two/logits.npy")) == expected);

  // One core on the architecture's DRAM: the ISA simulator's cycles, no waits.
  const nlohmann::json isa_report = ReadJson(Path("isa.json"));
  const nlohmann::json one_report = ReadJson(Path("one.json"));
  EXPECT_EQ(one_report["cycles"], isa_report["cycles"]);
  EXPECT_EQ(one_report["platform"]["cores"][0]["contention_cycles"], 0);
  EXPECT_EQ(one_report["dram"], isa_report["dram"]);

  // Two copies at once share the DRAM: each core moves the same bytes, someone waits, and the
  // platform takes longer than one core alone.
  const nlohmann::json two_report = ReadJson(Path("two.json"));
  const nlohmann::json& cores = two_report["platform"]["cores"];
  ASSERT_EQ(cores.size(), 2u);
  EXPECT_EQ(cores[0]["dram"], isa_report["dram"]);
  EXPECT_EQ(cores[1]["dram"], isa_report["dram"]);
  EXPECT_GT(cores[0]["contention_cycles"].get<int>() + cores[1]["contention_cycles"].get<int>(), 0);
  EXPECT_GT(two_report["cycles"].get<int>(), one_report["cycles"].get<int>());
  EXPECT_NE(two.out.find("platform: 2 isa cores"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("  core 1: "), std::string::npos) << two.out;

  // An RTL core alone on the architecture's DRAM: the RTL engine's cycles exactly; beside a
  // transaction-level core, the same logits.
  const CliResult rtl_report = Qsa({"run", Path("prog"), "--engine", "rtl", "--input", x, "--out",
                                    Path("rtl2"), "--report", Path("rtl.json")});
  ASSERT_EQ(rtl_report.exit_code, 0) << rtl_report.err;
  const CliResult rtl_core =
      Qsa({"run", Path("prog"), "--engine", "systemc", "--core-model", "rtl", "--input", x, "--out",
           Path("rtlcore"), "--report", Path("rtlcore.json")});
  ASSERT_EQ(rtl_core.exit_code, 0) << rtl_core.err;
  EXPECT_TRUE(golden::ReadNpy(Path("rtlcore/logits.npy")) == expected);
  // The core's CYCLES counter (the platform's own figure adds the host's register accesses).
  EXPECT_EQ(ReadJson(Path("rtlcore.json"))["platform"]["cores"][0]["cycles"],
            ReadJson(Path("rtl.json"))["cycles"]);
  const CliResult mixed = Qsa({"run", Path("prog"), "--engine", "systemc", "--cores", "2",
                               "--core-model", "isa,rtl", "--input", x, "--out", Path("mixed")});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_TRUE(golden::ReadNpy(Path("mixed/logits.npy")) == expected);
  EXPECT_NE(mixed.out.find("platform: 2 isa,rtl cores"), std::string::npos) << mixed.out;
}

TEST_F(PlatformCliTest, BadPlatformOptionsGiveOneLineAndNoOutput) {
  const std::string model = kDigits + "digits_qdq.onnx";
  const std::string x = kDigits + "input.npy";
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"run", model, "--input", x, "--out", Path("out")};
    args.insert(args.end(), extra.begin(), extra.end());
    return Qsa(args);
  };
  ExpectError(run({"--engine", "systemc", "--cores", "0"}), 1, {"--cores must be at least 1"});
  ExpectError(run({"--engine", "systemc", "--core-model", "gate"}), 1,
              {"unknown core model 'gate'"});
  ExpectError(run({"--engine", "systemc", "--cores", "3", "--core-model", "isa,rtl"}), 1,
              {"--core-model lists 2 models for 3 cores"});
  ExpectError(run({"--engine", "systemc", "--platform", WriteText("p1.json", R"({"banks": 4})")}),
              1, {"p1.json", "unknown key 'banks'"});
  ExpectError(run({"--engine", "systemc", "--platform",
                   WriteText("p2.json", R"({"dram_bytes_per_cycle": 0})")}),
              1, {"p2.json", "dram_bytes_per_cycle must be an integer"});
  ExpectError(run({"--engine", "systemc", "--platform", WriteText("p3.json", "{ nope")}), 1,
              {"p3.json", "not JSON"});
  ExpectError(run({"--engine", "isa", "--cores", "2"}), 1, {"--cores needs --engine systemc"});
  ExpectError(run({"--engine", "tlm"}), 1, {"unknown engine 'tlm'"});
  EXPECT_FALSE(std::filesystem::exists(Path("out")));
}

}  // namespace
}  // namespace qsa::tools
