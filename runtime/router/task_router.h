// TaskRouter: every submitted task is answered exactly once. It keeps each
// task in flight until the first answer; a task whose instance dies, drains
// or stays silent past the timeout is sent again to an instance that can
// serve, and any answer after the first is dropped and counted. Tasks that
// no instance can take right now wait in a queue, in arrival order.
// A task id submitted again is not run again: while it is in flight the
// answer goes to the latest submitter; once answered the caller hands out
// the stored answer. Tasks recovered from the store after a restart come
// back with Restore() and have no submitter until one resubmits them.
// No sockets and no store here: the runtime passes in how to pick and how
// to send, and persists tasks itself.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "task.pb.h"

namespace kaizen::router {

class TaskRouter {
 public:
  struct Options {
    int64_t task_timeout_ms = 10000;  // no answer by then: send it to another instance
    size_t remember_answered = 1 << 20;  // answered ids kept to recognise late duplicates
    // Tasks one instance holds unanswered; beyond it tasks wait here, in
    // order, so a slow instance is not buried and its queue does not time
    // out into re-sends (each a second paid call for an LLM). 0 = no limit.
    size_t max_in_flight_per_instance = 0;
  };
  // The instance that should serve `task` now, or "" when none can.
  using PickFn = std::function<std::string(const v1::Task& task)>;
  // Hands `task` to `instance`; false if it could not be sent.
  using SendFn = std::function<bool(const std::string& instance, const v1::Task& task)>;

  struct Counters {
    uint64_t submitted = 0;
    uint64_t answered = 0;
    uint64_t duplicate_answers = 0;      // answers after the first, dropped
    uint64_t duplicate_submissions = 0;  // a task id submitted again (not run again)
    uint64_t restored = 0;               // pending tasks recovered after a restart
    uint64_t resent = 0;                 // re-sends after a timeout or a lost instance
  };

  struct Completed {
    std::string client;      // who submitted it last; "" for a restored task nobody resubmitted yet
    std::string request_id;  // the message id of the submission, to correlate the answer
    v1::Task task;
    std::string instance;
    uint64_t index = 0;      // arrival order, from 1
  };

  TaskRouter(Options options, PickFn pick, SendFn send);

  enum class Submitted {
    kAccepted,  // new: queued or sent; *index is its arrival index
    kPending,   // in flight already: not sent again; its answer will go to this submitter
    kAnswered,  // answered already (within remember_answered): not taken again
  };
  Submitted Submit(const std::string& client, const std::string& request_id, v1::Task task, int64_t now_ms,
                   uint64_t* index = nullptr);
  // A resubmission the caller answered from its store (counted as a duplicate submission).
  void CountResubmission() { ++counters_.duplicate_submissions; }
  // Whether the id is in flight or remembered as answered.
  bool Knows(const std::string& task_id) const;

  // A task accepted before a restart and not answered: queued in arrival
  // order with no submitter. Arrival indexes continue after the largest.
  void Restore(v1::Task task, uint64_t index);
  // Arrival indexes continue after `last` (the largest ever handed out).
  void ContinueAfter(uint64_t last);

  // The first answer for a task in flight; nullopt for a late or duplicate answer.
  std::optional<Completed> OnAnswer(const std::string& task_id, const std::string& instance);

  // `instance` will not answer (it died, was lost or drains): its tasks go elsewhere.
  void Requeue(const std::string& instance, int64_t now_ms);

  // Dispatches waiting tasks and re-sends timed-out ones. Call often.
  void Tick(int64_t now_ms);

  const Counters& counters() const { return counters_; }
  size_t in_flight() const { return in_flight_.size(); }
  size_t queued() const { return queue_.size(); }
  size_t InFlightOn(const std::string& instance) const;

 private:
  struct Entry {
    std::string client, request_id, instance;
    v1::Task task;
    int64_t sent_ms = 0;
    uint64_t index = 0;
  };
  bool Dispatch(Entry& entry, int64_t now_ms);
  void Assign(Entry& entry, const std::string& instance);  // keeps load_ in step
  void Remember(const std::string& task_id);

  Options options_;
  PickFn pick_;
  SendFn send_;
  Counters counters_;
  uint64_t next_index_ = 1;
  std::unordered_map<std::string, Entry> in_flight_;  // includes queued tasks (instance "")
  std::deque<std::string> queue_;                     // task ids waiting for an instance
  std::unordered_map<std::string, size_t> load_;      // instance -> tasks sent to it, unanswered
  std::unordered_set<std::string> answered_;
  std::deque<std::string> answered_order_;
};

}  // namespace kaizen::router
