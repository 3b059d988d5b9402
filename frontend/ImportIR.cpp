// ModelGraph -> ssm IR. The emitted IR keeps one invariant the schedule
// builder relies on: in @prefill a dynamic dimension at index 0 is the batch
// and at index 1 the sequence length; in @decode index 0 is the batch.
#include "frontend/ImportIR.h"

#include "dialects/SSM/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace ssmc::frontend {

std::string convStateName(size_t layer) {
  return "layers." + std::to_string(layer) + ".conv_state";
}
std::string ssmStateName(size_t layer) {
  return "layers." + std::to_string(layer) + ".ssm_state";
}

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

// Emits ops into one entry function; `lead` are the leading (batch, and for
// prefill sequence) dims as SSA values, used for dynamic slice sizes.
class BlockBuilder {
public:
  BlockBuilder(OpBuilder &b, Location loc, SmallVector<Value> lead)
      : b(b), loc(loc), lead(std::move(lead)) {}

  RankedTensorType act(ArrayRef<int64_t> tail) {
    SmallVector<int64_t> shape(lead.size(), kDyn);
    shape.append(tail.begin(), tail.end());
    return RankedTensorType::get(shape, b.getF32Type());
  }

  Value weight(const std::string &name, ArrayRef<int64_t> shape,
               StringRef transform = {}) {
    auto op = ssm::WeightOp::create(b, 
        loc, RankedTensorType::get(shape, b.getF32Type()), b.getStringAttr(name),
        transform.empty() ? StringAttr() : b.getStringAttr(transform));
    return op.getResult();
  }

  Value optionalWeight(const LayerSpec &layer, const char *role,
                       ArrayRef<int64_t> shape) {
    auto it = layer.weights.find(role);
    return it == layer.weights.end() ? Value() : weight(it->second, shape);
  }

  Value linear(Value x, const std::string &w, int64_t n, int64_t k,
               Value bias = {}) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(type.getShape().drop_back());
    shape.push_back(n);
    return ssm::LinearOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()),
                                   x, weight(w, {n, k}), bias);
  }

  // x[..., offset : offset + size] along the last dimension.
  Value slice(Value x, int64_t offset, int64_t size) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t i = 0; i < rank - 1; ++i)
      sizes.push_back(type.isDynamicDim(i) ? OpFoldResult(lead[i])
                                           : b.getIndexAttr(type.getDimSize(i)));
    offsets.back() = b.getIndexAttr(offset);
    sizes.push_back(b.getIndexAttr(size));
    return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  }

  // Splits the last dimension into [outer, inner].
  Value splitLast(Value x, int64_t outer, int64_t inner) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> shape(type.getShape().drop_back());
    shape.append({outer, inner});
    SmallVector<ReassociationIndices> groups;
    for (int64_t i = 0; i < rank - 1; ++i)
      groups.push_back({i});
    groups.push_back({rank - 1, rank});
    SmallVector<OpFoldResult> outShape;
    for (int64_t i = 0; i < rank + 1; ++i)
      outShape.push_back(ShapedType::isDynamic(shape[i]) ? OpFoldResult(lead[i])
                                                         : b.getIndexAttr(shape[i]));
    return tensor::ExpandShapeOp::create(b, 
        loc, RankedTensorType::get(shape, type.getElementType()), x, groups,
        outShape);
  }

  // Merges the last two dimensions.
  Value mergeLast(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    SmallVector<ReassociationIndices> groups;
    for (int64_t i = 0; i < rank - 2; ++i)
      groups.push_back({i});
    groups.push_back({rank - 2, rank - 1});
    return tensor::CollapseShapeOp::create(b, loc, x, groups);
  }

  Value rmsNorm(Value x, const std::string &w, int64_t d, float eps) {
    return ssm::RMSNormOp::create(b, loc, x.getType(), Type(), x, weight(w, {d}), Value(),
                                  b.getF32FloatAttr(eps))
        .getResult();
  }

  Value add(Value a, Value c) { return arith::AddFOp::create(b, loc, a, c); }

  OpBuilder &b;
  Location loc;
  SmallVector<Value> lead;
};

