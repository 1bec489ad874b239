#include "runtime/base/text.h"

#include <catch2/catch.hpp>

using namespace kaizen;

TEST_CASE("numbers in messages carry no trailing zeros", "[base][text]") {
  CHECK(ShortNumber(0.05) == "0.05");
  CHECK(ShortNumber(1.0) == "1");
  CHECK(ShortNumber(1e-5) == "1e-05");
  CHECK(ShortNumber(-2.5) == "-2.5");
}

TEST_CASE("a long text is cut with an ellipsis and a short one is kept whole", "[base][text]") {
  CHECK(Abbreviate("abc", 3) == "abc");
  CHECK(Abbreviate("abcd", 3) == "abc...");
  CHECK(Abbreviate("", 0) == "");
  CHECK(Abbreviate(std::string(1000, 'x'), 10).size() == 13);
}

TEST_CASE("a decimal carried as text round-trips without trailing zeros", "[base][text]") {
  CHECK(kaizen::DecimalString(0.001) == "0.001");
  CHECK(kaizen::DecimalString(0.3125) == "0.3125");
  CHECK(kaizen::DecimalString(1.0) == "1");
  CHECK(kaizen::DecimalString(-0.0) == "0");
  CHECK(kaizen::DecimalString(0.123456789) == "0.12345679");
  REQUIRE(kaizen::ParseDecimal("0.001"));
  CHECK(*kaizen::ParseDecimal("0.001") == Approx(0.001));
  CHECK(*kaizen::ParseDecimal(kaizen::DecimalString(0.83)) == Approx(0.83));
  CHECK_FALSE(kaizen::ParseDecimal(""));
  CHECK_FALSE(kaizen::ParseDecimal("0.5x"));
  CHECK_FALSE(kaizen::ParseDecimal("abc"));
  CHECK_FALSE(kaizen::ParseDecimal("inf"));
  CHECK_FALSE(kaizen::ParseDecimal("nan"));
}
