// ssm-build-cpu-schedule: turns the tensor-level entry functions into the
// runtime's plan (docs/artifact-format.md): buffers, views and ordered steps.
// Slices and reshapes become views of their source, so the only copies the
// plan ever makes are the ones a kernel writes.
#include "dialects/SSM/SSMOps.h"
#include "passes/FusedProjection.h"
#include "passes/Passes.h"
#include "passes/cpu/SizeExpr.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/MapVector.h"

#include <nlohmann/json.hpp>

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMBUILDCPUSCHEDULE
#include "passes/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;
using json = nlohmann::json;

namespace {

json toJson(const SizeExpr &e) {
  if (e.isConstant())
    return e.coeff;
  return e.str();
}

// Elements of a buffer or weight, as the runtime will address them.
struct View {
  int buffer = -1;    // >= 0: a buffer of the entry point
  std::string weight; // otherwise: a weight key
  SizeExpr offset = SizeExpr::constant(0);
  SmallVector<SizeExpr> shape, strides;

  json toJson() const {
    json j;
    if (buffer >= 0)
      j["buffer"] = buffer;
    else
      j["weight"] = weight;
    j["offset"] = ::toJson(offset);
    j["shape"] = json::array();
    j["strides"] = json::array();
    for (const SizeExpr &s : shape)
      j["shape"].push_back(::toJson(s));
    for (const SizeExpr &s : strides)
      j["strides"].push_back(::toJson(s));
    return j;
  }
};

SmallVector<SizeExpr> contiguousStrides(ArrayRef<SizeExpr> shape) {
  SmallVector<SizeExpr> strides(shape.size(), SizeExpr::constant(1));
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string dtypeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isSignlessInteger(32))
    return "i32";
  if (t.isSignlessInteger(64))
    return "i64";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  return "unsupported";
}

// Plans one entry function.
class EntryPlanner {
public:
  EntryPlanner(func::FuncOp func, json &weights, json &states)
      : func(func), prefill(func.getName() == "prefill"), weights(weights),
        states(states) {}

  FailureOr<json> plan() {
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    for (auto [i, v] : llvm::enumerate(ret.getOperands()))
      if (auto name = func.getResultAttrOfType<StringAttr>(i, "ssm.name"))
        returned[v] = name.getValue().str();

    for (BlockArgument arg : body.getArguments()) {
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "ssm.name");
      if (!name)
        return fail(func, "entry argument #" + std::to_string(arg.getArgNumber()) +
                              " has no 'ssm.name'");
      FailureOr<View> view = arg.getArgNumber() == 0
                                 ? newBuffer(arg, "input", name.getValue().str())
                                 : newBuffer(arg, "state", name.getValue().str());
      if (failed(view))
        return failure();
      views[arg] = *view;
    }

    for (Operation &op : body.without_terminator())
      if (failed(planOp(&op)))
        return failure();

    for (auto [linear, step] : fusedGemms)
      if (failed(planFusedGemm(linear, step)))
        return failure();

    for (auto &[value, name] : returned)
      if (!views.count(value) || !boundToOutput.count(value))
        return fail(ret, "returned value '" + name +
                             "' is not the result of a compute op");

    json entry;
    entry["symbols"] = prefill ? json{"B", "L"} : json{"B"};
    // Whether the entry continues from the state it finds (decode always;
    // prefill when the frontend passes the state in).
    entry["reads_state"] = body.getNumArguments() > 1;
    entry["buffers"] = buffers;
    entry["steps"] = steps;
    return entry;
  }

