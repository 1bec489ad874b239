#include "agents/monitoring/monitoring_agent.h"

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"

namespace kaizen::agents {

using sdk::Envelope;

Status MonitoringAgent::OnStart() {
  engine_ = std::make_unique<TriggerEngine>(TriggerEngine::OptionsFromSettings(settings()), MonoMs());
  OnEvent("task_result", [this](const Envelope& e) { OnTaskResult(e); });
  OnEvent("feedback", [this](const Envelope& e) { OnFeedback(e); });
  OnEvent("cycle_transition", [this](const Envelope& e) { OnCycleTransition(e); });
  Every(1000, [this] {
    if (auto t = engine_->Tick(MonoMs())) SendTrigger(*t);
  });
  // Each state change is journaled, so the detail is refreshed only now and then.
  Every(10000, [this] { ReportState(); });
  spdlog::info("monitoring agent {} ready; triggers: {}, cooldown {} s", id(),
               settings().value("triggers", nlohmann::json::array()).dump(), settings().value("cooldown_s", 60));
  return Status::OK();
}

void MonitoringAgent::OnTaskResult(const Envelope& e) {
  const auto& r = e.task_result();
  if (r.task_index() > 0) engine_->SetTaskIndex(static_cast<int64_t>(r.task_index()));
  if (!r.ok() || r.task_id().empty()) return;
  auto [it, inserted] = tasks_.try_emplace(r.task_id());
  it->second.output = r.output();
  it->second.model_version = r.model_version();
  it->second.tags = {r.tags().begin(), r.tags().end()};
  if (!inserted) return;
  task_order_.push_back(r.task_id());
  while (task_order_.size() > kMaxTasks) {
    tasks_.erase(task_order_.front());
    task_order_.pop_front();
  }
}

void MonitoringAgent::OnFeedback(const Envelope& e) {
  const auto& f = e.feedback();
  // Only thumbs feed the detectors; corrections and labels are data, not ratings.
  if (f.kind() != v1::Feedback::THUMBS_UP && f.kind() != v1::Feedback::THUMBS_DOWN) return;
  RatedAnswer a;
  a.down = f.kind() == v1::Feedback::THUMBS_DOWN;
  a.model_version = f.model_version();
  a.predicted = f.output();
  a.tags = {f.tags().begin(), f.tags().end()};
  // The runtime fills these from the answer; the join covers feedback that lacks them.
  if (auto it = tasks_.find(f.task_id()); it != tasks_.end()) {
    if (a.model_version.empty()) a.model_version = it->second.model_version;
    if (a.predicted.empty()) a.predicted = it->second.output;
    if (a.tags.empty()) a.tags = it->second.tags;
  }
  if (auto t = engine_->Observe(a, MonoMs())) SendTrigger(*t);
}

void MonitoringAgent::OnCycleTransition(const Envelope& e) {
  const auto& ct = e.cycle_transition();
  engine_->OnCycleStage(ct.to(), MonoMs());
  ReportState();
}

void MonitoringAgent::SendTrigger(const v1::Trigger& t) {
  spdlog::info("trigger ({}): {}", t.policy(), t.reason());
  for (const auto& c : t.diagnosis().categories()) {
    spdlog::info("  {}={}: down-rate {:.3f} (baseline {:.3f}, {} samples)", c.dimension(), c.value(), c.recent(),
                 c.baseline(), c.samples());
  }
  Envelope env;
  *env.mutable_trigger() = t;
  if (Status s = Send("runtime", std::move(env)); !s.ok()) {
    spdlog::warn("could not send the trigger: {}", s.message());
  }
  ReportState();
}

void MonitoringAgent::ReportState() {
  std::string detail = engine_->Describe(MonoMs());
  if (detail == last_detail_) return;
  last_detail_ = detail;
  SetState(v1::AGENT_STATE_IDLE, detail);
}

}  // namespace kaizen::agents
