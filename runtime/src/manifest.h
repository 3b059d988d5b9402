// The manifest model: what the runtime needs from the artifact's JSON, parsed
// and cross-checked once (docs/artifact-format.md, "Manifest").
#ifndef SSMC_SRC_MANIFEST_H
#define SSMC_SRC_MANIFEST_H

#include "size_expr.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssmc {

class Artifact;

enum class DType { F32, F16, BF16, I32, I64 };
std::optional<DType> parseDType(const std::string &s);
const char *dtypeName(DType t);
int64_t dtypeSize(DType t);

struct ModelInfo {
  std::string arch;
  int64_t vocabSize = 0;
  int64_t paddedVocabSize = 0;
  int64_t nLayer = 0;
  int64_t maxBatch = 0; // most sequences per session; 0: no limit
};

struct WeightDesc {
  std::string name;
  DType dtype = DType::F32;   // what the kernels and GEMMs read
  DType storage = DType::F32; // how the bytes are stored (f16/bf16: widened at load)
  std::vector<int64_t> shape;
  int64_t numel = 0;
  uint64_t nbytes = 0;
  uint64_t offset = 0;  // in the section, or in the external file
  std::string section;  // embedded weight: section name
  std::string file;     // external weight: absolute path
  uint64_t checksum = 0; // external weight only
  bool external() const { return !file.empty(); }
};

struct StateDesc {
  std::string name;
  DType dtype = DType::F32;
  std::vector<SizeExpr> shape; // may use B only
};

enum class BufferKind { Input, Output, State, Temp };

struct BufferDesc {
  int64_t id = 0;
  BufferKind kind = BufferKind::Temp;
  std::string name;
  DType dtype = DType::F32;
  std::vector<SizeExpr> shape;
  int stateIndex = -1; // kind == State: index into Manifest::states
};

struct ViewDesc {
  std::string where;   // JSON path, for error messages
  int buffer = -1;     // index into EntryPoint::buffers, or
  int weight = -1;     // index into Manifest::weights
  SizeExpr offset;
  bool wholeTensor = true; // "shape" absent
  std::vector<SizeExpr> shape;
  std::vector<SizeExpr> strides; // empty: contiguous for `shape`
};

struct StepDesc {
  enum class Op { Kernel, Gemm } op = Op::Kernel;
  std::string where;
  // kernel
  std::string symbol;
  std::string source; // the op the kernel computes (informative; may be empty)
  int symbolIndex = -1; // into the symbols of every kernel image (they agree)
  std::vector<ViewDesc> args;
  // gemm
  SizeExpr m, n, k;
  ViewDesc a, b, c;
  std::optional<ViewDesc> bias;
  // gemm: a cuda kernel family (KernelImage::Gemv::fused) that computes
  // steps [first, last], this one among them, where the product would run
  // as a skinny GEMM; its arguments are the weight (b) after args[0].
  struct Fused {
    std::string family;
    int first = -1, last = -1;
    std::vector<ViewDesc> args;
  };
  std::optional<Fused> fused;
};

struct EntryPoint {
  std::string name;
  SymbolSet symbols;
  std::vector<BufferDesc> buffers;
  std::vector<StepDesc> steps;
  int tokens = -1; // buffer index of the "tokens" input
  int logits = -1; // buffer index of the "logits" output
  // The steps continue from the state they find (decode; prefill of
  // artifacts that can continue a sequence) rather than only writing it.
  bool readsState = false;
};

// One grid dimension of a cuda launch: the product of some argument sizes,
// divided by `div` rounding up (1 when `product` is empty).
struct GridDim {
  struct Factor {
    int arg = 0; // kernel argument index
    int dim = 0; // dimension of that argument's view
  };
  std::vector<Factor> product;
  int64_t div = 1;
};

// One cuda kernel launch (docs/artifact-format.md, "Kernel images"). Grid
// sizes and unit_inner_stride refer to the step's arguments.
struct LaunchDesc {
  std::string function; // empty: the step's symbol
  // The launch's arguments: i >= 0 is the step's argument i, -1 - j its
  // scratch buffer j. Empty: the step's arguments in order.
  std::vector<int> args;
  int64_t block[3] = {1, 1, 1};
  GridDim grid[3];
  // The kernel walks its work in a grid-stride loop, so the grid may be
  // clamped to the device's limits; otherwise an oversized grid is an error.
  bool gridStride = false;
  // Dynamic shared memory per block, in bytes.
  int64_t sharedBytes = 0;
  // Arguments the kernel reads as if their innermost stride were 1.
  std::vector<int> unitInnerStride;
};

