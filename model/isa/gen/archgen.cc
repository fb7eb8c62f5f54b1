// qsa_archgen: the RTL parameters and the model key of an architecture configuration, as ArchConfig
// derives them (model/isa/arch.h), for the build and the scripts that cannot link C++.
//
//   qsa_archgen cmake ARCH.json [OUT]   set() commands; sim/rtl_model/CMakeLists.txt includes them
//   qsa_archgen sh ARCH.json [OUT]      shell assignments; scripts/rtl_check.sh evaluates them
//   qsa_archgen key ARCH.json [OUT]     the key alone, "r16c16s16384a1024p256b4x2l1q16t8"
//
// With OUT the text goes to that file, which is rewritten only when the text changes (so the
// verilated models do not go stale when the generator is rebuilt); else to standard output.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "model/base/error.h"
#include "model/isa/arch.h"

namespace {

std::string Generate(const std::string& format, const qsa::isa::ArchConfig& arch) {
  if (format == "cmake") return qsa::isa::RtlParamsCMake(arch);
  if (format == "sh") return qsa::isa::RtlParamsShell(arch);
  if (format == "key") return qsa::isa::RtlModelKey(qsa::isa::RtlParamsOf(arch)) + "\n";
  throw qsa::Error("unknown format '" + format + "'; give cmake, sh or key");
}

void WriteIfChanged(const std::filesystem::path& path, const std::string& text) {
  {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream old;
    old << in.rdbuf();
    if (in && old.str() == text) return;
  }
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) throw qsa::Error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: qsa_archgen cmake|sh|key ARCH.json [OUT]\n";
    return 2;
  }
  try {
    const std::string text = Generate(argv[1], qsa::isa::LoadArchConfig(argv[2]));
    if (argc == 4) {
      WriteIfChanged(argv[3], text);
    } else {
      std::cout << text;
    }
  } catch (const std::exception& e) {
    std::cerr << "qsa_archgen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
