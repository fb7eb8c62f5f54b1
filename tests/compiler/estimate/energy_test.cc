// The energy table (parsing, the SRAM scaling rule) and the energy of a hand-checked program.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "compiler/estimate/energy.h"
#include "compiler/estimate/estimate.h"
#include "model/base/error.h"
#include "model/isa/assembler.h"
#include "model/isa/simulator.h"

namespace qsa::estimate {
namespace {

// Every value a binary fraction, so the sums below are exact in double.
const char* kTable = R"({
  "format": "qsa-energy", "name": "test", "sources": ["hand-picked"],
  "ops_pj": {"int8_add": 0.0625, "int8_mult": 0.25, "int32_add": 0.125, "int32_mult": 2,
             "fp32_add": 1, "fp32_mult": 4},
  "sram": {"reference_pj": 8, "reference_bytes": 8192, "reference_width_bits": 64,
           "depth_exponent": 1, "write_factor": 1.5},
  "dram_pj_per_byte": 256, "instruction_pj": 16, "leakage_pj_per_cycle_per_kib": 0.0078125
})";

std::string ErrorOf(const std::string& text) {
  try {
    ParseEnergyTableText(text, "t.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(EnergyTable, DefaultIsHorowitz45nm) {
  const EnergyTable& t = DefaultEnergyTable();
  EXPECT_EQ(t.int8_add, 0.03);
  EXPECT_EQ(t.int8_mult, 0.2);
  EXPECT_EQ(t.int32_add, 0.1);
  EXPECT_EQ(t.int32_mult, 3.1);
  EXPECT_EQ(t.fp32_add, 0.9);
  EXPECT_EQ(t.fp32_mult, 3.7);
  EXPECT_EQ(t.dram_pj_per_byte, 243.75);  // 1.95 nJ per 64 bits
  EXPECT_FALSE(t.sources.empty());
  // The reference point of the scaling rule: 64 bits from 8 KB (1024 rows) is 10 pJ.
  EXPECT_DOUBLE_EQ(SramAccessPj(t, 64, 1024), 10.0);
  EXPECT_DOUBLE_EQ(SramAccessPj(t, 128, 4096), 40.0);  // twice as wide, four times as deep
  // The default architecture's banks.
  const std::vector<BankGeometry> banks = MemoryBanks(isa::DefaultArchConfig(), t);
  ASSERT_EQ(banks.size(), 3u);
  EXPECT_EQ(banks[0].width_bits, 128);
  EXPECT_EQ(banks[0].depth, 4096);
  EXPECT_EQ(banks[1].width_bits, 512);
  EXPECT_EQ(banks[1].depth, 512);
  EXPECT_EQ(banks[2].depth, 256);
  // Round trip.
  EXPECT_EQ(EnergyTableToJson(ParseEnergyTableText(EnergyTableToJson(t).dump(), "x")),
            EnergyTableToJson(t));
}

TEST(EnergyTable, MalformedFilesAreOneClearError) {
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"int8_mult\": 0.25", "\"int8_mult\": -1")),
            "energy t.json: ops_pj.int8_mult is -1; must be a finite number >= 0");
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"int8_mult\": 0.25, ", "")),
            "energy t.json: ops_pj.int8_mult is missing");
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"dram_pj_per_byte\": 256", "\"dram_pj_per_byte\": \"256\"")),
            "energy t.json: dram_pj_per_byte must be a number, not string");
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"instruction_pj\"", "\"instruction_pj_typo\"")),
            "energy t.json: instruction_pj_typo is not a key of the energy table (known here: "
            "dram_pj_per_byte, format, instruction_pj, leakage_pj_per_cycle_per_kib, name, "
            "ops_pj, sources, sram)");
  EXPECT_NE(ErrorOf(Replace(kTable, "\"int8_add\": 0.0625", "\"int8_add\": NaN"))
                .find("energy t.json: malformed JSON"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kTable, "\"int8_add\": 0.0625", "\"int8_add\": 1e999")), "(no error)");
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"reference_bytes\": 8192", "\"reference_bytes\": 0")),
            "energy t.json: sram.reference_bytes is 0; must be above 0");
  EXPECT_EQ(ErrorOf(Replace(kTable, "\"qsa-energy\"", "\"other\"")),
            "energy t.json: format must be \"qsa-energy\"");
  EXPECT_EQ(ErrorOf("[1]"), "energy t.json: the file must be an object");
}

