// Where qsa finds the files it reads at run time, relative to the running executable, so that
// the same binary works in the build tree, installed under any prefix, or moved with its prefix:
//   <bin>/<QSA_DATA_REL>       data: arch/ (bundled architectures), rtl/ (sources and qsa.f),
//                              sim/ (the verilation project), generated/rtl/ (the ISA package),
//                              examples/
//   <bin>/<QSA_MODEL_LIB_REL>  the verilated model libraries of the bundled architectures
// The build tree mirrors that layout (the top-level CMakeLists.txt), so build/tools/qsa and the
// test executables in build/tests/ find build/share/qsa as an installed qsa finds
// <prefix>/share/qsa. $QSA_DATA_DIR overrides the data folder.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "model/base/error.h"

// The build defines both (the top-level CMakeLists.txt, QSA_INSTALL_DEFINITIONS) on the targets
// that include this header.
#if !defined(QSA_DATA_REL) || !defined(QSA_MODEL_LIB_REL)
#error "QSA_DATA_REL and QSA_MODEL_LIB_REL must be defined (QSA_INSTALL_DEFINITIONS)"
#endif

namespace qsa::base {

// The folder of the running executable (from /proc/self/exe).
inline std::filesystem::path ExecutableDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the running executable (/proc/self/exe): " + ec.message());
  return exe.parent_path();
}

// $QSA_DATA_DIR, else <bin>/../share/qsa.
inline std::filesystem::path DataDir() {
  if (const char* dir = std::getenv("QSA_DATA_DIR"); dir != nullptr && dir[0] != '\0') {
    return dir;
  }
  return (ExecutableDir() / QSA_DATA_REL).lexically_normal();
}

// A path inside the data folder; refuses a missing one with the folder named.
inline std::filesystem::path DataPath(const std::string& relative) {
  const std::filesystem::path path = DataDir() / relative;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error("qsa's data file " + path.string() +
                " is missing (an incomplete installation? set QSA_DATA_DIR to the share/qsa "
                "folder)");
  }
  return path;
}

// <bin>/../lib/qsa/rtl_models: the prebuilt model libraries, one folder per model key.
inline std::filesystem::path ModelLibDir() {
  return (ExecutableDir() / QSA_MODEL_LIB_REL).lexically_normal();
}

}  // namespace qsa::base
