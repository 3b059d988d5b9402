#ifndef SSMC_PASSES_GPU_SSDKERNEL_H
#define SSMC_PASSES_GPU_SSDKERNEL_H

// One kernel of the chunked SSD (passes/gpu/SSDChunkKernels.h): a gpu.func
// whose first arguments are the ssm.ssd op's operands, then the kernel's
// own, with the operands' names and the chunk geometry at hand. Shared by the
// scalar and the tensor-core kernels.

#include "dialects/SSM/SSMOps.h"
#include "passes/cpu/Emitters.h"
#include "passes/cpu/KernelEmitters.h"
#include "passes/cpu/LoopBuilder.h"
#include "passes/gpu/GpuKernelFunc.h"

namespace mlir::ssm {

/// Static size `i` of the shaped value `v`.
inline int64_t ssdStaticDim(Value v, int64_t i) {
  return cast<ShapedType>(v.getType()).getDimSize(i);
}

struct SSDKernel {
  SSDKernel(OpBuilder &b, gpu::GPUModuleOp module, SSDOp op, StringRef name,
            ArrayRef<Type> extras, int64_t chunk, int64_t blockSize)
      : op(op), chunk(chunk) {
    SmallVector<Type> types;
    for (Type t : op->getOperandTypes())
      types.push_back(anyViewType(t));
    types.append(extras.begin(), extras.end());
    func = createGpuKernel(b, module, op.getLoc(), name, types, blockSize);
    // Copies: adding workgroup attributions later grows the argument list.
    ValueRange args = func.getBody().front().getArguments();
    inputs = llvm::to_vector(args.take_front(op->getNumOperands()));
    extra = llvm::to_vector(args.drop_front(op->getNumOperands()));
    auto arg = [&](MutableOperandRange operand) { return cpu::argOf(inputs, operand); };
    x = arg(op.getXMutable()), dt = arg(op.getDtMutable()), a = arg(op.getAMutable());
    bm = arg(op.getBMutable()), cm = arg(op.getCMutable()), d = arg(op.getDMutable());
    z = arg(op.getZMutable()), dtBias = arg(op.getDtBiasMutable());
    init = arg(op.getInitialStateMutable());
  }

  /// The sizes, read at the insertion point.
  void begin(cpu::LoopBuilder &lb) {
    batch = lb.dim(x, 0), len = lb.dim(x, 1), heads = lb.dim(x, 2), p = lb.dim(x, 3);
    n = lb.dim(bm, 3);
    chunkSize = lb.index(chunk);
    chunks = lb.ceilDiv(len, chunk);
  }

  /// Chunk c's steps [t0, t1).
  std::pair<Value, Value> bounds(cpu::LoopBuilder &lb, Value c) {
    Value t0 = lb.muli(c, chunkSize);
    Value t1 = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, chunkSize), len);
    return {t0, t1};
  }

  /// dt of step t of head h after bias, softplus and clamp.
  Value delta(cpu::LoopBuilder &lb, Value bi, Value t, Value h) {
    Value bias = dtBias ? lb.load(dtBias, {h}) : Value();
    return cpu::emitDelta(lb, lb.load(dt, {bi, t, h}), bias, op.getDtSoftplus(),
                          op.getDtMin().convertToFloat(), op.getDtMax().convertToFloat());
  }

  /// The B/C group of head h.
  Value group(cpu::LoopBuilder &lb, Value h) {
    return lb.divi(h, lb.divi(heads, lb.dim(bm, 2)));
  }

  void finish(OpBuilder &b) { gpu::ReturnOp::create(b, op.getLoc()); }

  SSDOp op;
  int64_t chunk;
  gpu::GPUFuncOp func;
  SmallVector<Value> inputs, extra;
  Value x, dt, a, bm, cm, d, z, dtBias, init;
  Value batch, len, heads, p, n, chunkSize, chunks;
};

} // namespace mlir::ssm

#endif
