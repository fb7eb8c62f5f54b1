// Fuzz target: the compiled-model folder description (compiled.json; compiler/compiled_folder.h).
// The input becomes compiled.json in a private folder beside a valid arch.json and host.json, and
// the folder is read as `qsa run` reads it.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/compiled_folder.h"
#include "fuzz/fuzz_util.h"
#include "model/isa/arch.h"

namespace {

std::string MakeFolder() {
  char dir[] = "/tmp/qsa-fuzz-compiled-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  std::ofstream(std::string(dir) + "/arch.json")
      << qsa::isa::ArchConfigToJson(qsa::isa::DefaultArchConfig()).dump();
  std::ofstream(std::string(dir) + "/host.json")
      << R"({"qsa_graph": 1, "inputs": ["x"], "outputs": ["x"],)"
      << R"( "tensors": {"x": {"dtype": "uint8", "shape": [1]}}, "nodes": []})";
  static const std::string removed_at_exit = dir;
  std::atexit([] { std::filesystem::remove_all(removed_at_exit); });
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = MakeFolder();
  {
    std::ofstream out(dir + "/compiled.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  qsa::fuzz::Run([&] { qsa::compiler::ReadCompiled(dir); });
  return 0;
}
