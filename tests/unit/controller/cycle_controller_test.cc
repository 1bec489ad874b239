// The cycle controller in-process, with a fake host and a clock the test
// sets: every legal transition, illegal ones refused with a reason, a
// decision the store refuses, and resume from every sub-phase.
#include "runtime/controller/cycle_controller.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "runtime/base/sha256.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/controller/fake_cycle_host.h"

using namespace kaizen;
using namespace kaizen::controller;
using controller::testing::FakeCycleHost;
using json = nlohmann::json;

namespace {

CycleSettings Settings() {
  CycleSettings s;
  s.worker_id = "worker";
  s.clone_id = "worker-clone";
  s.during_improvement = DuringImprovement::kClone;
  s.max_replans = 1;
  s.steps = {0.1, 0.5};
  s.plan_approval = {600, TimeoutPolicy::kReject, "planning"};
  s.promotion_approval = {3600, TimeoutPolicy::kReject, "deployment"};
  s.bounds = safety::ChangeBounds::FromPlanning(nlohmann::json::object());  // the schema's: every strategy, no limit
  s.training_backend = "builtin";
  s.approval_limits = safety::ApprovalLimits::FromPlanning(nlohmann::json::object());  // the schema's
  s.replay_fraction = 0.5;
  return s;
}

// A cluster with v1 serving and one agent per role, all registered once.
struct Fixture {
  kaizen::testing::TempDir dir{"controller"};
  FakeCycleHost host;
  CycleController ctl;

  explicit Fixture(CycleSettings s = Settings(), std::vector<cycle::CycleRecord> stored = {})
      : ctl(host, std::move(s)) {
    for (const char* role : {"planning", "datagen", "training", "evaluation", "deployment"}) host.AddAgent(role, role);
    host.AddAgent("worker", "worker");
    host.agents["worker"].can_serve = true;
    host.agents["worker"].model_version = "v1";
    store::ModelRow v1;
    v1.version = "v1";
    v1.status = store::ModelStatus::kServing;
    v1.metrics_json = "{}";
    host.models["v1"] = v1;
    for (const auto& c : stored) host.cycles[c.id] = c;
    ctl.Load({"v1", "file:///v1", "aa"}, std::move(stored));
  }

  std::string Stage() const { return ctl.cycle() ? cycle::StageName(ctl.cycle()->stage) : ""; }
  const cycle::CycleRecord& Cycle() const { return *ctl.cycle(); }

  // A reply from `role` to the outstanding request.
  bus::Envelope Reply(const std::string& role) const {
    bus::Envelope e = bus::MakeEnvelope(role, "runtime");
    e.set_cycle_id(Cycle().id);
    e.set_correlation_id(ctl.outstanding_request());
    return e;
  }
  void Trigger() {
    bus::Envelope t = bus::MakeEnvelope("monitoring", "runtime");
    t.mutable_trigger()->set_policy("performance");
    t.mutable_trigger()->set_reason("thumbs down up");
    REQUIRE(ctl.OnTrigger(t, "monitoring", false).empty());
    ctl.Reconcile();
  }
  // A file of `content` under the test's dir, and its sha256.
  std::pair<std::string, std::string> Artifact(const std::string& name, const std::string& content) {
    const auto path = dir.path() / name;
    std::ofstream(path) << content;
    return {"file://" + path.string(), *Sha256File(path.string())};
  }
  void Plan(bool needs_approval = false, const std::string& strategy = "teacher_samples") {
    bus::Envelope e = Reply("planning");
    e.mutable_plan()->set_strategy(strategy);
    e.mutable_plan()->set_teacher("oracle");
    e.mutable_plan()->set_teacher_calls(500);
    e.mutable_plan()->set_needs_approval(needs_approval);
    ctl.OnStageReply(e, "planning");
    ctl.Reconcile();
  }
  void Dataset() {
    auto [uri, sha] = Artifact("data.jsonl", "{}\n");
    bus::Envelope e = Reply("datagen");
    auto* d = e.mutable_dataset_ready();
    d->set_dataset_id(sha);
    d->set_uri(uri);
    d->set_sha256(sha);
    d->set_train_rows(400);
    d->set_validation_rows(100);
    d->set_teacher_calls(500);
    ctl.OnStageReply(e, "datagen");
    ctl.Reconcile();
  }
  void Model(const std::string& name = "v2.kzm", const std::string& content = "model bytes",
             const std::string& metrics_json = "") {
    auto [uri, sha] = Artifact(name, content);
    bus::Envelope e = Reply("training");
    e.mutable_model_ready()->set_uri(uri);
    e.mutable_model_ready()->set_sha256(sha);
    e.mutable_model_ready()->set_metrics_json(metrics_json);
    ctl.OnStageReply(e, "training");
    ctl.Reconcile();
  }
  void Evaluation(bool pass) {
    bus::Envelope e = Reply("evaluation");
    e.mutable_eval_report()->set_pass(pass);
    e.mutable_eval_report()->set_verdict(pass ? "pass: +0.20" : "fail: no gain");
    ctl.OnStageReply(e, "evaluation");
    ctl.Reconcile();
  }
  // The worker answers the last command (RELOAD of the candidate) with an Ack or an Error.
  void AnswerLastCommand(bool ok, const std::string& error = "") {
    REQUIRE_FALSE(host.commands.empty());
    auto handler = host.commands.back().on_reply;
    REQUIRE(handler);
    bus::Envelope reply;
    if (ok) {
      reply.mutable_ack();
    } else {
      reply.mutable_error()->set_message(error);
    }
    handler(reply);
  }
  void ToAbTest() {
    Trigger();
    Plan();
    Dataset();
    Model();
    Evaluation(true);
    REQUIRE(host.commands.back().kind == v1::Command::RELOAD_MODEL);
    host.agents["worker"].model_version = "v2";
    AnswerLastCommand(true);
  }
  void Rollout(v1::RolloutDecision::Outcome outcome) {
    bus::Envelope e = Reply("deployment");
    e.mutable_rollout_decision()->set_outcome(outcome);
    e.mutable_rollout_decision()->set_reason("mSPRT: candidate better");
    ctl.OnStageReply(e, "deployment");
    ctl.Reconcile();
  }
  std::string LastTransitionReason() const {
    std::string reason;
    for (const auto& e : host.journal) {
      if (e.envelope.has_cycle_transition()) reason = e.envelope.cycle_transition().reason();
    }
    return reason;
  }
  int Events(const std::string& kind) const {
    int n = 0;
    for (const auto& e : host.journal) n += e.kind == kind;
    return n;
  }
};

}  // namespace

