// qsa estimate on the digits example, its JSON and CSV, the float32 comparison, a compiled
// folder, the errors a user can meet; and qsa run --engine isa's per-layer energy and timeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

const std::string kDigits = std::string(QSA_SOURCE_DIR) + "/examples/digits/";

class EstimateCliTest : public CliFixture {
 protected:
  nlohmann::json ReadJson(const std::string& name) {
    return nlohmann::json::parse(ReadText(Path(name)));
  }
};

// Checks that the X slices of every (process, thread) track of a trace nest (a viewer drops slices
// that overlap without nesting); returns the number of tracks.
std::size_t ExpectNestedTracks(const nlohmann::json& trace) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> tracks;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] != "X") continue;
    const double ts = e["ts"].get<double>();
    tracks[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({ts, ts + e["dur"].get<double>()});
  }
  for (auto& [track, slices] : tracks) {
    std::sort(slices.begin(), slices.end());
    std::vector<double> open_ends;  // the enclosing slices' ends, innermost last
    for (const auto& [begin, end] : slices) {
      while (!open_ends.empty() && open_ends.back() <= begin + 1e-9) open_ends.pop_back();
      EXPECT_TRUE(open_ends.empty() || end <= open_ends.back() + 1e-9)
          << "track " << track.first << "/" << track.second << ": slice [" << begin << ", " << end
          << ") overlaps without nesting";
      open_ends.push_back(end);
    }
  }
  return tracks.size();
}

