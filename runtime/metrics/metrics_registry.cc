#include "runtime/metrics/metrics_registry.h"

#include <algorithm>

namespace kaizen::metrics {

void MetricsRegistry::Declare(const std::string& name, Type type, const std::string& help, std::vector<double> bounds) {
  if (index_.count(name)) return;
  index_[name] = families_.size();
  Family f;
  f.name = name;
  f.help = help;
  f.type = type;
  f.bounds = std::move(bounds);
  std::sort(f.bounds.begin(), f.bounds.end());
  families_.push_back(std::move(f));
}

Family* MetricsRegistry::Get(const std::string& name, Type type) {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  Family& f = families_[it->second];
  return f.type == type || (type == Type::kGauge && f.type == Type::kCounter) ? &f : nullptr;
}

void MetricsRegistry::Add(const std::string& name, const Labels& labels, double delta) {
  if (Family* f = Get(name, Type::kCounter)) f->series[labels].value += delta;
}

void MetricsRegistry::Set(const std::string& name, const Labels& labels, double value) {
  // Set works on counters too: a count another part keeps (the router's) is copied in.
  if (Family* f = Get(name, Type::kGauge)) f->series[labels].value = value;
}

void MetricsRegistry::Observe(const std::string& name, const Labels& labels, double value) {
  Family* f = Get(name, Type::kHistogram);
  if (!f) return;
  Series& s = f->series[labels];
  if (s.buckets.size() != f->bounds.size()) s.buckets.assign(f->bounds.size(), 0);
  auto at = std::lower_bound(f->bounds.begin(), f->bounds.end(), value);  // first bound >= value
  if (at != f->bounds.end()) ++s.buckets[static_cast<size_t>(at - f->bounds.begin())];
  ++s.count;
  s.sum += value;
}

void MetricsRegistry::SetHistogram(const std::string& name, const Labels& labels, std::vector<uint64_t> buckets,
                                   uint64_t count, double sum) {
  Family* f = Get(name, Type::kHistogram);
  if (!f || buckets.size() != f->bounds.size()) return;
  Series& s = f->series[labels];
  s.buckets = std::move(buckets);
  s.count = count;
  s.sum = sum;
}

void MetricsRegistry::Clear(const std::string& name) {
  auto it = index_.find(name);
  if (it != index_.end()) families_[it->second].series.clear();
}

const Series* MetricsRegistry::Find(const std::string& name, const Labels& labels) const {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  const auto& series = families_[it->second].series;
  auto s = series.find(labels);
  return s == series.end() ? nullptr : &s->second;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> FineLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace kaizen::metrics
