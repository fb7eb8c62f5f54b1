// Illegal descriptors read from the parameter buffer stop the accelerator with ERR_DESCRIPTOR
// (error code 9) at the instruction that read them, before it writes anything, and the ISA
// simulator refuses the same instruction: a post whose lane-0 right shift is 40 (above 31) and a
// vadd whose left_shift is 31 (above 30), on the 4x4 and 8x8 arrays. The only co-simulation
// tests that raise this code (the random programs' defects are found by the decoder).
#include <gtest/gtest.h>

#include <string>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"
#include "sim/rtl_sim.h"

namespace qsa::sim {
namespace {

struct Stops {
  std::string isa;
  std::string rtl;
};

Stops RunBoth(const std::string& arch_name, const std::string& text) {
  const isa::ArchConfig arch =
      isa::LoadArchConfig(std::string(QSA_SOURCE_DIR) + "/model/isa/arch/" + arch_name + ".json");
  const isa::Program program = isa::Assemble(text, "descriptor.s", arch);
  Stops stops;
  try {
    isa::IsaSimulator(arch, program).Run();
  } catch (const Error& e) {
    stops.isa = e.what();
  }
  RtlOptions options;
  options.record_writes = true;
  try {
    RtlSimulator(arch, program, options).Run();
  } catch (const Error& e) {
    stops.rtl = e.what();
  }
  return stops;
}

constexpr const char* kArrays[] = {"4x4", "8x8"};

TEST(CosimDescriptor, PostWithAnIllegalShiftStopsAtThePost) {
  // Parameter rows 0..3: bias, multiplier, shifts {lsh, rsh} (lane 0: rsh = 40), format.
  const std::string text =
      ".dram_size 0x200\n"
      "load.acc sram=0 dram=0x0 ny=1 nx=1 stride_x=16 lanes=4\n"
      "load.param sram=0 dram=0x100 ny=1 nx=4 stride_x=16 lanes=4 push_next\n"
      "post acc=0 n=1 dst=0 dst_stride=1 n_lanes=4 param=0 pop_prev push_next\n"
      "store.sp sram=0 dram=0x40 ny=1 nx=1 stride_x=4 lanes=4 pop_prev\n"
      "finish\n"
      ".data 0x0 i32 100 -200 300 -400\n"
      ".data 0x100 i32 1 2 3 4\n"
      ".data 0x110 i32 1073741824 1073741824 1073741824 1073741824\n"
      ".data 0x120 i32 10240 2 2 2\n"
      ".data 0x130 i32 16711680 16711680 16711680 16711680\n";
  for (const char* arch : kArrays) {
    const Stops stops = RunBoth(arch, text);
    EXPECT_EQ(stops.isa.rfind("instruction 2 (post): ", 0), 0u) << arch << ": " << stops.isa;
    EXPECT_EQ(stops.rtl.rfind("instruction 2 (post): ", 0), 0u) << arch << ": " << stops.rtl;
    EXPECT_NE(stops.rtl.find("(error code 9)"), std::string::npos) << arch << ": " << stops.rtl;
  }
}

TEST(CosimDescriptor, VaddWithAnIllegalLeftShiftStopsAtTheVadd) {
  // Descriptor word 1: qmin 0, qmax 255, left_shift 31.
  const std::string text =
      ".dram_size 0x300\n"
      "load.sp sram=8 dram=0x0 ny=1 nx=4 stride_x=4 lanes=4\n"
      "load.sp sram=1024 dram=0x40 ny=1 nx=4 stride_x=4 lanes=4\n"
      "load.param sram=0 dram=0x100 ny=1 nx=2 stride_x=16 lanes=4 push_next\n"
      "vadd a=8 b=1024 dst=2048 n=4 param=0 pop_prev push_next\n"
      "store.sp sram=2048 dram=0x200 ny=1 nx=4 stride_x=4 lanes=4 pop_prev\n"
      "finish\n"
      ".data 0x100 i32 " +
      std::to_string(3 | 5 << 8 | 7 << 16) + " " + std::to_string(255 << 8 | 31 << 16) +
      " 1518500250 256 1073741824 0 1431655765 " + std::to_string(19 << 8) + "\n";
  for (const char* arch : kArrays) {
    const Stops stops = RunBoth(arch, text);
    EXPECT_EQ(stops.isa.rfind("instruction 3 (vadd): ", 0), 0u) << arch << ": " << stops.isa;
    EXPECT_EQ(stops.rtl.rfind("instruction 3 (vadd): ", 0), 0u) << arch << ": " << stops.rtl;
    EXPECT_NE(stops.rtl.find("(error code 9)"), std::string::npos) << arch << ": " << stops.rtl;
  }
}

}  // namespace
}  // namespace qsa::sim
