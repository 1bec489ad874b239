#include "agents/monitoring/monitoring_agent.h"

#include "agents/monitoring/deferred_rating.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {
namespace {
constexpr int64_t kReplayAnswerMs = 10000;  // ask again if the runtime never answers
constexpr int kMaxReplayFailures = 5;
// The SDK subscribes to events after OnStart: the replay waits this long so
// the subscription is up before the journal's end is read.
constexpr int64_t kReplayDelayMs = 300;
}  // namespace

using sdk::Envelope;

Status MonitoringAgent::OnStart() {
  engine_ = std::make_unique<TriggerEngine>(TriggerEngine::OptionsFromSettings(settings()), MonoMs());
  OnEvent("task_result", [this](const Envelope& e) { OnTaskResult(e); });
  OnEvent("feedback", [this](const Envelope& e) { OnLive(e); });
  OnEvent("cycle_transition", [this](const Envelope& e) { OnLive(e); });
  Handle(Envelope::kReplayBatch, [this](const Envelope& e) { OnReplayBatch(e); });
  Handle(Envelope::kError, [this](const Envelope& e) { OnRuntimeError(e); });
  replay_ = std::make_unique<JournalReplay>();
  replay_started_ms_ = MonoMs();
  After(kReplayDelayMs, [this] { SendReplayRequest(); });
  Every(1000, [this] {
    if (replay_) {
      if (!replay_id_.empty() && MonoMs() - replay_sent_ms_ > kReplayAnswerMs) {
        spdlog::warn("monitoring: no answer to a journal replay request in {} s; asking again", kReplayAnswerMs / 1000);
        SendReplayRequest();
      }
      return;
    }
    if (auto t = engine_->Tick(MonoMs())) SendTrigger(*t);
  });
  // Each state change is journaled, so the detail is refreshed only now and then.
  Every(10000, [this] { ReportState(); });
  spdlog::info("monitoring agent {} ready; triggers: {}, cooldown {} s", id(),
               settings().value("triggers", nlohmann::json::array()).dump(), engine_->options().cooldown_ms / 1000);
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
  it->second.seq = e.seq();
  if (!inserted) return;
  task_order_.push_back(r.task_id());
  while (task_order_.size() > kMaxTasks) {
    tasks_.erase(task_order_.front());
    task_order_.pop_front();
  }
}

void MonitoringAgent::OnLive(const Envelope& e) {
  if (!replay_) {
    Feed(e, false);
    return;
  }
  if (held_.size() < kMaxHeld) {
    held_.push_back(e);
  } else if (held_dropped_++ == 0) {
    spdlog::warn("monitoring: more than {} live events during the journal replay; later ones are not rated", kMaxHeld);
  }
}

void MonitoringAgent::Feed(const Envelope& e, bool replayed) {
  // A replayed event happened that long ago on the monotonic clock, so
  // cooldowns and pending triggers run from when it really happened.
  const int64_t now = MonoMs();
  const int64_t at = replayed && e.timestamp_ms() > 0 ? now - std::max<int64_t>(0, WallMs() - e.timestamp_ms()) : now;
  if (e.has_feedback()) {
    auto t = Rate(e.feedback(), e.seq(), at);
    if (const std::string d = engine_->TakeFollowUpDecision(); !d.empty() && !replayed) spdlog::info("{}", d);
    if (!t) return;
    if (replayed) {
      ++replay_fired_;
    } else {
      SendTrigger(*t);
    }
    return;
  }
  if (e.has_cycle_transition()) {
    engine_->OnCycleStage(e.cycle_transition().to(), at);
    if (!replayed) ReportState();
  }
}