TEST_CASE("a trigger starts a cycle in one decision and the reconcile asks planning, starts the clone, moves traffic",
          "[controller]") {
  Fixture f;
  f.Trigger();
  REQUIRE(f.host.committed.size() == 2);  // the trigger's decision, then the request's
  const Decision& started = f.host.committed[0];
  CHECK(started.what == "trigger");
  REQUIRE(started.events.size() == 3);
  CHECK(started.events[0].kind == "trigger");
  CHECK(started.events[1].kind == "cycle_transition");
  CHECK(started.cycle->stage == v1::CYCLE_STAGE_PLANNING);
  CHECK(f.host.entered == std::vector<std::string>{"unspecified->triggered", "triggered->planning"});
  CHECK(f.Stage() == "planning");
  CHECK(f.Cycle().incumbent.version == "v1");
  CHECK(f.ctl.cycle_ids() == std::vector<std::string>{"c1"});
  // The request went out after its decision recorded it, with the id the cycle waits on.
  REQUIRE(f.host.sent.size() == 1);
  CHECK(f.host.sent[0].first == "planning");
  CHECK(f.host.sent[0].second.has_plan_request());
  CHECK(f.host.sent[0].second.message_id() == f.ctl.outstanding_request());
  CHECK(f.host.cycles["c1"].request.id == f.ctl.outstanding_request());
  CHECK(f.host.clones_started == std::vector<std::string>{"v1"});
  // Traffic moves to the clone only once it serves; then the worker is told to improve.
  CHECK(f.host.traffic.primary() == "worker");
  f.host.AddAgent("worker-clone", "worker");
  f.host.agents["worker-clone"].can_serve = true;
  f.ctl.Reconcile();
  CHECK(f.host.traffic.primary() == "worker-clone");
  CHECK(f.host.CommandKinds() == std::vector<std::string>{"IMPROVE"});
  f.ctl.Reconcile();  // idempotent: nothing new
  CHECK(f.host.sent.size() == 1);
  CHECK(f.host.commands.size() == 1);
  CHECK(f.host.clones_started.size() == 1);
}

TEST_CASE("bounds: a plan whose strategy the bounds forbid is refused and replanned, then the cycle aborts",
          "[controller]") {
  CycleSettings s = Settings();
  s.bounds.prohibited_modifications = {"weights"};
  Fixture f(s);
  f.Trigger();
  f.Plan(false, "teacher_samples");
  CHECK(f.Stage() == "planning");
  CHECK(f.Cycle().attempt == 2);
  CHECK(f.host.sent.size() == 2);  // planning asked again, nothing went to datagen
  CHECK(f.host.sent.back().first == "planning");
  f.Plan(false, "teacher_samples");
  CHECK(f.Stage() == "aborted");
  CHECK_THAT(f.Cycle().outcome_reason, Catch::Contains("outside the bounds") &&
                                           Catch::Contains("prohibited_modifications forbids") &&
                                           Catch::Contains("no replans left"));
  CHECK(f.host.sent.size() == 2);
}

namespace {

// A prompt model file whose instructions are `words` words: w0 w1 ... with
// the ones from `changed_from` on replaced by x<i>.
std::string PromptFile(int words, int changed_from, int changed_to) {
  std::string text;
  for (int i = 0; i < words; ++i) {
    text += (i >= changed_from && i < changed_to ? "x" : "w") + std::to_string(i) + " ";
  }
  return json{{"format", "kaizen-prompt-model"}, {"format_version", 1}, {"base_model", "m"}, {"task", "text"},
              {"system_prompt", text},         {"labels", json::array()}, {"examples", json::array()}}
      .dump();
}

}  // namespace

