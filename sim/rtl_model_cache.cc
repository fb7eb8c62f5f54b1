#include "sim/rtl_model_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "model/base/error.h"
#include "model/base/fnv.h"
#include "model/base/hex.h"
#include "model/base/install_layout.h"

namespace qsa::sim {
namespace fs = std::filesystem;

namespace {

constexpr const char* kLibraryName = "libqsa_rtl_model.so";

std::string ReadFileOrThrow(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read RTL source " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t HashText(std::uint64_t h, const std::string& text) {
  for (char c : text) h = base::Fnv1a64(h, static_cast<std::uint8_t>(c), 1);
  return base::Fnv1a64(h, text.size(), 8);
}

// The files listed in rtl/qsa.f, relative to rtl/.
std::vector<std::string> FileList(const fs::path& rtl_dir) {
  std::istringstream lines(ReadFileOrThrow(rtl_dir / "qsa.f"));
  std::vector<std::string> files;
  std::string line;
  while (std::getline(lines, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (line.rfind("//", 0) == 0 || line[0] == '#') continue;
    files.push_back(line);
  }
  return files;
}

// Quotes a path for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Holds an exclusive lock on a file while alive.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT, 0644)) {
    if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) {
      throw Error("cannot lock " + path.string() + " to build the RTL model there");
    }
  }
  ~FileLock() { close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Verilates `arch` with the project data/sim/rtl_model into dir/kLibraryName, given the
// parameters qsa_archgen would write (isa::RtlParamsCMake); `data` is qsa's data folder.
void BuildModel(const isa::ArchConfig& arch, const fs::path& data, const fs::path& dir,
                const fs::path& log) {
  const fs::path build = dir / "build";
  const fs::path staging = dir / "staging";
  const fs::path params = dir / "params.cmake";
  if (!(std::ofstream(params) << isa::RtlParamsCMake(arch))) {
    throw Error("cannot write " + params.string());
  }
  auto define = [](const std::string& name, const std::string& value) {
    return " -D" + name + "=" + ShellQuote(value);
  };
  const std::string configure =
      "cmake -S " + ShellQuote((data / "sim" / "rtl_model").string()) + " -B " +
      ShellQuote(build.string()) + " -G Ninja -DCMAKE_BUILD_TYPE=Release" +
      define("QSA_SOURCE_DIR", data.string()) +
      define("QSA_GENERATED_DIR", (data / "generated").string()) +
      define("QSA_RTL_PARAMS", params.string()) + define("QSA_OUTPUT_DIR", staging.string());
  const std::string command = "{ " + configure + " && cmake --build " + ShellQuote(build.string()) +
                              "; } > " + ShellQuote(log.string()) + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw Error("verilating the RTL model failed; see " + log.string());
  }
  fs::rename(staging / kLibraryName, dir / kLibraryName);
}

}  // namespace

isa::RtlParams RtlParamsOf(const QsaRtlParams& p) {
  return isa::RtlParams{p.array_rows, p.array_cols, p.sp_rows,      p.acc_rows,   p.param_rows,
                        p.sp_banks,   p.acc_banks,  p.read_latency, p.insn_depth, p.token_depth};
}

std::uint64_t RtlSourcesHash(const std::string& source_dir, const std::string& generated_dir) {
  const fs::path source(source_dir);
  const fs::path rtl = source / "rtl";
  std::vector<std::pair<std::string, fs::path>> files = {
      {"rtl/qsa.f", rtl / "qsa.f"},
      {"generated/rtl/qsa_isa_pkg.sv", fs::path(generated_dir) / "rtl" / "qsa_isa_pkg.sv"},
      {"sim/rtl_shim.cc", source / "sim" / "rtl_shim.cc"},
      {"sim/rtl_model_api.h", source / "sim" / "rtl_model_api.h"},
      {"sim/rtl_model.cmake", source / "sim" / "rtl_model.cmake"},
      {"sim/rtl_model/CMakeLists.txt", source / "sim" / "rtl_model" / "CMakeLists.txt"}};
  if (fs::exists(rtl / "lint" / "qsa.vlt")) {
    files.emplace_back("rtl/lint/qsa.vlt", rtl / "lint" / "qsa.vlt");
  }
  for (const std::string& f : FileList(rtl)) files.emplace_back("rtl/" + f, rtl / f);
  std::uint64_t h = base::kFnv1a64Offset;
  for (const auto& [name, path] : files) {
    h = HashText(h, name);
    h = HashText(h, ReadFileOrThrow(path));
  }
  return h;
}

