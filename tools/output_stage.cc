#include "tools/output_stage.h"

#include <filesystem>
#include <system_error>

#include "model/base/error.h"
#include "model/base/temp_files.h"
#include "model/base/text.h"
#include "model/golden/npy.h"

namespace qsa::tools {

namespace fs = std::filesystem;

void OutputStage::AddFolder(const std::string& dir) {
  if (dir.empty()) throw Error("the output folder name is empty");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw Error("cannot create output folder " + base::QuotePath(dir) +
                ": a file of that name exists and is not a folder");
  }
  folders_.push_back(dir);
}

void OutputStage::AddFile(const std::string& path, std::string content) {
  if (path.empty()) throw Error("an output file name is empty");
  files_.emplace_back(path, std::move(content));
}

void OutputStage::Commit() {
  // The outermost folder each AddFolder creates, removed again if the commit fails.
  std::vector<fs::path> created;
  std::vector<base::TempPath> guards;
  const auto undo = [&created] {
    std::error_code ignored;
    for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove_all(*it, ignored);
  };
  try {
    for (const std::string& dir : folders_) {
      std::error_code ec;
      fs::path top;  // the outermost missing ancestor
      for (fs::path p = fs::absolute(dir, ec); !p.empty() && !fs::exists(p, ec);
           p = p.parent_path()) {
        top = p;
        if (p == p.parent_path()) break;
      }
      fs::create_directories(dir, ec);
      if (ec) {
        throw Error("cannot create output folder " + base::QuotePath(dir) + ": " + ec.message());
      }
      if (!top.empty()) {
        created.push_back(top);
        guards.emplace_back(top.string(), true);
      }
    }
    golden::WriteFilesAtomically(files_);
  } catch (...) {
    undo();
    throw;
  }
}

}  // namespace qsa::tools
