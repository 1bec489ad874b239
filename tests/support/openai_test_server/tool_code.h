// The Python tools the test server's "tool writer" rule writes (tool_rules.cc):
// real, general solvers for unit conversions and arithmetic questions, so
// tests of a tool-creation strategy run code that works beyond its examples.
#pragma once

#include <string>
#include <vector>

namespace kaizen::testing {

// A unit the server knows: one spelling of it, its dimension ("length", "mass",
// "volume", "temperature"), its canonical name, and its size in the
// dimension's base unit (m, kg, l; 0 for temperatures, converted by formula).
struct UnitName {
  const char* spelling;
  const char* dimension;
  const char* canonical;
  double factor;
};
const std::vector<UnitName>& KnownUnits();

// True when `text` has a quantity with a known unit ("5 km", "100 degrees fahrenheit").
bool MentionsUnitQuantity(const std::string& text);
// True when `text` has a number and an arithmetic operator or operator word.
bool MentionsArithmetic(const std::string& text);

// Python 3 source defining `def <name>(question)`, using only re and math.
// `sloppy`: the same tool with its result off by one.
std::string ConvertUnitsCode(const std::string& name, bool sloppy);
std::string CalculateCode(const std::string& name, bool sloppy);

}  // namespace kaizen::testing