struct MixerState {
  Value out, convState, ssmState;
};

// Mamba-1 mixer over [lead..., d], continuing from the states `convIn` and
// `ssmIn`: a decode step, or a prefill over a sequence.
MixerState mamba1(BlockBuilder &bb, const LayerSpec &l, int64_t d, Value h, bool decode,
                  Value convIn, Value ssmIn) {
  OpBuilder &b = bb.b;
  const auto &w = l.weights;
  int64_t e = l.d_inner, n = l.d_state, r = l.dt_rank, width = l.d_conv;
  Value xz = bb.linear(h, w.at("in_proj"), 2 * e, d,
                       bb.optionalWeight(l, "in_proj_bias", {2 * e}));
  Value x = bb.slice(xz, 0, e), z = bb.slice(xz, e, e);
  Value convW = bb.weight(w.at("conv_weight"), {e, width});
  Value convB = bb.optionalWeight(l, "conv_bias", {e});
  MixerState s;
  Value xc;
  if (decode) {
    auto conv = ssm::ConvStateUpdateOp::create(b, bb.loc, x.getType(), convIn.getType(),
                                                 x, convIn, convW, convB,
                                                 b.getUnitAttr());
    xc = conv.getOutput();
    s.convState = conv.getNewState();
  } else {
    auto conv = ssm::CausalConv1dOp::create(
        b, bb.loc, x.getType(), RankedTensorType::get({kDyn, e, width}, b.getF32Type()),
        x, convW, convB, convIn, b.getUnitAttr());
    xc = conv.getOutput();
    s.convState = conv.getFinalState();
  }
  Value xdbl = bb.linear(xc, w.at("x_proj"), r + 2 * n, e);
  Value dtIn = bb.slice(xdbl, 0, r);
  Value B = bb.splitLast(bb.slice(xdbl, r, n), 1, n);
  Value C = bb.splitLast(bb.slice(xdbl, r + n, n), 1, n);
  Value dt = bb.linear(dtIn, w.at("dt_proj_weight"), e, r);
  Value A = bb.weight(w.at("A_log"), {e, n}, "neg_exp");
  Value D = bb.weight(w.at("D"), {e});
  Value dtBias = bb.weight(w.at("dt_proj_bias"), {e});
  auto ssmType = RankedTensorType::get({kDyn, e, n}, b.getF32Type());
  Value y;
  if (decode) {
    auto step = ssm::SelectiveStateUpdateOp::create(b, 
        bb.loc, xc.getType(), ssmType, ssmIn, xc, dt, A, B, C, D, z, dtBias, Value(),
        b.getUnitAttr(), b.getF32FloatAttr(0.0f),
        b.getF32FloatAttr(std::numeric_limits<float>::infinity()));
    y = step.getY();
    s.ssmState = step.getNewState();
  } else {
    auto scan = ssm::SelectiveScanOp::create(b, bb.loc, xc.getType(), ssmType, xc, dt,
                                               A, B, C, D, z, dtBias, ssmIn,
                                               b.getUnitAttr());
    y = scan.getY();
    s.ssmState = scan.getFinalState();
  }
  s.out = bb.linear(y, w.at("out_proj"), d, e,
                    bb.optionalWeight(l, "out_proj_bias", {d}));
  return s;
}

