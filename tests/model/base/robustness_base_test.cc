// The shared helpers behind issue #19: printable message text, bounded file reads, and temporary
// paths removed when the process is stopped by a signal.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"
#include "model/base/temp_files.h"
#include "model/base/text.h"

namespace qsa::base {
namespace {

namespace fs = std::filesystem;

TEST(TextTest, PrintableEscapesControlBytesAndCutsLongText) {
  EXPECT_EQ(Printable("conv1"), "conv1");
  EXPECT_EQ(Printable(std::string("a\0b\n\x7f\\", 6)), "a\\x00b\\n\\x7f\\\\");
  EXPECT_EQ(Printable(std::string(100, 'x'), 4), "xxxx... (100 characters)");
  // A multi-byte UTF-8 character is never cut in half.
  EXPECT_EQ(Printable("ab\xc3\xa9z", 3), "ab... (5 characters)");
  EXPECT_EQ(Quote("w"), "'w'");
}

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "qsa_read_file_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string ErrorOf(const std::string& path, std::uint64_t limit = kMaxInputFileBytes) {
    try {
      ReadRegularFile(path, limit);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  }
  fs::path dir_;
};

TEST_F(ReadFileTest, RefusesWhatIsNotARegularFileOrTooLarge) {
  EXPECT_EQ(ErrorOf("/dev/zero"),
            "cannot read '/dev/zero': it is a character device, not a regular file");
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(ErrorOf(fifo), "cannot read '" + fifo + "': it is a FIFO, not a regular file");
  EXPECT_EQ(ErrorOf(dir_.string()),
            "cannot read '" + dir_.string() + "': it is a folder, not a regular file");
  const std::string file = (dir_ / "f").string();
  std::ofstream(file) << "12345";
  EXPECT_EQ(ReadRegularFile(file, 5), "12345");
  EXPECT_EQ(ErrorOf(file, 4), "cannot read '" + file + "': it is larger than the limit of 4 bytes");
}

TEST(JsonTextTest, RefusesOverflowDuplicatesAndDeepNestingNamingTheSource) {
  const auto error_of = [](const std::string& text) {
    try {
      ParseJsonText(text, "'f.json'");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(error_of("[1e400]").rfind("'f.json': malformed JSON: number overflow", 0), 0u)
      << error_of("[1e400]");
  EXPECT_EQ(error_of("{\"a\": 1, \"a\": 2}"),
            "'f.json': malformed JSON: key 'a' appears twice in one object");
  EXPECT_EQ(error_of(std::string(100, '[') + std::string(100, ']')),
            "'f.json': malformed JSON: nested deeper than 64 levels");
  EXPECT_EQ(ParseJsonText("{\"a\": [1, {\"b\": 2}]}", "x")["a"][1]["b"], 2);
}

// A child registers a temporary file and a folder, then is stopped by SIGTERM (and another by
// SIGINT): both paths are gone and the child died of the signal.
TEST(TempFilesTest, RegisteredPathsAreRemovedOnSigtermAndSigint) {
  for (int sig : {SIGTERM, SIGINT}) {
    std::string pattern = (fs::temp_directory_path() / "qsa_temp_files_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    const fs::path dir = pattern;
    const fs::path file = dir / "out.tmp-1";
    const fs::path folder = dir / "compiled.partial-1";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      InstallTempCleanupOnSignals();
      std::ofstream(file) << "partial";
      fs::create_directories(folder / "segment0");
      std::ofstream(folder / "segment0" / "program.bin") << "x";
      TempPath a(file.string(), false);
      TempPath b(folder.string(), true);
      std::raise(sig);
      std::_Exit(3);  // not reached
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status)) << status;
    if (WIFSIGNALED(status)) {
      EXPECT_EQ(WTERMSIG(status), sig);
    }
    EXPECT_FALSE(fs::exists(file));
    EXPECT_FALSE(fs::exists(folder));
    fs::remove_all(dir);
  }
}

// A path released by its owner (renamed into place) is left alone.
TEST(TempFilesTest, ReleasedPathsAreKept) {
  std::string pattern = (fs::temp_directory_path() / "qsa_temp_files_XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path kept = fs::path(pattern) / "kept";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InstallTempCleanupOnSignals();
    std::ofstream(kept) << "done";
    TempPath a(kept.string(), false);
    a.Release();
    std::raise(SIGTERM);
    std::_Exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(fs::exists(kept));
  fs::remove_all(pattern);
}

}  // namespace
}  // namespace qsa::base
