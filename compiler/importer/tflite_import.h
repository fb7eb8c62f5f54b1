// TFLite importer: an int8 (or uint8) TensorFlow Lite model (.tflite, the TFL3 flatbuffer format)
// → qsa graph IR (model/golden/graph.h), with TFLite's integer arithmetic (docs/tflite-import.md).
#pragma once

#include <string>
#include <string_view>

#include "model/golden/graph.h"

namespace qsa::importer {

// Reads and imports a .tflite file: subgraph 0, NHWC activations mapped onto the IR's NCHW
// operators. Throws qsa::Error with one line naming the problem: the file (unreadable, not a
// TFLite model), a tensor, or the operator, its index and why it cannot be taken.
golden::Graph ImportTfliteFile(const std::string& path);
// Same, from the bytes of a model; `source` names it in messages.
golden::Graph ImportTfliteBytes(std::string_view bytes, std::string_view source);

}  // namespace qsa::importer
