#include "agents/sdk/timer_queue.h"

namespace kaizen::sdk {

TimerQueue::Id TimerQueue::Add(int64_t due_ms, int64_t period_ms, std::function<void()> fn) {
  Id id = next_id_++;
  timers_[id] = Timer{due_ms, period_ms, std::move(fn)};
  order_.insert({due_ms, id});
  return id;
}

void TimerQueue::Cancel(Id id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  order_.erase({it->second.due_ms, id});
  timers_.erase(it);
}

void TimerQueue::RunDue(int64_t now_ms) {
  while (!order_.empty() && order_.begin()->first <= now_ms) {
    auto [due, id] = *order_.begin();
    order_.erase(order_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    // Copy the callback: it may cancel its own timer while running.
    std::function<void()> fn = it->second.fn;
    if (it->second.period_ms > 0) {
      it->second.due_ms = due + it->second.period_ms;
      if (it->second.due_ms <= now_ms) it->second.due_ms = now_ms + it->second.period_ms;  // no catch-up bursts
      order_.insert({it->second.due_ms, id});
    } else {
      timers_.erase(it);
    }
    fn();
  }
}

int64_t TimerQueue::MsUntilNext(int64_t now_ms) const {
  if (order_.empty()) return -1;
  int64_t d = order_.begin()->first - now_ms;
  return d < 0 ? 0 : d;
}

}  // namespace kaizen::sdk
