#include "passes/gpu/StateUpdateKernel.h"

#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/gpu/GpuKernelFunc.h"
#include "passes/gpu/RowLanes.h"
#include "passes/gpu/SSDChunkKernels.h"
#include "passes/gpu/ScanKernel.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ssm;
using cpu::LoopBuilder;

static_assert(kSSDBlockSize == kScanBlockSize, "one block size for both forms");

int64_t ssm::stateUpdateLanesPerRow(SelectiveStateUpdateOp op) {
  auto state = cast<ShapedType>(op.getState().getType());
  int64_t n = state.getDimSize(state.getRank() - 1);
  return state.getRank() == 4 ? ssdLanesPerRow(n) : scanLanesPerRow(n);
}

// Whether each lane holds its terms of dt_proj's rows in registers: Mamba-1
// with dt_proj fused in, R static and at most kDtProjMaxTermsPerLane terms
// per lane.
static bool dtProjInRegisters(SelectiveStateUpdateOp op) {
  if (!op.getDtProj() || cast<ShapedType>(op.getState().getType()).getRank() != 3)
    return false;
  const int64_t r = cast<ShapedType>(op.getDtProj().getType()).getDimSize(1);
  const int64_t lanes = stateUpdateLanesPerRow(op);
  return !ShapedType::isDynamic(r) && (r + lanes - 1) / lanes <= kDtProjMaxTermsPerLane;
}

