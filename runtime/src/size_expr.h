// Size expressions of the manifest: a non-negative integer, or a string of
// '*'-separated factors, each an integer or the symbol B or L.
#ifndef SSMC_SRC_SIZE_EXPR_H
#define SSMC_SRC_SIZE_EXPR_H

#include <cstdint>
#include <optional>
#include <string>

namespace ssmc {

// Which symbols an expression may use (the entry point's "symbols").
struct SymbolSet {
  bool B = false;
  bool L = false;
};

// Bound values of the symbols.
struct Bindings {
  int64_t B = 0;
  int64_t L = 0;
};

// A product c * B^b * L^l, folded at parse time. Kept with its source text so
// errors can quote it.
class SizeExpr {
public:
  SizeExpr() = default;
  static SizeExpr constant(int64_t v);
  // Parses the string form; returns nullopt and sets `error` on failure.
  static std::optional<SizeExpr> parse(const std::string &text,
                                       SymbolSet allowed, std::string &error);

  // nullopt on int64 overflow.
  std::optional<int64_t> evaluate(const Bindings &b) const;
  bool isConstant() const { return powB_ == 0 && powL_ == 0; }
  bool usesL() const { return powL_ > 0; }
  // True when the expression is exactly the symbol `sym` ('B' or 'L').
  bool isSymbol(char sym) const {
    return coeff_ == 1 && powB_ == (sym == 'B') && powL_ == (sym == 'L');
  }
  const std::string &text() const { return text_; }

private:
  int64_t coeff_ = 0;
  int powB_ = 0;
  int powL_ = 0;
  std::string text_ = "0";
};

// Overflow-checked helpers for sizes (nullopt on overflow or negative input).
std::optional<int64_t> checkedMul(int64_t a, int64_t b);
std::optional<int64_t> checkedAdd(int64_t a, int64_t b);

} // namespace ssmc

#endif // SSMC_SRC_SIZE_EXPR_H
