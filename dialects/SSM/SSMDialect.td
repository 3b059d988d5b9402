#ifndef SSM_DIALECT_TD
#define SSM_DIALECT_TD

include "mlir/IR/OpBase.td"

def SSM_Dialect : Dialect {
  let name = "ssm";
  let cppNamespace = "::mlir::ssm";
  let summary = "Selective state-space models (the Mamba family)";
  let description = [{
    The `ssm` dialect holds the model-level operations of selective state-space
    models: the Mamba-1 selective scan, the Mamba-2 SSD scan, their decode-step
    state updates, and the neighbours that surround them in a block (causal
    depthwise convolution, RMS norms, linear projections, embeddings).

    Operations are functional and work on tensors: recurrent state goes in as an
    operand and comes out as a result. Activations may be f32, f16 or bf16;
    the parameters A, D and the time-step biases are f32, and every scan
    accumulates in f32 whatever the activation type.
  }];
  let hasConstantMaterializer = 0;
}

class SSM_Op<string mnemonic, list<Trait> traits = []> :
    Op<SSM_Dialect, mnemonic, traits>;

#endif // SSM_DIALECT_TD
