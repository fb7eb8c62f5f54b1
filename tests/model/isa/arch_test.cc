// Architecture configuration: defaults, partial files, every refusal, the hash, the RTL parameters
// and what qsa_archgen prints of them for CMake and the shell.
#include "model/isa/arch.h"

#include <gtest/gtest.h>

#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "model/base/error.h"

namespace qsa::isa {
namespace {

std::string ArchDir() { return std::string(QSA_SOURCE_DIR) + "/model/isa/arch"; }

std::string ErrorOf(const nlohmann::json& j) {
  try {
    ParseArchConfig(j, "t.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ArchConfig, DefaultIsTheCheckedInFile) {
  const ArchConfig& d = DefaultArchConfig();
  EXPECT_EQ(d.name, "default");
  EXPECT_EQ(d.rows, 16);
  EXPECT_EQ(d.cols, 16);
  EXPECT_EQ(d.scratchpad_bytes, 256 * 1024);
  EXPECT_EQ(d.accumulator_bytes, 64 * 1024);
  EXPECT_EQ(d.scratchpad_rows(), 16384);
  EXPECT_EQ(d.accumulator_rows(), 1024);
  const ArchConfig file = LoadArchConfig(ArchDir() + "/default.json");
  EXPECT_EQ(ArchConfigToJson(file), ArchConfigToJson(d));
  EXPECT_EQ(file.Hash(), d.Hash());
}

TEST(ArchConfig, EveryBundledConfigurationLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ArchDir())) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_NO_THROW(LoadArchConfig(entry.path().string())) << entry.path();
    ++count;
  }
  EXPECT_GE(count, 4);
  const ArchConfig a = LoadArchConfig(ArchDir() + "/8x16.json");
  EXPECT_EQ(a.rows, 8);
  EXPECT_EQ(a.cols, 16);
  EXPECT_EQ(a.accumulator_rows(), 32 * 1024 / 64);
  EXPECT_EQ(a.dram_bytes_per_cycle, DefaultArchConfig().dram_bytes_per_cycle);  // inherited
}

TEST(ArchConfig, PartialFileKeepsDefaultsAndRoundTrips) {
  const ArchConfig a = ParseArchConfig({{"array", {{"rows", 8}}}, {"clock_mhz", 500}}, "t.json");
  EXPECT_EQ(a.rows, 8);
  EXPECT_EQ(a.cols, 16);
  EXPECT_EQ(a.clock_mhz, 500.0);
  const ArchConfig b = ParseArchConfig(ArchConfigToJson(a), "t.json");
  EXPECT_EQ(ArchConfigToJson(b), ArchConfigToJson(a));
}

TEST(ArchConfig, HashCoversArchitectureNotTiming) {
  const ArchConfig& d = DefaultArchConfig();
  EXPECT_EQ(d.HashHex().size(), 16u);
  const auto hash_of = [](const nlohmann::json& j) { return ParseArchConfig(j, "t").Hash(); };
  EXPECT_EQ(hash_of({{"clock_mhz", 200}}), d.Hash());
  EXPECT_EQ(hash_of({{"dram", {{"latency_cycles", 7}, {"bytes_per_cycle", 4}}}}), d.Hash());
  EXPECT_EQ(hash_of({{"queues", {{"token_depth", 2}}}}), d.Hash());
  EXPECT_EQ(hash_of({{"name", "renamed"}}), d.Hash());
  EXPECT_EQ(hash_of({{"memory", {{"sram_read_latency", 2}}}}), d.Hash());
  EXPECT_NE(hash_of({{"array", {{"cols", 8}}}}), d.Hash());
  EXPECT_NE(hash_of({{"memory", {{"scratchpad_kib", 128}}}}), d.Hash());
  EXPECT_NE(hash_of({{"memory", {{"param_rows", 128}}}}), d.Hash());
}

TEST(ArchConfig, ImpossibleConfigurationsAreRefusedWithTheRule) {
  EXPECT_EQ(ErrorOf({{"array", {{"rows", 0}}}}),
            "arch t.json: array.rows is 0; must be a power of two in 1..128");
  EXPECT_EQ(ErrorOf({{"array", {{"cols", 12}}}}),
            "arch t.json: array.cols is 12; must be a power of two in 1..128");
  EXPECT_EQ(ErrorOf({{"array", {{"rows", 256}}}}),
            "arch t.json: array.rows is 256; must be a power of two in 1..128");
  EXPECT_EQ(ErrorOf({{"bits", {{"input", 4}}}}),
            "arch t.json: bits are input 4, weight 8, accumulator 32; only 8, 8 and 32 are "
            "implemented");
  EXPECT_EQ(ErrorOf({{"array", {{"rows", 128}, {"cols", 128}}},
                     {"memory", {{"scratchpad_kib", 32}, {"accumulator_kib", 512}}}}),
            "arch t.json: scratchpad of 256 rows is too small for one tile: two weight tiles and "
            "two activation tiles need 512 rows of 128 bytes");
  EXPECT_EQ(ErrorOf({{"memory", {{"accumulator_kib", 1}}}}),
            "arch t.json: accumulator of 16 rows is too small for one tile: two output tiles "
            "need 32 rows");
  EXPECT_EQ(ErrorOf({{"memory", {{"scratchpad_kib", 3}}}}),
            "arch t.json: memory.scratchpad_kib gives 3072 bytes; must be a power-of-two number "
            "of 16-byte rows");
  EXPECT_EQ(ErrorOf({{"array", {{"rows", 4}}}, {"memory", {{"scratchpad_kib", 512}}}}),
            "arch t.json: scratchpad of 131072 rows exceeds the 65536 rows a 16-bit row address "
            "reaches");
  EXPECT_EQ(ErrorOf({{"memory", {{"param_rows", 6}}}}),
            "arch t.json: memory.param_rows is 6; must be a power of two in 8..65536");
  EXPECT_EQ(ErrorOf({{"queues", {{"token_depth", 3}}}}),
            "arch t.json: queues.token_depth is 3; must be a power of two in 1..1024");
  EXPECT_EQ(ErrorOf({{"dram", {{"bytes_per_cycle", 0}}}}),
            "arch t.json: dram.bytes_per_cycle is 0; must be a power of two in 1..1024");
  EXPECT_EQ(ErrorOf({{"clock_mhz", -1}}), "arch t.json: clock_mhz must be a positive number");
  EXPECT_EQ(ErrorOf({{"memory", {{"scratchpad_banks", 3}}}}),
            "arch t.json: memory.scratchpad_banks is 3; must be a power of two in 1..64");
  EXPECT_EQ(ErrorOf({{"memory", {{"sram_read_latency", 3}}}}),
            "arch t.json: memory.sram_read_latency is 3; must be 1 or 2 (cycles from an SRAM read "
            "to its data)");
  EXPECT_EQ(ErrorOf({{"memory", {{"sram_read_latency", 0}}}}),
            "arch t.json: memory.sram_read_latency is 0; must be 1 or 2 (cycles from an SRAM read "
            "to its data)");
}

TEST(ArchConfig, MalformedFilesAreRefusedNamingTheKey) {
  EXPECT_EQ(ErrorOf({{"array", {{"rowz", 4}}}}), "arch t.json: unknown key array.rowz");
  EXPECT_EQ(ErrorOf({{"colour", 1}}), "arch t.json: unknown key colour");
  EXPECT_EQ(ErrorOf({{"array", {{"rows", "16"}}}}), "arch t.json: array.rows must be an integer");
  EXPECT_EQ(ErrorOf({{"array", 16}}), "arch t.json: array must be a JSON object");
  EXPECT_EQ(ErrorOf(nlohmann::json::array()), "arch t.json: the file must be a JSON object");
  EXPECT_THROW(LoadArchConfig(ArchDir() + "/no-such-file.json"), Error);
  const std::string bad = (std::filesystem::temp_directory_path() / "qsa_bad_arch.json").string();
  { std::ofstream(bad) << "{\"array\": "; }
  try {
    LoadArchConfig(bad);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("arch '" + bad + "': malformed JSON", 0), 0u) << e.what();
  }
  std::filesystem::remove(bad);
}

