#include "runtime/base/text.h"

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

std::string Abbreviate(std::string s, std::size_t max_chars) {
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace kaizen
