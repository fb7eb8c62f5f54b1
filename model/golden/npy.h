// NumPy .npy files (format versions 1.0–3.0), C order, dtypes uint8 |u1, int8 |i1, int32 <i4,
// float32 <f4. The reader refuses anything else (Fortran order, big-endian, other dtypes,
// truncated data) with a message naming the file and the problem.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
// Writes several files (path, content) all or nothing: every content goes to a temporary file
// beside its target first; only when all are written are they renamed into place. On an error no
// target is touched and no temporary file is left (also on SIGINT/SIGTERM, base/temp_files.h).
// A path naming an existing folder is refused before anything is written.
void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files);
// The bytes of a .npy file holding `tensor` (what WriteNpy writes).
std::string EncodeNpy(const Tensor& tensor);

}  // namespace qsa::golden
