// Architecture configuration: defaults, partial files, every refusal, the hash.
#include "model/isa/arch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

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
    EXPECT_EQ(std::string(e.what()).rfind("arch " + bad + ": not valid JSON", 0), 0u) << e.what();
  }
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace qsa::isa
