#include "agents/gateway/gateway_metrics.h"

#include <algorithm>

#include "runtime/metrics/metrics_registry.h"

namespace kaizen::gateway {

std::string RouteLabel(const std::string& path) {
  static const char* const kRoutes[] = {"/v1/chat/completions", "/v1/tasks", "/v1/feedback", "/v1/models",
                                        "/healthz", "/readyz"};
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models";
  return "other";
}

GatewayMetrics::GatewayMetrics() : bounds_(metrics::FineLatencyBuckets()) {}

void GatewayMetrics::BeginRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  ++in_flight_;
}

void GatewayMetrics::EndRequest() {
  std::lock_guard<std::mutex> lock(mu_);
  --in_flight_;
}

void GatewayMetrics::Record(v1::RequestRecord record) {
  const std::string route = RouteLabel(record.path());
  const double seconds = record.latency_ms() / 1000.0;
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, record.status()}];
  Histogram& h = latency_[route];
  if (h.buckets.empty()) h.buckets.assign(bounds_.size(), 0);
  auto at = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  if (at != bounds_.end()) ++h.buckets[static_cast<size_t>(at - bounds_.begin())];
  ++h.count;
  h.sum += seconds;
  if (records_.size() < kMaxRecords) {
    records_.push_back(std::move(record));
  } else {
    ++dropped_;
  }
}

size_t GatewayMetrics::pending_records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_.size();
}

v1::MetricsReport GatewayMetrics::TakeReport() {
  v1::MetricsReport report;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, n] : requests_) {
    v1::MetricPoint* p = report.add_points();
    p->set_name("kaizen_gateway_requests_total");
    (*p->mutable_labels())["route"] = key.first;
    (*p->mutable_labels())["status"] = std::to_string(key.second);
    p->set_value(static_cast<double>(n));
  }
  for (const auto& [route, h] : latency_) {
    v1::MetricPoint* p = report.add_points();
    p->set_name("kaizen_gateway_request_seconds");
    (*p->mutable_labels())["route"] = route;
    for (uint64_t b : h.buckets) p->add_buckets(b);
    p->set_count(h.count);
    p->set_sum(h.sum);
  }
  v1::MetricPoint* p = report.add_points();
  p->set_name("kaizen_gateway_in_flight");
  p->set_value(static_cast<double>(in_flight_));
  for (auto& r : records_) *report.add_requests() = std::move(r);
  records_.clear();
  report.set_requests_dropped(dropped_);
  dropped_ = 0;
  return report;
}

uint64_t GatewayMetrics::Count(const std::string& route, int status) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find({route, status});
  return it == requests_.end() ? 0 : it->second;
}

}  // namespace kaizen::gateway
