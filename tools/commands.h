// The subcommands of `qsa`. Each Add*Command registers a subcommand and its options on the app,
// storing what the user typed in an *Args struct; the matching *Command function does the work,
// prints to standard output and throws qsa::Error on failure (main.cc turns that into one line
// on standard error and exit code 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "model/golden/quant.h"

namespace qsa::tools {

// qsa run MODEL [--input [NAME=]FILE.npy]... [--engine E] [--requant MODE] --out DIR
// qsa run PROGRAM --engine isa [--arch FILE] [--input ...] --out DIR [--trace-isa FILE]
//         [--report FILE.json] [--timeline FILE.json] [--energy FILE]
struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string engine = "golden";
  std::string requant{golden::RequantModeName(golden::RequantMode::kTfliteDouble)};
  std::string out_dir;
  std::string arch;                // --engine isa: architecture configuration (empty: the default)
  std::string trace_isa;           // --engine isa: trace file
  std::string report;              // --engine isa/rtl: report JSON file
  std::string trace;               // --engine rtl: FST waveform file
  std::int64_t dram_seed = -1;     // --engine rtl: DRAM jitter/back-pressure seed (< 0: none)
  bool layers = false;             // compiled model on the rtl engine: per-layer cycles
  std::string timeline;            // --engine isa: Chrome/Perfetto trace file
  std::string energy;              // --engine isa: energy table for the report (empty: built-in)
  bool quiet = false;              // no progress line on a terminal
  int cores = 1;                   // --engine systemc: accelerator cores on the platform
  std::string core_model = "isa";  // --engine systemc: the cores' model
  std::string platform;            // --engine systemc: platform file (DRAM timing)
};
CLI::App* AddRunCommand(CLI::App& app, RunArgs& args);
void RunCommand(const RunArgs& args);

// qsa inspect MODEL [--input NAME=FILE.npy]...
struct InspectArgs {
  std::string model;
  std::vector<std::string> inputs;
};
CLI::App* AddInspectCommand(CLI::App& app, InspectArgs& args);
void InspectCommand(const InspectArgs& args);

// qsa demo [--examples DIR]
struct DemoArgs {
  std::string examples_dir;
};
CLI::App* AddDemoCommand(CLI::App& app, DemoArgs& args);
void DemoCommand(const DemoArgs& args);

// qsa quantize FLOAT.onnx --calibration DATA -o OUT.onnx [options] [--report FILE.json]
struct QuantizeArgs {
  std::string model;
  std::string calibration;
  std::string out;
  std::string report;
  std::string method = "minmax";
  double percentile = 99.99;
  int weight_bits = 8;
  std::string weight_clipping = "minmax";
  bool per_tensor = false;
  bool asymmetric_weights = false;
  std::string activations = "uint8";
  bool symmetric_activations = false;
  bool no_fold_bn = false;
  double smoothquant = -1.0;  // < 0: off
  double outlier_threshold = 6.0;
  std::string weight_budget;  // "": no mixed precision
  bool sensitivity = false;
  std::int64_t samples = 0;
};
CLI::App* AddQuantizeCommand(CLI::App& app, QuantizeArgs& args);
void QuantizeCommand(const QuantizeArgs& args);

// qsa asm FILE.s -o OUT [--arch FILE]
struct AsmArgs {
  std::string source;
  std::string out;
  std::string arch;
};
CLI::App* AddAsmCommand(CLI::App& app, AsmArgs& args);
void AsmCommand(const AsmArgs& args);

// qsa disasm FILE.bin|DIR [-o FILE.s]
struct DisasmArgs {
  std::string program;
  std::string out;
};
CLI::App* AddDisasmCommand(CLI::App& app, DisasmArgs& args);
void DisasmCommand(const DisasmArgs& args);

// qsa compare PROGRAM|MODEL|COMPILED [--input ...] [--engines golden,isa,rtl] [--golden MODEL]
//             [--arch FILE]
struct CompareArgs {
  std::string target;
  std::vector<std::string> inputs;
  std::string engines = "golden,isa,rtl";
  std::string golden;
  std::string arch;
  std::string requant{golden::RequantModeName(golden::RequantMode::kTfliteDouble)};
};
CLI::App* AddCompareCommand(CLI::App& app, CompareArgs& args);
void CompareCommand(const CompareArgs& args);

// qsa compile MODEL -o OUT [--arch FILE] [--requant MODE] [--outputs-only]
struct CompileArgs {
  std::string model;
  std::string out;
  std::string arch;
  std::string requant{golden::RequantModeName(golden::RequantMode::kTfliteDouble)};
  bool outputs_only = false;
};
CLI::App* AddCompileCommand(CLI::App& app, CompileArgs& args);
void CompileCommand(const CompileArgs& args);

// qsa estimate MODEL|COMPILED [--arch NAME|FILE] [--energy FILE] [--json FILE] [--csv FILE]
//              [--fp32] [--requant MODE]
// qsa estimate --topology FILE.csv [--arch ...] [...]
struct EstimateArgs {
  std::string model;
  std::string topology;
  std::string arch;
  std::string energy;
  std::string json;
  std::string csv;
  bool fp32 = false;
  bool quiet = false;  // no table
  std::string requant{golden::RequantModeName(golden::RequantMode::kTfliteDouble)};
};
CLI::App* AddEstimateCommand(CLI::App& app, EstimateArgs& args);
void EstimateCommand(const EstimateArgs& args);

}  // namespace qsa::tools
