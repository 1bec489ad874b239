#include "bench/pinger.h"

#include "bench/timing.h"

namespace kaizen::bench {

bool Handshake(Pinger& p, int timeout_ms) {
  const int64_t deadline = NowNs() + int64_t{timeout_ms} * 1000000;
  while (NowNs() < deadline) {
    if (!p.Send()) continue;
    if (p.Receive(100) > 0) {
      while (p.Receive(50) > 0) {
      }
      return true;
    }
  }
  return false;
}

Throughput MeasureThroughput(Pinger& p, double warmup_s, double seconds, int window) {
  const int64_t start = NowNs();
  const auto measure_from = start + static_cast<int64_t>(warmup_s * 1e9);
  const auto measure_to = measure_from + static_cast<int64_t>(seconds * 1e9);
  int64_t in_flight = 0;
  uint64_t counted = 0;
  int64_t now = start;
  while (now < measure_to) {
    while (in_flight < window && p.Send()) ++in_flight;
    int got = p.Receive(100);
    in_flight -= got;
    now = NowNs();
    if (now >= measure_from && now < measure_to) counted += static_cast<uint64_t>(got);
  }
  // Let the stragglers come home so the next measurement starts clean.
  const int64_t drain_deadline = NowNs() + 5000000000LL;
  while (in_flight > 0 && NowNs() < drain_deadline) in_flight -= p.Receive(100);
  Throughput t;
  t.answered = counted;
  t.seconds = seconds;
  t.per_s = static_cast<double>(counted) / seconds;
  return t;
}

std::vector<double> MeasureRoundTrips(Pinger& p, int warmup, int samples) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(samples));
  for (int i = 0; i < warmup + samples; ++i) {
    const int64_t t0 = NowNs();
    if (!p.Send()) continue;
    int got = 0;
    while (got == 0) {
      got = p.Receive(1000);
      if (got == 0 && NowNs() - t0 > 5000000000LL) return us;  // lost: give up rather than hang
    }
    if (i >= warmup) us.push_back(static_cast<double>(NowNs() - t0) / 1000.0);
  }
  return us;
}

}  // namespace kaizen::bench
