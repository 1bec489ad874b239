#include "agents/worker/teacher_calls.h"

#include <algorithm>
#include <chrono>

namespace kaizen::agents {

TeacherCalls::TeacherCalls(TeacherSpec spec, std::string state_dir) : spec_(std::move(spec)) {
  preparing_ = std::async(std::launch::async,
                          [s = spec_, dir = std::move(state_dir)] { return Teacher::LoadOrTrain(s, dir); });
}

TeacherCalls::~TeacherCalls() {
  if (preparing_.valid()) preparing_.wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

bool TeacherCalls::Poll() {
  if (!preparing_.valid() || preparing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  Result<Teacher> t = preparing_.get();
  if (!t.ok()) {
    failure_ = t.status();
    return true;
  }
  teacher_ = std::make_shared<const Teacher>(std::move(*t));
  for (int i = 0; i < std::max(1, spec_.max_concurrency); ++i) threads_.emplace_back([this] { Work(); });
  return true;
}

void TeacherCalls::Submit(std::string input, uint64_t draw, std::function<void(TeacherAnswer)> done) {
  if (!teacher_) {  // no pool yet: answered at once, as a failure
    TeacherAnswer a;
    a.status = Status::FailedPrecondition("teacher " + spec_.name + " is not ready");
    done(std::move(a));
    return;
  }
  auto job = [teacher = teacher_, input = std::move(input), draw, done = std::move(done)] {
    done(teacher->Answer(input, draw, "defer"));
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void TeacherCalls::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

}  // namespace kaizen::agents