TEST(ArchConfig, RtlParamsAndKey) {
  const RtlParams d = RtlParamsOf(DefaultArchConfig());
  EXPECT_EQ(d, (RtlParams{16, 16, 16384, 1024, 256, 4, 2, 1, 16, 8}));
  EXPECT_EQ(RtlModelKey(d), "r16c16s16384a1024p256b4x2l1q16t8");
  // 8x16: 32 KiB of 8-byte scratchpad rows, 32 KiB of 64-byte accumulator rows.
  const RtlParams a = RtlParamsOf(LoadArchConfig(ArchDir() + "/8x16.json"));
  EXPECT_EQ(a, (RtlParams{8, 16, 4096, 512, 128, 4, 2, 1, 16, 8}));
  EXPECT_EQ(RtlModelKey(a), "r8c16s4096a512p128b4x2l1q16t8");
  RtlParams b = a;
  b.token_depth = 4;
  EXPECT_EQ(RtlModelKey(b), "r8c16s4096a512p128b4x2l1q16t4");
}

// Runs `command` with /bin/sh and returns its standard output and error.
std::string RunShell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "(popen failed)";
  std::string out;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  const int status = pclose(pipe);
  if (status != 0) out += "\nexit_status=" + std::to_string(status) + "\n";
  return out;
}

