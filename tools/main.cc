// The `qsa` command: parses the command line and dispatches to a subcommand (commands.h). Every
// failure ends as one line "qsa: error: <message>" on standard error: exit code 1 for errors in
// the model, inputs or files, 2 for command-line usage errors.
#include <exception>
#include <iostream>
#include <string>

#include "model/base/error.h"
#include "model/base/temp_files.h"
#include "model/base/text.h"
#include "tools/commands.h"

#ifndef QSA_VERSION
#define QSA_VERSION "unknown"
#endif

namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// The longest error line printed; the libraries already cut the names and values they echo.
constexpr std::size_t kMaxMessageChars = 1000;

int ReportError(const std::string& message) {
  // One line: line breaks become spaces, other control bytes (a NUL from a file) are escaped.
  std::string line;
  for (char c : message) line += (c == '\n' || c == '\r') ? std::string(" ") : std::string(1, c);
  std::string text;
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    text +=
        (u < 0x20 || u == 0x7f) ? qsa::base::Printable(std::string_view(&c, 1)) : std::string(1, c);
  }
  if (text.size() > kMaxMessageChars) {
    text =
        text.substr(0, kMaxMessageChars) + "... (" + std::to_string(text.size()) + " characters)";
  }
  std::cerr << "qsa: error: " << text << std::endl;
  return kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qsa::tools;
  qsa::base::InstallTempCleanupOnSignals();

  CLI::App app("qsa: tools for quantized (integer) neural-network accelerators.", "qsa");
  app.set_version_flag("--version", "qsa " QSA_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 error (model, inputs, files), 2 command-line usage error.\n"
      "Run 'qsa COMMAND --help' for a command's options; docs/cli.md has examples.");

  RunArgs run_args;
  InspectArgs inspect_args;
  DemoArgs demo_args;
  QuantizeArgs quantize_args;
  AsmArgs asm_args;
  DisasmArgs disasm_args;
  CompareArgs compare_args;
  CompileArgs compile_args;
  EstimateArgs estimate_args;
  CLI::App* compile = AddCompileCommand(app, compile_args);
  CLI::App* run = AddRunCommand(app, run_args);
  CLI::App* inspect = AddInspectCommand(app, inspect_args);
  CLI::App* demo = AddDemoCommand(app, demo_args);
  CLI::App* quantize = AddQuantizeCommand(app, quantize_args);
  CLI::App* assemble = AddAsmCommand(app, asm_args);
  CLI::App* disassemble = AddDisasmCommand(app, disasm_args);
  CLI::App* compare = AddCompareCommand(app, compare_args);
  CLI::App* estimate = AddEstimateCommand(app, estimate_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-') {
      ReportError(
          std::string("unknown command '") + argv[1] +
          "' (commands: compile, estimate, run, compare, inspect, demo, quantize, asm, disasm; see "
          "'qsa --help')");
      return kExitUsage;
    }
    std::string hint = "qsa --help";
    for (const CLI::App* sub : app.get_subcommands()) hint = "qsa " + sub->get_name() + " --help";
    ReportError(std::string(e.what()) + " (see '" + hint + "')");
    return kExitUsage;
  }

  try {
    if (compile->parsed()) CompileCommand(compile_args);
    if (run->parsed()) RunCommand(run_args);
    if (inspect->parsed()) InspectCommand(inspect_args);
    if (demo->parsed()) DemoCommand(demo_args);
    if (quantize->parsed()) QuantizeCommand(quantize_args);
    if (assemble->parsed()) AsmCommand(asm_args);
    if (disassemble->parsed()) DisasmCommand(disasm_args);
    if (compare->parsed()) CompareCommand(compare_args);
    if (estimate->parsed()) EstimateCommand(estimate_args);
  } catch (const qsa::Error& e) {
    return ReportError(e.what());
  } catch (const std::exception& e) {
    return ReportError(std::string("internal error: ") + e.what());
  }
  return 0;
}
