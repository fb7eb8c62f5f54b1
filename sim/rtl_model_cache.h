// Finding (or building) the verilated model library of an array configuration. The main build
// makes the libraries of the configurations in model/isa/arch/; any other configuration is
// verilated on first use into a per-user cache, keyed by its parameters and a hash of the RTL
// sources.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "model/isa/arch.h"
#include "sim/rtl_model_api.h"

namespace qsa::sim {

// The parameters a loaded model library reports it was built with (the key and the parameters
// of a configuration are isa::RtlModelKey and isa::RtlParamsOf, model/isa/arch.h).
isa::RtlParams RtlParamsOf(const QsaRtlParams& params);

// FNV-1a 64 over the names and contents of the files a model library is built from: rtl/qsa.f,
// the files it lists, the generated ISA package, the lint waivers and the shim sources.
std::uint64_t RtlSourcesHash(const std::string& source_dir, const std::string& generated_dir);

// $QSA_RTL_CACHE, else $XDG_CACHE_HOME/qsa/rtl, else $HOME/.cache/qsa/rtl.
std::string RtlModelCacheDir();

// The path of the model library for `arch`: $QSA_RTL_MODEL_DIR/<key>/ when that exists (models
// built apart, e.g. with coverage), else the main build's, else the cached one, else builds it
// into the cache (progress on `progress`). Throws qsa::Error when the build fails.
std::string FindOrBuildRtlModel(const isa::ArchConfig& arch, std::ostream& progress);

// A loaded model library (kept loaded for the life of the process).
class RtlModelLibrary {
 public:
  explicit RtlModelLibrary(const std::string& path);
  const QsaRtlModelApi& api() const { return *api_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const QsaRtlModelApi* api_ = nullptr;
};

// The library for `arch`, found or built, loaded once per process; checks that it was built
// with the parameters of `arch`.
const RtlModelLibrary& LoadRtlModel(const isa::ArchConfig& arch, std::ostream& progress);

}  // namespace qsa::sim
