// Private to the ONNX importer (onnx_import.cc, convert_*.cc, onnx_qoperator.cc, onnx_qdq.cc): the
// import state shared by the converters (convert.h). docs/onnx-import.md describes the rules.
//
// The import runs in three passes over the ONNX nodes (which ONNX keeps in topological order):
//   1. constants and bindings: initializers and Constant nodes become constant values; graph
//      inputs in parameter positions (scales, zero points, weights, biases, Reshape shapes, Clip
//      bounds) are bound from ImportOptions::bound_inputs;
//   2. quantization parameters: every QuantizeLinear, DequantizeLinear and QLinear*/…Integer node
//      states the scale and zero point of the integer tensors it touches; they are collected per
//      tensor (conflicts are errors) and carried across layout ops and integer MaxPool/Clip/Relu;
//      then the QDQ patterns are found (onnx_qdq.cc);
//   3. emission: each node, in order, becomes IR nodes (or is absorbed into a QDQ pattern), whose
//      outputs' dtype and shape are inferred as they are added; golden::Graph::Validate() closes.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/importer/onnx_import.h"
#include "model/golden/dtype.h"
#include "model/golden/graph.h"
#include "model/golden/quant.h"
#include "model/golden/tensor.h"

namespace qsa::importer::onnx_internal {

// Newest default-domain opset whose semantics the importer implements (ONNX 1.12).
inline constexpr std::int64_t kMaxOpset = 17;
inline constexpr const char* kMicrosoftDomain = "com.microsoft";

// One ONNX node and how messages name it.
struct OnnxNode {
  const onnx::NodeProto* proto = nullptr;
  std::size_t index = 0;
  std::string name;   // unique: the ONNX name, else the first output's name, else "<op>_<index>"
  std::string label;  // "QLinearConv 'conv1'"

  const std::string& op() const { return proto->op_type(); }
  std::size_t input_count() const { return static_cast<std::size_t>(proto->input_size()); }
  std::size_t output_count() const { return static_cast<std::size_t>(proto->output_size()); }
  // Input i is given (present and not "").
  bool Has(std::size_t i) const;
  // Name of input / output i, "" when absent.
  const std::string& In(std::size_t i) const;
  const std::string& Out(std::size_t i) const;
};

// How the quantization axis of a per-axis scale is found.
enum class AxisRule {
  kPerTensor,  // only one scale allowed
  kAttr,       // attribute "axis" (default 1), QuantizeLinear / DequantizeLinear
  kFirst,      // dimension 0 (Conv weights: output channels)
  kLast,       // the last dimension (MatMul B: columns)
  kGemmB,      // the N dimension of a Gemm's B: 1, or 0 when attribute transB = 1
};

// "The scale (input scale) and zero point (input zero_point) of input/output `tensor` of a node",
// as a QLinear*, …Integer, QuantizeLinear or DequantizeLinear node states them. scale == npos:
// a zero point only (ConvInteger, MatMulInteger).
struct QuantSpec {
  bool output = false;
  std::size_t tensor = 0;
  std::size_t scale = 0;
  std::size_t zero_point = 0;
  AxisRule rule = AxisRule::kPerTensor;
  std::string role;  // "x", "w", "y", ...
};
inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// A QDQ pattern: DequantizeLinear → op → [Relu | Clip] → QuantizeLinear, emitted as one
// integer op (or a short sequence) on the quantized tensors.
struct Fusion {
  std::size_t anchor = 0;
  std::vector<std::optional<std::size_t>> dq;  // per anchor input: the DequantizeLinear feeding it
  std::optional<std::size_t> activation;       // Relu or Clip between the op and the Q
  std::size_t quantize = 0;                    // the final QuantizeLinear
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source, const ImportOptions& options);
  ImportResult Run();

  // ---- Messages ---------------------------------------------------------------------------------
  [[noreturn]] void Fail(const OnnxNode& n, const std::string& message) const;
  [[noreturn]] void FailModel(const std::string& message) const;

  // ---- The ONNX graph ---------------------------------------------------------------------------
  std::int64_t opset() const { return opset_; }
  const std::vector<OnnxNode>& nodes() const { return nodes_; }
  // The node producing `tensor`, or nullptr (graph input, initializer, unknown).
  const OnnxNode* Producer(const std::string& tensor) const;
  // Indices of the nodes reading `tensor`, once per use.
  std::vector<std::size_t> Consumers(const std::string& tensor) const;
  bool IsGraphOutput(const std::string& tensor) const { return graph_outputs_.count(tensor) != 0; }
  // Rank of a tensor when the model states it (constants, graph inputs and outputs, value_info).
  std::optional<std::size_t> KnownRank(const std::string& tensor) const;

