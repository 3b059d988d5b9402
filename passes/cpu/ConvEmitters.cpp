// CPU kernels of the causal depthwise convolution: the prefill form over a
// sequence and the one-token decode step that shifts the conv state.
#include "passes/cpu/Emitters.h"

using namespace mlir;
using namespace mlir::ssm;
using namespace mlir::ssm::cpu;

namespace {

// The GPU form of the convolution's outputs: a thread computes
// kConvStepsPerThread consecutive steps of one channel from a window of
// registers, so each input is loaded about once instead of W times, and all
// its loads are issued before any product waits on them (the loop form
// loaded x and w tap by tap, each fma waiting on its loads).
void emitConvTiles(LoopBuilder &lb, Value x, Value w, Value bias, Value init, Value out,
                   int64_t width, bool silu) {
  const int64_t steps = kConvStepsPerThread;
  Value batch = lb.dim(x, 0), len = lb.dim(x, 1), ch = lb.dim(x, 2);
  Value tiles = lb.ceilDiv(len, steps);
  Value lastStep = lb.subi(len, lb.index(1));
  lb.parallel({batch, tiles, ch}, [&](ValueRange ivs) {
    Value bi = ivs[0], c = ivs[2];
    Value t0 = lb.muli(ivs[1], lb.index(steps));
    SmallVector<Value> taps;
    for (int64_t k = 0; k < width; ++k)
      taps.push_back(lb.load(w, {c, lb.index(k)}));
    // window[i] = x[t0 - (W-1) + i]: the W-1 inputs before the tile (from the
    // initial state, or zero, before the sequence start), then the tile's,
    // clamped to the sequence (steps past its end are not stored).
    SmallVector<Value> window;
    for (int64_t i = 0; i + 1 < width; ++i) {
      Value back = lb.index(width - 1 - i); // j = t0 - back
      window.push_back(lb.choose(
          lb.cmpi(arith::CmpIPredicate::uge, t0, back),
          [&] { return lb.load(x, {bi, lb.subi(t0, back), c}); },
          [&] {
            // slot W + j of the initial state, j = t0 - back < 0
            Value slot = lb.subi(lb.addi(t0, lb.index(width)), back);
            return init ? lb.load(init, {bi, c, slot}) : lb.f32(0.0);
          }));
    }
    for (int64_t i = 0; i < steps; ++i) {
      Value t = arith::MinUIOp::create(lb.builder(), lb.location(), lb.addi(t0, lb.index(i)),
                                       lastStep);
      window.push_back(lb.load(x, {bi, t, c}));
    }
    Value b0 = bias ? lb.load(bias, {c}) : lb.f32(0.0);
    for (int64_t i = 0; i < steps; ++i) {
      Value acc = b0;
      for (int64_t k = 0; k < width; ++k)
        acc = lb.fma(taps[k], window[i + k], acc);
      Value t = lb.addi(t0, lb.index(i));
      lb.when(lb.cmpi(arith::CmpIPredicate::ult, t, len),
              [&] { lb.store(silu ? lb.silu(acc) : acc, out, {bi, t, c}); });
    }
  });
}

} // namespace