// examples/isa/gemm_tile.s on the default 16x16 array, by the counter rules of docs/isa.md:
//   load.sp ×2    DRAM read 2·256, scratchpad written 2·256
//   load.param    DRAM read 256 (4 rows of 16 int32), parameter buffer written 256
//   gemm          16 rows streamed: 16·256 = 4096 MACs; scratchpad read (16 + 16 preload)·16
//                 = 512; accumulator written 16·64 = 1024; no accumulation
//   post          accumulator read 1024, scratchpad written 256 (256 requantized values),
//                 parameter buffer read 16·16 = 256
//   store.sp      scratchpad read 256, DRAM written 256
//   finish        7 instructions in all
// With kTable (depth exponent 1): scratchpad bank 128 bits × 4096 rows = 8·2·4 = 64 pJ a row
// (4 pJ a byte; writes 6), accumulator 512 bits × 512 rows = 8·8·0.5 = 32 pJ (0.5 a byte; 0.75),
// parameter buffer 512 bits × 256 rows = 16 pJ (0.25 a byte; 0.375); leakage 336 KiB / 128 =
// 2.625 pJ a cycle of a 1 GHz clock, 5.25 pJ a cycle of the default 500 MHz.
TEST(Energy, HandCheckedProgram) {
  const isa::ArchConfig& arch = isa::DefaultArchConfig();
  const isa::Program program =
      isa::AssembleFile(std::string(QSA_SOURCE_DIR) + "/examples/isa/gemm_tile.s", arch);
  LayerProfiler profile(program, "gemm_tile");
  isa::IsaSimOptions options;
  options.observe = profile.Observer();
  isa::IsaSimulator sim(arch, program);
  const isa::IsaRunResult result = sim.Run(options);

  EstimateReport r;
  r.arch = arch;
  r.table = ParseEnergyTableText(kTable, "test");
  r.layers = profile.Layers();
  FinishReport(r);
  ASSERT_EQ(r.layers.size(), 1u);
  const Events& ev = r.layers[0].events;
  EXPECT_EQ(ev.cycles, result.timing.cycles);
  EXPECT_EQ(ev.instructions, 7);
  EXPECT_EQ(ev.macs_issued, 4096);
  EXPECT_EQ(ev.requants, 256);
  EXPECT_EQ(ev.accumulates, 0);

  const Energy& e = r.layers[0].energy;
  EXPECT_EQ(e.array, 4096 * (0.25 + 0.125));                     // 1536
  EXPECT_EQ(e.vector, 256 * (2 + 2 * 0.125));                    // 576
  EXPECT_EQ(e.scratchpad, (512 + 256) * 4.0 + (3 * 256) * 6.0);  // 7680
  EXPECT_EQ(e.accumulator, 1024 * 0.5 + 1024 * 0.75);            // 1280
  EXPECT_EQ(e.param, 256 * 0.25 + 256 * 0.375);                  // 160
  EXPECT_EQ(e.dram, (3 * 256 + 256) * 256.0);                    // 262144
  EXPECT_EQ(e.control, 7 * 16.0);                                // 112
  ASSERT_EQ(arch.clock_mhz, 500.0);
  EXPECT_EQ(e.leakage, 5.25 * static_cast<double>(result.timing.cycles));
  EXPECT_EQ(e.Total(), 273488 + 5.25 * static_cast<double>(result.timing.cycles));

  // The float32 accelerator: fp32 MACs, the bias add in post, four bytes per operand byte in
  // the scratchpad and DRAM.
  r.fp32 = true;
  FinishReport(r);
  const Energy& f = r.layers[0].fp32;
  EXPECT_EQ(f.array, 4096 * (4 + 1.0));
  EXPECT_EQ(f.vector, 256 * 1.0);
  EXPECT_EQ(f.scratchpad, 4 * 7680.0);
  EXPECT_EQ(f.dram, 4 * 262144.0);
  EXPECT_EQ(f.accumulator, e.accumulator);
}

}  // namespace
}  // namespace qsa::estimate
