// ThreadPool: a fixed number of threads running posted jobs in order of
// posting, for calls that must not block an agent's poll loop (an LLM skill's
// requests, a teacher's answers). The destructor runs the jobs still queued,
// then joins the threads: nothing posted is dropped, and a job never outlives
// the objects its owner destroys after the pool (declare the pool last).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kaizen::sdk {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // at least one
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Post(std::function<void()> job);

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kaizen::sdk