TEST_CASE("bounds: a plan over max_prompt_change is refused and replanned, and training gets the bounds and anchor",
          "[controller]") {
  CycleSettings s = Settings();
  s.training_backend = "prompt";
  s.bounds.max_prompt_change = 0.3;
  s.bounds.max_drift_from_anchor = 0.5;
  Fixture f(s);
  auto [anchor_uri, anchor_sha] = f.Artifact("v1.json", PromptFile(100, 0, 0));
  f.ctl.SetAnchor({"v1", anchor_uri, anchor_sha});
  f.Trigger();
  bus::Envelope e = f.Reply("planning");
  e.mutable_plan()->set_strategy("teacher_samples");
  e.mutable_plan()->set_max_prompt_change(1.0);  // a planner that erred: a full rewrite
  f.ctl.OnStageReply(e, "planning");
  f.ctl.Reconcile();
  CHECK(f.Stage() == "planning");
  CHECK(f.host.entered.back() == "planning->planning");
  CHECK_THAT(f.LastTransitionReason(),
             Catch::Contains("the plan is outside the bounds: it may change 1 of the prompt, and "
                             "spec.planning.bounds.max_prompt_change is 0.3; replanning (attempt 2)"));
  bus::Envelope again = f.Reply("planning");
  again.mutable_plan()->set_strategy("teacher_samples");
  again.mutable_plan()->set_max_prompt_change(0.25);
  f.ctl.OnStageReply(again, "planning");
  f.ctl.Reconcile();
  CHECK(f.Stage() == "generating_data");
  f.Dataset();
  REQUIRE(f.Stage() == "training");
  const bus::Envelope& train = f.host.sent.back().second;
  REQUIRE(train.has_train_request());
  CHECK(train.train_request().max_prompt_change() == Approx(0.25));  // the plan's, within the manifest's
  CHECK(train.train_request().max_drift_from_anchor() == Approx(0.5));
  CHECK(train.train_request().anchor_version() == "v1");
  CHECK(train.train_request().anchor_uri() == anchor_uri);
}

TEST_CASE("bounds: cycles each within max_prompt_change are stopped at the one that would cross max_drift_from_anchor",
          "[controller]") {
  CycleSettings s = Settings();
  s.training_backend = "prompt";
  s.max_replans = 0;
  s.bounds.max_prompt_change = 0.3;
  s.bounds.max_drift_from_anchor = 0.5;
  Fixture f(s);
  // v1 (the anchor) -> v2 changed 20 words of 100 -> v3 20 more: each step 20%,
  // from the anchor 20%, 40%, and the next would be 60%.
  auto [v1_uri, v1_sha] = f.Artifact("v1.json", PromptFile(100, 0, 0));
  f.ctl.SetAnchor({"v1", v1_uri, v1_sha});
  auto [v2_uri, v2_sha] = f.Artifact("v2.json", PromptFile(100, 0, 20));
  f.ctl.SetServing({"v2", v2_uri, v2_sha});
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model("v3.json", PromptFile(100, 0, 40));
  CHECK(f.Stage() == "evaluating");
  CHECK_THAT(f.LastTransitionReason(),
             Catch::Contains("changes 20% of v2's prompt (max 30%)") &&
                 Catch::Contains("40% from the anchor v1 (max 50%)"));
  f.Evaluation(false);  // ends this cycle (no replans): the next one starts from v3 serving
  REQUIRE(f.Stage() == "aborted");
  auto [v3_uri, v3_sha] = f.Artifact("v3.json", PromptFile(100, 0, 40));
  f.ctl.SetServing({"v3", v3_uri, v3_sha});
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model("v4.json", PromptFile(100, 0, 60));
  CHECK(f.Stage() == "aborted");
  CHECK_THAT(f.Cycle().outcome_reason,
             Catch::Contains("is outside the bounds: its prompt is 60% away from the anchor v1's") &&
                 Catch::Contains("max_drift_from_anchor is 50%"));
  // The candidate is rejected, never evaluated.
  CHECK(f.host.models[f.Cycle().candidate.version].status == store::ModelStatus::kRejected);
  for (const auto& [to, e] : f.host.sent) CHECK_FALSE((e.has_eval_request() && e.cycle_id() == f.Cycle().id));
}

TEST_CASE("significance: the runtime scores every plan, and one above max_significance waits for a person",
          "[controller]") {
  CycleSettings s = Settings();
  s.approval_limits.max_significance = 0.3;  // a retrain with replay 0.5 scores 0.5
  Fixture f(s);
  f.Trigger();
  f.Plan(false);  // planning did not ask for a person
  CHECK(f.Stage() == "awaiting_approval");
  CHECK_THAT(f.LastTransitionReason(), Catch::Contains("significance 0.50") &&
                                           Catch::Contains("above planning.auto_approve.max_significance 0.30"));
  Fixture fine;  // the default: 1
  fine.Trigger();
  fine.Plan(false);
  CHECK(fine.Stage() == "generating_data");
}

TEST_CASE("bounds: a candidate whose trainer reports a knob outside parameter_ranges is not evaluated",
          "[controller]") {
  CycleSettings s = Settings();
  s.max_replans = 0;
  s.bounds.parameter_ranges["epochs"] = {1.0, 20.0};
  Fixture f(s);
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model("v2.kzm", "model bytes", R"({"parameters": {"epochs": 40}})");
  CHECK(f.Stage() == "aborted");
  CHECK_THAT(f.Cycle().outcome_reason, Catch::Contains("outside the bounds") && Catch::Contains("epochs") &&
                                           Catch::Contains("parameter_ranges"));
}

