// The TFLite importer: the two trained models of QSA_SHARED_DATA_DIR/tflite against TensorFlow
// Lite's reference kernels, small generated models of every imported operator against LiteRT's
// reference kernels (scripts/tflite_oracle.py, run when build/venv has LiteRT), and the refusals.
#include "compiler/importer/tflite_import.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/run_compiled.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/golden/tensor.h"

namespace qsa::importer {
namespace {

namespace fs = std::filesystem;
using golden::Tensor;

std::string TfliteDir() { return std::string(QSA_SHARED_DATA_DIR) + "/tflite/"; }

bool HaveSharedModels() {
  return fs::exists(TfliteDir() + "mobilenet_v2_quantized_1x3x224x224.tflite") &&
         fs::exists(TfliteDir() + "person_detect.tflite");
}

Tensor RunOne(const golden::Graph& g, const std::vector<Tensor>& inputs) {
  std::map<std::string, Tensor> feed;
  for (std::size_t i = 0; i < inputs.size(); ++i) feed[g.inputs.at(i)] = inputs[i];
  auto out = golden::RunGraph(g, feed);
  return out.at(g.outputs.at(0));
}

std::int64_t CountEqual(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return -1;
  std::int64_t n = 0;
  for (std::int64_t i = 0; i < a.size(); ++i) n += a.GetDouble(i) == b.GetDouble(i) ? 1 : 0;
  return n;
}

TEST(TfliteImport, MobileNetV2DogLogitsMatchTheReferenceKernels) {
  if (!HaveSharedModels()) GTEST_SKIP() << "no shared TFLite models in " << TfliteDir();
  const golden::Graph g =
      ImportTfliteFile(TfliteDir() + "mobilenet_v2_quantized_1x3x224x224.tflite");
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.Info(g.inputs[0]).shape, (golden::Shape{1, 3, 224, 224}));
  const Tensor logits = RunOne(g, {golden::ReadNpy(TfliteDir() + "mobilenet_v2_dog_input.npy")});
  const Tensor want = golden::ReadNpy(TfliteDir() + "mobilenet_v2_dog_ref_logits.npy");
  ASSERT_EQ(logits.shape(), want.shape());
  const std::int64_t equal = CountEqual(logits, want);
  std::cout << "MobileNetV2 dog: " << equal << " of " << want.size()
            << " logits bit-exact with TFLite's reference kernels\n";
  EXPECT_EQ(equal, want.size());
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < logits.size(); ++i) {
    if (logits.GetInt(i) > logits.GetInt(best)) best = i;
  }
  EXPECT_EQ(best, 258);
  EXPECT_EQ(logits.GetInt(258), 101);
}

TEST(TfliteImport, PersonDetectionScoresThePersonImageAsPerson) {
  if (!HaveSharedModels()) GTEST_SKIP() << "no shared TFLite models in " << TfliteDir();
  // Its single-scale tensors with quantized_dimension 3 are read as per-tensor (TFLite Micro).
  const golden::Graph g = ImportTfliteFile(TfliteDir() + "person_detect.tflite");
  const Tensor person = RunOne(g, {golden::ReadNpy(TfliteDir() + "person_input.npy")});
  const Tensor none = RunOne(g, {golden::ReadNpy(TfliteDir() + "no_person_input.npy")});
  ASSERT_EQ(person.shape(), (golden::Shape{1, 2}));
  std::cout << "person_input: person " << person.GetInt(1) << ", no person " << person.GetInt(0)
            << "; no_person_input: person " << none.GetInt(1) << ", no person " << none.GetInt(0)
            << "\n";
  EXPECT_GT(person.GetInt(1), person.GetInt(0));
  EXPECT_GT(none.GetInt(0), none.GetInt(1));
}

// Both models compiled for the default array: the ISA simulator's outputs equal the golden
// model's (host fallbacks: TFLite's mean, average pool, softmax and FC output stage).
void ExpectIsaEqualsGolden(const std::string& model, const std::string& input) {
  const golden::Graph g = ImportTfliteFile(TfliteDir() + model);
  const std::map<std::string, Tensor> feeds = {
      {g.inputs.at(0), golden::ReadNpy(TfliteDir() + input)}};
  compiler::CompileOptions options;
  options.arch = isa::DefaultArchConfig();
  const compiler::CompiledModel cm = compiler::Compile(g, options);
  EXPECT_GE(cm.programs.size(), 1u);
  const auto golden = golden::RunGraph(g, feeds);
  const auto isa = compiler::RunCompiled(cm, feeds, compiler::IsaEngine(options.arch));
  for (const std::string& out : g.outputs) {
    const Tensor& want = golden.at(out);
    EXPECT_EQ(CountEqual(isa.at(out), want), want.size()) << model << " output " << out;
  }
}