TEST_F(EstimateCliTest, PrintsTheLayersAndWritesJsonAndCsv) {
  const CliResult r = Qsa({"estimate", kDigits + "digits_qdq.onnx", "--json", Path("e.json"),
                           "--csv", Path("e.csv"), "--fp32"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* text : {"conv1", "conv3", "fc", "60,064 MACs", "energy:", "fp32 accelerator"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
  const nlohmann::json j = ReadJson("e.json");
  ASSERT_EQ(j["layers"].size(), 5u);
  std::int64_t cycles = 0, macs = 0;
  double energy = 0, fp32 = 0;
  for (const nlohmann::json& l : j["layers"]) {
    cycles += l["cycles"].get<std::int64_t>();
    macs += l["macs"].get<std::int64_t>();
    energy += l["energy_pj"].get<double>();
    fp32 += l["fp32_energy_pj"].get<double>();
    // The components add up to the layer's energy.
    double sum = 0;
    for (const auto& [name, pj] : l["energy_by_component"].items()) sum += pj.get<double>();
    EXPECT_NEAR(sum, l["energy_pj"].get<double>(), 1e-6 * sum);
    const std::string bound = l["bound"];
    EXPECT_TRUE(bound == "compute" || bound == "vector" || bound == "dram") << bound;
  }
  EXPECT_EQ(j["cycles"].get<std::int64_t>(), cycles);
  EXPECT_EQ(macs, 60064);
  EXPECT_NEAR(j["energy_pj"].get<double>(), energy, 1e-9 * energy);
  EXPECT_GT(energy, 0);
  // A float32 accelerator with the same array and memories spends more on every layer, and the
  // array itself about 1 - 0.3/4.6 = 93.5 % less in int8 (MACs issued are the same).
  EXPECT_GT(fp32, 2 * energy);
  const double array8 = j["energy_by_component"]["array"].get<double>();
  const double array32 = j["fp32_energy_by_component"]["array"].get<double>();
  EXPECT_NEAR(1.0 - array8 / array32, 0.934, 0.002);
  const std::vector<std::string> csv = Lines(ReadText(Path("e.csv")));
  ASSERT_EQ(csv.size(), 6u);
  EXPECT_EQ(csv[0].rfind("program,layer,op,macs,cycles,", 0), 0u) << csv[0];
  EXPECT_EQ(csv[1].rfind("\"segment0\",\"conv1\",\"Conv\",4608,", 0), 0u) << csv[1];
}

TEST_F(EstimateCliTest, ACompiledFolderGivesTheSameEstimate) {
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  ASSERT_EQ(Qsa({"estimate", Path("prog"), "--json", Path("a.json")}).exit_code, 0);
  ASSERT_EQ(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--json", Path("b.json")}).exit_code, 0);
  nlohmann::json a = ReadJson("a.json"), b = ReadJson("b.json");
  a.erase("model");
  b.erase("model");
  EXPECT_EQ(a, b);
  ExpectError(Qsa({"estimate", Path("prog"), "--arch", "4x4"}), 1,
              {"was compiled for architecture 'default'"});
}

TEST_F(EstimateCliTest, AnEnergyFileOverridesTheTable) {
  // Twice the DRAM energy: the DRAM component doubles, nothing else changes.
  nlohmann::json table = nlohmann::json::parse(
      ReadText(std::string(QSA_SOURCE_DIR) + "/compiler/estimate/energy/default.json"));
  table["dram_pj_per_byte"] = 2 * table["dram_pj_per_byte"].get<double>();
  WriteText("t.json", table.dump());
  ASSERT_EQ(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--json", Path("a.json")}).exit_code, 0);
  ASSERT_EQ(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--energy", Path("t.json"), "--json",
                 Path("b.json")})
                .exit_code,
            0);
  const nlohmann::json a = ReadJson("a.json")["energy_by_component"];
  const nlohmann::json b = ReadJson("b.json")["energy_by_component"];
  EXPECT_DOUBLE_EQ(b["dram"].get<double>(), 2 * a["dram"].get<double>());
  EXPECT_EQ(b["array"], a["array"]);
  EXPECT_EQ(b["scratchpad"], a["scratchpad"]);

  table["ops_pj"]["int8_mult"] = -0.2;
  WriteText("bad.json", table.dump());
  ExpectError(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--energy", Path("bad.json")}), 1,
              {"bad.json", "ops_pj.int8_mult is -0.2; must be a finite number >= 0"});
  table["ops_pj"]["int8_mult"] = 0.2;
  table["extra"] = 1;
  WriteText("bad2.json", table.dump());
  ExpectError(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--energy", Path("bad2.json")}), 1,
              {"extra is not a key of the energy table"});
  ExpectError(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--energy", Path("missing.json")}), 1,
              {"missing.json"});
  ExpectError(Qsa({"estimate", Path("nothing.onnx")}), 1, {"nothing.onnx"});
  ExpectError(Qsa({"estimate"}), 1, {"give a MODEL"});
  ExpectError(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--topology", Path("t.csv")}), 1,
              {"not both"});
  // All or nothing: a failing output leaves no file behind.
  ExpectError(Qsa({"estimate", kDigits + "digits_qdq.onnx", "--json", Path("j.json"), "--csv",
                   Path("no/such/dir/x.csv")}),
              1, {"x.csv"});
  EXPECT_FALSE(std::filesystem::exists(Path("j.json")));
}

TEST_F(EstimateCliTest, OneProgramOnIsaGetsEnergyAndATimeline) {
  const std::string isa = std::string(QSA_SOURCE_DIR) + "/examples/isa/";
  const CliResult r =
      Qsa({"run", isa + "gemm_tile.s", "--engine", "isa", "--input", isa + "gemm_tile_input.npy",
           "--out", Path("o"), "--report", Path("r.json"), "--timeline", Path("t.json")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json report = ReadJson("r.json");
  ASSERT_EQ(report["layers"].size(), 1u);
  EXPECT_EQ(report["layers"][0]["name"], "conv1x1");
  EXPECT_EQ(report["layers"][0]["macs"], 4096);
  EXPECT_EQ(report["layers"][0]["cycles"], report["cycles"]);
  EXPECT_GT(report["energy_pj"].get<double>(), 0);
  std::int64_t slices = 0;
  const nlohmann::json trace = ReadJson("t.json");
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "X" && e["tid"] != 0) ++slices;
  }
  EXPECT_EQ(slices, 7);
  ExpectError(Qsa({"run", isa + "gemm_tile.s", "--engine", "rtl", "--input",
                   isa + "gemm_tile_input.npy", "--out", Path("o2"), "--energy", Path("e.json")}),
              1, {"--energy needs --engine isa"});
}

TEST_F(EstimateCliTest, ReadsASCALESimTopology) {
  WriteText("t.csv",
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
            "Filter, Strides,\nConv2, 56, 56, 3, 3, 64, 64, 1,\nFC, 1, 1, 1, 1, 512, 1000, 1,\n");
  const CliResult r = Qsa({"estimate", "--topology", Path("t.csv"), "--json", Path("t.json")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json j = ReadJson("t.json");
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][0]["name"], "Conv2");
  EXPECT_EQ(j["layers"][0]["macs"], 54 * 54 * 64 * 64 * 9);
  EXPECT_EQ(j["layers"][1]["macs"], 512 * 1000);
  WriteText("bad.csv", "Layer Name, M, N, K,\ng, 1, 2,\n");
  ExpectError(Qsa({"estimate", "--topology", Path("bad.csv")}), 1,
              {"bad.csv", "line 2: 3 fields; a GEMM line has 4"});
}

TEST_F(EstimateCliTest, IsaRunReportsEnergyPerLayerAndWritesATimeline) {
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  const CliResult r =
      Qsa({"run", Path("prog"), "--engine", "isa", "--input", kDigits + "input.npy", "--out",
           Path("o"), "--report", Path("r.json"), "--timeline", Path("t.json"), "--layers"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("conv3"), std::string::npos) << r.out;  // the per-layer table
  const nlohmann::json report = ReadJson("r.json");
  ASSERT_EQ(report["layers"].size(), 5u);
  std::int64_t cycles = 0;
  double energy = 0;
  for (const nlohmann::json& l : report["layers"]) {
    cycles += l["cycles"].get<std::int64_t>();
    energy += l["energy_pj"].get<double>();
  }
  EXPECT_EQ(cycles, report["cycles"].get<std::int64_t>());  // the layers partition the run
  EXPECT_NEAR(energy, report["energy_pj"].get<double>(), 1e-9 * energy);
  const nlohmann::json trace = ReadJson("t.json");
  std::int64_t slices = 0, layers = 0, counters = 0;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    if (e["ph"] == "X" && e["tid"] == 0) ++layers;
    if (e["ph"] == "X" && e["tid"] != 0) ++slices;
    if (e["ph"] == "C") ++counters;
  }
  EXPECT_EQ(layers, 5);
  EXPECT_EQ(slices, report["instructions"].get<std::int64_t>());
  EXPECT_GT(counters, 0);
  // The compute queue's pipelined instructions need more than one track; every track nests.
  EXPECT_GE(ExpectNestedTracks(trace), 5u);
  // The RTL's timeline: one slice per retired instruction.
  ASSERT_EQ(Qsa({"run", Path("prog"), "--engine", "rtl", "--input", kDigits + "input.npy", "--out",
                 Path("o2"), "--timeline", Path("t2.json")})
                .exit_code,
            0);
  const nlohmann::json rtl = ReadJson("t2.json");
  std::int64_t rtl_slices = 0, rtl_layers = 0;
  for (const nlohmann::json& e : rtl["traceEvents"]) {
    if (e["ph"] == "X" && e["tid"] == 0) ++rtl_layers;
    if (e["ph"] == "X" && e["tid"] != 0) ++rtl_slices;
    EXPECT_NE(e["ph"], "C");  // no DRAM bytes per instruction from the RTL
  }
  EXPECT_EQ(rtl_layers, 5);
  EXPECT_GE(ExpectNestedTracks(rtl), 4u);
  // The RTL's report: its measured cycles per layer and the energy of the same events.
  ASSERT_EQ(Qsa({"run", Path("prog"), "--engine", "rtl", "--input", kDigits + "input.npy", "--out",
                 Path("o4"), "--report", Path("r4.json")})
                .exit_code,
            0);
  const nlohmann::json measured = ReadJson("r4.json");
  ASSERT_EQ(measured["layers"].size(), 5u);
  std::int64_t rtl_cycles = 0;
  for (std::size_t k = 0; k < 5; ++k) {
    const nlohmann::json& l = measured["layers"][k];
    rtl_cycles += l["cycles"].get<std::int64_t>();
    // Same events as the ISA run: only leakage (per cycle) differs.
    const nlohmann::json& s = report["layers"][k];
    EXPECT_EQ(l["events"]["macs_issued"], s["events"]["macs_issued"]);
    EXPECT_EQ(l["energy_by_component"]["dram"], s["energy_by_component"]["dram"]);
    EXPECT_EQ(l["energy_by_component"]["array"], s["energy_by_component"]["array"]);
  }
  EXPECT_LE(rtl_cycles, measured["cycles"].get<std::int64_t>());
  EXPECT_GT(measured["energy_pj"].get<double>(), 0);
  EXPECT_EQ(rtl_slices, report["instructions"].get<std::int64_t>());
  ExpectError(Qsa({"run", Path("prog"), "--engine", "golden", "--input", kDigits + "input.npy",
                   "--out", Path("o3"), "--timeline", Path("t3.json")}),
              1, {"--timeline needs --engine isa"});
}

}  // namespace
}  // namespace qsa::tools
