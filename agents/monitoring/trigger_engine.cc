#include "agents/monitoring/trigger_engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/manifest_schema.h"

namespace kaizen::agents {

using json = nlohmann::json;

TriggerEngine::Options TriggerEngine::OptionsFromSettings(const json& settings) {
  Options o;
  // A key left out is the manifest schema's default, not one of our own.
  o.cooldown_ms = config::SettingOrDefault(settings, "spec.monitoring", "cooldown_s").get<int64_t>() * 1000;
  if (settings.contains("triggers") && settings["triggers"].is_array()) o.triggers = settings["triggers"];
  if (settings.contains("follow_up") && settings["follow_up"].is_object()) o.follow_up = settings["follow_up"];
  const json spec = settings.contains("cluster") ? settings["cluster"].value("spec", json::object()) : json::object();
  const json planning = spec.value("planning", json::object());
  o.teacher_calls = config::SettingOrDefault(planning.value("teacher_budget", json::object()),
                                             "spec.planning.teacher_budget", "max_calls")
                        .get<int64_t>();
  if (spec.contains("teachers") && spec["teachers"].is_array() && !spec["teachers"].empty()) {
    o.cost_per_call = spec["teachers"][0].value("cost_per_call", 0.0);
  }
  return o;
}

TriggerEngine::TriggerEngine(const Options& options, int64_t now_ms)
    : options_(options),
      diagnosis_(options.diagnosis_window),
      follow_up_(FollowUp::FromJson(options.follow_up, options.teacher_calls, options.cost_per_call)),
      schedule_ref_ms_(now_ms) {
  for (const auto& t : options_.triggers) {
    Policy p;
    p.kind = t.value("policy", "");
    p.config = t;
    if (p.kind == "performance") {
      p.warmup = t.value("warmup_tasks", int64_t{200});
      if (t.value("detector", "cusum") == "window") {
        p.window = std::make_unique<stats::WindowDetector>(t.value("window", int64_t{200}), t.value("threshold", 0.7));
      } else {
        stats::BernoulliCusum::Options co;
        co.warmup = p.warmup;
        co.false_alarm_rate = t.value("false_alarm_rate", 1e-6);  // the schema's default
        co.min_shift = t.value("min_shift", 0.1);
        co.baseline_margin_se = t.value("baseline_margin_se", 2.0);
        p.cusum = std::make_unique<stats::BernoulliCusum>(co);
      }
    } else if (p.kind == "roi") {
      p.warmup = 200;  // baseline samples before the gain is trusted
    }
    policies_.push_back(std::move(p));
  }
}

bool TriggerEngine::Suppressed(int64_t now_ms, bool honour_cooldown) const {
  if (cycle_active_) return true;
  if (pending_since_ms_ >= 0 && now_ms - pending_since_ms_ < options_.pending_timeout_ms) return true;
  if (honour_cooldown && cycle_ended_ms_ >= 0 && now_ms - cycle_ended_ms_ < options_.cooldown_ms) return true;
  return false;
}

void TriggerEngine::StartVersion() {
  ResetDetectors(false);
  diagnosis_.Reset();
  version_n_ = version_downs_ = 0;
}

std::optional<v1::Trigger> TriggerEngine::Observe(const RatedAnswer& a, int64_t now_ms) {
  const std::string& v = a.model_version;
  if (!v.empty() && v != watched_version_) {
    // Stragglers of a replaced version and the candidate arm of a running
    // cycle say nothing about the version being watched.
    if (v == retired_version_ || (cycle_active_ && !watched_version_.empty())) return std::nullopt;
    if (!watched_version_.empty()) {  // served version changed outside a cycle
      retired_version_ = watched_version_;
      StartVersion();
    }
    watched_version_ = v;
  }
  ++rated_;
  ++version_n_;
  version_downs_ += a.down ? 1 : 0;
  std::vector<FeedbackDiagnosis::Category> cats;
  if (!a.predicted.empty()) cats.emplace_back("predicted_label", a.predicted);
  for (const auto& [k, val] : a.tags) cats.emplace_back(k, val);
  diagnosis_.Add(a.down, std::move(cats));

  std::optional<v1::Trigger> fired;
  for (auto& p : policies_) {
    if (p.kind == "performance") {
      ++p.seen;
      if (p.cusum) p.cusum->Observe(a.down);
      if (p.window) p.window->Observe(!a.down);
      TrackOnset(p, a);
    }
    if (p.kind == "schedule") continue;
    if (!fired) fired = Evaluate(p, now_ms);
  }
  // Counted whatever the suppression. Not held for the cooldown: the
  // cooldown keeps stragglers of the last cycle from firing a trigger, and
  // the follow-up counts only the promoted version's own ratings.
  auto due = follow_up_.Observe(a.down, watched_version_, a.seq, task_index_);
  if (!fired && due && !Suppressed(now_ms, /*honour_cooldown=*/false)) {
    fired = Fire("follow_up", due->reason, due->gap, due->min_gap, now_ms, due->change_seq, due->change_task_index);
    follow_up_.OnFollowUpSent();
  }
  return fired;
}

std::optional<v1::Trigger> TriggerEngine::Tick(int64_t now_ms) {
  for (auto& p : policies_) {
    if (p.kind != "schedule") continue;
    if (auto t = Evaluate(p, now_ms)) return t;
  }
  return std::nullopt;
}

std::optional<v1::Trigger> TriggerEngine::Evaluate(Policy& p, int64_t now_ms) {
  if (Suppressed(now_ms)) return std::nullopt;
  if (p.kind == "performance") {
    if (p.seen < p.warmup) return std::nullopt;
    if (p.cusum) {
      const auto& c = *p.cusum;
      if (!c.warmed_up() || c.statistic() < c.threshold()) return std::nullopt;
      // The level before the change: every rating of this version before the
      // onset (thousands, usually), else the baseline the detector learnt.
      if (p.onset_n >= c.options().warmup) {
        follow_up_.OnTrigger(static_cast<double>(p.onset_downs) / static_cast<double>(p.onset_n), p.onset_n,
                             watched_version_);
      } else {
        follow_up_.OnTrigger(c.rate(), c.options().warmup, watched_version_);
      }
      std::string reason = fmt::format(
          "thumbs-down rate of {} rose to {:.3f} over the last {} rated answers (baseline {:.3f}); CUSUM {:.2f} >= "
          "threshold {:.2f} (p0 {:.3f}, p1 {:.3f}, false-alarm rate {:g}/task)",
          watched_version_.empty() ? "the served model" : watched_version_, diagnosis_.recent_rate(),
          diagnosis_.recent_samples(), c.rate(), c.statistic(), c.threshold(), c.baseline(), c.alternative(),
          c.options().false_alarm_rate);
      return Fire("performance", reason, c.statistic(), c.threshold(), now_ms, p.onset_seq, p.onset_task_index);
    }
    const auto& w = *p.window;
    if (!w.full() || w.accuracy() >= w.threshold()) return std::nullopt;
    std::string reason = fmt::format("accuracy (thumbs-up share) of {} over the last {} rated answers is {:.3f} < "
                                     "threshold {:.3f}",
                                     watched_version_.empty() ? "the served model" : watched_version_, w.window(),
                                     w.accuracy(), w.threshold());
    follow_up_.OnTrigger(diagnosis_.baseline_rate(), diagnosis_.baseline_samples(), watched_version_);
    const auto oldest = p.window_seqs.empty() ? std::pair<uint64_t, int64_t>{0, 0} : p.window_seqs.front();
    return Fire("performance", reason, w.accuracy(), w.threshold(), now_ms, oldest.first, oldest.second);
  }
  if (p.kind == "schedule") {
    int64_t every_ms = p.config.value("every_s", int64_t{3600}) * 1000;
    if (now_ms - schedule_ref_ms_ < every_ms) return std::nullopt;
    double elapsed_s = static_cast<double>(now_ms - schedule_ref_ms_) / 1000.0;
    schedule_ref_ms_ = now_ms;
    std::string reason = fmt::format("scheduled: {:.0f} s since {} (every_s {})", elapsed_s,
                                     cycle_ended_ms_ >= 0 ? "the last cycle ended" : "monitoring started",
                                     every_ms / 1000);
    return Fire("schedule", reason, elapsed_s, static_cast<double>(every_ms) / 1000.0, now_ms);
  }
  if (p.kind == "roi") {
    if (diagnosis_.baseline_samples() < p.warmup || !diagnosis_.recent_full()) return std::nullopt;
    double base_up = 1 - diagnosis_.baseline_rate(), recent_up = 1 - diagnosis_.recent_rate();
    double gain = base_up - recent_up;
    int64_t horizon = p.config.value("horizon_tasks", int64_t{10000});
    double value_per_correct = p.config.value("value_per_correct", 0.01);
    double min_gain = p.config.value("min_gain", 0.05);
    double value = gain * static_cast<double>(horizon) * value_per_correct;
    double cost = static_cast<double>(options_.teacher_calls) * options_.cost_per_call;
    if (gain < min_gain || value <= cost) return std::nullopt;
    std::string reason = fmt::format(
        "expected gain {:.3f} (thumbs-up {:.3f} -> {:.3f}) x {} tasks x {:g} per correct answer = {:.2f}, more than "
        "the cycle's cost {:.2f} ({} teacher calls x {:g})",
        gain, base_up, recent_up, horizon, value_per_correct, value, cost, options_.teacher_calls,
        options_.cost_per_call);
    return Fire("roi", reason, value, cost, now_ms);
  }
  return std::nullopt;
}

void TriggerEngine::TrackOnset(Policy& p, const RatedAnswer& a) {
  if (p.cusum) {
    if (!p.cusum->warmed_up() || p.cusum->statistic() <= 0) {
      p.at_zero = true;
    } else if (p.at_zero) {
      p.at_zero = false;
      p.onset_seq = a.seq;
      p.onset_task_index = task_index_;
      p.onset_n = version_n_ - 1;  // before this answer
      p.onset_downs = version_downs_ - (a.down ? 1 : 0);
    }
  }
  if (p.window) {
    p.window_seqs.emplace_back(a.seq, task_index_);
    while (static_cast<int64_t>(p.window_seqs.size()) > p.window->window()) p.window_seqs.pop_front();
  }
}

v1::Trigger TriggerEngine::Fire(const std::string& policy, const std::string& reason, double statistic,
                                double threshold, int64_t now_ms, uint64_t change_seq, int64_t change_task_index) {
  pending_since_ms_ = now_ms;
  v1::Trigger t;
  t.set_policy(policy);
  t.set_reason(reason);
  t.set_task_index(task_index_ > 0 ? task_index_ : rated_);
  t.set_statistic(statistic);
  t.set_threshold(threshold);
  t.set_change_seq(change_seq);
  t.set_change_task_index(change_task_index);
  *t.mutable_diagnosis() = diagnosis_.Build();
  return t;
}

void TriggerEngine::OnCycleStage(v1::CycleStage stage, int64_t now_ms) {
  switch (stage) {
    case v1::CYCLE_STAGE_PROMOTED:
    case v1::CYCLE_STAGE_ROLLED_BACK:
    case v1::CYCLE_STAGE_ABORTED: {
      bool was_active = cycle_active_ || pending_since_ms_ >= 0;
      cycle_active_ = false;
      pending_since_ms_ = -1;
      if (!was_active && cycle_ended_ms_ >= 0 && now_ms - cycle_ended_ms_ < 1000) return;  // a repeat
      cycle_ended_ms_ = now_ms;
      schedule_ref_ms_ = now_ms;
      follow_up_.OnCycleEnded(stage == v1::CYCLE_STAGE_PROMOTED);
      if (stage == v1::CYCLE_STAGE_PROMOTED) {
        // A new version serves: learn its baseline from scratch.
        retired_version_ = watched_version_;
        watched_version_.clear();
        StartVersion();
      } else {
        ResetDetectors(true);
      }
      return;
    }
    case v1::CYCLE_STAGE_UNSPECIFIED:
      return;
    default:
      if (!cycle_active_) follow_up_.OnCycleStarted();
      cycle_active_ = true;
      pending_since_ms_ = -1;
      return;
  }
}

void TriggerEngine::ResetDetectors(bool keep_baseline) {
  for (auto& p : policies_) {
    p.at_zero = true;
    p.window_seqs.clear();
    if (p.cusum) {
      if (keep_baseline && p.cusum->warmed_up()) {
        p.cusum->ClearStatistic();
      } else {
        p.cusum->Reset();
        p.seen = 0;
      }
    }
    if (p.window) {
      p.window->Reset();
      if (!keep_baseline) p.seen = 0;
    }
  }
}

std::string TriggerEngine::RateSummary() const {
  if (diagnosis_.baseline_samples() == 0) {
    return fmt::format("down-rate {:.3f} over {}", diagnosis_.recent_rate(), diagnosis_.recent_samples());
  }
  return fmt::format("down-rate {:.3f} (baseline {:.3f})", diagnosis_.recent_rate(), diagnosis_.baseline_rate());
}

std::string TriggerEngine::Describe(int64_t now_ms) const {
  std::string s = "watching " + (watched_version_.empty() ? std::string("(no feedback yet)") : watched_version_);
  s += ": " + RateSummary();
  for (const auto& p : policies_) {
    if (p.cusum) {
      if (!p.cusum->warmed_up()) {
        s += fmt::format(", cusum learning baseline {}/{}", p.cusum->observations(), p.cusum->options().warmup);
      } else {
        s += fmt::format(", cusum {:.1f}/{:.1f}", p.cusum->statistic(), p.cusum->threshold());
      }
    } else if (p.window) {
      s += fmt::format(", window accuracy {:.2f}/{:.2f}", p.window->accuracy(), p.window->threshold());
    } else if (p.kind == "schedule") {
      int64_t left = p.config.value("every_s", int64_t{3600}) * 1000 - (now_ms - schedule_ref_ms_);
      s += fmt::format(", next scheduled in {} s", std::max<int64_t>(left, 0) / 1000);
    } else if (p.kind == "roi") {
      s += ", roi";
    }
  }
  if (const std::string f = follow_up_.Describe(); !f.empty()) s += "; " + f;
  if (cycle_active_) s += "; cycle running";
  else if (cycle_ended_ms_ >= 0 && now_ms - cycle_ended_ms_ < options_.cooldown_ms)
    s += fmt::format("; cooldown {} s", (options_.cooldown_ms - (now_ms - cycle_ended_ms_)) / 1000);
  return s;
}

}  // namespace kaizen::agents
