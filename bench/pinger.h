// Pinger: the measuring end of a round trip, whatever carries it (raw
// ZeroMQ, the kaizen bus, the task router). The far end answers each message
// with one message. Measure* drive any Pinger the same way, so figures and
// their baselines are measured alike.
#pragma once

#include <cstdint>
#include <vector>

namespace kaizen::bench {

class Pinger {
 public:
  virtual ~Pinger() = default;
  // Sends one request; false if it could not be queued.
  virtual bool Send() = 0;
  // Reads the answers that are there, waiting up to timeout_ms for the
  // first; returns how many were read.
  virtual int Receive(int timeout_ms) = 0;
};

// Sends one request at a time until one comes back (the far end is
// connected), then drains stragglers. False if none came back in time.
bool Handshake(Pinger& p, int timeout_ms);

struct Throughput {
  double per_s = 0;        // answers per second
  uint64_t answered = 0;   // in the measured interval
  double seconds = 0;
};
// Keeps `window` requests in flight; counts answers during `seconds` after
// `warmup_s`, then waits for the ones still in flight.
Throughput MeasureThroughput(Pinger& p, double warmup_s, double seconds, int window);

// `samples` round trips one at a time (after `warmup` unrecorded ones), in
// microseconds.
std::vector<double> MeasureRoundTrips(Pinger& p, int warmup, int samples);

}  // namespace kaizen::bench
