// The JSON form of the graph IR. docs/ir-json.md is the reference for every key read here.
#include "model/golden/graph_json.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string_view>

#include "model/base/error.h"
#include "model/base/json_text.h"
#include "model/base/read_file.h"
#include "model/base/text.h"
#include "model/golden/npy.h"
#include "model/golden/op_registry.h"

namespace qsa::golden {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

// ---- JSON paths and typed access ----------------------------------------------------------------

bool IsIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// "nodes[2]" + "attrs" → "nodes[2].attrs"; a key that is not an identifier is quoted:
// tensors["conv1/w:0"].
std::string Key(const std::string& parent, const std::string& key) {
  if (!IsIdentifier(key)) return parent + "[\"" + base::Printable(key) + "\"]";
  if (key.size() > base::kMaxEchoedChars) return parent + "." + base::Printable(key);
  return parent.empty() ? key : parent + "." + key;
}
std::string Index(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}

[[noreturn]] void Fail(const std::string& where, const std::string& problem) {
  throw Error((where.empty() ? std::string("(top level)") : where) + ": " + problem);
}

std::string Describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a floating-point number";
    case json::value_t::array:
      return "a list";
    case json::value_t::object:
      return "an object";
    default:
      return "an unexpected value";
  }
}

[[noreturn]] void Expected(const std::string& where, const std::string& what, const json& got) {
  Fail(where, "expected " + what + ", got " + Describe(got));
}

void CheckObject(const json& v, const std::string& where,
                 std::initializer_list<const char*> allowed) {
  if (!v.is_object()) Expected(where, "an object", v);
  for (const auto& item : v.items()) {
    bool known = false;
    for (const char* key : allowed) known = known || item.key() == key;
    if (!known) {
      std::string list;
      for (const char* key : allowed) list += std::string(list.empty() ? "" : ", ") + key;
      Fail(Key(where, item.key()), "unknown key (allowed here: " + list + ")");
    }
  }
}

const json* Find(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json& Require(const json& obj, const std::string& where, const char* key) {
  const json* v = Find(obj, key);
  if (v == nullptr) Fail(where, std::string("missing \"") + key + "\"");
  return *v;
}

std::string GetString(const json& v, const std::string& where) {
  if (!v.is_string()) Expected(where, "a string", v);
  return v.get<std::string>();
}

bool IsInt(const json& v) { return v.is_number_integer(); }

std::int64_t GetInt(const json& v, const std::string& where) {
  if (!IsInt(v)) Expected(where, "an integer", v);
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    Fail(where, "integer " + v.dump() + " is out of range");
  }
  return v.get<std::int64_t>();
}

double GetNumber(const json& v, const std::string& where) {
  if (!v.is_number()) Expected(where, "a number", v);
  return v.get<double>();
}

std::vector<std::string> GetStrings(const json& v, const std::string& where) {
  if (!v.is_array()) Expected(where, "a list of strings", v);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(GetString(v[i], Index(where, i)));
  return out;
}

std::string RangeText(DType dtype) {
  return std::string(DTypeName(dtype)) + " [" + std::to_string(DTypeMin(dtype)) + ", " +
         std::to_string(DTypeMax(dtype)) + "]";
}

std::int64_t GetIntIn(const json& v, const std::string& where, DType dtype) {
  const std::int64_t x = GetInt(v, where);
  if (x < DTypeMin(dtype) || x > DTypeMax(dtype)) {
    Fail(where, std::to_string(x) + " is outside " + RangeText(dtype));
  }
  return x;
}

// A float32 value: a number, or "nan", "inf", "-inf" (JSON has no literals for those).
float GetFloat32(const json& v, const std::string& where) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<float>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-inf") return -std::numeric_limits<float>::infinity();
    Fail(where, "expected a number, \"nan\", \"inf\" or \"-inf\", got \"" + s + "\"");
  }
  const double d = GetNumber(v, where);
  if (std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) {
    Fail(where, v.dump() + " is outside the float32 range");
  }
  return static_cast<float>(d);
}

// The double whose shortest decimal form is the shortest form of `f`, so that the JSON reads
// "0.02" rather than "0.019999999552965164" and still converts back to the same float.
json FloatJson(float f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, f);
  const std::string text(buffer, result.ptr);
  return std::strtod(text.c_str(), nullptr);
}

// ---- Tensors ------------------------------------------------------------------------------------