TEST_CASE("bounds: max_cycles_per_day ignores a trigger until a cycle leaves the 24-hour window", "[controller]") {
  CycleSettings s = Settings();
  s.bounds.max_cycles_per_day = 1;
  cycle::CycleRecord earlier;
  earlier.id = "c1";
  earlier.stage = v1::CYCLE_STAGE_PROMOTED;
  earlier.created_ms = 1'000'000 - 3'600'000;  // an hour before now, by an earlier runtime
  Fixture f(s, {earlier});
  bus::Envelope t = bus::MakeEnvelope("monitoring", "runtime");
  t.mutable_trigger()->set_policy("performance");
  const std::string ignored = f.ctl.OnTrigger(t, "monitoring", false);
  CHECK_THAT(ignored, Catch::Contains("max_cycles_per_day is 1") && Catch::Contains("next may start in 1380 min"));
  f.host.now_ms += 23 * 3'600'000 + 1;  // the earlier cycle leaves the window
  CHECK(f.ctl.OnTrigger(t, "monitoring", false).empty());
}

TEST_CASE("triggers are ignored, and journaled, while a cycle runs, while stopping and before a model serves",
          "[controller]") {
  Fixture f;
  bus::Envelope t = bus::MakeEnvelope("monitoring", "runtime");
  t.mutable_trigger()->set_policy("schedule");
  CHECK(f.ctl.OnTrigger(t, "monitoring", true) == "the cluster is stopping");
  f.Trigger();
  CHECK(f.ctl.OnTrigger(t, "monitoring", false) == "cycle c1 is still running");
  CHECK(f.Events("trigger") == 3);
  Fixture empty;
  empty.ctl.Load({}, {});
  CHECK(empty.ctl.OnTrigger(t, "monitoring", false) == "no model serves yet");
  CHECK_FALSE(empty.ctl.cycle());
}

TEST_CASE("every stage in order to a promotion, each decision with its registry rows", "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  CHECK(f.Stage() == "generating_data");
  CHECK(f.host.sent.back().second.has_data_request());
  f.Dataset();
  CHECK(f.Stage() == "training");
  CHECK(f.host.datasets.size() == 1);
  CHECK(f.Cycle().candidate.version == "v2");
  CHECK(f.Cycle().teacher_calls == 500);
  CHECK(f.host.sent.back().second.train_request().output_version() == "v2");
  CHECK(f.host.sent.back().second.job_key() == f.Cycle().id + ":training:1");
  f.Model();
  CHECK(f.Stage() == "evaluating");
  CHECK(f.host.models.at("v2").status == store::ModelStatus::kCandidate);
  CHECK(f.host.models["v2"].parent == "v1");
  CHECK(f.host.sent.back().second.has_eval_request());
  f.Evaluation(true);
  CHECK(f.Stage() == "rolling_out");
  CHECK(f.Cycle().phase == kPhaseLoadingCandidate);
  // The candidate is loaded into the worker first; no A/B request before that.
  REQUIRE(f.host.commands.back().kind == v1::Command::RELOAD_MODEL);
  CHECK(f.host.assigned["worker"].version == "v2");
  CHECK_FALSE(f.host.sent.back().second.has_rollout_request());
  f.ctl.Reconcile();
  CHECK(f.host.commands.size() == 1);  // one RELOAD per worker process
  f.AnswerLastCommand(true);
  CHECK(f.Cycle().phase == kPhaseAbTest);
  CHECK(f.host.traffic.split());
  CHECK(f.host.commands.back().kind == v1::Command::SERVE);
  REQUIRE(f.host.sent.back().second.has_rollout_request());
  CHECK(f.host.sent.back().second.rollout_request().steps_size() == 2);
  // Deployment moves the split; the weight is part of the cycle's row.
  bus::Envelope split = f.Reply("deployment");
  split.mutable_traffic_split()->set_candidate_weight(0.5);
  REQUIRE(f.ctl.OnTrafficSplit(split, "deployment").ok());
  CHECK(f.host.traffic.candidate_weight() == 0.5);
  CHECK(f.host.cycles["c1"].candidate_weight == 0.5);
  f.Rollout(v1::RolloutDecision::PROMOTE);
  CHECK(f.Stage() == "promoted");
  // The outcome and the registry in one decision.
  const Decision& d = f.host.committed.back();
  CHECK(d.what == "promoted");
  REQUIRE(d.models.size() == 2);
  CHECK(f.host.models.at("v2").status == store::ModelStatus::kServing);
  CHECK(f.host.models.at("v1").status == store::ModelStatus::kRetired);
  CHECK(d.cycle->stage == v1::CYCLE_STAGE_PROMOTED);
  CHECK(f.ctl.serving().version == "v2");
  CHECK(f.host.traffic.primary() == "worker");
  CHECK_FALSE(f.host.traffic.split());
  CHECK(f.host.clone_drains >= 1);
  CHECK(f.host.CommandKinds().back() == "SERVE");
}

