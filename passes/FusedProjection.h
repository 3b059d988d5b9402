#ifndef SSMC_PASSES_FUSEDPROJECTION_H
#define SSMC_PASSES_FUSEDPROJECTION_H

// The decode step's rms_norm -> linear (in_proj) -> conv_state_update, which
// the cuda target can run as one skinny-GEMM kernel with the norm before the
// product and the conv after it (passes/gpu/GemvKernel.h, GemvFusion). The
// GPU outliner builds the kernels for each match and tags the linear with
// `ssm.gemv_fused` (the kernels' family name); the schedule builder then
// records, on that gemm step, the three steps the kernel replaces and its
// arguments (docs/artifact-format.md, "fused").

#include "dialects/SSM/SSMOps.h"

#include <optional>

namespace mlir::ssm {

/// The attribute on a fused linear: the family name of its kernels.
constexpr llvm::StringLiteral kFusedGemvAttr = "ssm.gemv_fused";

struct FusedProjection {
  RMSNormOp norm;
  LinearOp linear;
  ConvStateUpdateOp conv;
  /// The conv's input is columns [convOffset, convOffset + C) of the
  /// linear's result.
  int64_t convOffset = 0;
};

/// `linear` with the norm that alone feeds it and the one conv step that
/// reads a slice of its result, when all are f32, rank 2 (rank 3 states),
/// in @decode, and no other computation stands between them (so their
/// steps are consecutive).
std::optional<FusedProjection> matchFusedProjection(LinearOp linear);

} // namespace mlir::ssm

#endif