Shape GetShape(const json& v, const std::string& where) {
  if (!v.is_array()) Expected(where, "a list of non-negative integers", v);
  Shape shape;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::int64_t d = GetInt(v[i], Index(where, i));
    if (d < 0 || d > std::numeric_limits<std::int32_t>::max()) {
      Fail(Index(where, i), "dimension " + std::to_string(d) + " is out of range");
    }
    shape.push_back(d);
  }
  return shape;
}

float GetScale(const json& v, const std::string& where) {
  const double d = GetNumber(v, where);
  const auto f = static_cast<float>(d);
  if (!std::isfinite(d) || !(d > 0) || !std::isfinite(f) || !(f > 0)) {
    Fail(where, "scale " + v.dump() + " is not a positive finite float32");
  }
  return f;
}

QuantParams ParseQuant(const json& t, const std::string& where, DType dtype, const Shape* shape) {
  QuantParams q;
  const json* scale = Find(t, "scale");
  const json* zero_point = Find(t, "zero_point");
  const json* axis = Find(t, "axis");
  const DType zp_type = IsInteger(dtype) ? dtype : DType::kInt32;
  const bool per_axis =
      (scale != nullptr && scale->is_array()) || (zero_point != nullptr && zero_point->is_array());
  if (per_axis && axis == nullptr) {
    Fail(Key(where, "axis"), "missing; a list of scales or zero points is per-axis and needs it");
  }
  if (!per_axis && axis != nullptr) {
    Fail(Key(where, "axis"),
         "given with a single scale and zero point; per-axis quantization "
         "gives \"scale\" (or \"zero_point\") as a list");
  }
  if (per_axis) {
    std::int64_t a = GetInt(*axis, Key(where, "axis"));
    if (shape != nullptr) {
      const auto rank = static_cast<std::int64_t>(shape->size());
      if (a < -rank || a >= rank) {
        Fail(Key(where, "axis"),
             "axis " + std::to_string(a) + " is out of range for shape " + ShapeToString(*shape));
      }
      if (a < 0) a += rank;
    } else if (a < 0) {
      Fail(Key(where, "axis"), "a negative axis needs the tensor's \"shape\"");
    }
    q.axis = static_cast<int>(a);
  }
  if (scale != nullptr) {
    const std::string w = Key(where, "scale");
    if (scale->is_array()) {
      if (scale->empty()) Fail(w, "empty list");
      for (std::size_t i = 0; i < scale->size(); ++i) {
        q.scales.push_back(GetScale((*scale)[i], Index(w, i)));
      }
    } else {
      q.scales.push_back(GetScale(*scale, w));
    }
  }
  if (zero_point != nullptr) {
    const std::string w = Key(where, "zero_point");
    if (zero_point->is_array()) {
      if (zero_point->empty()) Fail(w, "empty list");
      for (std::size_t i = 0; i < zero_point->size(); ++i) {
        q.zero_points.push_back(
            static_cast<std::int32_t>(GetIntIn((*zero_point)[i], Index(w, i), zp_type)));
      }
      if (!q.scales.empty() && q.zero_points.size() != q.scales.size()) {
        Fail(w, std::to_string(q.zero_points.size()) + " zero points for " +
                    std::to_string(q.scales.size()) + " scales");
      }
    } else {
      const auto z = static_cast<std::int32_t>(GetIntIn(*zero_point, w, zp_type));
      q.zero_points.assign(std::max<std::size_t>(q.scales.size(), 1), z);
    }
  } else if (!q.scales.empty()) {
    q.zero_points.assign(q.scales.size(), 0);
  }
  if (per_axis && shape != nullptr) {
    const std::int64_t n = (*shape)[static_cast<std::size_t>(q.axis)];
    const std::size_t count = q.scales.empty() ? q.zero_points.size() : q.scales.size();
    if (static_cast<std::int64_t>(count) != n) {
      Fail(Key(where, q.scales.empty() ? "zero_point" : "scale"),
           std::to_string(count) + " entries but dimension " + std::to_string(q.axis) +
               " of shape " + ShapeToString(*shape) + " has " + std::to_string(n));
    }
  }
  return q;
}

Tensor ParseData(const json& v, const std::string& where, DType dtype, const Shape& shape) {
  if (!v.is_array()) Expected(where, "a flat list of numbers", v);
  const std::int64_t n = NumElements(shape);
  if (static_cast<std::int64_t>(v.size()) != n) {
    Fail(where, std::to_string(v.size()) + " values but shape " + ShapeToString(shape) + " has " +
                    std::to_string(n) + " elements");
  }
  Tensor t(dtype, shape);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (dtype == DType::kFloat32) {
      t.Data<float>()[i] = GetFloat32(v[i], Index(where, i));
    } else {
      t.SetInt(static_cast<std::int64_t>(i), GetIntIn(v[i], Index(where, i), dtype));
    }
  }
  return t;
}

