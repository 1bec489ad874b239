// TeacherCalls: the worker's teacher for serve-time deferral (spec.worker.defer).
// Prepares the teacher in the background (Teacher::LoadOrTrain: a
// builtin-classifier teacher's model is cached under the state dir, so the
// worker and datagen share it) and answers on a pool of the teacher's
// max_concurrency threads, so that neither the preparation nor a slow LLM
// teacher ever blocks the agent's poll loop. An LLM teacher's calls are
// tagged "defer".
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "agents/datagen/teacher.h"
#include "agents/sdk/thread_pool.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class TeacherCalls {
 public:
  // Starts preparing the teacher.
  TeacherCalls(TeacherSpec spec, std::string state_dir);
  ~TeacherCalls();  // waits for the preparation and the calls in flight
  TeacherCalls(const TeacherCalls&) = delete;
  TeacherCalls& operator=(const TeacherCalls&) = delete;

  // Call from the loop: picks up the prepared teacher once it is done. True
  // when the state changed (ready or failed) with this call.
  bool Poll();
  bool ready() const { return teacher_ != nullptr; }
  bool preparing() const { return preparing_.valid(); }
  const Status& failure() const { return failure_; }  // why it could not be prepared
  const TeacherSpec& spec() const { return spec_; }
  // Calls in flight at once, at most (the teacher's max_concurrency).
  int capacity() const { return spec_.max_concurrency; }

  // Once ready: answers on a pool thread; `done` runs on that thread (before
  // then, at once, with a failure).
  void Submit(std::string input, uint64_t draw, std::function<void(TeacherAnswer)> done);

 private:
  TeacherSpec spec_;
  std::future<Result<Teacher>> preparing_;
  std::shared_ptr<const Teacher> teacher_;
  Status failure_;
  std::unique_ptr<sdk::ThreadPool> pool_;  // once the teacher is ready
};

}  // namespace kaizen::agents