TEST_CASE("answers to another request are dropped, and an agent that restarts gets the request again",
          "[controller]") {
  Fixture f;
  f.Trigger();
  const std::string first = f.ctl.outstanding_request();
  f.ctl.Reconcile();
  CHECK(f.host.sent.size() == 1);  // still with the process it went to
  f.host.agents["planning"].epoch = 2;  // planning restarted: it lost the request
  f.ctl.Reconcile();
  REQUIRE(f.host.sent.size() == 2);
  CHECK(f.ctl.outstanding_request() != first);
  // A new message id, the same idempotency key: the stage agent runs the job once (sdk/stage_jobs.h).
  CHECK(f.host.sent[1].second.job_key() == f.host.sent[0].second.job_key());
  CHECK(f.host.sent[0].second.job_key() == f.Cycle().id + ":planning:1");
  bus::Envelope stale = f.Reply("planning");
  stale.set_correlation_id(first);
  stale.mutable_plan()->set_strategy("retrain");
  f.ctl.OnStageReply(stale, "planning");
  CHECK(f.Stage() == "planning");
  f.Plan();
  CHECK(f.Stage() == "generating_data");
}

TEST_CASE("with no agent of the stage's role the request waits, and goes out when one registers", "[controller]") {
  Fixture f;
  f.host.agents["planning"].connected = false;
  f.Trigger();
  CHECK(f.host.sent.empty());
  CHECK(f.ctl.outstanding_request().empty());
  f.host.agents["planning"] = {true, 5, false, ""};
  f.ctl.Reconcile();
  REQUIRE(f.host.sent.size() == 1);
  CHECK(f.host.sent[0].first == "planning");
}

TEST_CASE("a plan that needs a person waits: approved it buys data, rejected it aborts, on timeout its policy decides",
          "[controller]") {
  SECTION("approved") {
    Fixture f;
    f.Trigger();
    f.Plan(true);
    CHECK(f.Stage() == "awaiting_approval");
    CHECK(f.Cycle().phase == kPhasePlanApproval);
    CHECK(f.Cycle().approval.value("subject", "") == "plan");
    CHECK(f.Cycle().approval.value("expires_ms", int64_t{0}) == f.host.now_ms + 600 * 1000);
    CHECK(f.Events("approval_request") == 1);
    CHECK(f.ctl.StatusJson()["approval"]["subject"] == "plan");
    const size_t sent = f.host.sent.size();
    f.ctl.Reconcile();
    CHECK(f.host.sent.size() == sent);  // nobody is asked while a person decides
    REQUIRE(f.ctl.OnApproval({"approval_decision", "cli-1", "", bus::Envelope()}, true, "plan approved by alice").ok());
    f.ctl.Reconcile();
    CHECK(f.Stage() == "generating_data");
    CHECK(f.Cycle().approval.empty());
    CHECK(f.host.sent.back().second.has_data_request());
  }
  SECTION("rejected") {
    Fixture f;
    f.Trigger();
    f.Plan(true);
    REQUIRE(f.ctl.OnApproval({"approval_decision", "cli-1", "", bus::Envelope()}, false, "plan rejected by bob").ok());
    CHECK(f.Stage() == "aborted");
    CHECK(f.Cycle().outcome_reason == "plan rejected by bob");
  }
  SECTION("timed out: reject") {
    Fixture f;
    f.Trigger();
    f.Plan(true);
    f.host.now_ms += 600 * 1000;
    f.ctl.Reconcile();
    CHECK(f.Stage() == "awaiting_approval");  // not past it yet
    f.host.now_ms += 1;
    f.ctl.Reconcile();
    CHECK(f.Stage() == "aborted");
    CHECK(f.Cycle().outcome_reason == "approval timed out; rejected by planning.approval_timeout_policy");
  }
  SECTION("timed out: approve, and wait never decides") {
    CycleSettings s = Settings();
    s.plan_approval.policy = TimeoutPolicy::kApprove;
    Fixture f(s);
    f.Trigger();
    f.Plan(true);
    f.host.now_ms += 601 * 1000;
    f.ctl.Reconcile();
    CHECK(f.Stage() == "generating_data");
    s.plan_approval.policy = TimeoutPolicy::kWait;
    Fixture w(s);
    w.Trigger();
    w.Plan(true);
    CHECK(w.Cycle().approval.value("expires_ms", int64_t{-1}) == 0);
    w.host.now_ms += 30LL * 24 * 3600 * 1000;
    w.ctl.Reconcile();
    CHECK(w.Stage() == "awaiting_approval");
  }
}

TEST_CASE("a promotion that needs a person keeps the split while it waits, then promotes or rolls back",
          "[controller]") {
  CycleSettings s = Settings();
  s.require_approval = true;
  SECTION("approved") {
    Fixture f(s);
    f.ToAbTest();
    f.Rollout(v1::RolloutDecision::PROMOTE);
    CHECK(f.Stage() == "awaiting_approval");
    CHECK(f.ctl.AwaitingPromotion());
    CHECK(f.Cycle().phase == kPhasePromotionApproval);
    CHECK(f.Cycle().approval.value("summary", "").find("promote v2 over v1") == 0);
    CHECK(f.host.traffic.split());
    REQUIRE(f.ctl.OnApproval({"approval_decision", "cli-1", "", bus::Envelope()}, true, "promotion approved").ok());
    CHECK(f.Stage() == "promoted");
    CHECK(f.host.models.at("v2").status == store::ModelStatus::kServing);
  }
  SECTION("rejected") {
    Fixture f(s);
    f.ToAbTest();
    f.Rollout(v1::RolloutDecision::PROMOTE);
    REQUIRE(f.ctl.OnApproval({"approval_decision", "cli-1", "", bus::Envelope()}, false, "promotion rejected").ok());
    CHECK(f.Stage() == "rolled_back");
    CHECK(f.host.models.at("v2").status == store::ModelStatus::kRolledBack);
    CHECK(f.host.models.at("v1").status == store::ModelStatus::kServing);
    CHECK(f.ctl.serving().version == "v1");
    CHECK(f.host.assigned["worker"].version == "v1");
  }
}

