// End-to-end tests of `qsa asm` and `qsa disasm`: the real binary, run through the shell into a
// fresh folder, its files read back with the library and compared with in-process assembly.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/base/error.h"
#include "model/isa/arch.h"
#include "model/isa/assembler.h"
#include "model/isa/program.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;

const std::string kExample = QSA_SOURCE_DIR "/examples/isa/gemm_tile.s";
const std::string kArch4x4 = QSA_SOURCE_DIR "/model/isa/arch/4x4.json";

class AsmCliTest : public CliFixture {
 protected:
  static void ExpectError(const CliResult& r, int code, const std::string& phrase) {
    CliFixture::ExpectError(r, code, {phrase});
  }
};

TEST_F(AsmCliTest, AsmWritesAProgramFolderAsTheLibraryAssemblesIt) {
  const CliResult r = Qsa({"asm", kExample, "-o", Path("prog")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("7 instructions, DRAM image 768 of 1,024 bytes, 1 input, 1 output, 1 layer"),
            std::string::npos)
      << r.out;
  const isa::Program expected = isa::AssembleFile(kExample);
  EXPECT_EQ(isa::ReadProgram(Path("prog")), expected);
  EXPECT_EQ(ReadText(Path("prog/program.s")), ReadText(kExample));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(Path("prog"))) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"manifest.json", "program.bin", "program.s"}));
}

TEST_F(AsmCliTest, DisasmReassemblesToTheIdenticalBinary) {
  ASSERT_EQ(Qsa({"asm", kExample, "-o", Path("prog")}).exit_code, 0);
  const CliResult text = Qsa({"disasm", Path("prog")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("\ngemm act=0 act_outer=4 "), std::string::npos) << text.out;
  WriteText("again.s", text.out);
  ASSERT_EQ(Qsa({"asm", Path("again.s"), "-o", Path("again")}).exit_code, 0);
  EXPECT_EQ(ReadText(Path("again/program.bin")), ReadText(Path("prog/program.bin")));
  EXPECT_EQ(isa::ReadProgram(Path("again")), isa::ReadProgram(Path("prog")));
  // A bare .bin, disassembled to a file with -o.
  ASSERT_EQ(Qsa({"asm", kExample, "-o", Path("bare.bin")}).exit_code, 0);
  EXPECT_EQ(ReadText(Path("bare.bin")), ReadText(Path("prog/program.bin")));
  const CliResult to_file = Qsa({"disasm", Path("bare.bin"), "-o", Path("bare.s")});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(to_file.out, "");
  ASSERT_EQ(Qsa({"asm", Path("bare.s"), "-o", Path("bare2.bin")}).exit_code, 0);
  EXPECT_EQ(ReadText(Path("bare2.bin")), ReadText(Path("bare.bin")));
}

TEST_F(AsmCliTest, ArchIsRecordedAndAMismatchIsRefused) {
  const isa::ArchConfig arch = isa::LoadArchConfig(kArch4x4);
  const std::string source =
      WriteText("small.s", "load.sp sram=1 dram=0 ny=1 nx=1 lanes=4\nfinish\n");
  const CliResult r = Qsa({"asm", source, "-o", Path("small"), "--arch", kArch4x4});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("architecture '4x4' (hash " + arch.HashHex() + ")"), std::string::npos);
  const isa::Program p = isa::ReadProgram(Path("small"));
  EXPECT_EQ(p.arch_hash, arch.Hash());
  EXPECT_EQ(p.arch_name, "4x4");
  EXPECT_NO_THROW(isa::CheckProgramArch(p, arch, "small"));
  EXPECT_THROW(isa::CheckProgramArch(p, isa::DefaultArchConfig(), "small"), Error);
  // The disassembly names the architecture; assembling it for another one is refused.
  const CliResult text = Qsa({"disasm", Path("small")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(".arch 4x4 " + arch.HashHex() + "\n"), std::string::npos) << text.out;
  const std::string again = WriteText("again.s", text.out);
  // A bundled architecture named in the source is found by name, without --arch.
  const CliResult by_name = Qsa({"asm", again, "-o", Path("by_name")});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_NE(by_name.out.find("architecture '4x4' (hash " + arch.HashHex() + ")"),
            std::string::npos);
  EXPECT_EQ(ReadText(Path("by_name/program.bin")), ReadText(Path("small/program.bin")));
  ExpectError(Qsa({"asm", again, "-o", Path("wrong"), "--arch",
                   QSA_SOURCE_DIR "/model/isa/arch/default.json"}),
              1,
              again + ":2:11: the program is written for architecture '4x4' (hash " +
                  arch.HashHex() + ") but is being assembled for 'default' (hash " +
                  isa::DefaultArchConfig().HashHex() + ")");
  EXPECT_FALSE(fs::exists(Path("wrong")));
  ASSERT_EQ(Qsa({"asm", again, "-o", Path("right"), "--arch", kArch4x4}).exit_code, 0);
  EXPECT_EQ(ReadText(Path("right/program.bin")), ReadText(Path("small/program.bin")));
}

TEST_F(AsmCliTest, ErrorsAreOneLineWithExitCodes) {
  const std::string bad = WriteText("bad.s", "# header\nfinish\n  gemm act=1 n_inner=256\n");
  ExpectError(Qsa({"asm", bad, "-o", Path("out")}), 1,
              bad + ":3:22: gemm: field n_inner = 256 does not fit in 8 bits");
  EXPECT_FALSE(fs::exists(Path("out")));
  ExpectError(Qsa({"asm", Path("missing.s"), "-o", Path("out")}), 1,
              "cannot open '" + Path("missing.s") + "'");
  ExpectError(Qsa({"asm", bad}), 2, "--out is required");
  ExpectError(Qsa({"disasm", WriteText("junk.bin", "not a program at all")}), 1,
              "'" + Path("junk.bin") + "': not a qsa program (bad magic");
  ExpectError(Qsa({"disasm", Path("nothing")}), 1, "cannot open '" + Path("nothing") + "'");
  ExpectError(Qsa({"asm", kExample, "-o", Path("x"), "--arch", Path("none.json")}), 1, "none.json");
  // A folder whose manifest does not belong to its program.bin.
  ASSERT_EQ(Qsa({"asm", kExample, "-o", Path("mixed")}).exit_code, 0);
  ASSERT_EQ(Qsa({"asm", WriteText("one.s", "finish\n"), "-o", Path("one.bin")}).exit_code, 0);
  fs::copy_file(Path("one.bin"), Path("mixed/program.bin"), fs::copy_options::overwrite_existing);
  ExpectError(Qsa({"disasm", Path("mixed")}), 1, "instructions is 7 but program.bin holds 1");
}

}  // namespace
}  // namespace qsa::tools
