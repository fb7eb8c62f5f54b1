// End-to-end tests of the `qsa` command: the real binary, run through the shell into a fresh
// folder, its files read back and compared with the same computation done in-process.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/importer/load_model.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/graph_json.h"
#include "model/golden/npy.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;
using golden::DType;
using golden::Shape;
using golden::Tensor;

const std::string kCnn3 = QSA_SOURCE_DIR "/examples/cnn3/cnn3.json";
const std::string kCnn3Input = QSA_SOURCE_DIR "/examples/cnn3/input.npy";

// 8192 → "8,192" (for counts below a million).
std::string WithCommas(int n) {
  return n < 1000 ? std::to_string(n)
                  : std::to_string(n / 1000) + "," + std::to_string(1000 + n % 1000).substr(1);
}

class CliTest : public CliFixture {
 protected:
  // .npy files anywhere under the test folder.
  std::vector<std::string> NpyFiles() const {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      if (e.is_regular_file() && e.path().extension() == ".npy") found.push_back(e.path().string());
    }
    return found;
  }

  // A failed run: non-zero exit, exactly one stderr line "qsa: error: ..." holding every phrase,
  // and no .npy output written anywhere in the test folder beyond `allowed_npy` inputs.
  void ExpectError(const CliResult& r, const std::vector<std::string>& phrases,
                   std::size_t allowed_npy = 0) {
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    const std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("qsa: error: ", 0), 0u) << lines[0];
    for (const std::string& p : phrases) {
      EXPECT_NE(lines[0].find(p), std::string::npos) << "missing '" << p << "' in: " << lines[0];
    }
    EXPECT_EQ(NpyFiles().size(), allowed_npy) << r.err;
  }
};

std::map<std::string, Tensor> InProcess(const std::string& mode_name) {
  golden::Graph graph = golden::ReadGraphJson(kCnn3);
  golden::RunOptions options;
  options.mode = *golden::ParseRequantMode(mode_name);
  return golden::RunGraph(graph, {{"x", golden::ReadNpy(kCnn3Input)}}, options);
}

TEST_F(CliTest, RunWritesEveryOutputAsTheLibraryComputesIt) {
  for (const std::string mode :
       {"tflite-double", "single-rounding", "float32-rne", "float64-rne"}) {
    const std::string out_dir = Path("out-" + mode + "/nested");
    const CliResult r =
        Qsa({"run", kCnn3, "--input", kCnn3Input, "--requant", mode, "--out", out_dir});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const std::string file = out_dir + "/logits.npy";
    EXPECT_EQ(r.out, "logits  int8[1,10]  " + file + "\n");
    const Tensor written = golden::ReadNpy(file);
    EXPECT_EQ(written.dtype(), DType::kInt8);
    EXPECT_EQ(written.shape(), (Shape{1, 10}));
    EXPECT_TRUE(written == InProcess(mode).at("logits")) << mode;
  }
}