LogicalResult cpu::emitCausalConv1d(LoopBuilder &lb, CausalConv1dOp op,
                                    ValueRange inputs, ValueRange outputs) {
  Value x = argOf(inputs, op.getInputMutable());
  Value w = argOf(inputs, op.getWeightMutable());
  Value bias = argOf(inputs, op.getBiasMutable());
  Value init = argOf(inputs, op.getInitialStateMutable());
  Value out = resultOf(outputs, op.getOutput());
  Value finalState = resultOf(outputs, op.getFinalState());
  bool silu = op.getSilu();

  Value batch = lb.dim(x, 0), len = lb.dim(x, 1), ch = lb.dim(x, 2);
  Value width = lb.dim(w, 1);
  Value zero = lb.index(0), one = lb.index(1);
  Value wm1 = lb.subi(width, one);

  // Tap k of step t reads x[t - (W-1) + k]; taps before the sequence start read
  // x[j] = initial_state[W + j] (or zero). Splitting the tap range at kStart
  // keeps the inner loops branch-free. Channels innermost: x and out are
  // [b, L, C] row-major.
  auto perStep = [&](ValueRange ivs) {
    Value bi = ivs[0], t = ivs[1], c = ivs[2];
    Value kStart = lb.maxi(zero, lb.subi(wm1, t));
    Value acc = bias ? lb.load(bias, {c}) : lb.f32(0.0);
    if (init)
      acc = lb.reduce(zero, kStart, acc, [&](Value k, Value a) {
        Value slot = lb.addi(lb.addi(t, one), k);
        return lb.fma(lb.load(w, {c, k}), lb.load(init, {bi, c, slot}), a);
      });
    acc = lb.reduce(kStart, width, acc, [&](Value k, Value a) {
      Value j = lb.subi(lb.addi(t, k), wm1);
      return lb.fma(lb.load(w, {c, k}), lb.load(x, {bi, j, c}), a);
    });
    lb.store(silu ? lb.silu(acc) : acc, out, {bi, t, c});
  };
  const int64_t staticWidth = cast<ShapedType>(op.getWeight().getType()).getDimSize(1);
  if (lb.onGpu() && !ShapedType::isDynamic(staticWidth) && staticWidth <= kConvMaxTiledWidth)
    emitConvTiles(lb, x, w, bias, init, out, staticWidth, silu);
  else
    lb.parallel({batch, len, ch}, perStep);

  if (!finalState)
    return success();
  // final[k] = x[L - W + k], which is initial_state[L + k] (or zero) before
  // the sequence start. Ascending k reads slot L + k >= k before slot k is
  // written, and this nest runs after the one above (on the GPU as a kernel
  // of its own), so the final state may replace the initial state in place.
  Value split = lb.maxi(zero, lb.subi(width, len));
  lb.parallel({batch, ch}, [&](ValueRange ivs) {
    Value bi = ivs[0], c = ivs[1];
    lb.loop(zero, split, [&](Value k) {
      Value v = init ? lb.load(init, {bi, c, lb.addi(len, k)}) : lb.f32(0.0);
      lb.store(v, finalState, {bi, c, k});
    });
    lb.loop(split, width, [&](Value k) {
      Value j = lb.subi(lb.addi(len, k), width);
      lb.store(lb.load(x, {bi, j, c}), finalState, {bi, c, k});
    });
  });
  return success();
}

LogicalResult cpu::emitConvStateUpdate(LoopBuilder &lb, ConvStateUpdateOp op,
                                       ValueRange inputs, ValueRange outputs) {
  Value x = argOf(inputs, op.getInputMutable());
  Value state = argOf(inputs, op.getConvStateMutable());
  Value w = argOf(inputs, op.getWeightMutable());
  Value bias = argOf(inputs, op.getBiasMutable());
  Value out = resultOf(outputs, op.getOutput());
  Value newState = resultOf(outputs, op.getNewState());
  bool silu = op.getSilu();

  Value batch = lb.dim(x, 0), ch = lb.dim(x, 1), width = lb.dim(w, 1);
  Value zero = lb.index(0), one = lb.index(1);
  Value wm1 = lb.subi(width, one);

  lb.parallel({batch, ch}, [&](ValueRange ivs) {
    Value bi = ivs[0], c = ivs[1];
    // new_state[k] = conv_state[k + 1] (k < W-1), new_state[W-1] = x: the
    // output is computed from the old state before anything is stored.
    Value xv = lb.load(x, {bi, c});
    Value acc = bias ? lb.load(bias, {c}) : lb.f32(0.0);
    acc = lb.reduce(zero, wm1, acc, [&](Value k, Value a) {
      Value old = lb.load(state, {bi, c, lb.addi(k, one)});
      return lb.fma(lb.load(w, {c, k}), old, a);
    });
    acc = lb.fma(lb.load(w, {c, wm1}), xv, acc);
    // new_state may alias conv_state: ascending k reads slot k+1 before
    // any store touches it.
    lb.loop(zero, wm1, [&](Value k) {
      Value old = lb.loadRaw(state, {bi, c, lb.addi(k, one)});
      lb.storeRaw(old, newState, {bi, c, k});
    });
    lb.store(xv, newState, {bi, c, wm1});
    lb.store(silu ? lb.silu(acc) : acc, out, {bi, c});
  });
  return success();
}
