// qsa compare and qsa run --engine rtl on the hand-written convolution example (8x8 array).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "model/golden/npy.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

const std::string kExample = std::string(QSA_SOURCE_DIR) + "/examples/isa/conv3x3_s2";

class CompareCliTest : public CliFixture {};

TEST_F(CompareCliTest, ThreeEnginesAgreeBitForBit) {
  const CliResult r = Qsa({"compare", kExample, "--engines", "golden,isa,rtl"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("golden vs isa: bit-exact (128 values)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("golden vs rtl: bit-exact (128 values)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("isa vs rtl: bit-exact (128 values)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("every instruction wrote the same values"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("all outputs bit-exact"), std::string::npos) << r.out;
}

// A golden graph with another clamp differs: the first mismatch is named and the exit is 1.
TEST_F(CompareCliTest, AMismatchNamesItsFirstElementAndFails) {
  std::string model = ReadText(kExample + "/model.json");
  const std::string from = "\"clamp_min\": 2";
  const std::size_t at = model.find(from);
  ASSERT_NE(at, std::string::npos);
  model.replace(at, from.size(), "\"clamp_min\": 60");
  const std::string golden = WriteText("model.json", model);
  for (const char* data : {"conv_w.npy", "conv_b.npy"}) {  // the graph's tensors, beside it
    std::filesystem::copy_file(kExample + "/" + data, Path(data));
  }
  const CliResult r = Qsa({"compare", kExample, "--engines", "golden,rtl", "--golden", golden});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("golden vs rtl: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("values differ; first at ["), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("the engines disagree"), std::string::npos) << r.err;
}

TEST_F(CompareCliTest, BadEngineListsAreRefused) {
  ExpectError(Qsa({"compare", kExample, "--engines", "golden,gpu"}), 1, {"unknown engine 'gpu'"});
  ExpectError(Qsa({"compare", kExample, "--engines", "rtl"}), 1, {"at least two engines"});
  ExpectError(Qsa({"compare", Path("missing"), "--engines", "isa,rtl"}), 1, {"missing"});
}

TEST_F(CompareCliTest, RunOnTheRtlWritesOutputsAndAReport) {
  const CliResult r =
      Qsa({"run", kExample, "--engine", "rtl", "--input", kExample + "/input.npy", "--out",
           Path("out"), "--report", Path("report.json"), "--dram-seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const golden::Tensor y = golden::ReadNpy(Path("out/y.npy"));
  const golden::Tensor expected = golden::ReadNpy(kExample + "/expected.npy");
  ASSERT_EQ(y.shape(), expected.shape());
  for (std::int64_t i = 0; i < y.size(); ++i) ASSERT_EQ(y.GetInt(i), expected.GetInt(i)) << i;
  const nlohmann::json report = nlohmann::json::parse(ReadText(Path("report.json")));
  EXPECT_EQ(report["engine"], "rtl");
  EXPECT_GT(report["cycles"].get<std::int64_t>(), 100);
  EXPECT_EQ(report["macs_useful"].get<std::int64_t>(), 13824);
  ExpectError(
      Qsa({"run", kExample, "--engine", "isa", "--trace", Path("w.fst"), "--out", Path("o2")}), 1,
      {"--trace needs --engine rtl"});
}

}  // namespace
}  // namespace qsa::tools