// A scratch buffer of a kernel step (f32, contiguous), each dimension sized
// like a grid dimension; it lives as long as the prepared step.
struct ScratchDesc {
  std::vector<GridDim> shape;
};

// What one kernel step runs on cuda: its launches in order (several for a
// multi-pass algorithm such as the chunked scan) and their scratch buffers.
struct KernelLaunch {
  KernelLaunch() = default;
  KernelLaunch(const LaunchDesc &single) : stages{single} {} // NOLINT: one launch
  std::vector<LaunchDesc> stages;
  std::vector<ScratchDesc> scratch;
};

// How a target's GEMMs multiply their f32 operands: exactly (F32), on the
// tensor cores with the inputs rounded to 10-bit mantissas (TF32, cuda), or
// on bf16 operands with fp32 accumulation (BF16, cuda: the weights kept in
// bf16, the activations rounded by the image's round_bf16 kernel).
enum class GemmMath { F32, TF32, BF16 };

struct KernelImage {
  std::string section;
  std::string fallbackSection; // cuda: PTX, JIT-compiled when the cubin does not load
  std::vector<std::string> symbols;
  std::vector<KernelLaunch> launches; // cuda: one per symbol
  GemmMath gemmMath = GemmMath::F32;
  // cuda: the token sampler's kernel (launched by the runtime, not a step;
  // its grid and block refer to the sampler's own arguments).
  std::optional<LaunchDesc> sampler;
  // The sampler kernel reads a temperature and a penalty per row (its
  // control words' layout since `row_settings`); the runtime samples on
  // the host with an older one.
  bool samplerRowSettings = false;
  // cuda: skinny-GEMM kernels, which the runtime runs instead of cuBLASLt
  // for gemm steps of at most `maxRows` rows (arguments a, w, bias, c).
  struct Gemv {
    LaunchDesc launch; // `function` names the kernel
    DType weight = DType::F32;
    int64_t maxRows = 0;
    // P > 0: the runtime sizes the grid itself, a block per 8 / S rows of
    // w (S the kernel's warps per row, from k and P; GemvKernel.h); 0: the
    // launch's grid.
    int64_t stretchesPerWarp = 0;
    // Non-empty: the kernel also does the steps around a gemm step whose
    // `fused` names this family (its own arguments, StepDesc::Fused).
    std::string fused;
  };
  std::vector<Gemv> gemv;
  // cuda, required by GemmMath::BF16: the kernel that rounds a gemm step's
  // f32 activations to bf16 (arguments src f32 [m, k], dst bf16 [m, k]).
  std::optional<LaunchDesc> roundBf16;
  // cuda: every kernel of the image begins with griddepcontrol.wait, so the
  // runtime may launch it with programmatic stream serialization (it starts
  // while the kernel before it finishes, and waits for it).
  bool gridDependencyWait = false;
};

// "tokenizer": how text maps to token ids (docs/artifact-format.md).
struct TokenizerDesc {
  std::string kind;    // "hf-bpe" (a tokenizer.json section) or "byte"
  std::string section; // hf-bpe: the section holding tokenizer.json
};

struct Manifest {
  std::string producer;
  ModelInfo model;
  std::vector<std::string> targets;
  std::vector<WeightDesc> weights;
  std::map<std::string, KernelImage> kernels; // by target
  std::vector<StateDesc> states;
  std::optional<EntryPoint> prefill;
  std::optional<EntryPoint> decode;
  std::optional<TokenizerDesc> tokenizer;

  int findWeight(const std::string &name) const;
  int findState(const std::string &name) const;
};

// Parses the manifest of `artifact` and checks every reference in it
// (sections, weights, states, buffers, kernel symbols listed by the image,
// ranks). Throws RuntimeError(BadArtifact) naming the file and JSON path.
Manifest parseManifest(const Artifact &artifact);

} // namespace ssmc

#endif // SSMC_SRC_MANIFEST_H
