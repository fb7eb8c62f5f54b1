// ONNX's backend node tests as conformance vectors (QSA_SHARED_DATA_DIR/onnx-node and the node
// tests of Debian's libonnx-testdata the importer takes): finding them and importing one with its
// inputs and reference outputs. Used by the importer/golden-model conformance test and by the
// compiler's co-simulation of the same vectors.
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "compiler/onnx_model/tensor.h"
#include "model/base/error.h"
#include "model/golden/tensor.h"

namespace qsa::testkit::conformance {

namespace fs = std::filesystem;
using golden::Tensor;

inline std::string SharedDir() { return std::string(QSA_SHARED_DATA_DIR) + "/onnx-node"; }
inline std::string DebianDir() { return std::string(QSA_ONNX_TESTDATA_DIR) + "/node"; }

// Debian node tests the importer and the IR take.
inline const std::vector<std::string> kIncluded = {
    // Quantization and integer ops.
    "test_basic_convinteger",
    "test_convinteger_with_padding",
    "test_convinteger_without_padding",
    "test_dequantizelinear",
    "test_dequantizelinear_axis",
    "test_dynamicquantizelinear",
    "test_dynamicquantizelinear_expanded",
    "test_dynamicquantizelinear_max_adjusted",
    "test_dynamicquantizelinear_max_adjusted_expanded",
    "test_dynamicquantizelinear_min_adjusted",
    "test_dynamicquantizelinear_min_adjusted_expanded",
    "test_matmulinteger",
    "test_qlinearconv",
    "test_qlinearmatmul_2D",
    "test_qlinearmatmul_3D",
    "test_quantizelinear",
    "test_quantizelinear_axis",
    // Pools (2-D).
    "test_averagepool_2d_ceil",
    "test_averagepool_2d_default",
    "test_averagepool_2d_pads",
    "test_averagepool_2d_pads_count_include_pad",
    "test_averagepool_2d_precomputed_pads",
    "test_averagepool_2d_precomputed_pads_count_include_pad",
    "test_averagepool_2d_precomputed_same_upper",
    "test_averagepool_2d_precomputed_strides",
    "test_averagepool_2d_same_lower",
    "test_averagepool_2d_same_upper",
    "test_averagepool_2d_strides",
    "test_globalaveragepool",
    "test_globalaveragepool_precomputed",
    "test_maxpool_2d_ceil",
    "test_maxpool_2d_default",
    "test_maxpool_2d_dilations",
    "test_maxpool_2d_pads",
    "test_maxpool_2d_precomputed_pads",
    "test_maxpool_2d_precomputed_same_upper",
    "test_maxpool_2d_precomputed_strides",
    "test_maxpool_2d_same_lower",
    "test_maxpool_2d_same_upper",
    "test_maxpool_2d_strides",
    "test_maxpool_2d_uint8",
    // Clip (bounds given as inputs, bound as constants).
    "test_clip",
    "test_clip_default_inbounds",
    "test_clip_default_int8_inbounds",
    "test_clip_default_int8_max",
    "test_clip_default_int8_min",
    "test_clip_default_max",
    "test_clip_default_min",
    "test_clip_example",
    "test_clip_inbounds",
    "test_clip_outbounds",
    "test_clip_splitbounds",
    // Layout.
    "test_concat_1d_axis_0",
    "test_concat_1d_axis_negative_1",
    "test_concat_2d_axis_0",
    "test_concat_2d_axis_1",
    "test_concat_2d_axis_negative_1",
    "test_concat_2d_axis_negative_2",
    "test_concat_3d_axis_0",
    "test_concat_3d_axis_1",
    "test_concat_3d_axis_2",
    "test_concat_3d_axis_negative_1",
    "test_concat_3d_axis_negative_2",
    "test_concat_3d_axis_negative_3",
    "test_flatten_axis0",
    "test_flatten_axis1",
    "test_flatten_axis2",
    "test_flatten_axis3",
    "test_flatten_default_axis",
    "test_flatten_negative_axis1",
    "test_flatten_negative_axis2",
    "test_flatten_negative_axis3",
    "test_flatten_negative_axis4",
    "test_identity",
    "test_reshape_allowzero_reordered",
    "test_reshape_extended_dims",
    "test_reshape_negative_dim",
    "test_reshape_negative_extended_dims",
    "test_reshape_one_dim",
    "test_reshape_reduced_dims",
    "test_reshape_reordered_all_dims",
    "test_reshape_reordered_last_dims",
    "test_reshape_zero_and_negative_dim",
    "test_reshape_zero_dim",
    "test_transpose_all_permutations_0",
    "test_transpose_all_permutations_1",
    "test_transpose_all_permutations_2",
    "test_transpose_all_permutations_3",
    "test_transpose_all_permutations_4",
    "test_transpose_all_permutations_5",
    "test_transpose_default",
    // float32 host ops.
    "test_add",
    "test_add_bcast",
    "test_div",
    "test_div_bcast",
    "test_div_example",
    "test_max_example",
    "test_max_float32",
    "test_max_one_input",
    "test_max_two_inputs",
    "test_min_example",
    "test_min_float32",
    "test_min_one_input",
    "test_min_two_inputs",
    "test_mul",
    "test_mul_bcast",
    "test_mul_example",
    "test_reduce_max_default_axes_keepdim_example",
    "test_reduce_max_default_axes_keepdims_random",
    "test_reduce_max_do_not_keepdims_example",
    "test_reduce_max_do_not_keepdims_random",
    "test_reduce_max_keepdims_example",
    "test_reduce_max_keepdims_random",
    "test_reduce_max_negative_axes_keepdims_example",
    "test_reduce_max_negative_axes_keepdims_random",
    "test_reduce_min_default_axes_keepdims_example",
    "test_reduce_min_default_axes_keepdims_random",
    "test_reduce_min_do_not_keepdims_example",
    "test_reduce_min_do_not_keepdims_random",
    "test_reduce_min_keepdims_example",
    "test_reduce_min_keepdims_random",
    "test_reduce_min_negative_axes_keepdims_example",
    "test_reduce_min_negative_axes_keepdims_random",
    "test_relu",
    "test_round",
    "test_sub",
    "test_sub_bcast",
    "test_sub_example",
    // float32 compute and neural-network host ops.
    "test_batchnorm_epsilon",
    "test_batchnorm_example",
    "test_conv_with_autopad_same",
    "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_strides_no_padding",
    "test_conv_with_strides_padding",
    "test_gemm_all_attributes",
    "test_gemm_alpha",
    "test_gemm_beta",
    "test_gemm_default_matrix_bias",
    "test_gemm_default_no_bias",
    "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias",
    "test_gemm_default_vector_bias",
    "test_gemm_default_zero_bias",
    "test_gemm_transposeA",
    "test_gemm_transposeB",
    "test_leakyrelu",
    "test_leakyrelu_default",
    "test_leakyrelu_example",
    "test_matmul_2d",
    "test_matmul_3d",
    "test_matmul_4d",
    "test_sigmoid",
    "test_sigmoid_example",
    "test_softmax_axis_0",
    "test_softmax_axis_1",
    "test_softmax_axis_2",
    "test_softmax_default_axis",
    "test_softmax_example",
    "test_softmax_large_number",
    "test_softmax_negative_axis",
    "test_tanh",
    "test_tanh_example",
};

struct Vector {
  std::string id;   // test name: "<source>_<folder>"
  std::string dir;  // folder holding model.onnx and test_data_set_0/
};

inline std::vector<Vector> CollectVectors() {
  std::vector<Vector> vectors;
  if (fs::is_directory(SharedDir())) {
    std::vector<std::string> names;
    for (const fs::directory_entry& e : fs::directory_iterator(SharedDir())) {
      if (fs::exists(e.path() / "model.onnx")) names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names)
      vectors.push_back({"shared_" + name, SharedDir() + "/" + name});
  }
  if (fs::is_directory(DebianDir())) {
    for (const std::string& name : kIncluded) {
      if (fs::exists(DebianDir() + "/" + name + "/model.onnx")) {
        vectors.push_back({"debian_" + name, DebianDir() + "/" + name});
      }
    }
  }
  return vectors;
}

inline onnx::ModelProto ReadModel(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  onnx::ModelProto model;
  if (!file || !model.ParseFromIstream(&file)) throw Error(path + ": cannot read the model");
  return model;
}

// A TensorProto as a Tensor; int64 values (Reshape shapes) as int32, which they fit.
inline Tensor ToTensor(const onnx::TensorProto& proto, const std::string& what) {
  if (proto.data_type() != onnx::TensorProto::INT64) return onnx_model::TensorFromProto(proto);
  const std::vector<std::int64_t> v = onnx_model::Int64sFromProto(proto);
  std::vector<std::int32_t> narrow;
  for (std::int64_t x : v) {
    if (x < std::numeric_limits<std::int32_t>::min() ||
        x > std::numeric_limits<std::int32_t>::max()) {
      throw Error(what + ": int64 value " + std::to_string(x) + " does not fit int32");
    }
    narrow.push_back(static_cast<std::int32_t>(x));
  }
  return Tensor::FromVector(golden::Shape(proto.dims().begin(), proto.dims().end()), narrow);
}

// A vector imported: the graph (inputs in parameter positions bound as constants), the values of
// its remaining inputs, and the reference outputs by name.
struct ImportedVector {
  importer::ImportResult imported;
  std::map<std::string, Tensor> feeds;
  std::vector<std::pair<std::string, Tensor>> expected;
  std::size_t onnx_inputs = 0;  // graph inputs of the ONNX model that are not initializers
};

inline ImportedVector ImportVector(const Vector& v) {
  ImportedVector r;
  const std::string model_path = v.dir + "/model.onnx";
  const std::string data = v.dir + "/test_data_set_0/";
  const onnx::ModelProto proto = ReadModel(model_path);
  std::set<std::string> initializers;
  for (const onnx::TensorProto& init : proto.graph().initializer()) {
    initializers.insert(init.name());
  }
  std::vector<std::string> input_names;
  for (const onnx::ValueInfoProto& in : proto.graph().input()) {
    if (initializers.count(in.name()) == 0) input_names.push_back(in.name());
  }
  r.onnx_inputs = input_names.size();
  importer::ImportOptions options;
  for (std::size_t k = 0; k < input_names.size(); ++k) {
    const std::string file = data + "input_" + std::to_string(k) + ".pb";
    options.bound_inputs[input_names[k]] = ToTensor(onnx_model::ReadTensorProtoFile(file), file);
  }
  r.imported = importer::ImportOnnxFile(model_path, options);
  for (const std::string& name : r.imported.graph.inputs) {
    const auto it = options.bound_inputs.find(name);
    if (it == options.bound_inputs.end()) throw Error(v.id + ": no value for input " + name);
    r.feeds[name] = it->second;
  }
  for (int k = 0; k < proto.graph().output_size(); ++k) {
    const std::string file = data + "output_" + std::to_string(k) + ".pb";
    r.expected.emplace_back(proto.graph().output(k).name(),
                            ToTensor(onnx_model::ReadTensorProtoFile(file), file));
  }
  return r;
}

}  // namespace qsa::testkit::conformance
