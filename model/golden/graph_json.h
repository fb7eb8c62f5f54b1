// The JSON form of the graph IR (docs/ir-json.md): a graph a person or another tool can write.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "model/golden/graph.h"

namespace qsa::golden {

// Parses and validates a graph. `base_dir` resolves constants given as "npy": "file.npy".
// Throws qsa::Error naming the JSON path of the offending field ("nodes[2].attrs.strides").
Graph GraphFromJson(const nlohmann::json& json, const std::string& base_dir);
Graph ReadGraphJson(const std::string& path);
// The same from the text of a file; `source` names it in messages.
Graph ParseGraphJson(std::string_view text, const std::string& source, const std::string& base_dir);
// Serializes a graph so that GraphFromJson(GraphToJson(g)) reproduces it (constants inline).
nlohmann::json GraphToJson(const Graph& graph);

}  // namespace qsa::golden
