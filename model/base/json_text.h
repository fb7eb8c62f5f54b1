// Parsing the JSON files qsa reads (graphs, architecture configurations, manifests, compiled-model
// descriptions) with one set of rules: malformed text, a number out of range, a key given twice in
// one object or nesting deeper than kMaxJsonDepth all throw qsa::Error naming the file, with the
// parser's message cut to a readable length; never a raw nlohmann exception.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/base/error.h"
#include "model/base/text.h"

namespace qsa::base {

// Deeper nesting than any qsa file has; refused before it costs stack or memory.
inline constexpr int kMaxJsonDepth = 64;

namespace json_internal {

class StrictJsonCheck {
 public:
  bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxJsonDepth) {
      throw Error("malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) +
                  " levels");
    }
    switch (event) {
      case Event::object_start:
        keys_.emplace_back();
        break;
      case Event::object_end:
        if (!keys_.empty()) keys_.pop_back();
        break;
      case Event::key: {
        const std::string key = parsed.get<std::string>();
        if (!keys_.empty() && !keys_.back().insert(key).second) {
          throw Error("malformed JSON: key " + Quote(key) + " appears twice in one object");
        }
        break;
      }
      default:
        break;
    }
    return true;
  }

 private:
  std::vector<std::set<std::string>> keys_;
};

}  // namespace json_internal

// The parser's message without its "[json.exception.parse_error.101] " prefix, cut to a
// readable length and with control bytes escaped.
inline std::string JsonErrorText(const nlohmann::json::exception& e) {
  std::string what = e.what();
  const std::size_t bracket = what.find("] ");
  if (bracket != std::string::npos) what = what.substr(bracket + 2);
  return Printable(what, 2 * kMaxEchoedChars);
}

// Parses `text`; throws qsa::Error "SOURCE: malformed JSON: ..." (SOURCE as given, e.g. a quoted
// path) when it is not JSON qsa accepts.
inline nlohmann::json ParseJsonText(std::string_view text, const std::string& source) {
  try {
    return nlohmann::json::parse(text, json_internal::StrictJsonCheck());
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": malformed JSON: " + JsonErrorText(e));
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
}

}  // namespace qsa::base