std::string JoinPath(const std::string& base_dir, const std::string& file) {
  if (file.empty() || file[0] == '/' || base_dir.empty()) return file;
  return base_dir.back() == '/' ? base_dir + file : base_dir + "/" + file;
}

void ParseTensor(Graph& graph, const std::string& name, const json& t, const std::string& where,
                 const std::string& base_dir) {
  CheckObject(t, where,
              {"dtype", "shape", "scale", "zero_point", "axis", "data", "npy", "comment"});
  if (name.empty()) Fail(where, "empty tensor name");
  if (const json* c = Find(t, "comment")) GetString(*c, Key(where, "comment"));
  const json* dtype_json = Find(t, "dtype");
  const json* shape_json = Find(t, "shape");
  const json* data = Find(t, "data");
  const json* npy = Find(t, "npy");
  if (data != nullptr && npy != nullptr) Fail(where, "give either \"data\" or \"npy\", not both");

  std::optional<DType> dtype;
  if (dtype_json != nullptr) {
    const std::string s = GetString(*dtype_json, Key(where, "dtype"));
    dtype = ParseDType(s);
    if (!dtype) {
      Fail(Key(where, "dtype"),
           "unknown dtype \"" + s + "\" (expected uint8, int8, int32 or float32)");
    }
  }
  std::optional<Shape> shape;
  if (shape_json != nullptr) shape = GetShape(*shape_json, Key(where, "shape"));

  std::optional<Tensor> value;
  if (npy != nullptr) {
    const std::string w = Key(where, "npy");
    const std::string file = JoinPath(base_dir, GetString(*npy, w));
    try {
      value = ReadNpy(file);
    } catch (const Error& e) {
      Fail(w, e.what());
    }
    if (dtype && *dtype != value->dtype()) {
      Fail(w, "'" + file + "' holds " + value->Describe() + " but \"dtype\" says " +
                  std::string(DTypeName(*dtype)));
    }
    if (shape && *shape != value->shape()) {
      Fail(w, "'" + file + "' holds " + value->Describe() + " but \"shape\" says " +
                  ShapeToString(*shape));
    }
    dtype = value->dtype();
    shape = value->shape();
  } else if (data != nullptr) {
    if (!dtype) Fail(where, "missing \"dtype\" (needed to read \"data\")");
    if (!shape) Fail(where, "missing \"shape\" (needed to read \"data\")");
    value = ParseData(*data, Key(where, "data"), *dtype, *shape);
  }
  if (!dtype) Fail(where, "missing \"dtype\"");

  TensorInfo info;
  info.name = name;
  info.dtype = *dtype;
  if (shape) info.shape = *shape;
  info.quant = ParseQuant(t, where, *dtype, shape ? &*shape : nullptr);
  if (value) graph.constants[name] = std::move(*value);
  graph.tensors[name] = std::move(info);
}

// ---- Nodes --------------------------------------------------------------------------------------

AttrValue ParseAttr(const json& v, const std::string& where) {
  if (IsInt(v)) return GetInt(v, where);
  if (v.is_number_float()) return v.get<double>();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    bool all_int = true;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number()) {
        Fail(Index(where, i),
             "expected a number (a list attribute holds numbers), got " + Describe(v[i]));
      }
      all_int = all_int && IsInt(v[i]);
    }
    if (all_int) {
      std::vector<std::int64_t> ints;
      for (std::size_t i = 0; i < v.size(); ++i) ints.push_back(GetInt(v[i], Index(where, i)));
      return ints;
    }
    std::vector<double> floats;
    for (const json& x : v) floats.push_back(x.get<double>());
    return floats;
  }
  Fail(where, "expected an integer, a number, a string or a list of numbers, got " + Describe(v));
}

FixedPointMultiplier ParseRequantEntry(const json& v, const std::string& where) {
  CheckObject(v, where, {"multiplier", "shift"});
  const std::string mw = Key(where, "multiplier");
  const std::string sw = Key(where, "shift");
  const std::int64_t m = GetInt(Require(v, where, "multiplier"), mw);
  const std::int64_t s = GetInt(Require(v, where, "shift"), sw);
  constexpr std::int64_t kLow = std::int64_t{1} << 30;
  constexpr std::int64_t kHigh = std::int64_t{1} << 31;
  if (m != 0 && (m < kLow || m >= kHigh)) {
    Fail(mw, std::to_string(m) + " is outside [2^30, 2^31) = [1073741824, 2147483647] (or 0)");
  }
  if (s < -31 || s > 30) Fail(sw, std::to_string(s) + " is outside [-31, 30]");
  return FixedPointMultiplier{static_cast<std::int32_t>(m), static_cast<int>(s)};
}

