// Open-loop load: requests go out on a fixed schedule (request i at
// start + i / rate), whether or not earlier ones were answered, and each
// latency is measured from the request's *scheduled* time, so a request that
// waits (for the generator, a free connection, a busy server) counts its wait:
// no coordinated omission. One thread drives a Transport (HTTP, bus) through
// the schedule and then waits for the stragglers; what was never answered,
// or answered with an error, is lost.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::bench {

// What carries the requests. Single-threaded: Issue and Wait are called from
// the driver's thread only.
class Transport {
 public:
  // status: 200 answered; another HTTP status; -1 the connection failed.
  using Done = std::function<void(uint64_t request, int status)>;
  virtual ~Transport() = default;
  // Sends request `i` now, or queues it until the transport can (a free
  // connection); the driver does not care which.
  virtual void Issue(uint64_t i) = 0;
  // Handles I/O until the monotonic time `deadline_ns` (the next send) or
  // until something was read, calling `done` for each answer.
  virtual void Wait(int64_t deadline_ns, const Done& done) = 0;
  // Transport-specific counters for the report (e.g. the longest queue).
  virtual nlohmann::json Stats() const { return nlohmann::json::object(); }
};

struct OpenLoopPlan {
  double rate_per_s = 1000;
  double warmup_s = 0.5;   // sent and checked, latencies not recorded
  double measure_s = 2.0;  // latencies of requests scheduled in here are recorded
  double drain_s = 10.0;   // after the last send, how long to wait for answers
};

struct OpenLoopResult {
  uint64_t sent = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;      // answered with an error status, or the connection broke
  uint64_t unanswered = 0;  // no answer within drain_s of the last send
  uint64_t lost() const { return failed + unanswered; }
  // Answers with status 200 that came in during the measured interval, per second.
  double answered_per_s = 0;
  // Latency from the scheduled send time to the whole answer, in microseconds,
  // of the requests scheduled in the measured interval that got a 200.
  std::vector<double> latency_us;
  // How late the driver issued requests (its own lag), microseconds.
  double issue_lag_p99_us = 0, issue_lag_max_us = 0;
  double wall_s = 0;
  nlohmann::json transport;  // Transport::Stats()
};

OpenLoopResult RunOpenLoop(Transport& t, const OpenLoopPlan& plan);

// A timerfd on the monotonic clock that Wait implementations poll: armed at
// an absolute time with nanosecond resolution (poll timeouts are whole ms).
class DeadlineTimer {
 public:
  DeadlineTimer();  // throws if no timerfd can be made
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;
  int fd() const { return fd_; }
  void ArmAt(int64_t monotonic_ns);
  void Clear();  // reads the expiry count after it fired

 private:
  int fd_ = -1;
};

}  // namespace kaizen::bench
