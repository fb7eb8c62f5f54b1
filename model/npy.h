// NumPy .npy files (format versions 1.0–3.0), C order, dtypes uint8 |u1, int8 |i1, int32 <i4,
// float32 <f4. The reader refuses anything else (Fortran order, big-endian, other dtypes,
// truncated data) with a message naming the file and the problem.
#pragma once

#include <string>

#include "model/tensor.h"

namespace qsa::model {

Tensor ReadNpy(const std::string& path);
// Writes atomically: to a temporary file in the same folder, then renamed over `path`, so that a
// failure never leaves a half-written file. Throws qsa::Error naming the path.
void WriteNpy(const std::string& path, const Tensor& tensor);

}  // namespace qsa::model