// Mamba-2 mixer over [lead..., d], as mamba1.
MixerState mamba2(BlockBuilder &bb, const LayerSpec &l, int64_t d, Value h, bool decode,
                  Value convIn, Value ssmIn) {
  OpBuilder &b = bb.b;
  const auto &w = l.weights;
  int64_t e = l.d_inner, n = l.d_state, g = l.n_groups, heads = l.n_heads,
          p = l.head_dim, width = l.d_conv;
  int64_t convDim = e + 2 * g * n;
  Value zxbcdt = bb.linear(h, w.at("in_proj"), e + convDim + heads, d,
                           bb.optionalWeight(l, "in_proj_bias", {e + convDim + heads}));
  Value z = bb.slice(zxbcdt, 0, e);
  Value xBC = bb.slice(zxbcdt, e, convDim);
  Value dt = bb.slice(zxbcdt, e + convDim, heads);
  Value convW = bb.weight(w.at("conv_weight"), {convDim, width});
  Value convB = bb.optionalWeight(l, "conv_bias", {convDim});
  auto convStateType = RankedTensorType::get({kDyn, convDim, width}, b.getF32Type());
  MixerState s;
  Value xc;
  if (decode) {
    auto conv = ssm::ConvStateUpdateOp::create(b, bb.loc, xBC.getType(), convStateType,
                                                 xBC, convIn, convW, convB,
                                                 b.getUnitAttr());
    xc = conv.getOutput();
    s.convState = conv.getNewState();
  } else {
    auto conv = ssm::CausalConv1dOp::create(b, bb.loc, xBC.getType(), convStateType,
                                              xBC, convW, convB, convIn,
                                              b.getUnitAttr());
    xc = conv.getOutput();
    s.convState = conv.getFinalState();
  }
  Value x = bb.splitLast(bb.slice(xc, 0, e), heads, p);
  Value B = bb.splitLast(bb.slice(xc, e, g * n), g, n);
  Value C = bb.splitLast(bb.slice(xc, e + g * n, g * n), g, n);
  Value A = bb.weight(w.at("A_log"), {heads}, "neg_exp");
  Value D = bb.weight(w.at("D"), {heads});
  Value dtBias = bb.weight(w.at("dt_bias"), {heads});
  auto ssmType = RankedTensorType::get({kDyn, heads, p, n}, b.getF32Type());
  Value y;
  if (decode) {
    auto step = ssm::SelectiveStateUpdateOp::create(b, 
        bb.loc, x.getType(), ssmType, ssmIn, x, dt, A, B, C, D, Value(), dtBias, Value(),
        b.getUnitAttr(), b.getF32FloatAttr(l.dt_min), b.getF32FloatAttr(l.dt_max));
    y = step.getY();
    s.ssmState = step.getNewState();
  } else {
    auto scan = ssm::SSDOp::create(b, 
        bb.loc, x.getType(), ssmType, x, dt, A, B, C, D, Value(), dtBias, ssmIn,
        b.getI64IntegerAttr(l.chunk_size), b.getUnitAttr(),
        b.getF32FloatAttr(l.dt_min), b.getF32FloatAttr(l.dt_max));
    y = scan.getY();
    s.ssmState = scan.getFinalState();
  }
  Value yFlat = bb.mergeLast(y);
  Value normed = ssm::GatedRMSNormOp::create(b, 
      bb.loc, yFlat.getType(), yFlat, z, bb.weight(w.at("gated_norm"), {e}),
      b.getI64IntegerAttr(e / g), b.getBoolAttr(l.norm_before_gate),
      b.getF32FloatAttr(l.norm_eps));
  s.out = bb.linear(normed, w.at("out_proj"), d, e,
                    bb.optionalWeight(l, "out_proj_bias", {d}));
  return s;
}

SmallVector<int64_t> convStateShape(const LayerSpec &l) {
  int64_t channels = l.kind == MixerKind::Mamba1
                         ? l.d_inner
                         : l.d_inner + 2 * l.n_groups * l.d_state;
  return {kDyn, channels, l.d_conv};
}
SmallVector<int64_t> ssmStateShape(const LayerSpec &l) {
  if (l.kind == MixerKind::Mamba1)
    return {kDyn, l.d_inner, l.d_state};
  return {kDyn, l.n_heads, l.head_dim, l.d_state};
}

// The residual stream shared by prefill and decode, each continuing from
// the states `stateArgs` (conv, ssm per layer).
struct Stack {
  Value logits;
  SmallVector<Value> states; // conv, ssm per layer
};

