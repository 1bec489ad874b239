#include "bench/open_loop.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bench/timing.h"

namespace kaizen::bench {

DeadlineTimer::DeadlineTimer() : fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("timerfd_create failed");
}

DeadlineTimer::~DeadlineTimer() { ::close(fd_); }

void DeadlineTimer::ArmAt(int64_t monotonic_ns) {
  itimerspec t{};
  monotonic_ns = std::max<int64_t>(monotonic_ns, 1);  // 0 would disarm it
  t.it_value.tv_sec = monotonic_ns / 1000000000;
  t.it_value.tv_nsec = monotonic_ns % 1000000000;
  ::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &t, nullptr);
}

void DeadlineTimer::Clear() {
  uint64_t expirations = 0;
  (void)!::read(fd_, &expirations, sizeof expirations);
}

OpenLoopResult RunOpenLoop(Transport& t, const OpenLoopPlan& plan) {
  OpenLoopResult r;
  const double interval_ns = 1e9 / plan.rate_per_s;
  const auto warm = static_cast<uint64_t>(std::llround(plan.warmup_s * plan.rate_per_s));
  const uint64_t total = warm + static_cast<uint64_t>(std::llround(plan.measure_s * plan.rate_per_s));
  const int64_t start = NowNs() + 1000000;
  auto scheduled = [&](uint64_t i) { return start + static_cast<int64_t>(static_cast<double>(i) * interval_ns); };
  const int64_t measure_from = scheduled(warm), measure_to = scheduled(total);

  std::vector<uint8_t> answered(total, 0);
  std::vector<double> lag_us;
  lag_us.reserve(total);
  r.latency_us.reserve(total - warm);
  uint64_t next = 0, outstanding = 0, in_window = 0;
  const Transport::Done done = [&](uint64_t i, int status) {
    if (i >= next || answered[i]) return;  // not ours, or a second answer
    answered[i] = 1;
    --outstanding;
    const int64_t now = NowNs();
    if (status != 200) {
      ++r.failed;
      return;
    }
    ++r.ok;
    if (i >= warm) r.latency_us.push_back(static_cast<double>(now - scheduled(i)) / 1000.0);
    if (now >= measure_from && now < measure_to) ++in_window;
  };

  const int64_t drain_deadline = measure_to + static_cast<int64_t>(plan.drain_s * 1e9);
  while (true) {
    int64_t now = NowNs();
    while (next < total && scheduled(next) <= now) {
      lag_us.push_back(static_cast<double>(now - scheduled(next)) / 1000.0);
      ++outstanding;
      t.Issue(next++);
      now = NowNs();
    }
    if (next == total && (outstanding == 0 || now >= drain_deadline)) break;
    t.Wait(next < total ? scheduled(next) : drain_deadline, done);
  }
  r.sent = next;
  r.unanswered = outstanding;
  r.answered_per_s = static_cast<double>(in_window) / plan.measure_s;
  r.wall_s = static_cast<double>(NowNs() - start) / 1e9;
  r.issue_lag_max_us = lag_us.empty() ? 0 : *std::max_element(lag_us.begin(), lag_us.end());
  r.issue_lag_p99_us = Percentile(lag_us, 0.99);
  r.transport = t.Stats();
  return r;
}

}  // namespace kaizen::bench
