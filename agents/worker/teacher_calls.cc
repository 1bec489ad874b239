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
  pool_.reset();  // the calls in flight finish while teacher_ still lives
}

bool TeacherCalls::Poll() {
  if (!preparing_.valid() || preparing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  Result<Teacher> t = preparing_.get();
  if (!t.ok()) {
    failure_ = t.status();
    return true;
  }
  teacher_ = std::make_shared<const Teacher>(std::move(*t));
  pool_ = std::make_unique<sdk::ThreadPool>(spec_.max_concurrency);
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
  pool_->Post(std::move(job));
}

}  // namespace kaizen::agents
