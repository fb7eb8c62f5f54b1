// ONNX's backend node tests as conformance vectors for the importer and the golden model: every
// folder of QSA_SHARED_DATA_DIR/onnx-node (the quantized operators) and the node tests of Debian's
// libonnx-testdata (QSA_ONNX_TESTDATA_DIR/node) for the ops the IR has, listed in kIncluded; the
// others are listed in kExcluded with the reason.
//
// Each vector is imported with every input_N.pb offered as a bound input (the importer binds the
// ones in parameter positions), run with the remaining inputs, and compared with output_N.pb:
//  - float outputs: exact, or |got − want| ≤ 1e-6 · max(1, |want|) where ONNX computes in float
//    with another summation order or precision (pools, Gemm, MatMul, Softmax, Sigmoid, Tanh;
//    docs/ops-float.md);
//  - integer outputs: exact in float64-rne mode (the ONNX reference requantizes in double), at most
//    1 LSB in the default tflite-double mode (fixed-point requantization).
// The suite prints how many vectors match exactly in each mode, and the largest float difference
// in ulps.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"
#include "testkit/conformance.h"

namespace qsa::importer {
namespace {

namespace fs = std::filesystem;
using golden::DType;
using golden::RequantMode;
using golden::Tensor;
using testkit::conformance::CollectVectors;
using testkit::conformance::DebianDir;
using testkit::conformance::kIncluded;
using testkit::conformance::SharedDir;
using testkit::conformance::Vector;

// Debian node tests of the same ops that are not taken, and why.
const std::map<std::string, std::string> kExcluded = {
    {"test_add_uint8", "ONNX adds stored integers (wrapping); the IR's integer Add is quantized"},
    {"test_sub_uint8", "integer Sub on stored values is not an IR op"},
    {"test_mul_uint8", "integer Mul on stored values is not an IR op"},
    {"test_div_uint8", "integer Div on stored values is not an IR op"},
    {"test_averagepool_1d_default", "1-D pooling; the IR pools 2-D NCHW tensors"},
    {"test_averagepool_3d_default", "3-D pooling; the IR pools 2-D NCHW tensors"},
    {"test_maxpool_1d_default", "1-D pooling; the IR pools 2-D NCHW tensors"},
    {"test_maxpool_3d_default", "3-D pooling; the IR pools 2-D NCHW tensors"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool's Indices output (int64)"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", "MaxPool's Indices output (int64)"},
    {"test_globalmaxpool", "GlobalMaxPool is not an IR op"},
    {"test_globalmaxpool_precomputed", "GlobalMaxPool is not an IR op"},
    {"test_cast_BFLOAT16_to_FLOAT", "bfloat16 is not an IR element type"},
    {"test_cast_DOUBLE_to_FLOAT", "double is not an IR element type"},
    {"test_cast_DOUBLE_to_FLOAT16", "double and float16 are not IR element types"},
    {"test_cast_FLOAT16_to_DOUBLE", "float16 and double are not IR element types"},
    {"test_cast_FLOAT16_to_FLOAT", "float16 is not an IR element type"},
    {"test_cast_FLOAT_to_BFLOAT16", "bfloat16 is not an IR element type"},
    {"test_cast_FLOAT_to_DOUBLE", "double is not an IR element type"},
    {"test_cast_FLOAT_to_FLOAT16", "float16 is not an IR element type"},
    {"test_cast_FLOAT_to_STRING", "string is not an IR element type"},
    {"test_cast_STRING_to_FLOAT", "string is not an IR element type"},
    {"test_max_float16", "float16 is not an IR element type"},
    {"test_max_float64", "double is not an IR element type"},
    {"test_max_int16", "int16 is not an IR element type"},
    {"test_max_int32", "integer Max is not an IR op (Max is a float32 host op)"},
    {"test_max_int64", "int64 is not an IR element type"},
    {"test_max_int8", "integer Max is not an IR op (Max is a float32 host op)"},
    {"test_max_uint16", "uint16 is not an IR element type"},
    {"test_max_uint32", "uint32 is not an IR element type"},
    {"test_max_uint64", "uint64 is not an IR element type"},
    {"test_max_uint8", "integer Max is not an IR op (Max is a float32 host op)"},
    {"test_min_float16", "float16 is not an IR element type"},
    {"test_min_float64", "double is not an IR element type"},
    {"test_min_int16", "int16 is not an IR element type"},
    {"test_min_int32", "integer Min is not an IR op (Min is a float32 host op)"},
    {"test_min_int64", "int64 is not an IR element type"},
    {"test_min_int8", "integer Min is not an IR op (Min is a float32 host op)"},
    {"test_min_uint16", "uint16 is not an IR element type"},
    {"test_min_uint32", "uint32 is not an IR element type"},
    {"test_min_uint64", "uint64 is not an IR element type"},
    {"test_min_uint8", "integer Min is not an IR op (Min is a float32 host op)"},
    {"test_batchnorm_epsilon_training_mode",
     "training-mode BatchNormalization (batch statistics, running-mean outputs)"},
    {"test_batchnorm_example_training_mode",
     "training-mode BatchNormalization (batch statistics, running-mean outputs)"},
    {"test_softmax_axis_0_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_axis_1_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_axis_2_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_default_axis_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_example_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_large_number_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_softmax_negative_axis_expanded", "the expansion uses Exp and ReduceSum, not IR ops"},
    {"test_identity_opt", "optional types are not IR types"},
    {"test_identity_sequence", "sequence types are not IR types"},
};

// Name prefixes of the Debian node tests of the ops the importer knows; each such folder must be
// in kIncluded or kExcluded.
const std::vector<std::string> kCandidatePrefixes = {
    "test_add",           "test_averagepool", "test_basic_convinteger",
    "test_batchnorm",     "test_cast_",       "test_clip",
    "test_concat_",       "test_conv_",       "test_convinteger",
    "test_dequantize",    "test_div",         "test_dynamicquantize",
    "test_flatten",       "test_gemm",        "test_globalaverage",
    "test_globalmaxpool", "test_identity",    "test_leakyrelu",
    "test_matmul",        "test_max_",        "test_maxpool",
    "test_min_",          "test_mul",         "test_qlinear",
    "test_quantize",      "test_reduce_max",  "test_reduce_min",
    "test_relu",          "test_reshape",     "test_round",
    "test_sigmoid",       "test_softmax",     "test_sub",
    "test_tanh",          "test_transpose_",
};

// Vectors with integer outputs, and how many match bit for bit in each mode; vectors with only
// float outputs, and how many match bit for bit (the others are within the tolerance).
struct Tally {
  int vectors = 0;
  int integer = 0;
  int integer_exact_float64 = 0;
  int integer_exact_tflite = 0;
  int real = 0;
  int real_exact = 0;
  std::vector<std::string> not_exact;
  std::int64_t max_ulp = 0;  // largest difference of a float output, in ulps
  std::string max_ulp_id;
};

Tally& Totals() {
  static Tally tally;
  return tally;
}

class ConformanceTest : public ::testing::TestWithParam<Vector> {
 public:
  static void TearDownTestSuite() {
    const Tally& t = Totals();
    std::cout << "[ conformance ] " << t.vectors << " vectors. " << t.integer
              << " with integer outputs: bit-exact in float64-rne " << t.integer_exact_float64
              << "/" << t.integer << ", in tflite-double " << t.integer_exact_tflite << "/"
              << t.integer << ". " << t.real << " with float outputs only: bit-exact "
              << t.real_exact << "/" << t.real << "; float outputs differ by at most " << t.max_ulp
              << " ulp" << (t.max_ulp_id.empty() ? "" : " (" + t.max_ulp_id + ")");
    if (!t.not_exact.empty()) {
      std::cout << ". Not bit-exact:";
      for (const std::string& id : t.not_exact) std::cout << " " << id;
    }
    std::cout << "\n";
  }
};

// Distance between two finite floats in units in the last place (adjacent floats are 1 apart,
// +0 and −0 are 0 apart).
std::int64_t UlpDistance(float a, float b) {
  auto ordered = [](float f) -> std::int64_t {
    const auto bits = std::bit_cast<std::int32_t>(f);
    return bits >= 0 ? bits : -static_cast<std::int64_t>(bits & 0x7fffffff);
  };
  return std::abs(ordered(a) - ordered(b));
}

// Compares one output; returns whether it is bit-exact. Integer outputs may differ by
// `max_lsb`, float outputs by the relative tolerance above; `max_ulp` receives the largest
// difference of finite float outputs in ulps.
bool CompareOutput(const std::string& name, const Tensor& got, const Tensor& want,
                   std::int64_t max_lsb, std::int64_t& max_ulp) {
  EXPECT_EQ(got.dtype(), want.dtype()) << name;
  EXPECT_EQ(got.shape(), want.shape()) << name;
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) return false;
  bool exact = true;
  int reported = 0;
  for (std::int64_t i = 0; i < want.size(); ++i) {
    if (want.dtype() == DType::kFloat32) {
      const double g = got.GetDouble(i);
      const double w = want.GetDouble(i);
      if (g == w || (std::isnan(g) && std::isnan(w))) continue;
      exact = false;
      if (std::isfinite(g) && std::isfinite(w)) {
        max_ulp = std::max(max_ulp, UlpDistance(static_cast<float>(g), static_cast<float>(w)));
      }
      if (std::fabs(g - w) > 1e-6 * std::max(1.0, std::fabs(w)) && reported++ < 5) {
        ADD_FAILURE() << name << "[" << i << "]: got " << g << ", want " << w;
      }
    } else {
      const std::int64_t diff = std::abs(got.GetInt(i) - want.GetInt(i));
      if (diff == 0) continue;
      exact = false;
      if (diff > max_lsb && reported++ < 5) {
        ADD_FAILURE() << name << "[" << i << "]: got " << got.GetInt(i) << ", want "
                      << want.GetInt(i);
      }
    }
  }
  return exact;
}

TEST_P(ConformanceTest, MatchesReferenceOutputs) {
  const Vector& v = GetParam();
  const testkit::conformance::ImportedVector iv = testkit::conformance::ImportVector(v);
  const ImportResult& imported = iv.imported;
  const std::map<std::string, Tensor>& feed = iv.feeds;
  const std::vector<std::pair<std::string, Tensor>>& expected = iv.expected;
  EXPECT_EQ(imported.bound.size() + imported.graph.inputs.size(), iv.onnx_inputs);

  // exact[mode][0]: integer outputs bit-exact; exact[mode][1]: float outputs bit-exact.
  bool exact[2][2] = {{true, true}, {true, true}};
  bool has_integer = false;
  std::int64_t max_ulp = 0;
  const RequantMode modes[2] = {RequantMode::kFloat64Rne, RequantMode::kTfliteDouble};
  for (int m = 0; m < 2; ++m) {
    SCOPED_TRACE(std::string(golden::RequantModeName(modes[m])));
    golden::RunOptions run;
    run.mode = modes[m];
    const std::map<std::string, Tensor> result = golden::RunGraph(imported.graph, feed, run);
    for (const auto& [name, want] : expected) {
      ASSERT_EQ(result.count(name), 1u) << name;
      const int kind = want.dtype() == DType::kFloat32 ? 1 : 0;
      has_integer = has_integer || kind == 0;
      exact[m][kind] =
          CompareOutput(name, result.at(name), want, m == 0 ? 0 : 1, max_ulp) && exact[m][kind];
    }
  }
  RecordProperty("exact_float64_rne", exact[0][0] && exact[0][1] ? "1" : "0");
  RecordProperty("exact_tflite_double", exact[1][0] && exact[1][1] ? "1" : "0");
  Tally& t = Totals();
  ++t.vectors;
  if (has_integer) {
    ++t.integer;
    t.integer_exact_float64 += exact[0][0] ? 1 : 0;
    t.integer_exact_tflite += exact[1][0] ? 1 : 0;
  } else {
    ++t.real;
    t.real_exact += exact[0][1] && exact[1][1] ? 1 : 0;
  }
  if (!(exact[0][0] && exact[0][1] && exact[1][0] && exact[1][1])) t.not_exact.push_back(v.id);
  RecordProperty("max_float_ulp", std::to_string(max_ulp));
  if (max_ulp > t.max_ulp) {
    t.max_ulp = max_ulp;
    t.max_ulp_id = v.id;
  }
}

std::string VectorName(const ::testing::TestParamInfo<Vector>& param) { return param.param.id; }

INSTANTIATE_TEST_SUITE_P(Onnx, ConformanceTest, ::testing::ValuesIn(CollectVectors()), VectorName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTest);

TEST(ConformanceDataTest, SharedVectorsArePresent) {
  if (!fs::is_directory(SharedDir())) {
    GTEST_SKIP() << "no shared ONNX conformance vectors at " << SharedDir()
                 << "; only Debian's libonnx-testdata vectors run";
  }
  int count = 0;
  for (const Vector& v : CollectVectors()) count += v.id.rfind("shared_", 0) == 0 ? 1 : 0;
  EXPECT_GT(count, 0);
}

TEST(ConformanceDataTest, EveryCandidateIsIncludedOrExcluded) {
  if (!fs::is_directory(DebianDir())) GTEST_SKIP() << "no libonnx-testdata at " << DebianDir();
  const std::set<std::string> included(kIncluded.begin(), kIncluded.end());
  EXPECT_EQ(included.size(), kIncluded.size()) << "duplicates in kIncluded";
  for (const auto& [name, reason] : kExcluded) {
    EXPECT_EQ(included.count(name), 0u) << name << " is both included and excluded";
    EXPECT_TRUE(fs::exists(DebianDir() + "/" + name)) << name << " (excluded) does not exist";
    EXPECT_FALSE(reason.empty()) << name;
  }
  for (const std::string& name : kIncluded) {
    EXPECT_TRUE(fs::exists(DebianDir() + "/" + name + "/model.onnx")) << name << " is missing";
  }
  int candidates = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(DebianDir())) {
    const std::string name = e.path().filename().string();
    bool candidate = false;
    for (const std::string& prefix : kCandidatePrefixes)
      candidate = candidate || name.rfind(prefix, 0) == 0;
    if (!candidate) continue;
    ++candidates;
    EXPECT_TRUE(included.count(name) != 0 || kExcluded.count(name) != 0)
        << name << " is neither in kIncluded nor in kExcluded";
  }
  std::cout << "[ conformance ] " << candidates
            << " Debian node tests of supported ops: " << kIncluded.size() << " included, "
            << kExcluded.size() << " excluded\n";
}

}  // namespace
}  // namespace qsa::importer
