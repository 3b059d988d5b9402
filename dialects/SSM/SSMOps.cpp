// Verifiers of the ssm ops. Every message names the operand by its role so a
// user reading a diagnostic knows which tensor of the model is wrong.
#include "dialects/SSM/SSMOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr int64_t kAny = ShapedType::kDynamic;

// Shape and element-type checks shared by all verifiers.
class OperandChecker {
public:
  explicit OperandChecker(Operation *op) : op(op) {}

  // `v` must have rank dims.size() and each static entry of `dims` must equal
  // the corresponding static extent of `v`. `dimNames` documents the layout.
  LogicalResult shape(Value v, StringRef role, ArrayRef<int64_t> dims,
                      StringRef dimNames) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != static_cast<int64_t>(dims.size()))
      return op->emitOpError() << kindOf(v) << " '" << role << "' must have rank "
                               << dims.size() << " " << dimNames << ", got "
                               << type;
    for (auto [i, want] : llvm::enumerate(dims)) {
      int64_t have = type.getDimSize(i);
      if (want != kAny && have != kAny && want != have)
        return op->emitOpError()
               << kindOf(v) << " '" << role << "' must have shape " << dimNames
               << " = " << render(dims) << ", got " << type;
    }
    return success();
  }

  // Activations: f32, f16 or bf16.
  LogicalResult activation(Value v, StringRef role) {
    Type e = elementType(v);
    if (e.isF32() || e.isF16() || e.isBF16())
      return success();
    return op->emitOpError() << kindOf(v) << " '" << role
                             << "' must have f32, f16 or bf16 elements, got "
                             << e;
  }

  // Parameters that stay f32 whatever the activation type (A, D, biases, state).
  LogicalResult f32(Value v, StringRef role) {
    if (elementType(v).isF32())
      return success();
    return op->emitOpError() << kindOf(v) << " '" << role
                             << "' must have f32 elements, got "
                             << elementType(v);
  }

  LogicalResult sameElementType(Value v, StringRef role, Value ref,
                                StringRef refRole) {
    if (elementType(v) == elementType(ref))
      return success();
    return op->emitOpError() << kindOf(v) << " '" << role
                             << "' must have the element type of '" << refRole
                             << "' (" << elementType(ref) << "), got "
                             << elementType(v);
  }

  LogicalResult positive(int64_t value, StringRef attr) {
    if (value > 0)
      return success();
    return op->emitOpError() << "attribute '" << attr
                             << "' must be positive, got " << value;
  }

  // `group` (a static extent or kAny) must divide `total`.
  LogicalResult divides(int64_t group, int64_t total, StringRef what) {
    if (group == kAny || total == kAny || (group > 0 && total % group == 0))
      return success();
    return op->emitOpError() << what << ": " << group << " does not divide "
                             << total;
  }

  static Type elementType(Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  }
  static int64_t dim(Value v, unsigned i) {
    auto type = cast<RankedTensorType>(v.getType());
    return i < type.getRank() ? type.getDimSize(i) : kAny;
  }

private:
  static StringRef kindOf(Value v) {
    return isa<OpResult>(v) ? "result" : "operand";
  }
  static std::string render(ArrayRef<int64_t> dims) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "[";
    llvm::interleaveComma(dims, os, [&](int64_t d) {
      if (d == kAny)
        os << "?";
      else
        os << d;
    });
    os << "]";
    return s;
  }

  Operation *op;
};

// Runs `check` on `v` only when the optional operand is present.
template <typename Fn>
LogicalResult ifPresent(Value v, Fn &&check) {
  return v ? check(v) : success();
}

// The dt handling shared by ssd and selective_state_update.
LogicalResult verifyDtLimits(Operation *op, float dtMin, float dtMax) {
  if (dtMin < 0.0f || !(dtMin <= dtMax))
    return op->emitOpError() << "requires 0 <= dt_min <= dt_max, got dt_min = "
                             << dtMin << ", dt_max = " << dtMax;
  return success();
}

// A convolution with no taps has no defined output (weight is [C, W]).
LogicalResult verifyConvWidth(Operation *op, Value weight) {
  int64_t w = OperandChecker::dim(weight, 1);
  if (w == kAny || w > 0)
    return success();
  return op->emitOpError()
         << "operand 'weight' must have a conv width W >= 1, got "
         << weight.getType();
}

} // namespace

