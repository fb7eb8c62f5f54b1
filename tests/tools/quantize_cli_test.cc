// End-to-end tests of `qsa quantize`: the digits example's float model (examples/digits) quantized
// with its calibration set by the real binary, the QDQ file it writes run through qsa's golden
// engine (the hardware's tflite-double arithmetic) on the 540 held-out test images against the
// float model run by the same engine, the JSON report, and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/importer/load_model.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/golden/tensor.h"
#include "tests/tools/cli_fixture.h"

namespace qsa::tools {
namespace {

namespace fs = std::filesystem;
using golden::Tensor;

const std::string kDigits = QSA_SOURCE_DIR "/examples/digits/";
const std::string kFloat = kDigits + "digits_float.onnx";
const std::string kCalibration = kDigits + "calibration.npz";

// Index of the largest of `n` values.
std::int64_t Argmax(const float* v, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < n; ++i) best = v[i] > v[best] ? i : best;
  return best;
}

// The top-1 class of `model` for each test image, on the golden engine.
std::vector<std::int64_t> Classes(const std::string& model_path, const Tensor& images) {
  const importer::LoadedModel loaded = importer::LoadModel(model_path, {});
  const golden::Graph& g = loaded.graph;
  const std::int64_t n = images.shape()[0];
  const std::int64_t pixels = images.size() / n;
  std::vector<std::int64_t> classes;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::span<const float> all = images.Data<float>();
    std::vector<float> one(all.begin() + i * pixels, all.begin() + (i + 1) * pixels);
    const Tensor x = Tensor::FromVector<float>({1, 1, 8, 8}, one);
    const Tensor logits = golden::RunGraph(g, {{g.inputs[0], x}}).at(g.outputs[0]);
    classes.push_back(Argmax(logits.Data<float>().data(), logits.size()));
  }
  return classes;
}

class QuantizeCliTest : public CliFixture {};

TEST_F(QuantizeCliTest, DigitsDefaultSchemeKeepsTheFloatTopOne) {
  const std::string out = Path("digits_int8.onnx");
  const std::string report = Path("report.json");
  const CliResult r =
      Qsa({"quantize", kFloat, "--calibration", kCalibration, "-o", out, "--report", report});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("folded BatchNormalization 'bn1' into 'conv1'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrote " + out + " and " + report), std::string::npos) << r.out;

  // The golden engine on the 540 test images: the quantized model's class is the float model's
  // on all but at most 5 images (< 1 %), so its top-1 accuracy is within 1 point of the float
  // model's whatever the labels.
  const Tensor images = golden::ReadNpy(kDigits + "test_images.npy");
  const std::vector<std::int64_t> want = Classes(kFloat, images);
  const std::vector<std::int64_t> got = Classes(out, images);
  ASSERT_EQ(got.size(), 540u);
  std::int64_t differ = 0;
  for (std::size_t i = 0; i < got.size(); ++i) differ += got[i] != want[i] ? 1 : 0;
  std::cout << "[ DIGITS   ] int8 class differs from float on " << differ << " of 540 images"
            << std::endl;
  EXPECT_LE(differ, 5);

  // The report: four weighted layers (three Conv, one Gemm), the folded BN, no float nodes, the
  // size of the parameters well under a third of float32's.
  const nlohmann::json j = nlohmann::json::parse(ReadText(report));
  EXPECT_EQ(j["calibration"]["samples"], 200);
  EXPECT_EQ(j["scheme"]["weights"], "int8 symmetric per-channel");
  EXPECT_EQ(j["scheme"]["activations"], "uint8 asymmetric");
  ASSERT_EQ(j["folded_batch_norms"].size(), 1u);
  EXPECT_TRUE(j["float_nodes"].empty());
  int weighted = 0;
  for (const auto& l : j["layers"]) {
    if (l["kind"] != "weighted") continue;
    ++weighted;
    EXPECT_EQ(l["weight_bits"], 8);
    EXPECT_GT(l["sqnr_db"].get<double>(), 30.0) << l["name"];
    EXPECT_EQ(l["weight_bytes"], l["weight_count"]);
  }
  EXPECT_EQ(weighted, 4);
  EXPECT_LT(j["size"]["ratio"].get<double>(), 0.35);
  EXPECT_GT(j["outputs"][0]["sqnr_db"].get<double>(), 30.0);
  for (const auto& a : j["activations"]) {
    EXPECT_LE(a["range"][0].get<double>(), 0.0);
    EXPECT_GE(a["range"][1].get<double>(), 0.0);
  }
}

TEST_F(QuantizeCliTest, MixedPrecisionAndMethods) {
  const std::string out = Path("mixed.onnx");
  const std::string report = Path("mixed.json");
  const CliResult r = Qsa({"quantize", kFloat, "-c", kCalibration, "-o", out, "--report", report,
                           "--method", "kl", "--weight-budget", "70%"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mixed precision: weight bytes"), std::string::npos) << r.out;
  const nlohmann::json j = nlohmann::json::parse(ReadText(report));
  EXPECT_EQ(j["calibration"]["method"], "kl");
  EXPECT_LE(j["mixed_precision"]["cost"].get<double>(),
            0.7 * j["mixed_precision"]["cost_all_8bit"].get<double>());
  int four = 0;
  for (const auto& l : j["layers"]) four += l.value("weight_bits", 0) == 4 ? 1 : 0;
  EXPECT_GE(four, 1);
  // The file loads and runs in the golden engine.
  const Tensor images = golden::ReadNpy(kDigits + "test_images.npy");
  EXPECT_EQ(Classes(out, images).size(), 540u);
}

TEST_F(QuantizeCliTest, Refusals) {
  // Calibration data of the wrong shape: one line, exit 1, no output file.
  fs::create_directories(Path("bad"));
  golden::WriteNpy(Path("bad/x.npy"), Tensor(golden::DType::kFloat32, {4, 1, 8, 7}));
  const std::string out = Path("out.onnx");
  CliResult r = Qsa({"quantize", kFloat, "-c", Path("bad"), "-o", out});
  ExpectError(r, 1,
              {"calibration array", "x.npy' is float32[4,1,8,7]",
               "model input 'input' takes float32[N,1,8,8]"});
  EXPECT_FALSE(fs::exists(out));
  // Not an archive.
  r = Qsa({"quantize", kFloat, "-c", WriteText("f64.npz", "not a zip"), "-o", out});
  ExpectError(r, 1, {"f64.npz", "not a readable .npz archive"});
  // A missing option and a bad value are usage errors.
  r = Qsa({"quantize", kFloat, "-o", out});
  ExpectError(r, 2, {"--calibration is required"});
  r = Qsa({"quantize", kFloat, "-c", kCalibration, "-o", out, "--method", "entropy"});
  ExpectError(r, 2, {"entropy"});
  // An output folder that does not exist.
  r = Qsa({"quantize", kFloat, "-c", kCalibration, "-o", Path("no/such/dir/q.onnx")});
  ExpectError(r, 1, {"cannot write", "q.onnx"});
  EXPECT_TRUE(FilesUnder(".", ".onnx").empty());
}

}  // namespace
}  // namespace qsa::tools