Stack buildStack(BlockBuilder &bb, const ModelGraph &g, Value tokens, bool decode,
                 ArrayRef<Value> stateArgs) {
  OpBuilder &b = bb.b;
  int64_t d = g.d_model, vocab = g.padded_vocab_size;
  Value h = ssm::EmbeddingOp::create(b, bb.loc, bb.act({d}), tokens,
                                       bb.weight(g.embedding, {vocab, d}));
  Value residual;
  Stack out;
  for (auto [i, layer] : llvm::enumerate(g.layers)) {
    residual = residual ? bb.add(residual, h) : h;
    Value normed = bb.rmsNorm(residual, layer.weights.at("norm"), d, layer.norm_eps);
    Value convIn = stateArgs[2 * i], ssmIn = stateArgs[2 * i + 1];
    MixerState s = layer.kind == MixerKind::Mamba1
                       ? mamba1(bb, layer, d, normed, decode, convIn, ssmIn)
                       : mamba2(bb, layer, d, normed, decode, convIn, ssmIn);
    h = s.out;
    out.states.append({s.convState, s.ssmState});
  }
  residual = residual ? bb.add(residual, h) : h;
  Value normed = bb.rmsNorm(residual, g.final_norm, d, g.norm_eps);
  out.logits = bb.linear(normed, g.lm_head, vocab, d);
  return out;
}

void buildEntry(OpBuilder &b, Location loc, const ModelGraph &g, bool decode) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Type> argTypes;
  SmallVector<int64_t> tokenShape = decode ? SmallVector<int64_t>{kDyn}
                                           : SmallVector<int64_t>{kDyn, kDyn};
  argTypes.push_back(RankedTensorType::get(tokenShape, b.getI32Type()));
  SmallVector<Type> stateTypes;
  for (const LayerSpec &l : g.layers) {
    stateTypes.push_back(RankedTensorType::get(convStateShape(l), b.getF32Type()));
    stateTypes.push_back(RankedTensorType::get(ssmStateShape(l), b.getF32Type()));
  }
  // Both read the state: prefill continues a sequence from it (the runtime
  // zeroes it for a fresh prompt), decode steps it.
  argTypes.append(stateTypes);
  SmallVector<int64_t> logitsShape(tokenShape);
  logitsShape.push_back(g.padded_vocab_size);
  SmallVector<Type> resultTypes{RankedTensorType::get(logitsShape, b.getF32Type())};
  resultTypes.append(stateTypes);

  auto func = func::FuncOp::create(b, loc, decode ? "decode" : "prefill",
                                     FunctionType::get(ctx, argTypes, resultTypes));
  SmallVector<std::string> names{"logits"};
  for (size_t i = 0; i < g.layers.size(); ++i)
    names.append({convStateName(i), ssmStateName(i)});
  for (auto [i, name] : llvm::enumerate(names))
    func.setResultAttr(i, "ssm.name", b.getStringAttr(name));
  func.setArgAttr(0, "ssm.name", b.getStringAttr("tokens"));
  for (size_t i = 1; i < names.size(); ++i)
    func.setArgAttr(i, "ssm.name", b.getStringAttr(names[i]));

  OpBuilder::InsertionGuard guard(b);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0);
  SmallVector<Value> lead;
  for (int64_t i = 0; i < static_cast<int64_t>(tokenShape.size()); ++i)
    lead.push_back(tensor::DimOp::create(b, loc, tokens, i));
  BlockBuilder bb(b, loc, lead);
  SmallVector<Value> stateArgs(entry->args_begin() + 1, entry->args_end());
  Stack stack = buildStack(bb, g, tokens, decode, stateArgs);
  SmallVector<Value> results{stack.logits};
  results.append(stack.states);
  func::ReturnOp::create(b, loc, results);
}

} // namespace

OwningOpRef<ModuleOp> buildModelIR(MLIRContext &context, const ModelGraph &graph) {
  context.loadDialect<ssm::SSMDialect, func::FuncDialect, tensor::TensorDialect,
                      arith::ArithDialect>();
  Location loc = FileLineColLoc::get(&context, graph.source, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(&context);
  b.setInsertionPointToEnd(module->getBody());
  buildEntry(b, loc, graph, /*decode=*/false);
  buildEntry(b, loc, graph, /*decode=*/true);
  return module;
}

} // namespace ssmc::frontend
