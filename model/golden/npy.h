// NumPy .npy files (format versions 1.0–3.0), C order, dtypes uint8 |u1, int8 |i1, int32 <i4,
// float32 <f4. The reader refuses anything else (Fortran order, big-endian, other dtypes,
// truncated data) with a message naming the file and the problem.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "model/golden/tensor.h"

namespace qsa::golden {

Tensor ReadNpy(const std::string& path);
// The same from the bytes of a .npy file (an entry of an .npz archive); `source` names it in
// messages.
Tensor ParseNpy(std::string_view bytes, const std::string& source);
// Writes atomically: to a temporary file in the same folder, then renamed over `path`, so that a
// failure never leaves a half-written file. Throws qsa::Error naming the path.
void WriteNpy(const std::string& path, const Tensor& tensor);
// Writes the concatenated `parts` to `path` the same atomic way (any file format).
void WriteFileAtomically(const std::string& path, std::initializer_list<std::string_view> parts);

}  // namespace qsa::golden