//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "requires a non-empty weight name";
  auto type = getResult().getType();
  if (!type.hasStaticShape())
    return emitOpError() << "weight '" << getName()
                         << "' must have a static shape, got " << type;
  if (std::optional<StringRef> transform = getTransform()) {
    if (*transform != "neg_exp")
      return emitOpError() << "unknown transform '" << *transform
                           << "' (known: neg_exp)";
    if (!type.getElementType().isF32())
      return emitOpError() << "transform 'neg_exp' requires f32 elements, got "
                           << type.getElementType();
  }
  return success();
}

LogicalResult EmbeddingOp::verify() {
  OperandChecker c(*this);
  auto tokens = getTokens().getType();
  if (!tokens.getElementType().isSignlessInteger(32) &&
      !tokens.getElementType().isSignlessInteger(64))
    return emitOpError() << "operand 'tokens' must have i32 or i64 elements, got "
                         << tokens.getElementType();
  if (tokens.getRank() != 1 && tokens.getRank() != 2)
    return emitOpError() << "operand 'tokens' must have rank 1 [b] or 2 [b, L], got "
                         << tokens;
  if (failed(c.shape(getTable(), "table", {kAny, kAny}, "[V, d]")) ||
      failed(c.activation(getTable(), "table")))
    return failure();
  SmallVector<int64_t> want(tokens.getShape());
  want.push_back(OperandChecker::dim(getTable(), 1));
  return success(succeeded(c.shape(getResult(), "result", want,
                                   tokens.getRank() == 2 ? "[b, L, d]" : "[b, d]")) &&
                 succeeded(c.sameElementType(getResult(), "result", getTable(), "table")));
}

LogicalResult LinearOp::verify() {
  OperandChecker c(*this);
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError() << "operand 'input' must have rank >= 1, got " << input;
  if (failed(c.activation(getInput(), "input")) ||
      failed(c.shape(getWeight(), "weight", {kAny, input.getShape().back()},
                     "[N, K]")) ||
      failed(c.activation(getWeight(), "weight")))
    return failure();
  int64_t n = OperandChecker::dim(getWeight(), 0);
  if (failed(ifPresent(getBias(), [&](Value b) {
        return success(succeeded(c.shape(b, "bias", {n}, "[N]")) &&
                       succeeded(c.activation(b, "bias")));
      })))
    return failure();
  SmallVector<int64_t> want(input.getShape().drop_back());
  want.push_back(n);
  if (failed(c.shape(getResult(), "result", want, "[..., N]")) ||
      failed(c.activation(getResult(), "result")))
    return failure();
  for (auto [role, v] : {std::pair<StringRef, Value>{"input", getInput()},
                         {"weight", getWeight()}}) {
    if (llvm::is_contained(cast<RankedTensorType>(v.getType()).getShape(), 0))
      return emitOpError() << "operand '" << role
                           << "' has a zero-size dimension: " << v.getType();
  }
  return success();
}

LogicalResult RMSNormOp::verify() {
  OperandChecker c(*this);
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError() << "operand 'input' must have rank >= 1, got " << input;
  if (!(getEps().convertToFloat() > 0.0f)) // also rejects NaN
    return emitOpError() << "attribute 'eps' must be positive";
  if (bool(getResidual()) != bool(getSum()))
    return emitOpError() << (getSum() ? "has a 'sum' result but no 'residual' operand"
                                      : "has a 'residual' operand but no 'sum' result");
  if (getResidual() && (getResidual().getType() != input || getSum().getType() != input))
    return emitOpError() << "'residual' and 'sum' must have the input's type " << input
                         << ", got " << getResidual().getType() << " and "
                         << getSum().getType();
  return success(succeeded(c.activation(getInput(), "input")) &&
                 succeeded(c.shape(getWeight(), "weight",
                                   {input.getShape().back()}, "[d]")) &&
                 succeeded(c.activation(getWeight(), "weight")) &&
                 succeeded(c.shape(getResult(), "result", input.getShape(),
                                   "(the input's shape)")) &&
                 succeeded(c.activation(getResult(), "result")));
}

