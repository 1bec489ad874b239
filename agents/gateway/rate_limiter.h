// RateLimiter: a token bucket per client. Each client starts with `burst`
// tokens; a request takes one, and tokens come back at `per_second` up to
// `burst`. Thread-safe: one mutex around the buckets. Time is passed in
// (milliseconds of a monotonic clock), so tests need no sleeping.
//
// Memory is bounded: at most `max_clients` buckets are kept. A bucket that
// has filled up again is the same as no bucket, so when a new client finds
// the table full the buckets that are full now are forgotten; if that frees
// less than a tenth of the table, the buckets nearest to full go too (their
// clients get a fresh, full bucket: more lenient, never stricter). Doing
// this for a tenth of the table at a time keeps the cost per request small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace kaizen::gateway {

class RateLimiter {
 public:
  static constexpr std::size_t kDefaultMaxClients = 100000;

  // per_second <= 0 (or not a finite number): unlimited, Take() always
  // allows and keeps nothing. burst is the most requests at once; below 1
  // (or not finite) it counts as 1, since a bucket that never holds a whole
  // token would refuse everything.
  RateLimiter(double per_second, double burst, std::size_t max_clients = kDefaultMaxClients);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // One request by `client` at now_ms: nullopt when allowed (a token is
  // taken), else the seconds (> 0) until a token is there. A refused request
  // takes nothing. For Retry-After, round up to whole seconds. A now_ms
  // earlier than the client's last request (a clock stepping back) adds no
  // tokens.
  std::optional<double> Take(const std::string& client, int64_t now_ms);

  bool unlimited() const { return per_second_ <= 0; }
  double per_second() const { return per_second_; }
  double burst() const { return burst_; }
  // Buckets kept now (for metrics and tests).
  std::size_t clients() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;  // when `tokens` was last brought up to date
  };
  // When this bucket is full again, in ms.
  double FullAtMs(const Bucket& b) const;
  // Makes room for one more bucket; mu_ held.
  void Evict(int64_t now_ms);

  const double per_second_;
  const double burst_;
  const std::size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace kaizen::gateway
