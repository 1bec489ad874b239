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

std::string NewTaskId(int64_t wall_ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "kz-%012llx-", static_cast<unsigned long long>(wall_ms) & 0xffffffffffffULL);
  return buf + NewId();
}

std::optional<int64_t> TaskIdIssuedMs(std::string_view id) {
  // kz- (3) + 12 hex + '-' + 16 hex = 32 characters.
  if (id.size() != 32 || id.substr(0, 3) != "kz-" || id[15] != '-') return std::nullopt;
  int64_t ms = 0;
  for (size_t i = 3; i < 15; ++i) {
    const char c = id[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
    if (digit < 0) return std::nullopt;
    ms = ms * 16 + digit;
  }
  return ms;
}

}  // namespace kaizen
