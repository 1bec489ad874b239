// GatewayMetrics: what a gateway process counts about the HTTP requests it
// answers, shared by its HTTP threads (a mutex; the counters are tiny) and
// drained by its loop into MetricsReports for the runtime, which serves them
// on the cluster's Prometheus endpoint with the gateway's agent id.
// Route labels come from a fixed list (RouteLabel), so a client sending
// random paths cannot grow the series without bound.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "agent.pb.h"

namespace kaizen::gateway {

// The route label of a request path: one of the gateway's routes, or "other".
std::string RouteLabel(const std::string& path);

class GatewayMetrics {
 public:
  // Records kept between two reports at most; more are counted as dropped.
  static constexpr size_t kMaxRecords = 20000;

  GatewayMetrics();

  void BeginRequest();  // in flight +1
  void EndRequest();    // in flight -1
  // One answered request: counted by route and status, its latency observed,
  // and its record kept for the journal (kaizen logs --requests).
  void Record(v1::RequestRecord record);

  // Records waiting for the next report.
  size_t pending_records() const;
  // Cumulative counters and the latency histogram as MetricPoints, plus the
  // records since the last call (which it clears).
  v1::MetricsReport TakeReport();

  // For tests and the gateway's own log: requests answered with `status` on `route`.
  uint64_t Count(const std::string& route, int status) const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, status) -> count
  std::map<std::string, Histogram> latency_;                 // route -> seconds
  int64_t in_flight_ = 0;
  std::vector<v1::RequestRecord> records_;
  uint64_t dropped_ = 0;
};

}  // namespace kaizen::gateway