TEST_CASE("a failed evaluation replans while replans are left, then aborts with the candidate rejected",
          "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model();
  f.Evaluation(false);
  CHECK(f.Stage() == "planning");
  CHECK(f.Cycle().attempt == 2);
  CHECK(f.host.models.at("v2").status == store::ModelStatus::kRejected);
  REQUIRE(f.host.sent.back().second.has_plan_request());
  CHECK(f.host.sent.back().second.plan_request().attempt() == 2);
  f.Plan();
  f.Dataset();
  CHECK(f.Cycle().candidate.version == "v3");
  f.Model();
  f.Evaluation(false);
  CHECK(f.Stage() == "aborted");
  CHECK(f.Cycle().outcome_reason.find("no replans left") != std::string::npos);
  CHECK(f.host.models.at("v3").status == store::ModelStatus::kRejected);
}

TEST_CASE("an Error from the stage's agent aborts the cycle with its message", "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  bus::Envelope err = f.Reply("datagen");
  err.mutable_error()->set_message("teacher unreachable");
  f.ctl.OnStageReply(err, "datagen");
  CHECK(f.Stage() == "aborted");
  CHECK(f.Cycle().outcome_reason == "generating_data failed in datagen: teacher unreachable");
  // In training the candidate has a version but no registry row yet: nothing to mark, still aborted.
  Fixture t;
  t.Trigger();
  t.Plan();
  t.Dataset();
  bus::Envelope failed = t.Reply("training");
  failed.mutable_error()->set_message("training command exited with code 7");
  t.ctl.OnStageReply(failed, "training");
  CHECK(t.Stage() == "aborted");
  CHECK(t.host.failed.empty());
  CHECK(t.host.models.count("v2") == 0);
}

TEST_CASE("an artifact that does not hash to what the agent says aborts the cycle", "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  auto [uri, sha] = f.Artifact("data.jsonl", "{}\n");
  bus::Envelope e = f.Reply("datagen");
  e.mutable_dataset_ready()->set_uri(uri);
  e.mutable_dataset_ready()->set_sha256(std::string(64, '0'));
  f.ctl.OnStageReply(e, "datagen");
  CHECK(f.Stage() == "aborted");
  CHECK(f.Cycle().outcome_reason.find("bad artifact") != std::string::npos);
  CHECK(f.host.datasets.empty());
}

TEST_CASE("what is not a transition of the cycle is refused with the reason", "[controller]") {
  Fixture f;
  CHECK(f.ctl.OnOperatorEnd(true, "early").message() == "no cycle is rolling out");
  CHECK(f.ctl.OnApproval({}, true, "x").message() == "nothing is waiting for an approval");
  f.Trigger();
  bus::Envelope split = f.Reply("deployment");
  split.mutable_traffic_split()->set_candidate_weight(0.9);
  CHECK(f.ctl.OnTrafficSplit(split, "deployment").code() == Status::Code::kFailedPrecondition);
  // A dataset while planning: not this stage's answer; nothing changes.
  bus::Envelope early = f.Reply("datagen");
  early.mutable_dataset_ready()->set_dataset_id("x");
  const size_t decisions = f.host.committed.size();
  f.ctl.OnStageReply(early, "datagen");
  CHECK(f.Stage() == "planning");
  CHECK(f.host.committed.size() == decisions);
  // The loading candidate is no A/B test yet: a split is refused then too.
  f.Plan();
  f.Dataset();
  f.Model();
  f.Evaluation(true);
  CHECK(f.ctl.OnTrafficSplit(split, "deployment").message() == "no rollout is running for cycle 'c1'");
}

TEST_CASE("a decision the store refuses is not made: the cycle is aborted with the reason", "[controller]") {
  Fixture f;
  f.Trigger();
  f.host.refuse_commits = 1;
  f.Plan();
  REQUIRE(f.host.failed.size() == 1);
  CHECK(f.host.failed[0].find("the decision 'plan' could not be recorded, so it was not made") == 0);
  CHECK(f.Stage() == "aborted");
  CHECK(f.host.cycles["c1"].stage == v1::CYCLE_STAGE_ABORTED);
  CHECK(f.Cycle().plan.empty());  // the refused plan left nothing behind
  CHECK(f.Cycle().outcome_reason.find("disk I/O error") != std::string::npos);
}