  // ---- Constants (initializers, Constant nodes, bound inputs) ----------------------------------
  bool IsConstant(const std::string& tensor) const;
  // The ONNX element type of a constant (TensorProto::DataType).
  std::int32_t ConstantElemType(const std::string& tensor) const;
  golden::Shape ConstantShape(const std::string& tensor) const;
  // Input i of node n, which must be a constant, as a tensor / as integers / as reals. `role`
  // names the input in messages ("x_scale").
  golden::Tensor ConstantTensor(const OnnxNode& n, std::size_t i, const std::string& role) const;
  std::vector<std::int64_t> ConstantInts(const OnnxNode& n, std::size_t i,
                                         const std::string& role) const;
  std::vector<double> ConstantReals(const OnnxNode& n, std::size_t i,
                                    const std::string& role) const;
  // Throws "<label>: <role> '<tensor>' must be an initializer or a provided input" unless input i
  // of n is a constant.
  void RequireConstant(const OnnxNode& n, std::size_t i, const std::string& role) const;

  // ---- Attributes -------------------------------------------------------------------------------
  // Refuses attributes other than `allowed` (ONNX attributes the importer would silently ignore).
  void CheckAttributes(const OnnxNode& n, std::initializer_list<const char*> allowed) const;
  bool HasAttr(const OnnxNode& n, const char* name) const;
  std::int64_t AttrInt(const OnnxNode& n, const char* name, std::int64_t fallback) const;
  float AttrFloat(const OnnxNode& n, const char* name, float fallback) const;
  std::optional<float> AttrFloat(const OnnxNode& n, const char* name) const;
  std::string AttrString(const OnnxNode& n, const char* name, const std::string& fallback) const;
  std::optional<std::vector<std::int64_t>> AttrInts(const OnnxNode& n, const char* name) const;
  // Attribute "value" of a Constant node, etc.
  const onnx::AttributeProto* FindAttr(const OnnxNode& n, const char* name) const;

  // ---- Quantization parameters ------------------------------------------------------------------
  // Parameters collected for an ONNX tensor in pass 2, or nullptr.
  const golden::QuantParams* Quant(const std::string& tensor) const;
  // The scale / zero point given by a QuantSpec of node n, read from constant inputs.
  golden::QuantParams ReadQuant(const OnnxNode& n, const QuantSpec& spec) const;
  // Element type of a quantized tensor as the zero point input states it (uint8 when absent).
  golden::DType ZeroPointType(const OnnxNode& n, std::size_t zero_point_input) const;

  // ---- Building the IR --------------------------------------------------------------------------
  // The IR tensor for data input i of n: adds the constant or graph input on first use. Throws
  // when the input is absent or produced by nothing.
  std::string Operand(const OnnxNode& n, std::size_t i, const std::string& role);
  // Same for a tensor name.
  std::string OperandTensor(const OnnxNode& n, const std::string& tensor, const std::string& role);
  // dtype / shape of an IR tensor already present (an operand or an emitted output).
  const golden::TensorInfo& Info(const std::string& ir_tensor) const;
  // A tensor name used nowhere yet, from `base`.
  std::string NewTensorName(const std::string& base);
  // Adds a constant under a new name; returns the name.
  std::string AddConstant(const std::string& base, golden::Tensor value,
                          golden::QuantParams quant = {});
  // An IR node named after n (plus `suffix`, made unique).
  golden::Node MakeNode(const OnnxNode& n, const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& suffix = "");
  // Declares the outputs (dtype; quantization parameters from pass 2 unless `quant` overrides
  // them), infers their shapes with the op's Infer, and appends the node. Errors are re-labelled
  // with n's ONNX label.
  void Emit(const OnnxNode& n, golden::Node node, const std::vector<golden::DType>& out_dtypes,
            const std::map<std::string, golden::QuantParams>& quant = {});

  // Sets strides, pads (auto_pad resolved against the input's spatial size), dilations (when
  // `dilations`) and, for pools, ceil_mode on `node`, from n's ONNX attributes. `kernel` is the
  // 2-D window; `in_shape` the NCHW input shape.
  void SetWindowAttributes(const OnnxNode& n, golden::Node& node, const golden::Shape& in_shape,
                           const std::vector<std::int64_t>& kernel, bool dilations,
                           bool ceil_mode) const;

