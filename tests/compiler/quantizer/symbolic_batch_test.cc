// A float model with a symbolic batch dimension, quantized by QuantizeFile (what `qsa quantize`
// writes), runs on a batch through LoadModel (what `qsa run` does): the batch dimension is bound
// from the given input, and every sample's outputs equal those of the same model run on that
// sample alone.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/importer/load_model.h"
#include "compiler/quantizer/quantize.h"
#include "model/base/error.h"
#include "model/golden/executor.h"
#include "model/golden/npy.h"
#include "model/golden/tensor.h"

namespace qsa::quantizer {
namespace {

namespace fs = std::filesystem;
using golden::Tensor;

TEST(SymbolicBatchTest, QuantizedModelRunsOnABatch) {
  const std::string examples = std::string(QSA_SOURCE_DIR) + "/examples/digits/";
  onnx::ModelProto model;
  {
    std::ifstream f(examples + "digits_float.onnx", std::ios::binary);
    ASSERT_TRUE(model.ParseFromIstream(&f));
  }
  for (auto* list :
       {model.mutable_graph()->mutable_input(), model.mutable_graph()->mutable_output()}) {
    for (auto& v : *list) {
      v.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
    }
  }
  model.mutable_graph()->clear_value_info();
  const fs::path dir =
      fs::temp_directory_path() / ("qsa_symbolic_batch_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string float_path = (dir / "float.onnx").string();
  {
    std::ofstream f(float_path, std::ios::binary);
    ASSERT_TRUE(model.SerializeToOstream(&f));
  }
  const std::string q_path = (dir / "qdq.onnx").string();
  QuantizeFile(float_path, examples + "calibration.npz", q_path, QuantizeOptions{});

  const Tensor images = golden::ReadNpy(examples + "test_images.npy");
  constexpr std::int64_t kBatch = 7;
  const auto all = images.Data<float>();
  const Tensor batch = Tensor::FromVector<float>(
      {kBatch, 1, 8, 8}, std::vector<float>(all.begin(), all.begin() + kBatch * 64));

  // No value: the symbolic dimension cannot be bound.
  try {
    importer::LoadModel(q_path, {});
    ADD_FAILURE() << "a symbolic batch was accepted without a value";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dynamic dimension 'N' at index 0"), std::string::npos)
        << e.what();
  }
  const importer::LoadedModel loaded = importer::LoadModel(q_path, {}, &batch);
  const std::string in = loaded.graph.inputs.at(0);
  const std::string out = loaded.graph.outputs.at(0);
  EXPECT_EQ(loaded.graph.Info(in).shape, (golden::Shape{kBatch, 1, 8, 8}));
  const Tensor logits = golden::RunGraph(loaded.graph, {{in, batch}}).at(out);
  ASSERT_EQ(logits.shape(), (golden::Shape{kBatch, 10}));
  for (std::int64_t i = 0; i < kBatch; ++i) {
    const Tensor one = Tensor::FromVector<float>(
        {1, 1, 8, 8}, std::vector<float>(all.begin() + i * 64, all.begin() + (i + 1) * 64));
    const importer::LoadedModel single = importer::LoadModel(q_path, {}, &one);
    const Tensor want = golden::RunGraph(single.graph, {{in, one}}).at(out);
    for (std::int64_t k = 0; k < 10; ++k) {
      EXPECT_EQ(logits.GetDouble(i * 10 + k), want.GetDouble(k))
          << "sample " << i << " class " << k;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qsa::quantizer
