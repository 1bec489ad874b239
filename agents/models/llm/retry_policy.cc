#include "agents/models/llm/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>

namespace kaizen::models::llm {

RetryPolicy::RetryPolicy(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                         std::chrono::milliseconds retry_after_max, uint64_t seed)
    : initial_(initial),
      max_(max),
      retry_after_max_(retry_after_max),
      rng_(seed != 0 ? seed : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {}

std::chrono::milliseconds RetryPolicy::Backoff(int retry) {
  double cap = static_cast<double>(initial_.count());
  for (int i = 0; i < retry && cap < static_cast<double>(max_.count()); ++i) cap *= 2;
  cap = std::min(cap, static_cast<double>(max_.count()));
  if (cap <= 0) return std::chrono::milliseconds(0);
  std::uniform_real_distribution<double> u(0.0, cap);
  return std::chrono::milliseconds(static_cast<int64_t>(u(rng_)));
}

std::chrono::milliseconds RetryPolicy::Cap(std::chrono::milliseconds wait) const {
  return std::min(wait, retry_after_max_);
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value, std::time_t now) {
  if (value.empty()) return std::nullopt;
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0') {
    if (seconds < 0) seconds = 0;
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  }
  std::time_t when = curl_getdate(value.c_str(), &now);
  if (when == -1) return std::nullopt;
  return std::chrono::milliseconds(std::max<int64_t>(0, static_cast<int64_t>(when - now) * 1000));
}

}  // namespace kaizen::models::llm
