// Small text helpers shared by error messages and logs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace kaizen {

// s without leading and trailing spaces, tabs, CRs and LFs.
std::string Trim(const std::string& s);

// A number as people write it in a message: no trailing zeros ("0.05", "1", "1e-05").
std::string ShortNumber(double v);

// A number carried as text (a tag such as "0.001"): fixed point, at most 8
// decimals, no trailing zeros ("0.001", "0.3125", "1").
std::string DecimalString(double v);
// The finite number `text` is, all of it; nullopt for "", junk, inf or nan.
std::optional<double> ParseDecimal(const std::string& text);

// At most max_chars of s, with "..." appended when it was cut, so a quoted
// reply or document cannot flood an error message or a log line.
std::string Abbreviate(std::string s, std::size_t max_chars);

}  // namespace kaizen
