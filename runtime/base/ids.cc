#include "runtime/base/ids.h"

#include <cstdio>
#include <random>

namespace kaizen {

std::string NewId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(engine()));
  return buf;
}

std::string NewId(const std::string& prefix) { return prefix + "-" + NewId(); }

}  // namespace kaizen
