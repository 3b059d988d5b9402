// Binding an entry point to concrete (B, L): every size evaluated, every view
// checked to stay inside its buffer or weight. The result is what a session
// executes; it holds no memory.
#ifndef SSMC_SRC_BIND_H
#define SSMC_SRC_BIND_H

#include "manifest.h"

#include <string>
#include <vector>

namespace ssmc {

struct BoundView {
  int buffer = -1; // index into the entry point's buffers, or
  int weight = -1; // index into the manifest's weights
  int64_t offset = 0;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

struct BoundStep {
  const StepDesc *desc = nullptr;
  std::vector<BoundView> args; // kernel
  int64_t m = 0, n = 0, k = 0; // gemm
  BoundView a, b, c, bias;
  bool hasBias = false;
  std::vector<BoundView> fusedArgs; // gemm with StepDesc::fused
};

struct BoundEntry {
  Bindings bindings;
  std::vector<std::vector<int64_t>> bufferShapes;
  std::vector<int64_t> bufferBytes;
  std::vector<BoundStep> steps;
};

// Evaluates a shape; throws RuntimeError(InvalidArgument) on overflow.
std::vector<int64_t> bindShape(const std::vector<SizeExpr> &shape,
                               const Bindings &b, const std::string &what);
int64_t numelOf(const std::vector<int64_t> &shape, const std::string &what);

// Throws RuntimeError naming `file` and the offending view or step.
BoundEntry bindEntry(const Manifest &m, const EntryPoint &ep,
                     const Bindings &b, const std::string &file);

} // namespace ssmc

#endif // SSMC_SRC_BIND_H
