// A test fixture for end-to-end tests of the `qsa` binary: a fresh folder per test, the binary
// run through the shell with its standard output and error captured, and checks of a failed run.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace qsa::tools {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "qsa_cli_fixture_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string ShellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  static std::string ReadText(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // Runs `qsa ARGS...` with standard input from /dev/null and optional environment assignments
  // ("QSA_EXAMPLES=dir") in front.
  CliResult Qsa(const std::vector<std::string>& args, const std::string& env = "") const {
    std::string cmd = env + (env.empty() ? "" : " ") + ShellQuote(QSA_BINARY);
    for (const std::string& a : args) cmd += " " + ShellQuote(a);
    const std::filesystem::path out = dir_ / ".stdout";
    const std::filesystem::path err = dir_ / ".stderr";
    cmd += " >" + ShellQuote(out.string()) + " 2>" + ShellQuote(err.string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadText(out);
    r.err = ReadText(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::string WriteText(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  // The files under `folder` (relative to the test folder) whose names end in `suffix`.
  std::vector<std::string> FilesUnder(const std::string& folder, const std::string& suffix) const {
    std::vector<std::string> found;
    if (!std::filesystem::exists(dir_ / folder)) return found;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / folder)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        found.push_back(e.path().string());
      }
    }
    return found;
  }

  // A failure: exit code `code`, nothing on standard output, exactly one line
  // "qsa: error: ..." on standard error holding every phrase.
  static void ExpectError(const CliResult& r, int code, const std::vector<std::string>& phrases) {
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    const std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("qsa: error: ", 0), 0u) << lines[0];
    for (const std::string& p : phrases) {
      EXPECT_NE(lines[0].find(p), std::string::npos) << "missing '" << p << "' in: " << lines[0];
    }
  }

  std::filesystem::path dir_;
};

}  // namespace qsa::tools
