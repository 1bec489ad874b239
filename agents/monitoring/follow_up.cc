#include "agents/monitoring/follow_up.h"

#include <cmath>

#include <fmt/format.h>

#include "config/manifest_schema.h"

namespace kaizen::agents {

namespace {
constexpr double kOneSidedZ95 = 1.645;
}

FollowUp::Options FollowUp::FromJson(const nlohmann::json& config, int64_t teacher_calls, double cost_per_call) {
  // A key left out is the schema's default (spec.monitoring.follow_up), not Options' own.
  auto setting = [&config](const char* key) {
    return config::SettingOrDefault(config, "spec.monitoring.follow_up", key);
  };
  Options o;
  o.enabled = setting("enabled").get<bool>();
  o.min_gap = setting("min_gap").get<double>();
  o.max_rounds = setting("max_rounds").get<int64_t>();
  o.samples = setting("samples").get<int64_t>();
  o.horizon_tasks = setting("horizon_tasks").get<int64_t>();
  o.value_per_correct = setting("value_per_correct").get<double>();
  o.teacher_calls = teacher_calls;
  o.cost_per_call = cost_per_call;
  return o;
}

void FollowUp::OnTrigger(double rate_before, int64_t samples_before, const std::string& version_before) {
  if (!options_.enabled) return;
  if (state_ == State::kNone) {
    rate_before_ = rate_before;
    samples_before_ = samples_before;
    version_before_ = version_before;
    rounds_ = 0;
    state_ = State::kTriggered;
  } else if (state_ == State::kMeasuring) {
    // The promoted version drifted on its own: the chain goes on with that cycle.
    state_ = State::kTriggered;
  }
}

void FollowUp::OnCycleStarted() {
  if (state_ == State::kNone) return;
  if (sent_ && state_ == State::kDue) ++rounds_;
  sent_ = false;
  state_ = State::kInCycle;
}

void FollowUp::OnCycleEnded(bool promoted) {
  if (state_ != State::kInCycle) return;
  if (!promoted) {
    EndChain("the last cycle was not promoted");
    return;
  }
  if (rounds_ >= options_.max_rounds) {
    EndChain(fmt::format("{} follow-up round(s) done (max_rounds {})", rounds_, options_.max_rounds));
    return;
  }
  state_ = State::kMeasuring;
  version_.clear();
  n_ = downs_ = 0;
  first_seq_ = 0;
  first_task_index_ = 0;
}

void FollowUp::EndChain(const std::string& why) {
  state_ = State::kNone;
  sent_ = false;
  last_decision_ = "no follow-up: " + why;
  new_decision_ = last_decision_;
}

std::optional<FollowUp::Due> FollowUp::Observe(bool down, const std::string& version, uint64_t seq,
                                               int64_t task_index) {
  if (state_ == State::kDue) return due_;
  if (state_ != State::kMeasuring) return std::nullopt;
  if (n_ == 0) {
    version_ = version;
    first_seq_ = seq;
    first_task_index_ = task_index;
  }
  ++n_;
  downs_ += down ? 1 : 0;
  if (n_ < options_.samples) return std::nullopt;

  const double rate = static_cast<double>(downs_) / static_cast<double>(n_);
  const double gap = rate - rate_before_;
  const double var_new = rate * (1 - rate) / static_cast<double>(n_);
  const double var_before =
      samples_before_ > 0 ? rate_before_ * (1 - rate_before_) / static_cast<double>(samples_before_) : 0.0;
  const double se = std::sqrt(var_new + var_before);
  const double value = gap * static_cast<double>(options_.horizon_tasks) * options_.value_per_correct;
  const double cost = static_cast<double>(options_.teacher_calls) * options_.cost_per_call;
  const std::string measured =
      fmt::format("{}'s thumbs-down rate over its first {} rated answers is {:.3f}, {:+.3f} against {:.3f} before the "
                  "change ({}, {} answers)",
                  version_.empty() ? "the promoted version" : version_, n_, rate, gap, rate_before_,
                  version_before_.empty() ? "the served model" : version_before_, samples_before_);
  if (gap < options_.min_gap) {
    EndChain(fmt::format("{}; the gap is below min_gap {:.3f}", measured, options_.min_gap));
    return std::nullopt;
  }
  if (gap - kOneSidedZ95 * se <= 0) {
    EndChain(fmt::format("{}; within noise (standard error {:.3f})", measured, se));
    return std::nullopt;
  }
  if (value <= cost) {
    EndChain(fmt::format("{}; worth {:.2f} ({} tasks x {:g} per correct answer), not more than a round's cost {:.2f}",
                         measured, value, options_.horizon_tasks, options_.value_per_correct, cost));
    return std::nullopt;
  }
  due_.gap = gap;
  due_.min_gap = options_.min_gap;
  due_.change_seq = first_seq_;
  due_.change_task_index = first_task_index_;
  due_.reason = fmt::format(
      "{}; expected gain {:.3f} x {} tasks x {:g} per correct answer = {:.2f}, more than a round's cost {:.2f} ({} "
      "teacher calls x {:g}); follow-up {} of {}",
      measured, gap, options_.horizon_tasks, options_.value_per_correct, value, cost, options_.teacher_calls,
      options_.cost_per_call, rounds_ + 1, options_.max_rounds);
  last_decision_ = "follow-up due: " + due_.reason;
  new_decision_ = last_decision_;
  state_ = State::kDue;
  return due_;
}

std::string FollowUp::Describe() const {
  switch (state_) {
    case State::kMeasuring:
      return fmt::format("follow-up: measuring {}, {}/{} ratings, down-rate {:.3f} vs {:.3f} before the change",
                         version_.empty() ? "the promoted version" : version_, n_, options_.samples,
                         n_ == 0 ? 0.0 : static_cast<double>(downs_) / static_cast<double>(n_), rate_before_);
    case State::kDue:
      return fmt::format("follow-up due (gap {:.3f})", due_.gap);
    default:
      return last_decision_;
  }
}

}  // namespace kaizen::agents
