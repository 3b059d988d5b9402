#ifndef SSM_OPS_TD
#define SSM_OPS_TD

include "dialects/SSM/SSMDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpAsmInterface.td"

// Element and rank rules are checked in C++ verifiers so that every message
// names the operand by its role ("operand 'delta'"), not by its position.
defvar Tensor = AnyRankedTensor;
defvar OptTensor = Optional<AnyRankedTensor>;

//===----------------------------------------------------------------------===//
// Model glue
//===----------------------------------------------------------------------===//

def SSM_WeightOp : SSM_Op<"weight", [Pure]> {
  let summary = "A named model parameter";
  let description = [{
    Produces the parameter tensor called `name` in the model's weight table
    (the safetensors name, e.g. `backbone.layers.0.mixer.A_log`). The compiler
    resolves it when it builds the artifact; the value never changes at run time.
    The result may have any static shape with the stored tensor's element
    count (a row-major reshape, e.g. conv1d.weight [e, 1, W] read as [e, W]).
    An optional `transform` is applied once at compile time:
    `neg_exp` gives -exp(w) (A = -exp(A_log)).

    ```mlir
    %w = ssm.weight "backbone.norm_f.weight" : tensor<768xf32>
    %A = ssm.weight "backbone.layers.0.mixer.A_log" {transform = "neg_exp"} : tensor<1536x16xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<StrAttr>:$transform);
  let results = (outs Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def SSM_EmbeddingOp : SSM_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup";
  let description = [{
    `out[b, l, :] = table[tokens[b, l], :]` for tokens of shape [b, L] (or [b]
    in a decode step) and a table [V, d]. Token ids outside [0, V) are an error
    the runtime reports before the lookup.
  }];
  let arguments = (ins Tensor:$tokens, Tensor:$table);
  let results = (outs Tensor:$result);
  let assemblyFormat = "$tokens `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def SSM_LinearOp : SSM_Op<"linear", [Pure]> {
  let summary = "Dense projection y = x W^T (+ bias)";
  let description = [{
    `y[..., n] = sum_k x[..., k] * weight[n, k] (+ bias[n])`, weight [N, K] in
    the checkpoints' (out, in) layout, accumulation in f32. Zero-size operands
    are rejected: a projection to or from nothing is a malformed model.
  }];
  let arguments = (ins Tensor:$input, Tensor:$weight, OptTensor:$bias);
  let results = (outs Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SSM_RMSNormOp : SSM_Op<"rms_norm", [Pure]> {
  let summary = "Root-mean-square normalization over the last dimension";
  let description = [{
    `out = x / sqrt(mean(x^2 over the last dim) + eps) * weight`, weight [d],
    computed in f32. The result has the shape of `x`; its element type may
    differ (e.g. an f32 residual normalized into a bf16 activation).

    With `residual` r (x's type), the op first adds it: `sum = x + r` is the
    second result and `out` normalizes `sum` (the pre-norm residual stream of
    a Mamba block in one kernel; `ssm-fuse` forms it from an `arith.addf`).
  }];
  let arguments = (ins Tensor:$input, Tensor:$weight, OptTensor:$residual,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps);
  let results = (outs Tensor:$result, Optional<AnyRankedTensor>:$sum);
  let assemblyFormat = [{
    $input `,` $weight (`residual` `(` $residual^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_GatedRMSNormOp : SSM_Op<"gated_rms_norm", [Pure]> {
  let summary = "RMS norm with a silu(z) gate, per group (Mamba-2)";
  let description = [{
    With `norm_before_gate = false` (the checkpoints' setting):
    `u = x * silu(z); out = u / sqrt(mean(u^2 over each group) + eps) * weight`.
    With `norm_before_gate = true`: `out = x / sqrt(mean(x^2) + eps) * weight * silu(z)`.
    Groups are consecutive runs of `group_size` channels of the last dimension,
    which must divide it.
  }];
  let arguments = (ins Tensor:$input, Tensor:$gate, Tensor:$weight,
                       I64Attr:$group_size,
                       DefaultValuedAttr<BoolAttr, "false">:$norm_before_gate,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps);
  let results = (outs Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sequence ops (prefill)
//===----------------------------------------------------------------------===//

def SSM_CausalConv1dOp : SSM_Op<"causal_conv1d",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Causal depthwise convolution over the sequence";
  let description = [{
    For x [b, L, C], weight [C, W] and optional bias [C]:
    `out[t, c] = bias[c] + sum_{k<W} weight[c, k] * x[t - (W-1) + k, c]`, where
    x before the sequence start comes from `initial_state` [b, C, W] (its last
    W-1 slots) or is zero. `silu` applies silu to the output.
    The optional `final_state` result [b, C, W] holds the last W inputs (zero
    padded on the left when L < W): the conv state a decode step continues from.
  }];
  let arguments = (ins Tensor:$input, Tensor:$weight, OptTensor:$bias,
                       OptTensor:$initial_state, UnitAttr:$silu);
  let results = (outs Tensor:$output, Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $input `,` $weight (`bias` `(` $bias^ `)`)? (`init` `(` $initial_state^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SSM_SelectiveScanOp : SSM_Op<"selective_scan",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "Mamba-1 selective scan";
  let description = [{
    For u, delta [b, L, e], A [e, N], B, C [b, L, G, N] (channel c reads group
    c / (e / G)), optional D [e], z [b, L, e], delta_bias [e] and
    initial_state [b, e, N] (zero when absent):
    ```
    dt        = delta + delta_bias, then softplus(dt) if delta_softplus
    s_t[c, n] = exp(dt_t[c] * A[c, n]) * s_{t-1}[c, n] + dt_t[c] * B_t[n] * u_t[c]
    y_t[c]    = sum_n C_t[n] * s_t[c, n] + D[c] * u_t[c]
    y_t[c]   *= silu(z_t[c])                      (when z is present)
    ```
    The state accumulates in f32. `y` has u's shape and type; the optional
    `final_state` result is s_L [b, e, N] in f32. The expanded state
    [b, L, e, N] is never a value of the program.
  }];
  let arguments = (ins Tensor:$u, Tensor:$delta, Tensor:$A, Tensor:$B, Tensor:$C,
                       OptTensor:$D, OptTensor:$z, OptTensor:$delta_bias,
                       OptTensor:$initial_state, UnitAttr:$delta_softplus);
  let results = (outs Tensor:$y, Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $B `,` $C
    (`skip` `(` $D^ `)`)? (`gate` `(` $z^ `)`)? (`delta_bias` `(` $delta_bias^ `)`)?
    (`init` `(` $initial_state^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def SSM_SSDOp : SSM_Op<"ssd", [Pure, AttrSizedOperandSegments]> {
  let summary = "Mamba-2 state-space duality scan (scalar decay per head)";
  let description = [{
    For x [b, L, H, P], dt [b, L, H], A [H], B, C [b, L, G, N] (head h reads
    group h / (H / G)), optional D [H], z [b, L, H, P], dt_bias [H] and
    initial_state [b, H, P, N]:
    ```
    delta     = clamp(softplus(dt + dt_bias), dt_min, dt_max)   (softplus if dt_softplus)
    s_t[h,p,n] = exp(delta_t[h] * A[h]) * s_{t-1}[h,p,n] + delta_t[h] * B_t[n] * x_t[h,p]
    y_t[h,p]   = sum_n C_t[n] * s_t[h,p,n] + D[h] * x_t[h,p],  times silu(z) if z
    ```
    `chunk_size` is the length of the chunks the SSD algorithm splits L into;
    the result is the same for any chunk size (it is exact, not approximate).
    The optional `final_state` result is s_L [b, H, P, N] in f32.
  }];
  let arguments = (ins Tensor:$x, Tensor:$dt, Tensor:$A, Tensor:$B, Tensor:$C,
                       OptTensor:$D, OptTensor:$z, OptTensor:$dt_bias,
                       OptTensor:$initial_state,
                       DefaultValuedAttr<I64Attr, "256">:$chunk_size,
                       UnitAttr:$dt_softplus,
                       DefaultValuedAttr<F32Attr, "0.0">:$dt_min,
                       DefaultValuedAttr<F32Attr, "std::numeric_limits<float>::infinity()">:$dt_max);
  let results = (outs Tensor:$y, Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $x `,` $dt `,` $A `,` $B `,` $C
    (`skip` `(` $D^ `)`)? (`gate` `(` $z^ `)`)? (`dt_bias` `(` $dt_bias^ `)`)?
    (`init` `(` $initial_state^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Decode-step ops
//===----------------------------------------------------------------------===//

def SSM_ConvStateUpdateOp : SSM_Op<"conv_state_update", [Pure]> {
  let summary = "One causal-conv step: shift the conv state and convolve";
  let description = [{
    For x [b, C], conv_state [b, C, W], weight [C, W], optional bias [C]:
    `new_state[:, :, k] = conv_state[:, :, k+1]` for k < W-1 and
    `new_state[:, :, W-1] = x`; then
    `out[c] = bias[c] + sum_k weight[c, k] * new_state[c, k]`, silu'd when `silu`.
  }];
  let arguments = (ins Tensor:$input, Tensor:$conv_state, Tensor:$weight,
                       Optional<AnyRankedTensor>:$bias, UnitAttr:$silu);
  let results = (outs Tensor:$output, Tensor:$new_state);
  let assemblyFormat = [{
    $input `,` $conv_state `,` $weight (`bias` `(` $bias^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def SSM_SelectiveStateUpdateOp : SSM_Op<"selective_state_update",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "One recurrent step of a selective scan (Mamba-1 or Mamba-2)";
  let description = [{
    Mamba-1 form: state [b, e, N], x and dt [b, e], A [e, N], D and dt_bias [e].
    Mamba-2 form: state [b, H, P, N], x [b, H, P], dt [b, H], A, D and dt_bias [H].
    B and C are [b, G, N] in both. One step of the recurrence of
    `ssm.selective_scan` / `ssm.ssd` (same dt handling: bias, softplus, the
    dt_min/dt_max clamp), returning y (x's shape) and the new state (f32).

    With `dt_proj` W [e, R] (or [H, R]), dt is the low-rank input [b, R] and
    each channel's dt is `sum_r dt[b, r] * W[c, r]` before the bias: Mamba-1's
    dt projection inside the step (`ssm-fuse` forms it from an `ssm.linear`).
  }];
  let arguments = (ins Tensor:$state, Tensor:$x, Tensor:$dt, Tensor:$A,
                       Tensor:$B, Tensor:$C, OptTensor:$D, OptTensor:$z,
                       OptTensor:$dt_bias, OptTensor:$dt_proj, UnitAttr:$dt_softplus,
                       DefaultValuedAttr<F32Attr, "0.0">:$dt_min,
                       DefaultValuedAttr<F32Attr, "std::numeric_limits<float>::infinity()">:$dt_max);
  let results = (outs Tensor:$y, Tensor:$new_state);
  let assemblyFormat = [{
    $state `,` $x `,` $dt `,` $A `,` $B `,` $C
    (`skip` `(` $D^ `)`)? (`gate` `(` $z^ `)`)? (`dt_bias` `(` $dt_bias^ `)`)?
    (`dt_proj` `(` $dt_proj^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SSM_OPS_TD