private:
  LogicalResult fail(Operation *op, const std::string &message) {
    op->emitError() << message;
    return failure();
  }

  FailureOr<SizeExpr> dimExpr(Operation *at, RankedTensorType type, unsigned i) {
    if (!type.isDynamicDim(i))
      return SizeExpr::constant(type.getDimSize(i));
    if (i == 0)
      return SizeExpr::batch();
    if (i == 1 && prefill)
      return SizeExpr::length();
    at->emitError() << "dynamic dimension #" << i << " of " << type
                    << " is neither the batch nor the sequence length";
    return failure();
  }

  FailureOr<SmallVector<SizeExpr>> shapeOf(Operation *at, Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<SizeExpr> shape;
    for (unsigned i = 0; i < type.getRank(); ++i) {
      FailureOr<SizeExpr> d = dimExpr(at, type, i);
      if (failed(d))
        return failure();
      shape.push_back(*d);
    }
    return shape;
  }

  // A fresh buffer for `v`. State buffers take shape and dtype from the
  // top-level state list; prefill declares those entries.
  FailureOr<View> newBuffer(Value v, const std::string &kind,
                            const std::string &name) {
    Operation *at = v.getDefiningOp() ? v.getDefiningOp() : func.getOperation();
    FailureOr<SmallVector<SizeExpr>> shape = shapeOf(at, v);
    if (failed(shape))
      return failure();
    json buffer{{"id", static_cast<int>(buffers.size())}, {"kind", kind}};
    if (!name.empty())
      buffer["name"] = name;
    if (kind == "state") {
      json shapeJson = json::array();
      for (const SizeExpr &s : *shape)
        shapeJson.push_back(toJson(s));
      json entry{{"name", name}, {"dtype", dtypeName(elementType(v))},
                 {"shape", shapeJson}};
      auto known = std::find_if(states.begin(), states.end(),
                                [&](const json &s) { return s["name"] == name; });
      if (known == states.end())
        states.push_back(entry);
      else if (*known != entry)
        return fail(at, "state '" + name + "' has different shapes in the entry points");
    } else {
      buffer["dtype"] = dtypeName(elementType(v));
      buffer["shape"] = json::array();
      for (const SizeExpr &s : *shape)
        buffer["shape"].push_back(toJson(s));
    }
    View view;
    view.buffer = static_cast<int>(buffers.size());
    view.shape = *shape;
    view.strides = contiguousStrides(*shape);
    buffers.push_back(buffer);
    return view;
  }

  static Type elementType(Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  }

  // Where the result `v` of a compute op lives: an output, a state (in place
  // when it replaces the state operand it was computed from), or a temp.
  FailureOr<View> resultBuffer(Operation *op, Value v) {
    auto it = returned.find(v);
    if (it == returned.end())
      return newBuffer(v, "temp", "");
    boundToOutput.insert(v);
    const std::string &name = it->second;
    if (name == "logits")
      return newBuffer(v, "output", name);
    for (Value operand : op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      if (!arg || arg.getOwner()->getParentOp() != func)
        continue;
      auto argName = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "ssm.name");
      if (!argName || argName.getValue() != name)
        continue;
      if (!arg.hasOneUse())
        return fail(op, "state '" + name +
                            "' is updated in place but read by more than one op");
      return views.lookup(arg);
    }
    return newBuffer(v, "state", name);
  }

  FailureOr<View> viewOf(Operation *op, Value v) {
    auto it = views.find(v);
    if (it == views.end()) {
      op->emitError() << "operand has no planned buffer (unsupported producer)";
      return failure();
    }
    return it->second;
  }

  LogicalResult planOp(Operation *op) {
    if (!llvm::any_of(op->getResultTypes(), llvm::IsaPred<RankedTensorType>))
      return success(); // index arithmetic, tensor.dim: nothing to plan
    if (auto w = dyn_cast<WeightOp>(op))
      return planWeight(w);
    if (auto s = dyn_cast<tensor::ExtractSliceOp>(op))
      return planSlice(s);
    if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
      return planExpand(e);
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
      return planCollapse(c);
    if (auto kernel = op->getAttrOfType<FlatSymbolRefAttr>("ssm.kernel"))
      return planKernel(op, kernel.getValue());
    if (auto linear = dyn_cast<LinearOp>(op))
      return planGemm(linear);
    return fail(op, "no CPU lowering for '" + op->getName().getStringRef().str() +
                        "' (run ssm-outline-cpu-kernels first)");
  }

  LogicalResult planWeight(WeightOp op) {
    std::string key = op.getName().str();
    if (auto t = op.getTransform())
      key += ":" + t->str();
    json shape = json::array();
    for (int64_t d : op.getType().getShape())
      shape.push_back(d);
    auto known = std::find_if(weights.begin(), weights.end(),
                              [&](const json &w) { return w["key"] == key; });
    if (known == weights.end()) {
      json w{{"key", key}, {"name", op.getName().str()}, {"shape", shape}};
      if (auto t = op.getTransform())
        w["transform"] = t->str();
      weights.push_back(w);
    }
    View view;
    view.weight = key;
    for (int64_t d : op.getType().getShape())
      view.shape.push_back(SizeExpr::constant(d));
    view.strides = contiguousStrides(view.shape);
    views[op.getResult()] = view;
    return success();
  }

  LogicalResult planSlice(tensor::ExtractSliceOp op) {
    FailureOr<View> src = viewOf(op, op.getSource());
    if (failed(src))
      return failure();
    if (op.getType().getRank() != op.getSourceType().getRank())
      return fail(op, "rank-reducing slices are not supported");
    if (llvm::any_of(op.getStaticOffsets(), ShapedType::isDynamic))
      return fail(op, "slice offsets must be static");
    if (llvm::any_of(op.getStaticStrides(), ShapedType::isDynamic))
      return fail(op, "slice strides must be static");
    FailureOr<SmallVector<SizeExpr>> shape = shapeOf(op, op.getResult());
    if (failed(shape))
      return failure();
    View view = *src;
    view.shape = *shape;
    for (auto [i, off] : llvm::enumerate(op.getStaticOffsets())) {
      std::optional<SizeExpr> sum =
          view.offset.plus(src->strides[i] * SizeExpr::constant(off));
      if (!sum)
        return fail(op, "slice offset is not a single product of sizes");
      view.offset = *sum;
      view.strides[i] = src->strides[i] * SizeExpr::constant(op.getStaticStrides()[i]);
    }
    views[op.getResult()] = view;
    return success();
  }

  LogicalResult planExpand(tensor::ExpandShapeOp op) {
    FailureOr<View> src = viewOf(op, op.getSrc());
    if (failed(src))
      return failure();
    FailureOr<SmallVector<SizeExpr>> shape = shapeOf(op, op.getResult());
    if (failed(shape))
      return failure();
    View view = *src;
    view.shape = *shape;
    view.strides.assign(shape->size(), SizeExpr::constant(0));
    for (auto [srcDim, group] : llvm::enumerate(op.getReassociationIndices())) {
      SizeExpr stride = src->strides[srcDim];
      for (int64_t d : llvm::reverse(group)) {
        view.strides[d] = stride;
        stride = stride * (*shape)[d];
      }
    }
    views[op.getResult()] = view;
    return success();
  }

  LogicalResult planCollapse(tensor::CollapseShapeOp op) {
    FailureOr<View> src = viewOf(op, op.getSrc());
    if (failed(src))
      return failure();
    View view = *src;
    view.shape.clear();
    view.strides.clear();
    for (const ReassociationIndices &group : op.getReassociationIndices()) {
      SizeExpr size = SizeExpr::constant(1);
      for (size_t k = 0; k + 1 < group.size(); ++k)
        if (!(src->strides[group[k]] ==
              src->strides[group[k + 1]] * src->shape[group[k + 1]]))
          return fail(op, "collapsed dimensions are not contiguous in memory");
      for (int64_t d : group)
        size = size * src->shape[d];
      view.shape.push_back(size);
      view.strides.push_back(src->strides[group.back()]);
    }
    views[op.getResult()] = view;
    return success();
  }

  LogicalResult planKernel(Operation *op, StringRef symbol) {
    json args = json::array();
    for (Value operand : op->getOperands()) {
      FailureOr<View> v = viewOf(op, operand);
      if (failed(v))
        return failure();
      args.push_back(v->toJson());
    }
    for (Value result : op->getResults()) {
      FailureOr<View> v = resultBuffer(op, result);
      if (failed(v))
        return failure();
      views[result] = *v;
      args.push_back(v->toJson());
    }
    stepOf[op] = static_cast<int>(steps.size());
    steps.push_back({{"op", "kernel"}, {"symbol", symbol.str()},
                     {"source", op->getName().getStringRef().str()}, {"args", args}});
    return success();
  }

  // y[m, n] = x[m, k] w[n, k]^T: x's leading dims must fold into m rows.
  LogicalResult planGemm(LinearOp op) {
    FailureOr<View> x = viewOf(op, op.getInput());
    FailureOr<View> w = viewOf(op, op.getWeight());
    if (failed(x) || failed(w))
      return failure();
    size_t rank = x->shape.size();
    if (!(x->strides.back() == SizeExpr::constant(1)))
      return fail(op, "GEMM input must have unit stride along K");
    SizeExpr m = SizeExpr::constant(1);
    for (size_t i = 0; i + 1 < rank; ++i) {
      m = m * x->shape[i];
      if (i + 2 < rank && !(x->strides[i] == x->strides[i + 1] * x->shape[i + 1]))
        return fail(op, "GEMM input rows are not uniformly strided");
    }
    SizeExpr lda = rank >= 2 ? x->strides[rank - 2] : x->shape.back();
    FailureOr<View> y = resultBuffer(op, op.getResult());
    if (failed(y))
      return failure();
    views[op.getResult()] = *y;
    int64_t n = op.getWeight().getType().getDimSize(0);
    int64_t k = op.getWeight().getType().getDimSize(1);
    auto matrix = [](const View &v, SizeExpr rows, SizeExpr cols, SizeExpr ld) {
      View flat = v;
      flat.shape = {rows, cols};
      flat.strides = {ld, SizeExpr::constant(1)};
      return flat.toJson();
    };
    json step{{"op", "gemm"}, {"m", toJson(m)}, {"n", n}, {"k", k},
              {"a", matrix(*x, m, SizeExpr::constant(k), lda)},
              {"b", w->toJson()},
              {"c", matrix(*y, m, SizeExpr::constant(n), SizeExpr::constant(n))}};
    if (Value bias = op.getBias()) {
      FailureOr<View> b = viewOf(op, bias);
      if (failed(b))
        return failure();
      step["bias"] = b->toJson();
    }
    if (op->hasAttr(kFusedGemvAttr))
      fusedGemms.push_back({op, static_cast<int>(steps.size())});
    steps.push_back(step);
    return success();
  }

  // The gemm step of a linear the GPU outliner fused with its norm and conv
  // (passes/FusedProjection.h) says which steps its kernels replace and
  // what they read and write: x, g, [r], [bias], conv state, conv weight,
  // [conv bias], c, [sum], conv output, new conv state.
  LogicalResult planFusedGemm(LinearOp linear, int step) {
    std::optional<FusedProjection> match = matchFusedProjection(linear);
    auto family = linear->getAttrOfType<StringAttr>(kFusedGemvAttr);
    if (!match || !family)
      return fail(linear, "'" + kFusedGemvAttr.str() +
                              "' on a linear that is not a fusable in_proj");
    auto norm = stepOf.find(match->norm), conv = stepOf.find(match->conv);
    if (norm == stepOf.end() || conv == stepOf.end() || norm->second != step - 1 ||
        conv->second != step + 1)
      return fail(linear, "the fused norm, linear and conv are not consecutive steps");
    SmallVector<Value> values{match->norm.getInput(), match->norm.getWeight()};
    if (Value r = match->norm.getResidual())
      values.push_back(r);
    if (Value bias = linear.getBias())
      values.push_back(bias);
    values.append({match->conv.getConvState(), match->conv.getWeight()});
    if (Value bias = match->conv.getBias())
      values.push_back(bias);
    values.push_back(linear.getResult());
    if (Value sum = match->norm.getSum())
      values.push_back(sum);
    values.append({match->conv.getOutput(), match->conv.getNewState()});
    json args = json::array();
    for (Value v : values) {
      FailureOr<View> view = viewOf(linear, v);
      if (failed(view))
        return failure();
      args.push_back(view->toJson());
    }
    steps[step]["fused"] = {{"family", family.getValue().str()},
                            {"first", step - 1},
                            {"last", step + 1},
                            {"args", args}};
    return success();
  }

  func::FuncOp func;
  bool prefill;
  json &weights;
  json &states;
  json buffers = json::array();
  json steps = json::array();
  DenseMap<Value, View> views;
  DenseMap<Operation *, int> stepOf; // kernel steps
  SmallVector<std::pair<LinearOp, int>> fusedGemms;
  llvm::MapVector<Value, std::string> returned;
  DenseSet<Value> boundToOutput;
};

struct SSMBuildCpuSchedulePass
    : ssm::impl::SSMBuildCpuScheduleBase<SSMBuildCpuSchedulePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    json weights = json::array(), states = json::array();
    json entries = json::object();
    SmallVector<func::FuncOp> planned;
    for (StringRef name : {"prefill", "decode"}) {
      auto func = module.lookupSymbol<func::FuncOp>(name);
      if (!func)
        continue;
      FailureOr<json> entry = EntryPlanner(func, weights, states).plan();
      if (failed(entry))
        return signalPassFailure();
      entries[name.str()] = *entry;
      planned.push_back(func);
    }
    if (planned.empty()) {
      module.emitError() << "no entry function (@prefill or @decode) to schedule";
      return signalPassFailure();
    }
    json schedule{{"weights", weights}, {"state", states}, {"entry_points", entries}};
    module->setAttr("ssm.schedule",
                    StringAttr::get(&getContext(), schedule.dump()));
    for (func::FuncOp func : planned)
      func.erase();
  }
};

} // namespace
