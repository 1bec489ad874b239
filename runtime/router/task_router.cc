#include "runtime/router/task_router.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace kaizen::router {

TaskRouter::TaskRouter(Options options, PickFn pick, SendFn send)
    : options_(options), pick_(std::move(pick)), send_(std::move(send)) {}

TaskRouter::Submitted TaskRouter::Submit(const std::string& client, const std::string& request_id, v1::Task task,
                                         int64_t now_ms, uint64_t* index) {
  const std::string& id = task.task_id();
  if (auto it = in_flight_.find(id); it != in_flight_.end()) {
    ++counters_.duplicate_submissions;
    // The earlier submitter may be gone (a client that reconnected): the
    // one answer goes to whoever asked last.
    it->second.client = client;
    it->second.request_id = request_id;
    return Submitted::kPending;
  }
  if (answered_.count(id)) {
    ++counters_.duplicate_submissions;
    return Submitted::kAnswered;
  }
  ++counters_.submitted;
  std::string key = id;
  Entry& e = in_flight_[key];
  e.client = client;
  e.request_id = request_id;
  e.index = next_index_++;
  if (index) *index = e.index;
  e.task = std::move(task);
  e.task.set_attempt(0);
  // Keep arrival order: nothing overtakes tasks already waiting.
  if (!queue_.empty() || !Dispatch(e, now_ms)) queue_.push_back(std::move(key));
  return Submitted::kAccepted;
}

bool TaskRouter::Knows(const std::string& task_id) const {
  return in_flight_.count(task_id) > 0 || answered_.count(task_id) > 0;
}

void TaskRouter::Restore(v1::Task task, uint64_t index) {
  std::string id = task.task_id();
  if (Knows(id)) return;
  Entry& e = in_flight_[id];
  e.index = index;
  e.task = std::move(task);
  e.task.set_attempt(0);
  queue_.push_back(std::move(id));
  ++counters_.restored;
  ContinueAfter(index);
}

void TaskRouter::ContinueAfter(uint64_t last) { next_index_ = std::max(next_index_, last + 1); }

bool TaskRouter::Dispatch(Entry& e, int64_t now_ms) {
  std::string instance = pick_(e.task);
  if (instance.empty()) return false;
  if (options_.max_in_flight_per_instance > 0 && instance != e.instance &&
      load_[instance] >= options_.max_in_flight_per_instance) {
    return false;  // full: it waits (in order) until the instance answers something
  }
  e.task.set_attempt(e.task.attempt() + 1);
  if (!send_(instance, e.task)) {
    e.task.set_attempt(e.task.attempt() - 1);
    return false;
  }
  Assign(e, instance);
  e.sent_ms = now_ms;
  return true;
}

void TaskRouter::Assign(Entry& e, const std::string& instance) {
  if (e.instance == instance) return;
  if (!e.instance.empty()) {
    auto it = load_.find(e.instance);
    if (it != load_.end() && --it->second == 0) load_.erase(it);
  }
  e.instance = instance;
  if (!instance.empty()) ++load_[instance];
}

std::optional<TaskRouter::Completed> TaskRouter::OnAnswer(const std::string& task_id, const std::string& instance) {
  auto it = in_flight_.find(task_id);
  if (it == in_flight_.end() || it->second.instance.empty()) {
    // Late (after a re-send was answered), repeated, or for a task never sent.
    ++counters_.duplicate_answers;
    return std::nullopt;
  }
  Assign(it->second, "");
  Completed c{std::move(it->second.client), std::move(it->second.request_id), std::move(it->second.task), instance,
              it->second.index};
  in_flight_.erase(it);
  Remember(task_id);
  ++counters_.answered;
  return c;
}

void TaskRouter::Remember(const std::string& task_id) {
  answered_.insert(task_id);
  answered_order_.push_back(task_id);
  while (answered_order_.size() > options_.remember_answered) {
    answered_.erase(answered_order_.front());
    answered_order_.pop_front();
  }
}

void TaskRouter::Requeue(const std::string& instance, int64_t now_ms) {
  std::vector<std::string> moved;
  for (auto& [id, e] : in_flight_) {
    if (e.instance != instance) continue;
    Assign(e, "");
    moved.push_back(id);
  }
  if (moved.empty()) return;
  counters_.resent += moved.size();
  // Oldest first, ahead of tasks that arrived later.
  std::sort(moved.begin(), moved.end(),
            [this](const std::string& a, const std::string& b) { return in_flight_[a].index < in_flight_[b].index; });
  queue_.insert(queue_.begin(), moved.begin(), moved.end());
  Tick(now_ms);
}

void TaskRouter::Tick(int64_t now_ms) {
  while (!queue_.empty()) {
    auto it = in_flight_.find(queue_.front());
    if (it == in_flight_.end() || !it->second.instance.empty()) {  // answered meanwhile
      queue_.pop_front();
      continue;
    }
    if (!Dispatch(it->second, now_ms)) break;
    queue_.pop_front();
  }
  if (options_.task_timeout_ms <= 0) return;
  for (auto& [id, e] : in_flight_) {
    if (e.instance.empty() || now_ms - e.sent_ms < options_.task_timeout_ms) continue;
    // The first instance may still answer; whichever answer comes first wins.
    if (Dispatch(e, now_ms)) {
      ++counters_.resent;
    } else {
      e.sent_ms = now_ms;  // nobody else can take it: wait another period (e.instance unchanged)
    }
  }
}

size_t TaskRouter::InFlightOn(const std::string& instance) const {
  auto it = load_.find(instance);
  return it == load_.end() ? 0 : it->second;
}

}  // namespace kaizen::router
