// onnx.TensorProto ↔ golden::Tensor, for initializers and for the conformance vectors'
// input_N.pb / output_N.pb files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/golden/tensor.h"

namespace onnx {
class TensorProto;
}

namespace qsa::onnx_model {

// The IR dtype of an ONNX element type (UINT8, INT8, INT32, FLOAT), or nullopt.
std::optional<golden::DType> DTypeFromOnnx(std::int32_t elem_type);
// The ONNX element type of an IR dtype.
std::int32_t OnnxElemType(golden::DType dtype);
// "INT64", "FLOAT16", ...; "an undefined element type" for UNDEFINED.
std::string OnnxTypeName(std::int32_t elem_type);

// A uint8, int8, int32 or float32 TensorProto (raw_data or the typed fields) as a Tensor. Throws
// qsa::Error naming the tensor for other element types or inconsistent sizes.
golden::Tensor TensorFromProto(const onnx::TensorProto& proto);
// The other way: `tensor` as a TensorProto named `name`, its data in raw_data.
onnx::TensorProto TensorToProto(const std::string& name, const golden::Tensor& tensor);
// An int64 (or int32) TensorProto's values, e.g. a Reshape shape or Clip bounds given as inputs.
std::vector<std::int64_t> Int64sFromProto(const onnx::TensorProto& proto);
// Reads a serialized TensorProto file; throws naming the file when unreadable or malformed.
onnx::TensorProto ReadTensorProtoFile(const std::string& path);

}  // namespace qsa::onnx_model