// A node's attributes must be among those its op declares (OpDef::attributes), so that a misspelt
// attribute ("stride") is not silently left at its default.
Node ParseNode(const json& n, const std::string& where) {
  CheckObject(n, where, {"name", "op", "inputs", "outputs", "attrs", "requant", "comment"});
  Node node;
  node.name = GetString(Require(n, where, "name"), Key(where, "name"));
  if (node.name.empty()) Fail(Key(where, "name"), "empty node name");
  node.op = GetString(Require(n, where, "op"), Key(where, "op"));
  if (FindOp(node.op) == nullptr) {
    std::string known;
    for (const OpDef* def : AllOps()) known += (known.empty() ? "" : ", ") + std::string(def->name);
    Fail(Key(where, "op"), "unknown op " + base::Quote(node.op) + " (known ops: " + known + ")");
  }
  node.inputs = GetStrings(Require(n, where, "inputs"), Key(where, "inputs"));
  node.outputs = GetStrings(Require(n, where, "outputs"), Key(where, "outputs"));
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i].empty()) Fail(Index(Key(where, "outputs"), i), "empty tensor name");
  }
  if (const json* c = Find(n, "comment")) GetString(*c, Key(where, "comment"));
  if (const json* attrs = Find(n, "attrs")) {
    const std::string w = Key(where, "attrs");
    if (!attrs->is_object()) Expected(w, "an object", *attrs);
    const std::span<const std::string_view> known = FindOp(node.op)->attributes;
    for (const auto& item : attrs->items()) {
      if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Fail(Key(w, item.key()),
             node.Label() + " has no attribute " + base::Quote(item.key()) +
                 (list.empty() ? " (it takes none)" : " (attributes: " + list + ")"));
      }
      node.attrs.Set(item.key(), ParseAttr(item.value(), Key(w, item.key())));
    }
  }
  if (const json* requant = Find(n, "requant")) {
    const std::string w = Key(where, "requant");
    if (!requant->is_array())
      Expected(w, "a list of {\"multiplier\", \"shift\"} objects", *requant);
    if (requant->empty()) Fail(w, "empty list (omit \"requant\" to requantize from the scales)");
    for (std::size_t i = 0; i < requant->size(); ++i) {
      node.requant.push_back(ParseRequantEntry((*requant)[i], Index(w, i)));
    }
  }
  return node;
}

// Rejects duplicate keys while parsing (nlohmann would silently keep the last one).

}  // namespace

Graph GraphFromJson(const json& root, const std::string& base_dir) {
  CheckObject(root, "", {"qsa_graph", "name", "comment", "inputs", "outputs", "tensors", "nodes"});
  const json* version = Find(root, "qsa_graph");
  if (version == nullptr) {
    Fail("qsa_graph", "missing (a qsa JSON graph starts with \"qsa_graph\": 1)");
  }
  if (GetInt(*version, "qsa_graph") != kFormatVersion) {
    Fail("qsa_graph", "version " + version->dump() + " is not supported (this qsa reads version " +
                          std::to_string(kFormatVersion) + ")");
  }
  Graph graph;
  if (const json* name = Find(root, "name")) graph.name = GetString(*name, "name");
  if (const json* c = Find(root, "comment")) GetString(*c, "comment");
  graph.inputs = GetStrings(Require(root, "", "inputs"), "inputs");
  graph.outputs = GetStrings(Require(root, "", "outputs"), "outputs");
  if (graph.outputs.empty()) Fail("outputs", "a graph needs at least one output");

  const json& tensors = Require(root, "", "tensors");
  if (!tensors.is_object()) Expected("tensors", "an object", tensors);
  for (const auto& item : tensors.items()) {
    ParseTensor(graph, item.key(), item.value(), Key("tensors", item.key()), base_dir);
  }

  const json& nodes = Require(root, "", "nodes");
  if (!nodes.is_array()) Expected("nodes", "a list", nodes);
  std::set<std::string> produced;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    graph.nodes.push_back(ParseNode(nodes[i], Index("nodes", i)));
    const Node& node = graph.nodes.back();
    for (const std::string& out : node.outputs) produced.insert(out);
    if (!node.requant.empty()) {
      for (const std::string& out : node.outputs) {
        auto it = graph.tensors.find(out);
        if (it == graph.tensors.end() || it->second.quant.zero_points.empty()) {
          Fail(Key(Index("nodes", i), "requant"),
               "output '" + out + "' must be declared in \"tensors\" with its \"zero_point\"");
        }
      }
    }
  }

  for (std::size_t i = 0; i < graph.inputs.size(); ++i) {
    const std::string& in = graph.inputs[i];
    auto it = graph.tensors.find(in);
    if (it == graph.tensors.end()) {
      Fail(Index("inputs", i), "graph input '" + in + "' is not declared in \"tensors\"");
    }
    if (Find(*tensors.find(in), "shape") == nullptr && !graph.IsConstant(in)) {
      Fail(Key("tensors", in), "missing \"shape\" (required for a graph input)");
    }
  }
  const std::set<std::string> inputs(graph.inputs.begin(), graph.inputs.end());
  for (const auto& [name, info] : graph.tensors) {
    if (!graph.IsConstant(name) && inputs.count(name) == 0 && produced.count(name) == 0) {
      Fail(Key("tensors", name),
           "declared without \"data\" or \"npy\", but it is not a graph input and no node "
           "produces it");
    }
  }
  graph.Validate();
  return graph;
}

