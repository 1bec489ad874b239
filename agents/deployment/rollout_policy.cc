#include "agents/deployment/rollout_policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/manifest_schema.h"

namespace kaizen::agents {

namespace {

stats::MixtureSprt::Options TestOptions(const RolloutPolicy::Options& o) {
  stats::MixtureSprt::Options t;
  t.alpha = o.alpha;
  t.tau = o.tau;
  t.min_samples = o.min_samples_per_arm;
  return t;
}

int Index(RolloutPolicy::Arm arm) { return arm == RolloutPolicy::Arm::kCandidate ? 1 : 0; }

}  // namespace

RolloutPolicy::Options RolloutPolicy::OptionsFromSettings(const nlohmann::json& s,
                                                          const std::vector<double>& request_steps) {
  // What the manifest leaves out is the schema's default (spec.deployment), not Options' own.
  auto setting = [&s](const char* key) { return config::SettingOrDefault(s, "spec.deployment", key); };
  Options o;
  o.steps = request_steps.empty() ? setting("steps").get<std::vector<double>>() : request_steps;
  o.alpha = setting("alpha").get<double>();
  o.min_samples_per_step = setting("min_samples_per_step").get<int64_t>();
  o.max_samples = setting("max_samples").get<int64_t>();
  o.max_error_rate = config::SettingOrDefault(setting("guardrails"), "spec.deployment.guardrails", "max_error_rate")
                         .get<double>();
  return o;
}

RolloutPolicy::RolloutPolicy(const Options& options) : options_(options), test_(TestOptions(options)) {
  if (options_.steps.empty()) options_.steps = {1.0};
  for (double& w : options_.steps) w = std::clamp(w, 0.0, 1.0);
  options_.min_samples_per_step = std::max<int64_t>(options_.min_samples_per_step, 1);
}

RolloutPolicy::Action RolloutPolicy::Finish(bool promote, std::string reason) {
  finished_ = true;
  promoted_ = promote;
  reason_ = std::move(reason);
  return promote ? Action::kPromote : Action::kRollback;
}

std::string RolloutPolicy::Rates() const {
  return fmt::format("thumbs-up {:.3f} (n={}) vs incumbent {:.3f} (n={}), p={:.3g}", test_.rate(Arm::kCandidate),
                     test_.samples(Arm::kCandidate), test_.rate(Arm::kIncumbent), test_.samples(Arm::kIncumbent),
                     test_.p_value());
}

RolloutPolicy::Action RolloutPolicy::OnFeedback(Arm arm, bool up) {
  if (finished_) return Action::kContinue;
  test_.Update(arm, up);
  if (arm == Arm::kCandidate) ++step_candidate_samples_;
  const auto decision = test_.decision();
  if (decision == stats::MixtureSprt::Decision::kCandidateWorse) {
    return Finish(false, fmt::format("candidate is worse: {} <= alpha {:g}", Rates(), options_.alpha));
  }
  const bool step_done = step_candidate_samples_ >= options_.min_samples_per_step;
  if (decision == stats::MixtureSprt::Decision::kCandidateBetter && step_done) {
    return Finish(true, fmt::format("candidate is better: {} <= alpha {:g}, at {:.0f}% of traffic", Rates(),
                                    options_.alpha, weight() * 100));
  }
  const int64_t total = test_.samples(Arm::kCandidate) + test_.samples(Arm::kIncumbent);
  if (total >= options_.max_samples) {
    return Finish(false, fmt::format("no significant improvement after {} samples: {}", total, Rates()));
  }
  if (step_done && step_ + 1 < options_.steps.size()) {
    ++step_;
    step_candidate_samples_ = 0;
    reason_ = fmt::format("no harm seen after {} candidate samples ({}): candidate share {:.0f}% -> {:.0f}%",
                          options_.min_samples_per_step, Rates(), options_.steps[step_ - 1] * 100, weight() * 100);
    return Action::kAdvance;
  }
  return Action::kContinue;
}

RolloutPolicy::Action RolloutPolicy::OnTaskResult(Arm arm, bool ok) {
  if (finished_) return Action::kContinue;
  int i = Index(arm);
  ++tasks_[i];
  errors_[i] += ok ? 0 : 1;
  if (arm != Arm::kCandidate || tasks_[i] < options_.min_guardrail_tasks) return Action::kContinue;
  double rate = static_cast<double>(errors_[i]) / static_cast<double>(tasks_[i]);
  if (rate <= options_.max_error_rate) return Action::kContinue;
  return Finish(false, fmt::format("guardrail: candidate error rate {:.3f} ({} of {} tasks) exceeds {:.3f}", rate,
                                   errors_[i], tasks_[i], options_.max_error_rate));
}

v1::RolloutDecision RolloutPolicy::Decision() const {
  v1::RolloutDecision d;
  if (finished_) d.set_outcome(promoted_ ? v1::RolloutDecision::PROMOTE : v1::RolloutDecision::ROLLBACK);
  d.set_reason(reason_);
  d.set_candidate_samples(test_.samples(Arm::kCandidate));
  d.set_incumbent_samples(test_.samples(Arm::kIncumbent));
  d.set_p_value(test_.p_value());
  d.set_candidate_rate(test_.rate(Arm::kCandidate));
  d.set_incumbent_rate(test_.rate(Arm::kIncumbent));
  return d;
}

std::string RolloutPolicy::Describe() const {
  return fmt::format("step {}/{} ({:.0f}% candidate): {}/{} candidate samples this step; {}", step_ + 1,
                     options_.steps.size(), weight() * 100, step_candidate_samples_, options_.min_samples_per_step,
                     Rates());
}

}  // namespace kaizen::agents
