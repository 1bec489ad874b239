#include "agents/deployment/rollout_policy.h"

#include <random>

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

using kaizen::agents::RolloutPolicy;
using Arm = RolloutPolicy::Arm;
using Action = RolloutPolicy::Action;
namespace v1 = kaizen::v1;

namespace {

RolloutPolicy::Options Opts() {
  RolloutPolicy::Options o;
  o.steps = {0.1, 0.5};
  o.alpha = 0.05;
  o.min_samples_per_step = 100;
  o.max_samples = 5000;
  o.max_error_rate = 0.05;
  return o;
}

// Runs feedback drawn at the policy's current split until it decides.
struct Run {
  Action last = Action::kContinue;
  int advances = 0;
  int samples = 0;
};

Run Simulate(RolloutPolicy& p, double cand_rate, double inc_rate, std::mt19937_64& rng) {
  Run r;
  std::uniform_real_distribution<double> u(0, 1);
  while (!p.finished() && r.samples < 100000) {
    bool cand = u(rng) < p.weight();
    bool up = u(rng) < (cand ? cand_rate : inc_rate);
    ++r.samples;
    Action a = p.OnFeedback(cand ? Arm::kCandidate : Arm::kIncumbent, up);
    if (a == Action::kAdvance) ++r.advances;
    if (a != Action::kContinue) r.last = a;
  }
  return r;
}

}  // namespace

TEST_CASE("options come from settings: the request's steps win") {
  nlohmann::json s = {{"steps", {0.2, 0.6}}, {"alpha", 0.01}, {"min_samples_per_step", 50},
                      {"max_samples", 999}, {"guardrails", {{"max_error_rate", 0.1}}}};
  auto o = RolloutPolicy::OptionsFromSettings(s, {});
  CHECK(o.steps == std::vector<double>{0.2, 0.6});
  CHECK(o.alpha == 0.01);
  CHECK(o.min_samples_per_step == 50);
  CHECK(o.max_samples == 999);
  CHECK(o.max_error_rate == 0.1);
  CHECK(RolloutPolicy::OptionsFromSettings(s, {0.3}).steps == std::vector<double>{0.3});
}

TEST_CASE("options left out of the settings are the manifest schema's defaults") {
  auto o = RolloutPolicy::OptionsFromSettings(nlohmann::json::object(), {});
  CHECK(nlohmann::json(o.steps) == kaizen::config::SchemaDefault("spec.deployment.steps"));
  CHECK(o.alpha == kaizen::config::SchemaDefault("spec.deployment.alpha").get<double>());
  CHECK(o.min_samples_per_step == kaizen::config::SchemaDefault("spec.deployment.min_samples_per_step").get<int64_t>());
  CHECK(o.max_samples == kaizen::config::SchemaDefault("spec.deployment.max_samples").get<int64_t>());
  CHECK(o.max_error_rate == kaizen::config::SchemaDefault("spec.deployment.guardrails.max_error_rate").get<double>());
}

TEST_CASE("promotes a clearly better candidate") {
  std::mt19937_64 rng(1);
  RolloutPolicy p(Opts());
  CHECK(p.weight() == 0.1);
  Run r = Simulate(p, 0.85, 0.55, rng);
  CHECK(r.last == Action::kPromote);
  auto d = p.Decision();
  CHECK(d.outcome() == v1::RolloutDecision::PROMOTE);
  CHECK(d.p_value() <= 0.05);
  CHECK(d.candidate_rate() > d.incumbent_rate());
  CHECK(d.candidate_samples() >= 100);
  CHECK(d.reason().find("better") != std::string::npos);
  CHECK(r.samples < 3000);
}

TEST_CASE("rolls back a worse candidate") {
  std::mt19937_64 rng(2);
  RolloutPolicy p(Opts());
  Run r = Simulate(p, 0.5, 0.85, rng);
  CHECK(r.last == Action::kRollback);
  auto d = p.Decision();
  CHECK(d.outcome() == v1::RolloutDecision::ROLLBACK);
  CHECK(d.reason().find("worse") != std::string::npos);
  CHECK(p.step() == 0);  // never left the first step
}

TEST_CASE("advances through the steps when there is no harm, then stops at max_samples") {
  // Two arms with exactly the same thumbs-up rate (every fifth answer of each
  // arm rated down, no randomness): never significantly better or worse, so
  // the only way out is through every step to max_samples.
  auto o = Opts();
  o.max_samples = 3000;
  RolloutPolicy p(o);
  int answered[2] = {0, 0};
  Run r;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  while (!p.finished() && r.samples < 100000) {
    const bool cand = u(rng) < p.weight();
    const bool up = ++answered[cand ? 1 : 0] % 5 != 0;
    ++r.samples;
    const Action a = p.OnFeedback(cand ? Arm::kCandidate : Arm::kIncumbent, up);
    if (a == Action::kAdvance) ++r.advances;
    if (a != Action::kContinue) r.last = a;
  }
  CHECK(r.last == Action::kRollback);
  CHECK(p.Decision().reason().find("no significant improvement after 3000 samples") != std::string::npos);
  CHECK(r.advances == 1);
  CHECK(p.weight() == 0.5);
  CHECK(p.Decision().candidate_samples() + p.Decision().incumbent_samples() == 3000);
}

TEST_CASE("rolls back on the error-rate guardrail") {
  RolloutPolicy p(Opts());
  for (int i = 0; i < 19; ++i) CHECK(p.OnTaskResult(Arm::kCandidate, i % 2 == 0) == Action::kContinue);  // not yet 20
  CHECK(p.OnTaskResult(Arm::kCandidate, false) == Action::kRollback);
  CHECK(p.finished());
  CHECK(p.Decision().outcome() == v1::RolloutDecision::ROLLBACK);
  CHECK(p.Decision().reason().find("error rate") != std::string::npos);
  // Errors of the incumbent never roll the candidate back.
  RolloutPolicy q(Opts());
  for (int i = 0; i < 100; ++i) CHECK(q.OnTaskResult(Arm::kIncumbent, false) == Action::kContinue);
  CHECK_FALSE(q.finished());
}

TEST_CASE("A/A does not promote in most runs") {
  std::mt19937_64 rng(4);
  auto o = Opts();
  o.max_samples = 4000;
  int promoted = 0;
  const int kRuns = 300;
  for (int i = 0; i < kRuns; ++i) {
    RolloutPolicy p(o);
    promoted += Simulate(p, 0.8, 0.8, rng).last == Action::kPromote;
  }
  INFO("promoted " << promoted << "/" << kRuns);
  CHECK(promoted <= kRuns * 0.05);
}