TEST_CASE("a candidate is not named from a registry that cannot be read: the cycle aborts with the reason",
          "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  f.host.registry_unreadable = true;
  f.Dataset();
  REQUIRE(f.host.failed.size() == 1);
  CHECK(f.host.failed[0].find("naming the candidate") != std::string::npos);
  CHECK(f.Stage() == "aborted");
  CHECK(f.Cycle().candidate.version.empty());
  CHECK(f.host.datasets.empty());  // the dataset decision was not made either
}

TEST_CASE("when the abort is refused too, the cycle stays where the store has it", "[controller]") {
  Fixture f;
  f.Trigger();
  f.host.refuse_commits = 2;
  f.Plan();
  CHECK(f.host.failed.size() == 2);
  CHECK(f.Stage() == "planning");
  CHECK(f.host.cycles["c1"].stage == v1::CYCLE_STAGE_PLANNING);
}

TEST_CASE("a promotion the store refuses leaves the registry serving the incumbent", "[controller]") {
  Fixture f;
  f.ToAbTest();
  f.host.refuse_commits = 1;
  f.Rollout(v1::RolloutDecision::PROMOTE);
  CHECK(f.host.models.at("v1").status == store::ModelStatus::kServing);
  CHECK(f.ctl.serving().version == "v1");
  CHECK(f.Stage() == "aborted");              // and the abort says why,
  CHECK(f.host.models.at("v2").status == store::ModelStatus::kRejected);  // in its own decision
}

TEST_CASE("the candidate worker lost during the A/B test is rolled back, the operator can end it by hand",
          "[controller]") {
  SECTION("lost") {
    Fixture f;
    f.ToAbTest();
    f.ctl.OnWorkerLost("worker-clone", "crashed");  // the clone is not the candidate
    CHECK(f.Stage() == "rolling_out");
    f.ctl.OnWorkerLost("worker", "crashed (signal 9)");
    CHECK(f.Stage() == "rolled_back");
    CHECK(f.Cycle().outcome_reason.find("the candidate v2 crashed (signal 9) during the A/B test") == 0);
  }
  SECTION("operator") {
    Fixture f;
    f.ToAbTest();
    REQUIRE(f.ctl.OnOperatorEnd(true, "operator promoted (cli-1)").ok());
    CHECK(f.Stage() == "promoted");
    CHECK(f.Events("cluster") == 1);  // operator_promote, in the same decision
  }
}

TEST_CASE("after a rollback traffic goes back to the worker once it serves the incumbent, then the clone drains",
          "[controller]") {
  Fixture f;
  f.host.AddAgent("worker-clone", "worker");
  f.host.agents["worker-clone"].can_serve = true;
  f.ToAbTest();
  f.Rollout(v1::RolloutDecision::ROLLBACK);
  CHECK(f.Stage() == "rolled_back");
  CHECK(f.host.traffic.primary() == "worker-clone");  // the worker still has the candidate
  CHECK(f.host.CommandKinds().back() == "SERVE");
  f.ctl.Reconcile();
  CHECK(f.host.traffic.primary() == "worker-clone");
  f.host.agents["worker"].model_version = "v1";
  const int drains = f.host.clone_drains;
  f.ctl.Reconcile();
  CHECK(f.host.traffic.primary() == "worker");
  CHECK(f.host.clone_drains == drains + 1);
}

TEST_CASE("a worker that restarts during the A/B test loads the candidate again and the test starts over",
          "[controller]") {
  Fixture f;
  f.ToAbTest();
  const std::string first = f.ctl.outstanding_request();
  const size_t reloads = f.host.commands.size();
  f.host.agents["worker"].epoch = 9;
  bus::Envelope split = f.Reply("deployment");
  split.mutable_traffic_split()->set_candidate_weight(0.5);
  CHECK_FALSE(f.ctl.OnTrafficSplit(split, "deployment").ok());  // not loaded in the new process yet
  f.ctl.Reconcile();
  REQUIRE(f.host.commands.size() == reloads + 1);
  CHECK(f.host.commands.back().kind == v1::Command::RELOAD_MODEL);
  f.AnswerLastCommand(true);
  CHECK(f.ctl.outstanding_request() != first);
  CHECK(f.Cycle().loaded_epoch == 9);
}

TEST_CASE("a candidate that does not load is rolled back", "[controller]") {
  Fixture f;
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model();
  f.Evaluation(true);
  f.AnswerLastCommand(false, "model file truncated");
  CHECK(f.Stage() == "rolled_back");
  CHECK(f.Cycle().outcome_reason == "the candidate does not load: model file truncated");
}

TEST_CASE("pause: the worker improves instead of a clone, and the evaluation promotes", "[controller]") {
  CycleSettings s = Settings();
  s.during_improvement = DuringImprovement::kPause;
  Fixture f(s);
  f.Trigger();
  CHECK(f.host.clones_started.empty());
  CHECK(f.host.CommandKinds() == std::vector<std::string>{"IMPROVE"});
  CHECK(f.Cycle().incumbent_worker == "worker");
  f.Plan();
  f.Dataset();
  f.Model();
  f.Evaluation(true);
  f.AnswerLastCommand(true);
  CHECK(f.Stage() == "promoted");
  CHECK(f.Cycle().outcome_reason == "promoted on the evaluation (during_improvement: pause)");
}