// NAME=VALUE lines into a map.
std::map<std::string, std::string> Assignments(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

// The variables qsa_archgen sets, with the values CMake or the shell reads from its output:
// `script_of` turns the generated file and a variable name into a line printing NAME=value.
class ArchgenOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qsa_archgen_" + std::to_string(static_cast<long>(getpid())));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Names() const {
    std::vector<std::string> names = {"QSA_RTL_KEY", "QSA_RTL_TOP_PARAMS", "QSA_RTL_DEFINES"};
    for (const RtlParamField& f : kRtlParamFields)
      names.push_back("QSA_RTL_" + std::string(f.macro));
    return names;
  }
  std::map<std::string, std::string> ReadByCMake(const ArchConfig& arch) const {
    std::ofstream(dir_ / "params.cmake") << RtlParamsCMake(arch);
    std::ofstream script(dir_ / "print.cmake");
    script << "include(" << (dir_ / "params.cmake").string() << ")\n";
    for (const std::string& name : Names()) {
      script << "message(NOTICE \"" << name << "=${" << name << "}\")\n";
    }
    script.close();
    return Assignments(RunShell("cmake -P " + (dir_ / "print.cmake").string()));
  }
  std::map<std::string, std::string> ReadByShell(const ArchConfig& arch) const {
    std::ofstream(dir_ / "params.sh") << RtlParamsShell(arch);
    std::ofstream script(dir_ / "print.sh");
    script << "set -eu\n. " << (dir_ / "params.sh").string() << "\n";
    for (const std::string& name : Names()) {
      script << "printf '%s\\n' \"" << name << "=$" << name << "\"\n";
    }
    script.close();
    return Assignments(RunShell("sh " + (dir_ / "print.sh").string()));
  }

  std::filesystem::path dir_;
};

TEST_F(ArchgenOutput, CMakeAndShellReadArchConfigsValues) {
  const std::map<std::string, std::string> keys = {{"default", "r16c16s16384a1024p256b4x2l1q16t8"},
                                                   {"4x4", "r4c4s4096a512p64b4x2l1q16t8"},
                                                   {"4x4_l2", "r4c4s4096a512p64b4x2l2q16t8"},
                                                   {"8x8", "r8c8s4096a512p128b4x2l1q16t8"},
                                                   {"8x16", "r8c16s4096a512p128b4x2l1q16t8"}};
  for (const auto& [name, key] : keys) {
    SCOPED_TRACE(name);
    const ArchConfig arch = LoadArchConfig(ArchDir() + "/" + name + ".json");
    const std::pair<const char*, std::int64_t> expected[] = {
        {"ROWS", arch.rows},
        {"COLS", arch.cols},
        {"SP_ROWS", arch.scratchpad_bytes / arch.rows},
        {"ACC_ROWS", arch.accumulator_bytes / (4 * std::int64_t{arch.cols})},
        {"PARAM_ROWS", arch.param_rows},
        {"SP_BANKS", arch.scratchpad_banks},
        {"ACC_BANKS", arch.accumulator_banks},
        {"READ_LATENCY", arch.sram_read_latency},
        {"INSN_DEPTH", arch.instruction_queue_depth},
        {"TOKEN_DEPTH", arch.token_queue_depth}};
    std::string top_params;
    std::string defines;
    for (const auto& [macro, value] : expected) {
      for (const RtlParamField& f : kRtlParamFields) {
        if (f.macro != macro) continue;
        top_params += " " + std::string(f.top_name) + "=" + std::to_string(value);
        defines += " QSA_RTL_" + std::string(macro) + "=" + std::to_string(value);
      }
    }
    top_params.erase(0, 1);
    defines.erase(0, 1);
    for (const bool cmake : {true, false}) {
      SCOPED_TRACE(cmake ? "cmake" : "sh");
      const std::map<std::string, std::string> got = cmake ? ReadByCMake(arch) : ReadByShell(arch);
      EXPECT_EQ(got.size(), Names().size());
      EXPECT_EQ(got.count("QSA_RTL_KEY") ? got.at("QSA_RTL_KEY") : "", key);
      for (const auto& [macro, value] : expected) {
        const std::string var = "QSA_RTL_" + std::string(macro);
        EXPECT_EQ(got.count(var) ? got.at(var) : "", std::to_string(value)) << var;
      }
      // CMake lists are separated by ';', shell lists by spaces.
      std::string want_top = top_params;
      std::string want_defines = defines;
      if (cmake) {
        std::replace(want_top.begin(), want_top.end(), ' ', ';');
        std::replace(want_defines.begin(), want_defines.end(), ' ', ';');
      }
      EXPECT_EQ(got.count("QSA_RTL_TOP_PARAMS") ? got.at("QSA_RTL_TOP_PARAMS") : "", want_top);
      EXPECT_EQ(got.count("QSA_RTL_DEFINES") ? got.at("QSA_RTL_DEFINES") : "", want_defines);
    }
  }
}

}  // namespace
}  // namespace qsa::isa