Graph ReadGraphJson(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  return ParseGraphJson(base::ReadRegularFile(path, base::kMaxTextFileBytes), path, base_dir);
}

Graph ParseGraphJson(std::string_view text, const std::string& path, const std::string& base_dir) {
  const json root = base::ParseJsonText(text, base::QuotePath(path));
  try {
    return GraphFromJson(root, base_dir);
  } catch (const Error& e) {
    throw Error(base::QuotePath(path) + ": " + e.what());
  }
}

json GraphToJson(const Graph& graph) {
  json root = json::object();
  root["qsa_graph"] = kFormatVersion;
  root["name"] = graph.name;
  root["inputs"] = graph.inputs;
  root["outputs"] = graph.outputs;
  json tensors = json::object();
  for (const auto& [name, info] : graph.tensors) {
    json t = json::object();
    t["dtype"] = std::string(DTypeName(info.dtype));
    t["shape"] = info.shape;
    const QuantParams& q = info.quant;
    const bool per_axis = q.per_axis() || q.scales.size() > 1 || q.zero_points.size() > 1;
    if (!q.scales.empty()) {
      if (per_axis) {
        json list = json::array();
        for (float s : q.scales) list.push_back(FloatJson(s));
        t["scale"] = list;
      } else {
        t["scale"] = FloatJson(q.scales[0]);
      }
    }
    if (!q.zero_points.empty()) {
      if (per_axis) {
        t["zero_point"] = q.zero_points;
      } else {
        t["zero_point"] = q.zero_points[0];
      }
    }
    if (q.per_axis()) t["axis"] = q.axis;
    if (auto c = graph.constants.find(name); c != graph.constants.end()) {
      const Tensor& value = c->second;
      json data = json::array();
      for (std::int64_t i = 0; i < value.size(); ++i) {
        if (value.dtype() == DType::kFloat32) {
          data.push_back(FloatJson(value.Data<float>()[static_cast<std::size_t>(i)]));
        } else {
          data.push_back(value.GetInt(i));
        }
      }
      t["data"] = std::move(data);
    }
    tensors[name] = std::move(t);
  }
  root["tensors"] = std::move(tensors);
  json nodes = json::array();
  for (const Node& node : graph.nodes) {
    json n = json::object();
    n["name"] = node.name;
    n["op"] = node.op;
    n["inputs"] = node.inputs;
    n["outputs"] = node.outputs;
    json attrs = json::object();
    for (const auto& [key, value] : node.attrs.values()) {
      std::visit([&attrs, &k = key](const auto& v) { attrs[k] = v; }, value);
    }
    if (!attrs.empty()) n["attrs"] = std::move(attrs);
    if (!node.requant.empty()) {
      json requant = json::array();
      for (const FixedPointMultiplier& m : node.requant) {
        requant.push_back({{"multiplier", m.multiplier}, {"shift", m.shift}});
      }
      n["requant"] = std::move(requant);
    }
    nodes.push_back(std::move(n));
  }
  root["nodes"] = std::move(nodes);
  return root;
}

}  // namespace qsa::golden
