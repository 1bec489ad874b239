#include "agents/sdk/stage_jobs.h"

#include <functional>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace kaizen::sdk {

using v1::Envelope;

StageJobs::StageJobs(Stage stage, Port port) : stage_(std::move(stage)), port_(std::move(port)) {}

std::string StageJobs::KeyOf(const Envelope& request) {
  if (!request.job_key().empty()) return request.job_key();
  // Copies of one request share their body; serialization of equal messages
  // without maps is byte-equal.
  Envelope body = request;
  body.clear_message_id();
  body.clear_correlation_id();
  body.clear_sender();
  body.clear_recipient();
  body.clear_timestamp_ms();
  body.clear_seq();
  std::string bytes;
  if (!body.SerializeToString(&bytes)) bytes = request.message_id();
  return fmt::format("{}:body{}:{:016x}", request.cycle_id(), static_cast<int>(request.body_case()),
                     std::hash<std::string>{}(bytes));
}

v1::Error::Code StageJobs::ErrorCodeOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
      return v1::Error::BAD_REQUEST;
    case Status::Code::kUnavailable:
      return v1::Error::UNAVAILABLE;
    default:
      return v1::Error::INTERNAL;
  }
}

void StageJobs::Refuse(const Envelope& request, v1::Error::Code code, const std::string& message) {
  Envelope err;
  err.mutable_error()->set_code(code);
  err.mutable_error()->set_message(message);
  port_.reply(request, std::move(err));
}

void StageJobs::OnRequest(const Envelope& request) {
  const std::string key = KeyOf(request);
  if (auto it = answered_.find(key); it != answered_.end()) {
    spdlog::info("{}: {} was answered already; sending the same answer", stage_.name, key);
    port_.reply(request, it->second);
    return;
  }
  if (current_ && current_->key == key) {
    spdlog::info("{}: {} is running; it will answer the copy just received", stage_.name, key);
    current_->request = request;
    if (stage_.adopted) stage_.adopted(request);
    return;
  }
  if (draining_) {
    Refuse(request, v1::Error::UNAVAILABLE, stage_.name + " agent is draining");
    return;
  }
  if (current_) {
    if (Status s = stage_.cancel(StopReason::kSuperseded); !s.ok()) {
      Refuse(request, v1::Error::UNAVAILABLE,
             fmt::format("{} is busy with {}: {}; try again when it is done", stage_.name, current_->key, s.message()));
      return;
    }
    spdlog::warn("{}: {} superseded by {}", stage_.name, current_->key, key);
    current_.reset();
  }
  current_ = Current{key, request};
  if (Status s = stage_.start(request); !s.ok()) {
    Fail(s);
  }
}

void StageJobs::Drain() {
  draining_ = true;
  if (current_) {
    Status s = stage_.cancel(StopReason::kDraining);
    if (!s.ok()) {
      spdlog::info("{}: draining after {} is answered ({})", stage_.name, current_->key, s.message());
      return;
    }
    // The runtime sends the request again to the restarted agent.
    spdlog::warn("{}: draining: {} stopped", stage_.name, current_->key);
    current_.reset();
  }
  Ended();
}

void StageJobs::Complete(Envelope reply, const std::string& idle_detail) {
  if (!current_) {
    spdlog::warn("{}: an answer with no job running was dropped", stage_.name);
    return;
  }
  Current done = std::move(*current_);
  current_.reset();
  Remember(done.key, reply);
  port_.reply(done.request, std::move(reply));
  port_.set_state(v1::AGENT_STATE_IDLE, idle_detail);
  Ended();
}

void StageJobs::Fail(const Status& why) {
  if (!current_) {
    spdlog::warn("{}: a failure with no job running was dropped: {}", stage_.name, why.message());
    return;
  }
  Current done = std::move(*current_);
  current_.reset();
  spdlog::error("{}: {} failed: {}", stage_.name, done.key, why.message());
  Refuse(done.request, ErrorCodeOf(why), why.message());
  const std::string& m = why.message();
  port_.set_state(v1::AGENT_STATE_IDLE, stage_.name + " failed: " + m.substr(0, m.find('\n')));
  Ended();
}

void StageJobs::Progress(const std::string& detail) { port_.set_state(v1::AGENT_STATE_BUSY, detail); }

void StageJobs::Remember(const std::string& key, const Envelope& reply) {
  if (answered_.emplace(key, reply).second) answered_order_.push_back(key);
  while (answered_order_.size() > kCachedAnswers) {
    answered_.erase(answered_order_.front());
    answered_order_.pop_front();
  }
}

void StageJobs::Ended() {
  if (draining_ && !current_ && !drained_) {
    drained_ = true;
    port_.finish_drain();
  }
}

}  // namespace kaizen::sdk