LogicalResult GatedRMSNormOp::verify() {
  OperandChecker c(*this);
  auto input = getInput().getType();
  if (input.getRank() < 1)
    return emitOpError() << "operand 'input' must have rank >= 1, got " << input;
  int64_t e = input.getShape().back();
  if (!(getEps().convertToFloat() > 0.0f)) // also rejects NaN
    return emitOpError() << "attribute 'eps' must be positive";
  return success(succeeded(c.activation(getInput(), "input")) &&
                 succeeded(c.shape(getGate(), "gate", input.getShape(),
                                   "(the input's shape)")) &&
                 succeeded(c.activation(getGate(), "gate")) &&
                 succeeded(c.shape(getWeight(), "weight", {e}, "[e]")) &&
                 succeeded(c.activation(getWeight(), "weight")) &&
                 succeeded(c.positive(getGroupSize(), "group_size")) &&
                 succeeded(c.divides(getGroupSize(), e,
                                     "group_size must divide the channel count")) &&
                 succeeded(c.shape(getResult(), "result", input.getShape(),
                                   "(the input's shape)")) &&
                 succeeded(c.activation(getResult(), "result")));
}

LogicalResult CausalConv1dOp::verify() {
  OperandChecker c(*this);
  Value x = getInput();
  if (failed(c.shape(x, "input", {kAny, kAny, kAny}, "[b, L, C]")) ||
      failed(c.activation(x, "input")))
    return failure();
  int64_t b = c.dim(x, 0), ch = c.dim(x, 2);
  if (failed(c.shape(getWeight(), "weight", {ch, kAny}, "[C, W]")) ||
      failed(c.activation(getWeight(), "weight")))
    return failure();
  if (failed(verifyConvWidth(*this, getWeight())))
    return failure();
  int64_t w = c.dim(getWeight(), 1);
  auto state = [&](Value v, StringRef role) {
    return success(succeeded(c.shape(v, role, {b, ch, w}, "[b, C, W]")) &&
                   succeeded(c.sameElementType(v, role, x, "input")));
  };
  return success(
      succeeded(ifPresent(getBias(), [&](Value v) {
        return success(succeeded(c.shape(v, "bias", {ch}, "[C]")) &&
                       succeeded(c.activation(v, "bias")));
      })) &&
      succeeded(ifPresent(getInitialState(),
                          [&](Value v) { return state(v, "initial_state"); })) &&
      succeeded(c.shape(getOutput(), "output", cast<RankedTensorType>(x.getType()).getShape(),
                        "[b, L, C]")) &&
      succeeded(c.sameElementType(getOutput(), "output", x, "input")) &&
      succeeded(ifPresent(getFinalState(),
                          [&](Value v) { return state(v, "final_state"); })));
}

LogicalResult SelectiveScanOp::verify() {
  OperandChecker c(*this);
  Value u = getU();
  if (failed(c.shape(u, "u", {kAny, kAny, kAny}, "[b, L, e]")) ||
      failed(c.activation(u, "u")))
    return failure();
  int64_t b = c.dim(u, 0), l = c.dim(u, 1), e = c.dim(u, 2);
  if (failed(c.shape(getA(), "A", {e, kAny}, "[e, N]")) ||
      failed(c.f32(getA(), "A")))
    return failure();
  int64_t n = c.dim(getA(), 1);
  if (failed(c.shape(getB(), "B", {b, l, kAny, n}, "[b, L, G, N]")) ||
      failed(c.activation(getB(), "B")))
    return failure();
  int64_t g = c.dim(getB(), 2);
  auto perChannel = [&](StringRef role) {
    return [this, &c, e, role](Value v) {
      return success(succeeded(c.shape(v, role, {e}, "[e]")) &&
                     succeeded(c.f32(v, role)));
    };
  };
  auto state = [&](Value v, StringRef role) {
    return success(succeeded(c.shape(v, role, {b, e, n}, "[b, e, N]")) &&
                   succeeded(c.f32(v, role)));
  };
  return success(
      succeeded(c.shape(getDelta(), "delta", {b, l, e}, "[b, L, e]")) &&
      succeeded(c.activation(getDelta(), "delta")) &&
      succeeded(c.shape(getC(), "C", {b, l, g, n}, "[b, L, G, N]")) &&
      succeeded(c.activation(getC(), "C")) &&
      succeeded(c.divides(g, e, "the group count G must divide the channel count e")) &&
      succeeded(ifPresent(getD(), perChannel("D"))) &&
      succeeded(ifPresent(getDeltaBias(), perChannel("delta_bias"))) &&
      succeeded(ifPresent(getZ(), [&](Value v) {
        return success(succeeded(c.shape(v, "z", {b, l, e}, "[b, L, e]")) &&
                       succeeded(c.activation(v, "z")));
      })) &&
      succeeded(ifPresent(getInitialState(),
                          [&](Value v) { return state(v, "initial_state"); })) &&
      succeeded(c.shape(getY(), "y", {b, l, e}, "[b, L, e]")) &&
      succeeded(c.sameElementType(getY(), "y", u, "u")) &&
      succeeded(ifPresent(getFinalState(),
                          [&](Value v) { return state(v, "final_state"); })));
}