TEST_F(CliTest, RunMatchesTheExamplesIndependentFloat64Reference) {
  // logits_float64_rne.npy comes from a NumPy re-derivation of cnn3 that does not use qsa.
  const CliResult r = Qsa({"run", kCnn3, "-i", kCnn3Input, "-r", "float64-rne", "-o", Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor expected = golden::ReadNpy(QSA_SOURCE_DIR "/examples/cnn3/logits_float64_rne.npy");
  const Tensor got = golden::ReadNpy(Path("out/logits.npy"));
  ASSERT_EQ(got.shape(), expected.shape());
  for (std::int64_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.GetInt(i), expected.GetInt(i)) << i;
}

TEST_F(CliTest, RunTakesNamedInputsAndTheDefaultMode) {
  const CliResult r = Qsa({"run", kCnn3, "-i", "x=" + kCnn3Input, "-o", Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(golden::ReadNpy(Path("out/logits.npy")) == InProcess("tflite-double").at("logits"));
}

TEST_F(CliTest, RunSanitizesOutputFileNames) {
  // A graph whose output is called "dir/out:0" is written as dir_out_0.npy inside --out.
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["outputs"] = {"dir/out:0"};
  j["tensors"]["dir/out:0"] = j["tensors"]["logits"];
  j["tensors"].erase("logits");
  j["nodes"][3]["outputs"] = {"dir/out:0"};
  // Constants are resolved relative to the JSON file, and cnn3 has all of them inline.
  const std::string model = WriteText("renamed.json", j.dump());
  const CliResult r = Qsa({"run", model, "--input", kCnn3Input, "--out", Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(Path("out/dir_out_0.npy"))) << r.out;
  EXPECT_NE(r.out.find("dir/out:0  int8[1,10]"), std::string::npos) << r.out;
}

TEST_F(CliTest, InspectPrintsNodesScalesRequantAndMacs) {
  const CliResult r = Qsa({"inspect", kCnn3});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string s :
       {"Conv 'conv1': x, w1, b1 -> h1", "Conv 'conv2': h1, w2, b2 -> h2",
        "Flatten 'flatten': h2 -> f", "MatMul 'fc': f, w3, b3 -> logits", "scale 0.0078125",
        "zero point 128", "per-axis (axis 0, 8 channels)", "8 explicit multipliers",
        "strides=[2,2]", "clamp_min=16", "[constant, 1,280 values, 1,280 bytes]"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << "missing '" << s << "' in:\n" << r.out;
  }
  // MACs from the shapes: conv1 4·8·8 outputs × 1·3·3, conv2 8·4·4 × 4·3·3, fc 10 × 128.
  EXPECT_NE(r.out.find("MACs: " + WithCommas(4 * 8 * 8 * 9)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MACs: " + WithCommas(8 * 4 * 4 * 36)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total MACs (Conv, MatMul): " +
                       WithCommas(4 * 8 * 8 * 9 + 8 * 4 * 4 * 36 + 10 * 128)),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, DemoRunsTheBundledExamples) {
  const CliResult r = Qsa({"demo"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("== cnn3/cnn3.json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("agreement with tflite-double"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("DIFFER"), std::string::npos) << r.out;
#if QSA_HAVE_SYSTEMC
  EXPECT_NE(r.out.find("systemc: 1 program"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("platform: 2 isa cores"), std::string::npos) << r.out;
#endif
}

TEST_F(CliTest, DemoTakesTheExamplesFolderFromFlagAndEnvironment) {
  fs::create_directories(dir_ / "ex" / "only");
  fs::copy_file(kCnn3, dir_ / "ex" / "only" / "net.json");
  fs::copy_file(kCnn3Input, dir_ / "ex" / "only" / "input.npy");
  const CliResult flag = Qsa({"demo", "--examples", Path("ex")});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_NE(flag.out.find("== only/net.json"), std::string::npos) << flag.out;
  EXPECT_NE(flag.out.find("1 of 1 examples ran"), std::string::npos) << flag.out;
  // The four modes' logits as the library computes them.
  EXPECT_NE(flag.out.find("float64-rne      logits"), std::string::npos) << flag.out;
  const CliResult env = Qsa({"demo"}, "QSA_EXAMPLES=" + ShellQuote(Path("ex")));
  ASSERT_EQ(env.exit_code, 0) << env.err;
  EXPECT_NE(env.out.find("== only/net.json"), std::string::npos) << env.out;
  fs::create_directories(dir_ / "empty");
  ExpectError(Qsa({"demo", "--examples", Path("empty")}), {"no examples"}, 1);
}

TEST_F(CliTest, VersionAndHelp) {
  const CliResult v = Qsa({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("qsa ", 0), 0u) << v.out;
  const CliResult h = Qsa({"run", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  for (const std::string s : {"--input", "--engine", "--requant", "--out", "float32-rne"}) {
    EXPECT_NE(h.out.find(s), std::string::npos) << s;
  }
}

TEST_F(CliTest, BadInputsGiveOneLineErrorsAndNoOutput) {
  const std::string out = Path("out");
  ExpectError(Qsa({"run", Path("nope.json"), "--input", kCnn3Input, "--out", out}),
              {"cannot open", "nope.json", "No such file or directory"});
  ExpectError(Qsa({"run", WriteText("bad.json", "{\"qsa_graph\": 1,"), "--input", kCnn3Input,
                   "--out", out}),
              {"bad.json", "malformed JSON"});
  ExpectError(Qsa({"run", WriteText("model.txt", "x"), "--input", kCnn3Input, "--out", out}),
              {"unknown model format", "'.txt'"});

  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["nodes"][2]["op"] = "Flattn";
  ExpectError(Qsa({"run", WriteText("op.json", j.dump()), "--input", kCnn3Input, "--out", out}),
              {"nodes[2].op", "unknown op 'Flattn'"});

  golden::WriteNpy(Path("float.npy"), Tensor(DType::kFloat32, {1, 1, 8, 8}));
  ExpectError(Qsa({"run", kCnn3, "--input", Path("float.npy"), "--out", out}),
              {"input 'x'", "float.npy", "dtype float32", "uint8[1,1,8,8]"}, 1);
  fs::remove(Path("float.npy"));

  golden::WriteNpy(Path("shape.npy"), Tensor(DType::kUInt8, {1, 8, 8}));
  ExpectError(Qsa({"run", kCnn3, "--input", Path("shape.npy"), "--out", out}),
              {"input 'x'", "shape [1,8,8]", "uint8[1,1,8,8]"}, 1);
  fs::remove(Path("shape.npy"));

  ExpectError(Qsa({"run", kCnn3, "--input", "y=" + kCnn3Input, "--out", out}),
              {"unknown input name 'y'", "inputs are: x"});
  ExpectError(Qsa({"run", kCnn3, "--out", out}), {"no value for graph input 'x'"});
  ExpectError(Qsa({"run", kCnn3, "--input", Path("missing.npy"), "--out", out}),
              {"cannot open", "missing.npy"});

  const CliResult no_out = Qsa({"run", kCnn3, "--input", kCnn3Input});
  ExpectError(no_out, {"--out", "required"});
  EXPECT_EQ(no_out.exit_code, 2);

  WriteText("plain", "a regular file");
  ExpectError(Qsa({"run", kCnn3, "--input", kCnn3Input, "--out", Path("plain") + "/sub"}),
              {"cannot create output folder", "plain/sub"});
  ExpectError(Qsa({"run", kCnn3, "--input", kCnn3Input, "--out", Path("plain")}),
              {"cannot create output folder", "not a folder"});

  ExpectError(Qsa({"run", kCnn3, "--input", kCnn3Input, "--requant", "round-up", "--out", out}),
              {"unknown requant mode 'round-up'", "tflite-double", "float64-rne"});
  ExpectError(Qsa({"run", kCnn3, "--input", kCnn3Input, "--engine", "gpu", "--out", out}),
              {"unknown engine 'gpu'"});
  // A model on the rtl engine is compiled first; the accelerator has no float requantization.
  ExpectError(Qsa({"run", kCnn3, "--input", kCnn3Input, "--engine", "rtl", "--requant",
                   "float32-rne", "--out", out}),
              {"tflite-double or single-rounding", "float32-rne"});

  const CliResult none = Qsa({});
  ExpectError(none, {"subcommand"});
  EXPECT_EQ(none.exit_code, 2);
  ExpectError(Qsa({"inspect", Path("nope.onnx")}), {"cannot open", "nope.onnx"});
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CliTest, AnOutputThatCannotBeWrittenLeavesNoOtherOutput) {
  // Two outputs; the second one's file name is taken by a folder. Outputs are written all or
  // nothing (issue #19), so the first is not written either.
  nlohmann::json j = nlohmann::json::parse(ReadText(kCnn3));
  j["outputs"] = {"h2", "logits"};
  const std::string model = WriteText("two.json", j.dump());
  fs::create_directories(Path("out/logits.npy/blocker"));
  const CliResult r = Qsa({"run", model, "--input", kCnn3Input, "--out", Path("out")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "qsa: error: cannot write '" + Path("out/logits.npy") +
                       "': a folder of that name exists\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(NpyFiles(), std::vector<std::string>{});
  fs::remove_all(Path("out/logits.npy"));
  const CliResult ok = Qsa({"run", model, "--input", kCnn3Input, "--out", Path("out")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(golden::ReadNpy(Path("out/h2.npy")).shape() == (Shape{1, 8, 4, 4}));
}

}  // namespace
}  // namespace qsa::tools

namespace qsa::tools {
namespace {

// The JSON form must carry whatever the ONNX importer produces (per-axis biases, float inputs,
// host ops): write each bundled ONNX example as JSON, read it back, run both on its input.
TEST(CliJsonTest, ImportedExamplesRoundTripThroughJson) {
  int checked = 0;
  for (const auto& folder : fs::directory_iterator(QSA_SOURCE_DIR "/examples")) {
    if (!fs::exists(folder.path() / "input.npy")) continue;
    for (const auto& entry : fs::directory_iterator(folder.path())) {
      if (entry.path().extension() != ".onnx") continue;
      SCOPED_TRACE(entry.path().string());
      golden::Graph graph;
      try {
        graph = importer::LoadModel(entry.path().string(), {}).graph;
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
        continue;
      }
      const golden::Graph back =
          golden::GraphFromJson(nlohmann::json::parse(golden::GraphToJson(graph).dump()), ".");
      EXPECT_EQ(back.nodes.size(), graph.nodes.size());
      EXPECT_EQ(back.tensors.size(), graph.tensors.size());
      for (const auto& [name, info] : graph.tensors) {
        EXPECT_EQ(back.Info(name).quant, info.quant) << name;
        EXPECT_EQ(back.Info(name).shape, info.shape) << name;
      }
      const std::map<std::string, Tensor> feeds = {
          {graph.inputs.at(0), golden::ReadNpy((folder.path() / "input.npy").string())}};
      const auto a = golden::RunGraph(graph, feeds);
      const auto b = golden::RunGraph(back, feeds);
      for (const std::string& out : graph.outputs) EXPECT_TRUE(a.at(out) == b.at(out)) << out;
      ++checked;
    }
  }
  std::cout << checked << " ONNX examples checked\n";
}

}  // namespace
}  // namespace qsa::tools
