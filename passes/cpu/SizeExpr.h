#ifndef SSMC_PASSES_CPU_SIZEEXPR_H
#define SSMC_PASSES_CPU_SIZEEXPR_H

// A size in the schedule: coeff * B^b * L^l, the product form of the
// artifact's size expressions (docs/artifact-format.md).

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::ssm {

struct SizeExpr {
  int64_t coeff = 0;
  int batchPow = 0, lengthPow = 0;

  static SizeExpr constant(int64_t c) { return {c, 0, 0}; }
  static SizeExpr batch() { return {1, 1, 0}; }
  static SizeExpr length() { return {1, 0, 1}; }

  bool isConstant() const { return coeff == 0 || (batchPow == 0 && lengthPow == 0); }
  bool operator==(const SizeExpr &o) const {
    return coeff == o.coeff && (coeff == 0 || (batchPow == o.batchPow &&
                                               lengthPow == o.lengthPow));
  }

  SizeExpr operator*(const SizeExpr &o) const {
    return {coeff * o.coeff, batchPow + o.batchPow, lengthPow + o.lengthPow};
  }
  // Sums stay representable only when the monomials agree (or one is zero).
  std::optional<SizeExpr> plus(const SizeExpr &o) const {
    if (coeff == 0)
      return o;
    if (o.coeff == 0)
      return *this;
    if (batchPow != o.batchPow || lengthPow != o.lengthPow)
      return std::nullopt;
    return SizeExpr{coeff + o.coeff, batchPow, lengthPow};
  }

  // "3072", "B", "L*3072", "B*L*768".
  std::string str() const {
    std::string s;
    for (int i = 0; i < batchPow; ++i)
      s += s.empty() ? "B" : "*B";
    for (int i = 0; i < lengthPow; ++i)
      s += s.empty() ? "L" : "*L";
    if (coeff != 1 || s.empty())
      s = s.empty() ? std::to_string(coeff) : s + "*" + std::to_string(coeff);
    return coeff == 0 ? "0" : s;
  }
};

} // namespace mlir::ssm

#endif