std::optional<v1::Trigger> MonitoringAgent::Rate(const v1::Feedback& f, uint64_t seq, int64_t now_ms) {
  // Only thumbs feed the detectors; corrections and labels are data, not ratings.
  if (f.kind() != v1::Feedback::THUMBS_UP && f.kind() != v1::Feedback::THUMBS_DOWN) return std::nullopt;
  RatedAnswer a;
  a.down = f.kind() == v1::Feedback::THUMBS_DOWN;
  a.model_version = f.model_version();
  a.predicted = f.output();
  a.tags = {f.tags().begin(), f.tags().end()};
  a.seq = seq;
  // The runtime fills these from the answer; the join covers feedback that lacks them.
  if (auto it = tasks_.find(f.task_id()); it != tasks_.end()) {
    if (a.model_version.empty()) a.model_version = it->second.model_version;
    if (a.predicted.empty()) a.predicted = it->second.output;
    if (a.tags.empty()) a.tags = it->second.tags;
    if (it->second.seq > 0) a.seq = it->second.seq;
  }
  RateWorkerOfDeferral(&a);  // a deferred answer's thumbs rate the teacher, not the worker
  return engine_->Observe(a, now_ms);
}

void MonitoringAgent::SendReplayRequest() {
  if (!replay_) return;
  auto request = replay_->Next();
  if (!request) {
    FinishReplay("");
    return;
  }
  Envelope e;
  e.set_message_id(NewId());
  *e.mutable_replay_request() = *request;
  replay_id_ = e.message_id();
  replay_sent_ms_ = MonoMs();
  if (Status s = Send("runtime", std::move(e)); !s.ok()) {
    spdlog::warn("monitoring: journal replay request not sent: {}", s.ToString());
  }
}

void MonitoringAgent::OnReplayBatch(const Envelope& e) {
  if (!replay_ || e.correlation_id() != replay_id_) return;  // stale answer
  replay_id_.clear();
  std::vector<JournalReplay::Item> feed;
  replay_->OnBatch(e.replay_batch(), &feed);
  for (const auto& item : feed) {
    if (item.kind == JournalReplay::Item::Kind::kGap) {
      engine_->ClearStatistics();
    } else {
      Feed(item.event, true);
    }
  }
  if (replay_->done()) {
    FinishReplay("");
  } else {
    SendReplayRequest();
  }
}

void MonitoringAgent::OnRuntimeError(const Envelope& e) {
  if (!replay_ || e.correlation_id() != replay_id_) {
    spdlog::warn("monitoring: error from {}: {}", e.sender(), e.error().message());
    return;
  }
  replay_id_.clear();
  if (++replay_failures_ >= kMaxReplayFailures) {
    FinishReplay(e.error().message());
    return;
  }
  spdlog::warn("monitoring: journal replay failed: {}; retrying", e.error().message());
  After(1000, [this] { SendReplayRequest(); });
}

void MonitoringAgent::FinishReplay(const std::string& why) {
  std::unique_ptr<JournalReplay> r = std::move(replay_);
  replay_id_.clear();
  engine_->ClearPendingTrigger();
  if (!why.empty()) {
    spdlog::error("monitoring: cannot replay the journal ({}); rating live events only, so a drift that began "
                  "before this start may be learnt as the baseline",
                  why);
  } else {
    spdlog::info("monitoring: replayed {} ratings and {} cycle transitions from the journal (seq {}..{}{}) in {} ms; "
                 "the detectors fired {} time(s) on replayed ratings (not sent: live ratings decide from here)",
                 r->ratings(), r->transitions(), r->start_seq(), r->last_seq(),
                 r->skipped() ? ", the middle skipped" : "", MonoMs() - replay_started_ms_, replay_fired_);
  }
  // Live events the replay covered are duplicates; the rest follow in order.
  std::vector<Envelope> held = std::move(held_);
  held_.clear();
  for (const auto& e : held) {
    if (e.seq() > r->last_seq()) Feed(e, false);
  }
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
  std::string detail = replay_ ? "replaying the journal: " + std::to_string(replay_->ratings()) + " ratings so far"
                               : engine_->Describe(MonoMs());
  if (detail == last_detail_) return;
  last_detail_ = detail;
  SetState(v1::AGENT_STATE_IDLE, detail);
}

}  // namespace kaizen::agents
