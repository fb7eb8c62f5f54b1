#include "sim/rtl_model_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "model/base/error.h"
#include "model/isa/arch.h"

namespace qsa::sim {
namespace {
namespace fs = std::filesystem;

isa::ArchConfig Arch(const std::string& name) {
  return isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + name + ".json");
}

TEST(RtlModelCache, KeyNamesEveryParameter) {
  EXPECT_EQ(isa::RtlModelKey(isa::RtlParamsOf(isa::DefaultArchConfig())),
            "r16c16s16384a1024p256b4x2l1q16t8");
  // 4x4: 16 KiB scratchpad of 4-byte rows, 8 KiB accumulator of 16-byte rows.
  EXPECT_EQ(isa::RtlModelKey(isa::RtlParamsOf(Arch("4x4"))), "r4c4s4096a512p64b4x2l1q16t8");
  EXPECT_EQ(isa::RtlModelKey(isa::RtlParamsOf(Arch("4x4_l2"))), "r4c4s4096a512p64b4x2l2q16t8");
}

TEST(RtlModelCache, ParamsFromTheLibraryMatchTheArch) {
  const isa::ArchConfig arch = Arch("8x16");
  QsaRtlParams p{};
  p.array_rows = 8;
  p.array_cols = 16;
  p.sp_rows = 4096;
  p.acc_rows = 512;
  p.param_rows = 128;
  p.sp_banks = 4;
  p.acc_banks = 2;
  p.read_latency = 1;
  p.insn_depth = 16;
  p.token_depth = 8;
  EXPECT_EQ(RtlParamsOf(p), isa::RtlParamsOf(arch));
  p.token_depth = 4;
  EXPECT_NE(RtlParamsOf(p), isa::RtlParamsOf(arch));
}

// A source tree with the files the hash reads.
class FakeSources : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("qsa_rtl_hash_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + std::to_string(static_cast<long>(getpid())));
    fs::create_directories(root_ / "rtl" / "top");
    fs::create_directories(root_ / "sim" / "rtl_model");
    fs::create_directories(root_ / "gen" / "rtl");
    Write("rtl/qsa.f", "// list\ntop/a.sv\n\ntop/b.sv\n");
    Write("rtl/top/a.sv", "module a; endmodule\n");
    Write("rtl/top/b.sv", "module b; endmodule\n");
    Write("gen/rtl/qsa_isa_pkg.sv", "package p; endpackage\n");
    for (const char* f : {"sim/rtl_shim.cc", "sim/rtl_model_api.h", "sim/rtl_model.cmake",
                          "sim/rtl_model/CMakeLists.txt"}) {
      Write(f, f);
    }
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(root_ / path) << text;
  }
  std::uint64_t Hash() const { return RtlSourcesHash(root_.string(), (root_ / "gen").string()); }
  fs::path root_;
};

TEST_F(FakeSources, HashFollowsEveryListedFile) {
  const std::uint64_t base = Hash();
  EXPECT_EQ(Hash(), base);
  Write("rtl/top/b.sv", "module b; wire x; endmodule\n");
  const std::uint64_t edited = Hash();
  EXPECT_NE(edited, base);
  Write("gen/rtl/qsa_isa_pkg.sv", "package p; localparam int X = 1; endpackage\n");
  EXPECT_NE(Hash(), edited);
  // A file the list does not name does not count.
  const std::uint64_t listed = Hash();
  Write("rtl/top/c.sv", "module c; endmodule\n");
  EXPECT_EQ(Hash(), listed);
  Write("rtl/qsa.f", "top/a.sv\ntop/b.sv\ntop/c.sv\n");
  EXPECT_NE(Hash(), listed);
}

TEST_F(FakeSources, MissingListedFileIsAnError) {
  Write("rtl/qsa.f", "top/missing.sv\n");
  EXPECT_THROW(Hash(), Error);
}

// Restores an environment variable on scope exit.
class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    const char* v = std::getenv(name);
    if (v != nullptr) old_ = v;
    had_ = v != nullptr;
  }
  ~EnvGuard() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(RtlModelCache, CacheDirectoryFromTheEnvironment) {
  const EnvGuard cache("QSA_RTL_CACHE");
  const EnvGuard xdg("XDG_CACHE_HOME");
  const EnvGuard home("HOME");
  setenv("QSA_RTL_CACHE", "/c/qsa", 1);
  setenv("XDG_CACHE_HOME", "/x", 1);
  setenv("HOME", "/h", 1);
  EXPECT_EQ(RtlModelCacheDir(), "/c/qsa");
  unsetenv("QSA_RTL_CACHE");
  EXPECT_EQ(RtlModelCacheDir(), "/x/qsa/rtl");
  setenv("XDG_CACHE_HOME", "", 1);
  EXPECT_EQ(RtlModelCacheDir(), "/h/.cache/qsa/rtl");
}

}  // namespace
}  // namespace qsa::sim