LogicalResult SSDOp::verify() {
  OperandChecker c(*this);
  Value x = getX();
  if (failed(c.shape(x, "x", {kAny, kAny, kAny, kAny}, "[b, L, H, P]")) ||
      failed(c.activation(x, "x")))
    return failure();
  int64_t b = c.dim(x, 0), l = c.dim(x, 1), h = c.dim(x, 2), p = c.dim(x, 3);
  if (failed(c.shape(getB(), "B", {b, l, kAny, kAny}, "[b, L, G, N]")) ||
      failed(c.activation(getB(), "B")))
    return failure();
  int64_t g = c.dim(getB(), 2), n = c.dim(getB(), 3);
  auto perHead = [&](StringRef role) {
    return [this, &c, h, role](Value v) {
      return success(succeeded(c.shape(v, role, {h}, "[H]")) &&
                     succeeded(c.f32(v, role)));
    };
  };
  auto state = [&](Value v, StringRef role) {
    return success(succeeded(c.shape(v, role, {b, h, p, n}, "[b, H, P, N]")) &&
                   succeeded(c.f32(v, role)));
  };
  return success(
      succeeded(c.shape(getDt(), "dt", {b, l, h}, "[b, L, H]")) &&
      succeeded(c.activation(getDt(), "dt")) &&
      succeeded(perHead("A")(getA())) &&
      succeeded(c.shape(getC(), "C", {b, l, g, n}, "[b, L, G, N]")) &&
      succeeded(c.activation(getC(), "C")) &&
      succeeded(c.divides(g, h, "the group count G must divide the head count H")) &&
      succeeded(ifPresent(getD(), perHead("D"))) &&
      succeeded(ifPresent(getDtBias(), perHead("dt_bias"))) &&
      succeeded(ifPresent(getZ(), [&](Value v) {
        return success(succeeded(c.shape(v, "z", {b, l, h, p}, "[b, L, H, P]")) &&
                       succeeded(c.activation(v, "z")));
      })) &&
      succeeded(ifPresent(getInitialState(),
                          [&](Value v) { return state(v, "initial_state"); })) &&
      succeeded(c.positive(getChunkSize(), "chunk_size")) &&
      succeeded(verifyDtLimits(*this, getDtMin().convertToFloat(),
                               getDtMax().convertToFloat())) &&
      succeeded(c.shape(getY(), "y", {b, l, h, p}, "[b, L, H, P]")) &&
      succeeded(c.sameElementType(getY(), "y", x, "x")) &&
      succeeded(ifPresent(getFinalState(),
                          [&](Value v) { return state(v, "final_state"); })));
}

LogicalResult ConvStateUpdateOp::verify() {
  OperandChecker c(*this);
  Value x = getInput();
  if (failed(c.shape(x, "input", {kAny, kAny}, "[b, C]")) ||
      failed(c.activation(x, "input")))
    return failure();
  int64_t b = c.dim(x, 0), ch = c.dim(x, 1);
  if (failed(c.shape(getWeight(), "weight", {ch, kAny}, "[C, W]")) ||
      failed(c.activation(getWeight(), "weight")) ||
      failed(verifyConvWidth(*this, getWeight())))
    return failure();
  int64_t w = c.dim(getWeight(), 1);
  return success(
      succeeded(c.shape(getConvState(), "conv_state", {b, ch, w}, "[b, C, W]")) &&
      succeeded(c.sameElementType(getConvState(), "conv_state", x, "input")) &&
      succeeded(ifPresent(getBias(), [&](Value v) {
        return success(succeeded(c.shape(v, "bias", {ch}, "[C]")) &&
                       succeeded(c.activation(v, "bias")));
      })) &&
      succeeded(c.shape(getOutput(), "output", {b, ch}, "[b, C]")) &&
      succeeded(c.sameElementType(getOutput(), "output", x, "input")) &&
      succeeded(c.shape(getNewState(), "new_state", {b, ch, w}, "[b, C, W]")) &&
      succeeded(c.sameElementType(getNewState(), "new_state", x, "input")));
}

