#include "runtime/base/text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace kaizen {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string ShortNumber(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

std::string DecimalString(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::optional<double> ParseDecimal(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Abbreviate(std::string s, std::size_t max_chars) {
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace kaizen
