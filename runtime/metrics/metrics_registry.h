// MetricsRegistry: counters, gauges and histograms with labels, as the
// Prometheus data model has them. Owned and written by one thread (the
// runtime's loop); the HTTP server never reads it, it serves text rendered
// from it (prometheus_text.h) and handed over by MetricsServer::Publish.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kaizen::metrics {

enum class Type { kCounter, kGauge, kHistogram };

// Label name -> value, sorted by name (a std::map), so one label set is one series.
using Labels = std::map<std::string, std::string>;

struct Series {
  double value = 0;                 // counter or gauge
  std::vector<uint64_t> buckets;    // histogram: observations <= bounds[i] (not cumulative)
  uint64_t count = 0;               // histogram: observations
  double sum = 0;                   // histogram: their sum
};

struct Family {
  std::string name, help;
  Type type = Type::kCounter;
  std::vector<double> bounds;       // histogram bucket upper bounds, increasing (+Inf implied)
  std::map<Labels, Series> series;
};

class MetricsRegistry {
 public:
  // Declares a family; names must match [a-zA-Z_:][a-zA-Z0-9_:]*. Declaring
  // one again keeps its series. Writes to an undeclared name are ignored.
  void Declare(const std::string& name, Type type, const std::string& help, std::vector<double> bounds = {});

  void Add(const std::string& name, const Labels& labels, double delta = 1);  // counter
  void Set(const std::string& name, const Labels& labels, double value);      // gauge, or a counter kept elsewhere
  void Observe(const std::string& name, const Labels& labels, double value);  // histogram
  // A histogram kept elsewhere (another process's), per bucket as Series has
  // it; ignored when the bucket count does not match the declared bounds.
  void SetHistogram(const std::string& name, const Labels& labels, std::vector<uint64_t> buckets, uint64_t count,
                    double sum);
  // Drops a family's series: for gauges rebuilt on each snapshot (agent states).
  void Clear(const std::string& name);

  const std::vector<Family>& families() const { return families_; }
  const Series* Find(const std::string& name, const Labels& labels) const;

 private:
  Family* Get(const std::string& name, Type type);
  std::vector<Family> families_;           // in declaration order: the order of the text
  std::map<std::string, size_t> index_;    // name -> position in families_
};

// Bucket bounds for latencies in seconds: 1 ms .. 10 s.
std::vector<double> LatencyBuckets();
// Finer ones for what adds little latency (the HTTP gateway): 100 us .. 10 s.
std::vector<double> FineLatencyBuckets();

}  // namespace kaizen::metrics