LogicalResult ssm::buildStateUpdateKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                          SelectiveStateUpdateOp op, StringRef name) {
  auto stateType = cast<ShapedType>(op.getState().getType());
  int64_t rank = stateType.getRank();
  int64_t n = stateType.getDimSize(rank - 1);
  if (ShapedType::isDynamic(n))
    return op.emitOpError() << "needs a static state size N for its GPU kernel";
  bool perHead = rank == 4;
  OpBuilder::InsertionGuard guard(b);
  SmallVector<Type> types;
  // Unit innermost strides (the runtime checks them) and static innermost
  // sizes: a row's elements are immediate offsets from one address.
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes())) {
    auto shaped = cast<ShapedType>(t);
    types.push_back(unitInnerViewType(op.getContext(), shaped.getRank(),
                                      shaped.getShape().back(), shaped.getElementType()));
  }
  auto func = createGpuKernel(b, module, op.getLoc(), name, types, kSSDBlockSize);
  ValueRange args = func.getBody().front().getArguments();
  ValueRange inputs = args.take_front(op->getNumOperands());
  ValueRange outputs = args.drop_front(op->getNumOperands());
  auto arg = [&](MutableOperandRange operand) { return cpu::argOf(inputs, operand); };
  Value state = arg(op.getStateMutable()), x = arg(op.getXMutable());
  Value dt = arg(op.getDtMutable()), a = arg(op.getAMutable()), bm = arg(op.getBMutable());
  Value cm = arg(op.getCMutable()), d = arg(op.getDMutable()), z = arg(op.getZMutable());
  Value dtBias = arg(op.getDtBiasMutable()), dtProj = arg(op.getDtProjMutable());
  Value y = outputs[0], newState = outputs[1];

  LoopBuilder lb(b, op.getLoc(), cpu::LoopTarget::Gpu);
  RowLanes lanes(lb, n, stateUpdateLanesPerRow(op));
  // Dimension 1 is the channel (Mamba-1) or head (Mamba-2): it indexes dt,
  // A, D and the bias and picks the B/C group. The rows are its channels, or
  // the P rows of each head.
  Value outer = lb.dim(state, 1), rows = lb.dim(state, rank - 2);
  Value perGroup = lb.divi(outer, lb.dim(bm, 1));
  // Sequences per task: kDecodeBatchPerTask from kDecodeGroupFromBatch
  // sequences on (dt_proj fused in), else 1, so that small batches keep a
  // task per sequence and row group.
  const bool inRegisters = dtProjInRegisters(op);
  Value batch = lb.dim(state, 0), perTask = lb.index(1);
  if (inRegisters) {
    Value wide = lb.cmpi(arith::CmpIPredicate::uge, batch, lb.index(kDecodeGroupFromBatch));
    perTask = arith::SelectOp::create(b, op.getLoc(), wide, lb.index(kDecodeBatchPerTask),
                                      perTask);
  }
  SmallVector<Value> ubs{lb.ceilDiv(batch, perTask)};
  if (perHead)
    ubs.push_back(outer);
  ubs.push_back(lanes.groups(rows));
  auto rowOf = [&](Value m, ValueRange lead) {
    return lanes.loadRow([&](Value k) {
      SmallVector<Value> idx(lead);
      idx.push_back(k);
      return lb.load(m, idx);
    });
  };
  auto indices = [&](Value bi, Value row, Value head) {
    SmallVector<Value> at{bi};
    if (perHead)
      at.push_back(head);
    at.push_back(row);
    return at;
  };
  // What one row of one sequence reads besides dt, in one list: its state
  // row, B and C (K values each), x, then z (with a gate). A loop over
  // sequences loads them a sequence ahead: a load after the previous
  // sequence's stores could not be moved above them (new_state may alias
  // state), so each sequence would wait for memory in turn.
  auto rowInputs = [&](Value bi, Value row, Value head) {
    SmallVector<Value> at = indices(bi, row, head);
    Value g = lb.divi(at[1], perGroup);
    SmallVector<Value> in = rowOf(state, at);
    llvm::append_range(in, rowOf(bm, {bi, g}));
    llvm::append_range(in, rowOf(cm, {bi, g}));
    in.push_back(lb.load(x, at));
    if (z)
      in.push_back(lb.load(z, at));
    return in;
  };
  // What a row reads whatever the sequence: A's row (times log2 e, so that
  // each decay is one exp2, as in the scan kernels) or the head's A, the dt
  // bias and D. Loaded once per task: inside the loop over sequences they
  // would be reloaded after every store (new_state may alias them).
  struct RowConstants {
    SmallVector<Value> a;
    Value bias, d;
  };
  auto rowConstants = [&](Value c) {
    RowConstants k;
    if (perHead)
      k.a.push_back(lb.load(a, {c}));
    else
      k.a = lanes.loadRow([&](Value j) { return lb.mul(lb.load(a, {c, j}), lb.f32(M_LOG2E)); });
    k.bias = dtBias ? lb.load(dtBias, {c}) : Value();
    k.d = d ? lb.load(d, {c}) : Value();
    return k;
  };
  // One row of one sequence from its inputs, its dt given (`rawDt`, before
  // bias and softplus) or read from dt itself.
  auto update = [&](Value bi, Value row, Value real, Value head, Value rawDt,
                    ArrayRef<Value> in, const RowConstants &rc) {
    SmallVector<Value> at = indices(bi, row, head);
    Value c = at[1];
    int64_t k = lanes.k;
    ArrayRef<Value> old = in.take_front(k), bRow = in.slice(k, k), cRow = in.slice(2 * k, k);
    Value xv = in[3 * k];
    if (!rawDt)
      rawDt = lb.load(dt, {bi, c});
    Value step = cpu::emitDelta(lb, rawDt, rc.bias, op.getDtSoftplus(),
                                op.getDtMin().convertToFloat(), op.getDtMax().convertToFloat());
    SmallVector<Value> decays;
    if (perHead)
      decays.assign(k, lb.exp(lb.mul(step, rc.a[0])));
    else
      for (Value ak : rc.a)
        decays.push_back(lb.exp2(lb.mul(step, ak)));
    SmallVector<Value> next = lanes.update(old, decays, lb.mul(step, xv), bRow);
    lanes.storeRow(real, next, newState, at);
    Value acc = lanes.rowDot(next, cRow);
    lanes.onRowLeader(real, [&] {
      lb.store(cpu::scanOutput(lb, acc, rc.d, xv, z ? in[3 * k + 1] : Value()), y, at);
    });
  };
  // Each lane reads its state elements before it writes them, and only real
  // rows write: new_state may alias state.
  lanes.tasks(ubs, [&](ValueRange iv) {
    auto [row, real] = lanes.rowIn(iv.back(), rows);
    Value head = perHead ? iv[1] : Value();
    Value c = perHead ? head : row;
    const RowConstants rc = rowConstants(c);
    if (!dtProj) {
      update(iv[0], row, real, head, Value(), rowInputs(iv[0], row, head), rc);
      return;
    }
    // With dt_proj the row's S lanes share the dot product of length R, then
    // a butterfly adds the lanes' parts.
    if (!inRegisters) {
      // R unknown or long: each lane sums every S-th term in a loop.
      Value bi = iv[0];
      Value part = lb.loopBy(lanes.slot, lb.dim(dtProj, 1), lb.index(lanes.s), {lb.f32(0.0)},
                             [&](Value r, ValueRange acc) {
                               return SmallVector<Value>{lb.fma(
                                   lb.load(dt, {bi, r}), lb.load(dtProj, {c, r}), acc[0])};
                             })[0];
      update(bi, row, real, head, lanes.rowSum(part), rowInputs(bi, row, head), rc);
      return;
    }
    // Lane j holds the terms r = i * S + j of the channel's row of dt_proj in
    // registers, loaded together and once for the task's sequences (each
    // sequence rereading the row, the step took four times its state's bytes
    // at b64).
    const int64_t r = cast<ShapedType>(op.getDtProj().getType()).getDimSize(1);
    const int64_t terms = (r + lanes.s - 1) / lanes.s;
    SmallVector<Value> index, weight;
    for (int64_t i = 0; i < terms; ++i) {
      Value at = lb.addi(lb.index(i * lanes.s), lanes.slot);
      Value inside = lb.cmpi(arith::CmpIPredicate::ult, at, lb.index(r));
      index.push_back(arith::MinUIOp::create(b, op.getLoc(), at, lb.index(r - 1)));
      Value w = lb.load(dtProj, {c, index.back()});
      weight.push_back(arith::SelectOp::create(b, op.getLoc(), inside, w, lb.f32(0.0)));
    }
    Value b0 = lb.muli(iv[0], perTask);
    Value b1 = arith::MinUIOp::create(b, op.getLoc(), lb.addi(b0, perTask), batch);
    // Each sequence's inputs and dt are loaded and summed while the
    // previous sequence is updated and stored. (Summing in the update instead,
    // its terms loaded ahead, took 165 registers and was no faster.)
    lb.loopLoadingAhead(
        b0, b1, 1, {},
        [&](Value bi) {
          SmallVector<Value> in = rowInputs(bi, row, head);
          Value part = lb.f32(0.0);
          for (int64_t i = 0; i < terms; ++i)
            part = lb.fma(lb.load(dt, {bi, index[i]}), weight[i], part);
          in.push_back(lanes.rowSum(part));
          return in;
        },
        [&](Value bi, ArrayRef<Value> in, ValueRange) {
          update(bi, row, real, head, in.back(), in.drop_back(), rc);
          return SmallVector<Value>{};
        });
  });
  gpu::ReturnOp::create(b, op.getLoc());
  return success();
}
