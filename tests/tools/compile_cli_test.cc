// qsa compile, and qsa run / compare on compiled folders and on models compiled on the fly, with
// the digits example; the errors a user can meet.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "model/golden/npy.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;

const std::string kDigits = std::string(QSA_SOURCE_DIR) + "/examples/digits/";

class CompileCliTest : public CliFixture {
 protected:
  // The first test image as a model input [1, 1, 8, 8].
  std::string FirstImage() {
    const golden::Tensor all = golden::ReadNpy(kDigits + "test_images.npy");
    golden::Tensor x(all.dtype(), {1, 1, 8, 8});
    const auto bytes = x.MutableBytes();
    std::copy_n(all.Bytes().begin(), bytes.size(), bytes.begin());
    golden::WriteNpy(Path("x.npy"), x);
    return Path("x.npy");
  }
};

TEST_F(CompileCliTest, CompilesTheDigitsModelAndReportsEachLayer) {
  const CliResult r = Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* layer : {"conv1", "conv2", "conv3", "gap", "fc"}) {
    EXPECT_NE(r.out.find(layer), std::string::npos) << layer << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("60,064 MACs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("host fallback (2 nodes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("QuantizeLinear 'input_QuantizeLinear'"), std::string::npos) << r.out;
  for (const char* file :
       {"compiled.json", "arch.json", "host.json", "model.onnx", "segment0/program.bin",
        "segment0/manifest.json", "segment0/program.s"}) {
    EXPECT_TRUE(fs::is_regular_file(Path("prog") + "/" + file)) << file;
  }
  const nlohmann::json j = nlohmann::json::parse(ReadText(Path("prog/compiled.json")));
  EXPECT_EQ(j["format"], "qsa-compiled-model");
  ASSERT_EQ(j["steps"].size(), 3u);  // host, program, host
  EXPECT_EQ(j["steps"][1]["program"], "segment0");
  // The listing maps instructions to layers.
  const std::string listing = ReadText(Path("prog/segment0/program.s"));
  EXPECT_NE(listing.find(".layer conv1"), std::string::npos);
  EXPECT_NE(listing.find("gemm act="), std::string::npos);
  EXPECT_NE(listing.find("# conv2 "), std::string::npos);
}

TEST_F(CompileCliTest, CompiledAndOnTheFlyModelsAreBitExactOnThreeEngines) {
  const std::string x = FirstImage();
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  for (const std::string& target : {Path("prog"), kDigits + "digits_qop.onnx"}) {
    const CliResult r = Qsa({"compare", target, "--input", x, "--engines", "golden,isa,rtl"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("golden vs rtl: bit-exact (10 values)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("isa vs rtl: bit-exact (10 values)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("all tensors bit-exact"), std::string::npos) << r.out;
  }
  // qsa run on each engine writes the same logits.
  std::vector<golden::Tensor> logits;
  for (const char* engine : {"golden", "isa", "rtl"}) {
    const std::string out = Path(std::string("out_") + engine);
    std::vector<std::string> args = {"run", Path("prog"), "--engine", engine, "--input",
                                     x,     "--out",      out};
    if (std::string(engine) == "rtl") args.push_back("--layers");
    const CliResult r = Qsa(args);
    ASSERT_EQ(r.exit_code, 0) << engine << r.out << r.err;
    logits.push_back(golden::ReadNpy(out + "/logits.npy"));
    if (std::string(engine) == "rtl") {
      EXPECT_NE(r.out.find("conv3"), std::string::npos) << r.out;  // the per-layer table
    }
  }
  EXPECT_TRUE(logits[0] == logits[1]);
  EXPECT_TRUE(logits[0] == logits[2]);
  ExpectError(Qsa({"run", Path("prog"), "--engine", "golden", "--input", x, "--out", Path("o3"),
                   "--layers"}),
              1, {"--layers needs --engine isa or rtl"});
}

// --trace, --dram-seed and --trace-isa on a compiled model: the waveform is written, random DRAM
// timing costs cycles but not a bit of the logits, and the ISA trace names each program.
TEST_F(CompileCliTest, TracesAndDramSeedTakeACompiledModel) {
  const std::string x = FirstImage();
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  const auto cycles_of = [](const std::string& out) {
    const std::size_t end = out.find(" cycles,");
    const std::size_t begin = out.rfind(", ", end) + 2;
    std::string digits;
    for (const char c : out.substr(begin, end - begin)) {
      if (c != ',') digits += c;
    }
    return std::stoll(digits);
  };
  const CliResult plain =
      Qsa({"run", Path("prog"), "--engine", "rtl", "--input", x, "--out", Path("plain")});
  ASSERT_EQ(plain.exit_code, 0) << plain.out << plain.err;
  const CliResult seeded = Qsa({"run", Path("prog"), "--engine", "rtl", "--input", x, "--out",
                                Path("seeded"), "--dram-seed", "7", "--trace", Path("w.fst")});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.out << seeded.err;
  EXPECT_TRUE(golden::ReadNpy(Path("plain/logits.npy")) ==
              golden::ReadNpy(Path("seeded/logits.npy")));
  EXPECT_GT(cycles_of(seeded.out), cycles_of(plain.out)) << plain.out << seeded.out;
  ASSERT_TRUE(fs::is_regular_file(Path("w.fst")));  // one program: the path itself
  EXPECT_GT(fs::file_size(Path("w.fst")), 1000u);

  const CliResult isa = Qsa({"run", Path("prog"), "--engine", "isa", "--input", x, "--out",
                             Path("isa"), "--trace-isa", Path("t.txt")});
  ASSERT_EQ(isa.exit_code, 0) << isa.out << isa.err;
  const std::string trace = ReadText(Path("t.txt"));
  EXPECT_EQ(trace.rfind("# program segment0\n", 0), 0u) << trace.substr(0, 200);
  EXPECT_NE(trace.find("gemm"), std::string::npos);
  EXPECT_NE(trace.find("finish"), std::string::npos);

  ExpectError(Qsa({"run", Path("prog"), "--engine", "isa", "--input", x, "--out", Path("o1"),
                   "--dram-seed", "3"}),
              1, {"--dram-seed needs --engine rtl"});
  ExpectError(Qsa({"run", Path("prog"), "--engine", "rtl", "--input", x, "--out", Path("o2"),
                   "--trace-isa", Path("t2.txt")}),
              1, {"--trace-isa needs --engine isa"});
}

// Against ONNX Runtime's float requantization the golden model differs by an LSB here and there:
// the comparison reports the agreement and fails.
TEST_F(CompileCliTest, AFloatGoldenModeReportsAgreementAndFails) {
  const std::string x = FirstImage();
  const CliResult r = Qsa({"compare", kDigits + "digits_qdq.onnx", "--input", x, "--engines",
                           "golden,isa", "--requant", "float32-rne"});
  if (r.exit_code == 0) {
    // This image happens to agree everywhere; the report still says so.
    EXPECT_NE(r.out.find("all tensors bit-exact"), std::string::npos) << r.out;
    return;
  }
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("% agree, max 1 LSB"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("the first tensor that differs is"), std::string::npos) << r.err;
}

TEST_F(CompileCliTest, BadInputsGiveOneLineErrorsAndNoOutput) {
  ExpectError(Qsa({"compile", Path("nope.onnx"), "-o", Path("p1")}), 1, {"nope.onnx"});
  EXPECT_FALSE(fs::exists(Path("p1")));
  ExpectError(
      Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("p2"), "--requant", "float32-rne"}),
      1, {"tflite-double or single-rounding"});
  EXPECT_FALSE(fs::exists(Path("p2")));
  // A configuration whose memories cannot hold a layer: the layer and the rows it needs. A 3x3
  // convolution over 512 channels needs at least 3·3·128 rows of 4 lanes for one output pixel's
  // window; this array's scratchpad has 256.
  std::string w = "[";
  for (int i = 0; i < 4 * 512 * 9; ++i) w += (i ? "," : "") + std::to_string(i % 7 - 3);
  w += "]";
  const std::string wide = WriteText(
      "wide.json",
      R"({"qsa_graph": 1, "inputs": ["x"], "outputs": ["y"], "tensors": {)"
      R"("x": {"dtype": "uint8", "shape": [1, 512, 3, 3], "scale": 0.02, "zero_point": 128},)"
      R"("w": {"dtype": "int8", "shape": [4, 512, 3, 3], "scale": 0.01, "zero_point": 0, "data": )" +
          w +
          R"(}, "y": {"dtype": "uint8", "scale": 0.5, "zero_point": 0}}, "nodes": [)"
          R"({"name": "wide", "op": "Conv", "inputs": ["x", "w"], "outputs": ["y"],)"
          R"( "attrs": {"pads": [1, 1, 1, 1]}}]})");
  const std::string arch = WriteText(
      "tiny.json",
      R"({"name": "tiny", "array": {"rows": 4, "cols": 4}, "memory": {"scratchpad_kib": 1, )"
      R"("accumulator_kib": 1, "param_rows": 8}})");
  const CliResult tiny = Qsa({"compile", wide, "-o", Path("p3"), "--arch", arch});
  ExpectError(tiny, 1, {"layer 'wide' does not fit", "scratchpad rows"});
  EXPECT_FALSE(fs::exists(Path("p3")));
  // An output path that is a file, or a folder holding something else, is not replaced.
  WriteText("file", "x");
  ExpectError(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("file")}), 1,
              {"not a folder"});
  fs::create_directories(Path("keep"));
  WriteText("keep/notes.txt", "mine");
  ExpectError(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("keep")}), 1,
              {"holds no compiled model"});
  EXPECT_TRUE(fs::exists(Path("keep/notes.txt")));
  // A damaged compiled folder.
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  const std::string x = FirstImage();
  WriteText("prog/compiled.json", "{\"format\": ");
  ExpectError(Qsa({"run", Path("prog"), "--engine", "isa", "--input", x, "--out", Path("o")}), 1,
              {"compiled.json", "malformed JSON"});
  EXPECT_FALSE(fs::exists(Path("o")));
  // Another architecture than the one the folder was compiled for.
  ASSERT_EQ(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("prog")}).exit_code, 0);
  ExpectError(Qsa({"run", Path("prog"), "--engine", "isa", "--input", x, "--arch",
                   std::string(QSA_SOURCE_DIR) + "/model/isa/arch/8x8.json", "--out", Path("o")}),
              1, {"compiled for architecture 'default'", "8x8"});
  // --arch by bundled name: the same configuration as its file; an unknown name lists the bundled.
  const CliResult named =
      Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("p8"), "--arch", "8x8"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  const nlohmann::json named_arch = nlohmann::json::parse(ReadText(Path("p8/arch.json")));
  EXPECT_EQ(named_arch.at("name"), "8x8");
  EXPECT_EQ(named_arch.at("array").at("rows"), 8);
  ExpectError(Qsa({"compile", kDigits + "digits_qdq.onnx", "-o", Path("p9"), "--arch", "9x9"}), 1,
              {"no architecture named '9x9'", "4x4, 4x4_l2, 8x16, 8x8, default"});
  EXPECT_FALSE(fs::exists(Path("p9")));
  // A float-only model has nothing for the accelerator: every node is reported as host.
  const CliResult f = Qsa({"compile", kDigits + "digits_float.onnx", "-o", Path("float")});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("0 accelerator programs"), std::string::npos) << f.out;
}

}  // namespace
}  // namespace qsa::tools