TEST_CASE("resume after a restart is a reconcile, from every sub-phase", "[controller]") {
  // What an earlier runtime left: a cycle at `stage`/`phase`, its request sent to agent epoch 1.
  auto left = [](v1::CycleStage stage, const std::string& phase = "", const json& decision = json::object()) {
    cycle::CycleRecord c;
    c.id = "c1";
    c.incumbent = {"v1", "file:///v1", "aa"};
    c.candidate = {"v2", "file:///v2", "bb"};
    c.during_improvement = "clone";
    c.incumbent_worker = "worker-clone";
    c.candidate_worker = "worker";
    c.Enter(v1::CYCLE_STAGE_TRIGGERED, 999'000);  // a second before the fixture's clock
    if (stage != v1::CYCLE_STAGE_TRIGGERED) c.Enter(stage, 999'500);
    c.phase = phase;
    c.decision = decision;
    c.request = {"old-request", "planning", 1};
    c.loaded_epoch = 1;
    return c;
  };
  struct Case {
    v1::CycleStage stage;
    std::string phase;
    std::string expect;  // the body sent, or the command, after the first reconcile
  };
  const std::vector<Case> cases = {
      {v1::CYCLE_STAGE_TRIGGERED, "", "plan_request"},
      {v1::CYCLE_STAGE_PLANNING, "", "plan_request"},
      {v1::CYCLE_STAGE_GENERATING_DATA, "", "data_request"},
      {v1::CYCLE_STAGE_TRAINING, "", "train_request"},
      {v1::CYCLE_STAGE_EVALUATING, "", "eval_request"},
      {v1::CYCLE_STAGE_AWAITING_APPROVAL, kPhasePlanApproval, ""},
      {v1::CYCLE_STAGE_ROLLING_OUT, kPhaseLoadingCandidate, "RELOAD_MODEL"},
      {v1::CYCLE_STAGE_ROLLING_OUT, kPhaseAbTest, "RELOAD_MODEL"},
  };
  for (const auto& k : cases) {
    INFO(cycle::StageName(k.stage) << " " << k.phase);
    Fixture f(Settings(), {left(k.stage, k.phase)});
    // The new runtime's agents registered anew: every epoch differs from the one the request went to.
    for (auto& [id, a] : f.host.agents) a.epoch = 100;
    f.ctl.Reconcile();
    CHECK(f.host.cluster_events.front().first == "cycle_resumed");
    CHECK(f.host.clones_started == std::vector<std::string>{"v1"});
    if (k.stage == v1::CYCLE_STAGE_TRIGGERED) CHECK(f.Stage() == "planning");
    if (k.expect.empty()) {
      CHECK(f.host.sent.empty());
      CHECK(f.host.commands.empty());
    } else if (k.expect == "RELOAD_MODEL") {
      REQUIRE(f.host.commands.size() == 1);
      CHECK(f.host.commands[0].kind == v1::Command::RELOAD_MODEL);
      CHECK(f.host.assigned["worker"].version == "v2");
    } else {
      REQUIRE(f.host.sent.size() == 1);
      CHECK(bus::BodyName(f.host.sent[0].second) == k.expect);
      CHECK(f.ctl.outstanding_request() != "old-request");
    }
  }
  // A promotion waiting for a person still waits, with what it asked.
  cycle::CycleRecord waiting = left(v1::CYCLE_STAGE_ROLLING_OUT, kPhaseAbTest, json{{"outcome", "PROMOTE"}});
  waiting.Enter(v1::CYCLE_STAGE_AWAITING_APPROVAL, 999'900);
  waiting.phase = kPhasePromotionApproval;
  waiting.approval = {{"subject", "promotion"}, {"summary", "promote v2 over v1: better"}, {"expires_ms", 0}};
  Fixture f(Settings(), {waiting});
  f.ctl.Reconcile();
  CHECK(f.ctl.AwaitingPromotion());
  CHECK(f.ctl.StatusJson()["approval"]["summary"] == "promote v2 over v1: better");
  CHECK(f.host.sent.empty());
  // Finished cycles are not resumed; the last one is shown.
  cycle::CycleRecord done = left(v1::CYCLE_STAGE_ROLLING_OUT);
  done.Enter(v1::CYCLE_STAGE_PROMOTED, 999'950);
  Fixture d(Settings(), {done});
  d.ctl.Reconcile();
  CHECK_FALSE(d.ctl.running());
  CHECK(d.ctl.StatusJson()["stage"] == "promoted");
  CHECK(d.host.cluster_events.empty());
}

TEST_CASE("a second cycle loads its candidate into the same worker process", "[controller]") {
  Fixture f;
  f.ToAbTest();
  f.Rollout(v1::RolloutDecision::PROMOTE);
  REQUIRE(f.Stage() == "promoted");
  f.host.agents["worker"].model_version = "v2";
  // The worker did not restart: the same epoch as the first rollout's RELOAD.
  f.Trigger();
  f.Plan();
  f.Dataset();
  f.Model();
  const size_t before = f.host.commands.size();
  f.Evaluation(true);
  REQUIRE(f.host.commands.size() == before + 1);
  CHECK(f.host.commands.back().kind == v1::Command::RELOAD_MODEL);
  CHECK(f.host.commands.back().argument.find("\"v3\"") != std::string::npos);
  CHECK(f.ctl.cycle_ids() == std::vector<std::string>{"c1", "c2"});
}
