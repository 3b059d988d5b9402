// Size expressions: parsing, symbol rules, overflow-checked evaluation.
#include "size_expr.h"

#include <gtest/gtest.h>

using ssmc::Bindings;
using ssmc::SizeExpr;
using ssmc::SymbolSet;

namespace {

std::optional<int64_t> evalText(const std::string &t, Bindings b,
                                SymbolSet s = {true, true}) {
  std::string err;
  auto e = SizeExpr::parse(t, s, err);
  EXPECT_TRUE(e.has_value()) << err;
  return e ? e->evaluate(b) : std::nullopt;
}

std::string parseError(const std::string &t, SymbolSet s = {true, true}) {
  std::string err;
  EXPECT_FALSE(SizeExpr::parse(t, s, err).has_value()) << t;
  return err;
}

TEST(RuntimeSizeExpr, Evaluates) {
  EXPECT_EQ(evalText("768", {2, 3}), 768);
  EXPECT_EQ(evalText("B", {2, 3}), 2);
  EXPECT_EQ(evalText("L*3072", {2, 3}), 9216);
  EXPECT_EQ(evalText("B*L*768", {2, 3}), 4608);
  EXPECT_EQ(evalText("2*B*B*L", {5, 7}), 350);
  EXPECT_EQ(evalText("0", {5, 7}), 0);
  EXPECT_EQ(SizeExpr::constant(42).evaluate({}), 42);
}

TEST(RuntimeSizeExpr, ZeroFactorWins) {
  // 0 times anything is 0, even when the other factors would overflow.
  EXPECT_EQ(evalText("0*9223372036854775807*9223372036854775807", {1, 1}), 0);
  EXPECT_EQ(evalText("B*0", {INT64_MAX, 1}), 0);
}

TEST(RuntimeSizeExpr, Overflow) {
  EXPECT_EQ(evalText("B*L", {INT64_MAX, 2}), std::nullopt);
  EXPECT_EQ(evalText("4611686018427387904*B", {2, 1}), std::nullopt);
  EXPECT_NE(parseError("9223372036854775807*2").find("overflows"), std::string::npos);
  EXPECT_NE(parseError("99999999999999999999").find("overflows"), std::string::npos);
}

TEST(RuntimeSizeExpr, Malformed) {
  EXPECT_NE(parseError("").find("empty factor"), std::string::npos);
  EXPECT_NE(parseError("B**L").find("empty factor"), std::string::npos);
  EXPECT_NE(parseError("*B").find("empty factor"), std::string::npos);
  EXPECT_NE(parseError("B*").find("empty factor"), std::string::npos);
  EXPECT_NE(parseError("B*X").find("\"X\" is neither"), std::string::npos);
  EXPECT_NE(parseError("-3").find("neither"), std::string::npos);
  EXPECT_NE(parseError("B + 1").find("neither"), std::string::npos);
  EXPECT_NE(parseError("b").find("neither"), std::string::npos);
  EXPECT_NE(parseError("3.5").find("neither"), std::string::npos);
}

TEST(RuntimeSizeExpr, SymbolsMustBeDeclared) {
  EXPECT_NE(parseError("B*L", {true, false}).find("symbol L is not declared"),
            std::string::npos);
  EXPECT_NE(parseError("B", {false, false}).find("symbol B"), std::string::npos);
}

TEST(RuntimeSizeExpr, IsSymbol) {
  std::string err;
  EXPECT_TRUE(SizeExpr::parse("B", {true, true}, err)->isSymbol('B'));
  EXPECT_FALSE(SizeExpr::parse("B*1*2", {true, true}, err)->isSymbol('B'));
  EXPECT_TRUE(SizeExpr::parse("1*L", {true, true}, err)->isSymbol('L'));
}

} // namespace
