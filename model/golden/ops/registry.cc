#include <algorithm>

#include "model/golden/op_registry.h"
#include "model/golden/ops/ops.h"

namespace qsa::golden {

const std::vector<const OpDef*>& AllOps() {
  static const std::vector<const OpDef*> kAll = [] {
    std::vector<const OpDef*> all = {
        &ops::kAdd,
        &ops::kAveragePool,
        &ops::kBatchNormalization,
        &ops::kCast,
        &ops::kClip,
        &ops::kConcat,
        &ops::kConv,
        &ops::kDequantizeLinear,
        &ops::kDiv,
        &ops::kDynamicQuantizeLinear,
        &ops::kFlatten,
        &ops::kGemm,
        &ops::kGlobalAveragePool,
        &ops::kIdentity,
        &ops::kLeakyRelu,
        &ops::kMatMul,
        &ops::kMax,
        &ops::kMaxPool,
        &ops::kMin,
        &ops::kMul,
        &ops::kPad,
        &ops::kQuantizeLinear,
        &ops::kReduceMax,
        &ops::kReduceMin,
        &ops::kRelu,
        &ops::kReshape,
        &ops::kRound,
        &ops::kSigmoid,
        &ops::kSoftmax,
        &ops::kSub,
        &ops::kTanh,
        &ops::kTfliteAveragePool,
        &ops::kTfliteFcRequant,
        &ops::kTfliteLogistic,
        &ops::kTfliteMean,
        &ops::kTfliteMul,
        &ops::kTfliteQuantize,
        &ops::kTfliteSoftmax,
        &ops::kTranspose,
    };
    std::sort(all.begin(), all.end(),
              [](const OpDef* a, const OpDef* b) { return a->name < b->name; });
    return all;
  }();
  return kAll;
}

const OpDef* FindOp(std::string_view name) {
  for (const OpDef* def : AllOps()) {
    if (def->name == name) return def;
  }
  return nullptr;
}

const Tensor& OpContext::In(std::size_t i) const {
  if (!HasIn(i)) throw Error(node.Label() + ": input " + std::to_string(i) + " is absent");
  return *inputs[i];
}

}  // namespace qsa::golden
