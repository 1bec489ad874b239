// When to try a failed chat completion again: exponential backoff with full
// jitter (AWS architecture blog, "Exponential Backoff And Jitter"), unless the
// server said when, in a Retry-After header.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <string>

namespace kaizen::models::llm {

class RetryPolicy {
 public:
  RetryPolicy(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::chrono::milliseconds retry_after_max,
              uint64_t seed);
  // uniform(0, min(max, initial * 2^retry)), retry counting from 0.
  std::chrono::milliseconds Backoff(int retry);
  // A Retry-After value, cut to retry_after_max.
  std::chrono::milliseconds Cap(std::chrono::milliseconds wait) const;

 private:
  std::chrono::milliseconds initial_, max_, retry_after_max_;
  std::mt19937_64 rng_;
};

// A Retry-After header value: delta-seconds ("3", "1.5" tolerated) or an HTTP
// date (RFC 9110: "Wed, 21 Oct 2015 07:28:00 GMT"), as a wait from `now`
// (never negative). nullopt when empty or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value, std::time_t now);

}  // namespace kaizen::models::llm
