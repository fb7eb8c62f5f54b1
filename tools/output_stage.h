// The outputs of one `qsa` command, held until the whole command has succeeded and then written
// all or nothing: result files, reports and traces are added as they are produced, and Commit()
// creates the output folder, writes every file to a temporary beside its target and renames them
// into place only when all were written. On any error nothing is left behind: no target file, no
// temporary, and no output folder that the command created (docs/robustness.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace qsa::tools {

class OutputStage {
 public:
  // A folder the files go into, created (with its parents) by Commit() if missing. Refused at
  // once when the name is empty or names something that is not a folder.
  void AddFolder(const std::string& dir);
  // A file and its whole content. Refused at once when the path is empty.
  void AddFile(const std::string& path, std::string content);
  // Creates the folders and writes the files; throws qsa::Error (after removing what it made)
  // when any of them cannot be written.
  void Commit();

 private:
  std::vector<std::string> folders_;
  std::vector<std::pair<std::string, std::string>> files_;
};

}  // namespace qsa::tools
