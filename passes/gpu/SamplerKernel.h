#ifndef SSMC_PASSES_GPU_SAMPLERKERNEL_H
#define SSMC_PASSES_GPU_SAMPLERKERNEL_H

// The device half of token sampling on the GPU (the host half is
// runtime/src/device_sampler.cpp). One block per row of next-token logits:
//   1. marks the row's newly seen ids in its seen mask (repetition penalty);
//   2. applies the penalty (in f32) and NaN -> -inf, finds the row's maximum
//      (lowest id on ties) and counts its live (> -inf) logits;
//   3. sums exp((l - max) / T) in f64 and histograms the live logits by
//      (max - l) * 16 / T (256 bins, the last one open-ended);
//   4. gathers every logit of the first bins whose total count fits the
//      candidate buffer: a complete top set (every other live logit is
//      strictly smaller), in no particular order.
// The host sorts the few candidates and samples from them exactly as from
// the whole row, or fetches the row when they do not decide the token.
//
// Arguments (fully dynamic strided memrefs):
//   logits f32 [B, V]; seen mask i8 [B, >= V]; control i32 [4B + 1 + n]:
//   {each row's temperature and penalty as f32 bits (temperature <= 0:
//   greedy; penalty 1: off), B + 1 offsets into the ids below, B clear
//   flags (row's mask zeroed first), the ids to mark}; candidate ids i32
//   [B, K] and logits f32 [B, K]; summary f64 [B, kSamplerSummary]
//   (SamplerSummary below). The manifest says `row_settings` of this
//   layout (an older kernel took one temperature and penalty for all rows).
// Launch: grid (B, 1, 1), block (kSamplerBlockSize, 1, 1).

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::ssm {

constexpr StringLiteral kSamplerKernelName = "ssmc_sample_candidates";
constexpr int64_t kSamplerBlockSize = 512;
/// Histogram bins, and bins per unit of (max - l) / T.
constexpr int64_t kSamplerBins = 256;
constexpr double kSamplerBinsPerUnit = 16.0;
/// f64 words per row of the summary.
constexpr int64_t kSamplerSummary = 8;
/// The summary's words.
enum SamplerSummary : int64_t {
  kSummaryCandidates = 0, // how many candidates were gathered
  kSummaryArgmax = 1,     // id of the maximum, lowest on ties; -1 when none is live
  kSummaryMax = 2,        // the maximum (penalized) logit
  kSummaryExcludedMax = 3, // the largest live logit not gathered (-inf: none)
  kSummaryLive = 4,       // live (> -inf) logits in the row
  kSummaryMass = 5,       // sum of exp((l - max) / T) over live logits (T > 0)
};

/// Adds the sampler kernel (kSamplerKernelName) to `module`.
gpu::GPUFuncOp buildSamplerKernel(OpBuilder &b, gpu::GPUModuleOp module, Location loc);

} // namespace mlir::ssm

#endif
