// qsa asm: assembles a program text into program.bin (+ manifest.json); qsa disasm: prints a
// program as text that assembles back to the same program (docs/assembly.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "model/base/error.h"
#include "model/base/read_file.h"
#include "model/golden/npy.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/program.h"
#include "tools/commands.h"
#include "tools/tool_util.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;

std::string ReadSource(const std::string& path) {
  return base::ReadRegularFile(path, base::kMaxTextFileBytes);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Plural(std::size_t n, const std::string& word) {
  return FormatCount(static_cast<std::int64_t>(n)) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

CLI::App* AddAsmCommand(CLI::App& app, AsmArgs& args) {
  CLI::App* cmd = app.add_subcommand("asm", "Assemble a program text into a program for the ISA");
  AddRequired(cmd, "FILE", args.source, "Assembly source (.s)", "FILE.s");
  AddRequired(cmd, "-o,--out", args.out,
              "OUT.bin: a bare program.bin; otherwise a program folder with program.bin, "
              "manifest.json and program.s",
              "OUT");
  AddArchOption(cmd, args.arch);
  cmd->footer("Example: qsa asm examples/isa/gemm_tile.s -o gemm_tile\nSyntax: docs/assembly.md");
  return cmd;
}

void AsmCommand(const AsmArgs& args) {
  // Without --arch, a bundled architecture the source names (.arch NAME) is found by name.
  const isa::ArchConfig arch =
      args.arch.empty() ? ArchOfAssembly(args.source) : LoadArch(args.arch);
  const std::string text = ReadSource(args.source);
  const isa::Program program = isa::Assemble(text, args.source, arch);
  isa::WriteProgram(program, args.out, EndsWith(args.out, ".bin") ? "" : text);
  const isa::Manifest& m = program.manifest;
  std::cout << "assembled " << args.source << " -> " << args.out << ": "
            << Plural(program.instructions.size(), "instruction") << ", DRAM image "
            << FormatCount(static_cast<std::int64_t>(program.dram_image.size())) << " of "
            << FormatCount(static_cast<std::int64_t>(program.dram_size)) << " bytes, "
            << Plural(m.inputs.size(), "input") << ", " << Plural(m.outputs.size(), "output")
            << ", " << Plural(m.layers.size(), "layer") << "; architecture '" << arch.name
            << "' (hash " << arch.HashHex() << ")\n";
}

CLI::App* AddDisasmCommand(CLI::App& app, DisasmArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "disasm", "Print a program (program.bin or a program folder) as assembly text");
  AddRequired(cmd, "PROGRAM", args.program, "A program folder or a program.bin file",
              "DIR|FILE.bin");
  cmd->add_option("-o,--out", args.out, "Write the text to this file instead of standard output")
      ->type_name("FILE.s");
  cmd->footer(
      "The text assembles back to the identical program (qsa asm FILE.s -o OUT, with the\n"
      "program's --arch).");
  return cmd;
}

void DisasmCommand(const DisasmArgs& args) {
  const std::string text = isa::Disassemble(isa::ReadProgram(args.program));
  if (args.out.empty()) {
    std::cout << text;
  } else {
    golden::WriteFileAtomically(args.out, {text});
  }
}

}  // namespace qsa::tools