 private:
  struct ConstantValue {
    const onnx::TensorProto* proto = nullptr;  // initializer or Constant node value
    const golden::Tensor* bound = nullptr;     // bound graph input
  };
  struct QuantEntry {
    golden::QuantParams params;
    std::string origin;  // label of the node that stated them
  };

  void IndexGraph();
  void CollectConstants();
  void BindParameterInputs();
  void CollectQuant();
  void PropagateQuant();
  void SetQuant(const OnnxNode& n, const std::string& tensor, const golden::QuantParams& params,
                const std::string& role);
  void EmitNode(const OnnxNode& n);
  void Finish();
  golden::TensorInfo GraphInputInfo(const onnx::ValueInfoProto& input) const;
  const ConstantValue* FindConstant(const std::string& tensor) const;
  [[noreturn]] void Relabel(const OnnxNode& n, const std::string& ir_label,
                            const std::string& what) const;

  const onnx::ModelProto& model_;
  const onnx::GraphProto& onnx_graph_;
  std::string source_;
  const ImportOptions& options_;
  std::int64_t opset_ = 0;
  // Symbolic input dimensions bound so far: name → (size, the input that bound it).
  mutable std::map<std::string, std::pair<std::int64_t, std::string>> symbols_;

  std::vector<OnnxNode> nodes_;
  std::map<std::string, std::size_t> producer_;
  std::map<std::string, std::vector<std::size_t>> consumers_;
  std::set<std::string> graph_outputs_;
  std::map<std::string, const onnx::ValueInfoProto*> graph_inputs_;  // not initializers
  std::map<std::string, const onnx::ValueInfoProto*> value_info_;
  std::map<std::string, ConstantValue> constants_;
  std::deque<onnx::TensorProto> owned_protos_;  // Constant nodes given as value_float(s) etc.
  std::map<std::string, QuantEntry> quant_;
  std::map<std::size_t, Fusion> fusions_;  // by anchor index
  std::set<std::size_t> absorbed_;         // nodes a fusion emits (or makes unnecessary)
  std::set<std::string> used_names_;
  std::set<std::string> node_names_;     // of the ONNX nodes (OnnxNode::name)
  std::set<std::string> ir_node_names_;  // of the IR nodes emitted so far

  golden::Graph graph_;
  std::set<std::string> bound_;
};

// ---- onnx_qoperator.cc --------------------------------------------------------------------------

bool IsDefaultDomain(const OnnxNode& n);
// QuantizeLinear / DequantizeLinear of the default or the com.microsoft domain.
bool IsQuantizeNode(const OnnxNode& n);
bool IsDequantizeNode(const OnnxNode& n);
// The scale / zero point statements of a node (empty for ops that make none).
std::vector<QuantSpec> QuantSpecsOf(const OnnxNode& n);
// Inputs of n in parameter positions, which must be constants: (index, role).
std::vector<std::pair<std::size_t, std::string>> ParameterInputsOf(const OnnxNode& n,
                                                                   std::int64_t opset);
// Converts QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv,
// QLinearMatMul, ConvInteger, MatMulInteger and the com.microsoft QLinearAdd,
// QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat, QGemm. False when n is none of
// them.
bool ConvertQOperator(Importer& im, const OnnxNode& n);

// ---- onnx_qdq.cc --------------------------------------------------------------------------------

// Finds the QDQ patterns; `absorbed` receives every node the patterns make unnecessary (the op,
// the activation, the QuantizeLinear, and DequantizeLinear nodes all of whose readers are fused).
std::map<std::size_t, Fusion> FindFusions(const Importer& im, std::set<std::size_t>& absorbed);
// Emits the integer op(s) of a pattern.
void EmitFusion(Importer& im, const Fusion& fusion);

// ---- onnx_import.cc helpers used by the others -------------------------------------------------

// "scale 0.5, zero point 3" / "per-axis (axis 0, 8 channels)".
std::string DescribeQuant(const golden::QuantParams& q);
// "uint8", "float32": how messages name a dtype.
std::string TypeText(golden::DType dtype);
// A real number with the digits that identify its float32 value.
std::string FloatText(double v);

}  // namespace qsa::importer::onnx_internal
