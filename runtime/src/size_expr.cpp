// Size expression parsing and overflow-checked evaluation.
#include "size_expr.h"

#include <cstddef>

namespace ssmc {

std::optional<int64_t> checkedMul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

SizeExpr SizeExpr::constant(int64_t v) {
  SizeExpr e;
  e.coeff_ = v;
  e.text_ = std::to_string(v);
  return e;
}

std::optional<SizeExpr> SizeExpr::parse(const std::string &text,
                                        SymbolSet allowed,
                                        std::string &error) {
  SizeExpr e;
  e.text_ = text;
  e.coeff_ = 1;
  bool sawZero = false;
  size_t pos = 0;
  while (true) {
    size_t star = text.find('*', pos);
    std::string factor = text.substr(pos, star == std::string::npos
                                              ? std::string::npos
                                              : star - pos);
    const std::string quoted = "size expression \"" + text + "\"";
    if (factor.empty()) {
      error = quoted + ": empty factor";
      return std::nullopt;
    }
    if (factor == "B" || factor == "L") {
      bool ok = factor == "B" ? allowed.B : allowed.L;
      if (!ok) {
        error = quoted + ": symbol " + factor +
                " is not declared by this entry point";
        return std::nullopt;
      }
      (factor == "B" ? e.powB_ : e.powL_)++;
    } else {
      int64_t v = 0;
      for (char c : factor) {
        if (c < '0' || c > '9') {
          error = quoted + ": factor \"" + factor +
                  "\" is neither a non-negative integer nor B or L";
          return std::nullopt;
        }
        auto next = checkedMul(v, 10);
        if (next)
          next = checkedAdd(*next, c - '0');
        if (!next) {
          error = quoted + ": integer " + factor + " overflows int64";
          return std::nullopt;
        }
        v = *next;
      }
      if (v == 0)
        sawZero = true;
      else if (!sawZero) {
        auto c = checkedMul(e.coeff_, v);
        if (!c) {
          error = quoted + ": constant product overflows int64";
          return std::nullopt;
        }
        e.coeff_ = *c;
      }
    }
    if (star == std::string::npos)
      break;
    pos = star + 1;
  }
  if (sawZero) // 0 * anything is 0, whatever the other factors are
    e.coeff_ = 0, e.powB_ = 0, e.powL_ = 0;
  return e;
}

std::optional<int64_t> SizeExpr::evaluate(const Bindings &b) const {
  if (coeff_ == 0)
    return 0;
  std::optional<int64_t> r = coeff_;
  for (int i = 0; i < powB_ && r; ++i)
    r = checkedMul(*r, b.B);
  for (int i = 0; i < powL_ && r; ++i)
    r = checkedMul(*r, b.L);
  return r;
}

} // namespace ssmc
