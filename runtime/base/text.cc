#include "runtime/base/text.h"

#include <sstream>

namespace kaizen {

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