LogicalResult SelectiveStateUpdateOp::verify() {
  OperandChecker c(*this);
  Value s = getState();
  int64_t rank = cast<RankedTensorType>(s.getType()).getRank();
  if (rank != 3 && rank != 4)
    return emitOpError() << "operand 'state' must have rank 3 [b, e, N] (Mamba-1) "
                            "or 4 [b, H, P, N] (Mamba-2), got "
                         << s.getType();
  if (failed(c.f32(s, "state")))
    return failure();
  bool mamba2 = rank == 4;
  int64_t b = c.dim(s, 0), ch = c.dim(s, 1), n = c.dim(s, rank - 1);
  SmallVector<int64_t> xShape = {b, ch};
  if (mamba2)
    xShape.push_back(c.dim(s, 2));
  StringRef xNames = mamba2 ? "[b, H, P]" : "[b, e]";
  StringRef chName = mamba2 ? "[H]" : "[e]";
  auto perChannel = [&](StringRef role) {
    return [this, &c, ch, role, chName](Value v) {
      return success(succeeded(c.shape(v, role, {ch}, chName)) &&
                     succeeded(c.f32(v, role)));
    };
  };
  LogicalResult aOk =
      mamba2 ? perChannel("A")(getA())
             : success(succeeded(c.shape(getA(), "A", {ch, n}, "[e, N]")) &&
                       succeeded(c.f32(getA(), "A")));
  if (failed(aOk) || failed(c.shape(getX(), "x", xShape, xNames)) ||
      failed(c.activation(getX(), "x")) ||
      failed(c.shape(getB(), "B", {b, kAny, n}, "[b, G, N]")) ||
      failed(c.activation(getB(), "B")))
    return failure();
  int64_t g = c.dim(getB(), 1);
  // With dt_proj, dt is the projection's low-rank input.
  LogicalResult dtOk =
      getDtProj()
          ? success(succeeded(c.shape(getDt(), "dt", {b, kAny}, "[b, R]")) &&
                    succeeded(c.shape(getDtProj(), "dt_proj", {ch, c.dim(getDt(), 1)},
                                      mamba2 ? "[H, R]" : "[e, R]")) &&
                    succeeded(c.activation(getDtProj(), "dt_proj")))
          : c.shape(getDt(), "dt", {b, ch}, mamba2 ? "[b, H]" : "[b, e]");
  return success(
      succeeded(dtOk) &&
      succeeded(c.activation(getDt(), "dt")) &&
      succeeded(c.shape(getC(), "C", {b, g, n}, "[b, G, N]")) &&
      succeeded(c.activation(getC(), "C")) &&
      succeeded(c.divides(g, ch, mamba2 ? "the group count G must divide the head count H"
                                        : "the group count G must divide the channel count e")) &&
      succeeded(ifPresent(getD(), perChannel("D"))) &&
      succeeded(ifPresent(getDtBias(), perChannel("dt_bias"))) &&
      succeeded(ifPresent(getZ(), [&](Value v) {
        return success(succeeded(c.shape(v, "z", xShape, xNames)) &&
                       succeeded(c.activation(v, "z")));
      })) &&
      succeeded(verifyDtLimits(*this, getDtMin().convertToFloat(),
                               getDtMax().convertToFloat())) &&
      succeeded(c.shape(getY(), "y", xShape, xNames)) &&
      succeeded(c.sameElementType(getY(), "y", getX(), "x")) &&
      succeeded(c.shape(getNewState(), "new_state",
                        cast<RankedTensorType>(s.getType()).getShape(),
                        "(the state's shape)")) &&
      succeeded(c.f32(getNewState(), "new_state")));
}

#define GET_OP_CLASSES
#include "dialects/SSM/SSMOps.cpp.inc"
