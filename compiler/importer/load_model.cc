#include "compiler/importer/load_model.h"

#include <filesystem>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "compiler/importer/onnx_import.h"
#include "compiler/importer/tflite_import.h"
#include "model/base/error.h"
#include "model/golden/graph_json.h"

namespace qsa::importer {
namespace {

// ".onnx" for "nets/model.ONNX"; "" when the file name has no extension.
std::string LowerExtension(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

}  // namespace

bool IsModelPath(const std::string& path) {
  const std::string ext = LowerExtension(path);
  std::error_code ec;
  return (ext == ".onnx" || ext == ".tflite" || ext == ".json") &&
         !std::filesystem::is_directory(path, ec);
}

LoadedModel LoadModel(const std::string& path,
                      const std::map<std::string, golden::Tensor>& provided,
                      const golden::Tensor* unnamed) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("cannot open '" + path + "': " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error("cannot open '" + path + "': " + std::strerror(EISDIR));

  const std::string ext = LowerExtension(path);
  LoadedModel loaded;
  if (ext == ".onnx") {
    ImportOptions options{provided, std::nullopt};
    if (unnamed != nullptr) options.unnamed_input = *unnamed;
    ImportResult result = ImportOnnxFile(path, options);
    loaded.graph = std::move(result.graph);
    loaded.bound = std::move(result.bound);
  } else if (ext == ".tflite") {
    loaded.graph = ImportTfliteFile(path);
  } else if (ext == ".json") {
    loaded.graph = golden::ReadGraphJson(path);
  } else {
    throw Error("'" + path + "': unknown model format " +
                (ext.empty() ? std::string("(no extension)") : "'" + ext + "'") +
                "; qsa loads .onnx and .tflite files and .json graphs (docs/ir-json.md)");
  }
  return loaded;
}

}  // namespace qsa::importer
