#include "agents/monitoring/feedback_diagnosis.h"

#include <algorithm>

namespace kaizen::agents {

FeedbackDiagnosis::FeedbackDiagnosis(int64_t recent_window) : recent_window_(std::max<int64_t>(recent_window, 1)) {}

void FeedbackDiagnosis::Add(bool down, std::vector<Category> categories) {
  int d = down ? 1 : 0;
  for (const auto& c : categories) {
    recent_[c].n++;
    recent_[c].downs += d;
  }
  recent_total_.n++;
  recent_total_.downs += d;
  window_.push_back({down, std::move(categories)});
  if (static_cast<int64_t>(window_.size()) <= recent_window_) return;
  // The oldest recent entry moves to the baseline.
  Entry old = std::move(window_.front());
  window_.pop_front();
  int od = old.down ? 1 : 0;
  for (const auto& c : old.categories) {
    auto it = recent_.find(c);
    if (--it->second.n == 0) recent_.erase(it);
    else it->second.downs -= od;
    baseline_[c].n++;
    baseline_[c].downs += od;
  }
  recent_total_.n--;
  recent_total_.downs -= od;
  baseline_total_.n++;
  baseline_total_.downs += od;
}

void FeedbackDiagnosis::Reset() {
  window_.clear();
  recent_.clear();
  baseline_.clear();
  recent_total_ = baseline_total_ = Counts{};
}

v1::Diagnosis FeedbackDiagnosis::Build(size_t top, int64_t min_samples) const {
  v1::Diagnosis d;
  d.set_baseline_rate(baseline_rate());
  d.set_recent_rate(recent_rate());
  const double overall = baseline_total_.n > 0 ? baseline_rate() : recent_rate();
  const double k = 10;
  struct Ranked {
    double score;
    v1::CategoryDelta delta;
  };
  std::vector<Ranked> ranked;
  for (const auto& [cat, rc] : recent_) {
    if (rc.n < min_samples) continue;
    auto bit = baseline_.find(cat);
    double base = (bit != baseline_.end() && bit->second.n > 0) ? Rate(bit->second) : overall;
    double shrunk = (static_cast<double>(rc.downs) + k * base) / (static_cast<double>(rc.n) + k);
    v1::CategoryDelta delta;
    delta.set_dimension(cat.first);
    delta.set_value(cat.second);
    delta.set_baseline(base);
    delta.set_recent(Rate(rc));
    delta.set_samples(rc.n);
    ranked.push_back({shrunk - base, std::move(delta)});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
  for (size_t i = 0; i < ranked.size() && i < top; ++i) *d.add_categories() = std::move(ranked[i].delta);
  return d;
}

}  // namespace kaizen::agents