TEST(TfliteImport, PersonDetectionIsaEqualsGolden) {
  if (!HaveSharedModels()) GTEST_SKIP() << "no shared TFLite models in " << TfliteDir();
  ExpectIsaEqualsGolden("person_detect.tflite", "person_input.npy");
  ExpectIsaEqualsGolden("person_detect.tflite", "no_person_input.npy");
}

TEST(TfliteImport, MobileNetV2IsaEqualsGolden) {
  if (!HaveSharedModels()) GTEST_SKIP() << "no shared TFLite models in " << TfliteDir();
  ExpectIsaEqualsGolden("mobilenet_v2_quantized_1x3x224x224.tflite", "mobilenet_v2_dog_input.npy");
}

// ---- refusals ----------------------------------------------------------------------------------

std::string ErrorOf(std::string_view bytes) {
  try {
    ImportTfliteBytes(bytes, "m.tflite");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Importing tests/data/tflite/NAME fails with a message that contains `expected`.
void ExpectFileError(const std::string& name, const std::string& expected) {
  try {
    ImportTfliteFile(std::string(QSA_SOURCE_DIR) + "/tests/data/tflite/" + name);
    ADD_FAILURE() << name << ": no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

TEST(TfliteImport, RefusesWhatIsNotATfliteModel) {
  EXPECT_EQ(ErrorOf(""), "m.tflite: the file is empty; expected a TFLite model");
  EXPECT_EQ(ErrorOf("not a model at all"),
            "m.tflite: not a TFLite model (no TFL3 file identifier)");
  std::string fake(64, '\0');
  fake.replace(4, 4, "TFL3");
  fake[0] = static_cast<char>(0xE8);  // root offset 1000, past the end of the data
  fake[1] = 0x03;
  EXPECT_EQ(ErrorOf(fake),
            "m.tflite: not a TFLite model (the flatbuffer data is malformed or truncated)");
}

// A model whose TRANSPOSE permutation declares 1836213616×917504×1048596×15 elements (found by
// fuzzing: the element count overflowed 64 bits before it was checked).
TEST(TfliteImport, RefusesAShapeWithTooManyElements) {
  ExpectFileError("huge_shape.tflite",
                  "TRANSPOSE 'y' (operator 0, version 2): tensor 'perm': shape "
                  "[1836213616,917504,1048596,15] has more than 2147483648 elements (the limit)");
}

// A PAD whose operator names an opcode past the end of the code table (found by fuzzing: the pad
// folding looked the code up before the index was checked).
TEST(TfliteImport, RefusesAnOpcodeIndexOutOfRange) {
  ExpectFileError("bad_opcode_index.tflite", ": operator 0 has an invalid opcode index");
}

// A tensor whose int64 zero points start at an address that is not a multiple of 8 (found by
// fuzzing: reading them through the flatbuffer vector was a misaligned load); they are read
// bytewise, and the model is refused later for what is really wrong with it.
TEST(TfliteImport, ReadsUnalignedZeroPoints) {
  ExpectFileError("unaligned_zero_points.tflite", "tensor index 16 is out of range");
}

// A MAX_POOL_2D with no channels and an output 620,756,992 columns wide (found by fuzzing: the
// window check visited every output column, tap by tap, for minutes).
TEST(TfliteImport, AnEmptyPoolWithAHugeWindowIsRefusedAtOnce) {
  ExpectFileError("empty_pool_wide_output.tflite",
                  "is declared [1,4,9,10] but the op produces "
                  "[1,0,265,620756992]");
}

// A CONV_2D whose output tensor has no dimensions (found by fuzzing: its NCHW shape was read
// past the end of the shape).
TEST(TfliteImport, RefusesAConvolutionWhoseOutputIsNotAnImage) {
  ExpectFileError("conv_output_not_4d.tflite",
                  "CONV_2D 'y' (operator 0, version 3): tensor 'y' has "
                  "shape []; this operator takes and gives images of 4 "
                  "dimensions (N, H, W, C)");
}

TEST(TfliteImport, RefusesATruncatedModel) {
  if (!HaveSharedModels()) GTEST_SKIP() << "no shared TFLite models in " << TfliteDir();
  std::ifstream f(TfliteDir() + "person_detect.tflite", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  bytes.resize(bytes.size() / 2);
  EXPECT_EQ(ErrorOf(bytes),
            "m.tflite: not a TFLite model (the flatbuffer data is malformed or truncated)");
}

// Checked-in models (scripts/tflite_oracle.py --refusals tests/data/tflite): one line naming the
// operator, its index and version, and the reason.
TEST(TfliteImport, RefusedOperatorsAndTypesAreNamed) {
  const std::string dir = std::string(QSA_SOURCE_DIR) + "/tests/data/tflite/";
  const std::map<std::string, std::string> want = {
      {"tanh.tflite",
       "TANH 'y' (operator 0, version 1): operator is not supported (docs/tflite-import.md lists "
       "the imported ones)"},
      {"svdf.tflite",
       "SVDF 'y' (operator 0, version 1): operator is not supported (docs/tflite-import.md lists "
       "the imported ones)"},
      {"int16_add.tflite",
       "ADD 'y' (operator 0, version 3): tensor 'a' has type INT16; only INT8, UINT8, INT32 and "
       "FLOAT32 tensors are supported"},
      {"fc_per_channel.tflite",
       "FULLY_CONNECTED 'y' (operator 0, version 4): per-channel weights are not supported for "
       "FULLY_CONNECTED yet"},
  };
  for (const auto& [file, message] : want) {
    try {
      ImportTfliteFile(dir + file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), dir + file + ": " + message);
    }
  }
}

TEST(TfliteImport, MissingFileIsOneLine) {
  try {
    ImportTfliteFile("/nonexistent/m.tflite");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/m.tflite: cannot open file");
  }
}

// ---- LiteRT's reference kernels as the oracle ---------------------------------------------------

std::string Python() { return std::string(QSA_SOURCE_DIR) + "/build/venv/bin/python"; }

bool HaveLiteRt() {
  if (!fs::exists(Python())) return false;
  const std::string cmd =
      Python() + " -c 'import ai_edge_litert.interpreter, flatbuffers' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

TEST(TfliteOracle, EveryOperatorBitExactWithLiteRtReferenceKernels) {
  if (!HaveLiteRt()) {
    GTEST_SKIP() << "LiteRT is not in " << Python()
                 << " (scripts/bootstrap.sh venv installs it); oracle cases not run";
  }
  std::uint64_t seed = static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  if (const char* s = std::getenv("QSA_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "TfliteOracle seed " << seed << " (rerun with QSA_SEED=" << seed << ")\n";
  const fs::path dir =
      fs::temp_directory_path() /
      ("qsa_tflite_oracle_" + std::to_string(::getpid()) + "_" + std::to_string(seed));
  const std::string cmd = Python() + " " + QSA_SOURCE_DIR + "/scripts/tflite_oracle.py --out " +
                          dir.string() + " --seed " + std::to_string(seed) + " --cases-per-op 12";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream mf(dir / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  struct Count {
    std::int64_t cases = 0, exact_cases = 0, values = 0, exact_values = 0;
  };
  std::map<std::string, Count> per_op;
  for (const auto& c : manifest["cases"]) {
    const std::string op = c["op"];
    const std::string model = (dir / c["model"].get<std::string>()).string();
    std::vector<Tensor> inputs;
    for (const auto& in : c["inputs"])
      inputs.push_back(golden::ReadNpy((dir / in.get<std::string>()).string()));
    const Tensor want = golden::ReadNpy((dir / c["output"].get<std::string>()).string());
    Tensor got;
    try {
      got = RunOne(ImportTfliteFile(model), inputs);
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": " << e.what();
      continue;
    }
    Count& n = per_op[op];
    ++n.cases;
    n.values += want.size();
    const std::int64_t eq = CountEqual(got, want);
    EXPECT_EQ(eq, want.size()) << model << " (" << op << ")";
    if (eq > 0) n.exact_values += eq;
    if (eq == want.size()) ++n.exact_cases;
  }
  for (const auto& [op, n] : per_op) {
    std::cout << "  " << op << ": " << n.exact_cases << "/" << n.cases << " models, "
              << n.exact_values << "/" << n.values << " values bit-exact\n";
  }
  EXPECT_EQ(per_op.size(), 19u);
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace qsa::importer
