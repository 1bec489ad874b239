// Timers for an agent's single-threaded loop: one-shot and repeating, on the
// monotonic clock. Not thread-safe by design: everything runs on the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace kaizen::sdk {

class TimerQueue {
 public:
  using Id = uint64_t;
  // period_ms > 0 repeats; 0 fires once.
  Id Add(int64_t due_ms, int64_t period_ms, std::function<void()> fn);
  void Cancel(Id id);
  // Runs every timer due at now_ms (a callback may add or cancel timers).
  void RunDue(int64_t now_ms);
  // Milliseconds until the next timer, or -1 when none.
  int64_t MsUntilNext(int64_t now_ms) const;
  size_t size() const { return timers_.size(); }

 private:
  struct Timer {
    int64_t due_ms;
    int64_t period_ms;
    std::function<void()> fn;
  };
  Id next_id_ = 1;
  std::map<Id, Timer> timers_;
  std::set<std::pair<int64_t, Id>> order_;  // (due, id)
};

}  // namespace kaizen::sdk