std::string RtlModelCacheDir() {
  if (const char* dir = std::getenv("QSA_RTL_CACHE"); dir != nullptr && dir[0] != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] != '\0') {
    return (fs::path(xdg) / "qsa" / "rtl").string();
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') {
    throw Error("no cache directory for RTL models: set QSA_RTL_CACHE (or HOME)");
  }
  return (fs::path(home) / ".cache" / "qsa" / "rtl").string();
}

std::string FindOrBuildRtlModel(const isa::ArchConfig& arch, std::ostream& progress) {
  const std::string key = isa::RtlModelKey(isa::RtlParamsOf(arch));
  // Libraries built apart (the coverage models of scripts/rtl_coverage.sh) come first.
  if (const char* dir = std::getenv("QSA_RTL_MODEL_DIR"); dir != nullptr && dir[0] != '\0') {
    const fs::path apart = fs::path(dir) / key / kLibraryName;
    if (fs::exists(apart)) return apart.string();
  }
  const fs::path built = base::ModelLibDir() / key / kLibraryName;
  if (fs::exists(built)) return built.string();

  // The sources are in qsa's data folder (installed, or the build tree's mirror of the sources).
  const fs::path data = base::DataPath("rtl/qsa.f").parent_path().parent_path();
  const std::string hashed =
      key + "-" + base::HexDigits(RtlSourcesHash(data.string(), (data / "generated").string()));
  const fs::path cache(RtlModelCacheDir());
  const fs::path dir = cache / hashed;
  const fs::path library = dir / kLibraryName;
  if (fs::exists(library)) return library.string();

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the RTL model cache " + dir.string() + ": " + ec.message());
  const FileLock lock(cache / (hashed + ".lock"));
  if (fs::exists(library)) return library.string();  // another process built it meanwhile
  progress << "verilating the " << arch.rows << "x" << arch.cols << " array (first use; cached in "
           << dir.string() << ")" << std::endl;
  BuildModel(arch, data, dir, dir / "build.log");
  return library.string();
}

RtlModelLibrary::RtlModelLibrary(const std::string& path) : path_(path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    throw Error("cannot load the RTL model " + path + ": " + std::string(dlerror()));
  }
  auto* entry = reinterpret_cast<QsaRtlModelApiFn>(dlsym(handle, QSA_RTL_MODEL_API_SYMBOL));
  if (entry == nullptr) {
    throw Error("the RTL model " + path + " has no " + QSA_RTL_MODEL_API_SYMBOL + " function");
  }
  api_ = entry();
  if (api_ == nullptr || api_->abi_version != QSA_RTL_MODEL_ABI_VERSION) {
    throw Error("the RTL model " + path + " was built for another harness version; rebuild it");
  }
}

const RtlModelLibrary& LoadRtlModel(const isa::ArchConfig& arch, std::ostream& progress) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<RtlModelLibrary>> loaded;
  const std::lock_guard<std::mutex> guard(mutex);
  const std::string path = FindOrBuildRtlModel(arch, progress);
  auto it = loaded.find(path);
  if (it == loaded.end()) {
    it = loaded.emplace(path, std::make_unique<RtlModelLibrary>(path)).first;
  }
  const isa::RtlParams want = isa::RtlParamsOf(arch);
  const isa::RtlParams have = RtlParamsOf(it->second->api().params);
  if (!(want == have) || it->second->api().params.bus_bytes != QSA_RTL_BUS_BYTES) {
    throw Error("the RTL model " + path + " was built with parameters " + isa::RtlModelKey(have) +
                ", not " + isa::RtlModelKey(want) + " of architecture '" + arch.name + "'");
  }
  return *it->second;
}

}  // namespace qsa::sim
