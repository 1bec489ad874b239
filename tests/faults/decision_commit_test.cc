// A cycle's decision is all or nothing across a crash. The runtime is killed
// (KAIZEN_TEST_CRASH_AT, base/crash_point.h) at each commit point of a
// promotion and of a rollback: after writing the decision and before its
// commit, then after the commit and before anything is sent. After each
// `kaizen up` the store's cycle and registry agree, and the outcome is the
// one decided: none before the commit (the approval still waits), the
// decided one after it, which the restarted cluster then serves. (Task
// accounting across runtime restarts is faults_test's; not checked again.)
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "runtime/store/store.h"
#include "tests/faults/fault_helpers.h"
#include "tests/integration/cluster_harness.h"

using namespace kaizen::testing;
using json = nlohmann::json;

namespace {

// The reduced scenario with a promotion that waits for a person.
std::string ApprovalManifest(const std::string& name) {
  std::string m = ScenarioManifest(name, 0.0, 300, 8000, 1500);
  const std::string from = "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100}\n";
  const auto at = m.find(from);
  REQUIRE(at != std::string::npos);
  m.replace(at, from.size(),
            "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100, require_approval: true, "
            "approval_timeout_policy: wait}\n");
  return m;
}

// What the store says, read with the cluster down.
struct Stored {
  std::string cycle_stage;                      // of c1
  std::map<std::string, std::optional<kaizen::store::ModelStatus>> models;  // version -> status (none: no row)
};

const char* Name(const std::optional<kaizen::store::ModelStatus>& status) {
  return status ? kaizen::store::ModelStatusName(*status) : "(no row)";
}

Stored ReadStore(const std::string& state_dir) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  Stored out;
  auto cycle = (*store)->GetCycle("c1");
  REQUIRE(cycle.ok());
  REQUIRE(cycle->has_value());
  out.cycle_stage = (**cycle).stage;
  auto models = (*store)->ListModels();
  REQUIRE(models.ok());
  for (const auto& m : *models) out.models[m.version] = m.status;
  std::printf("store: c1 %s; v1 %s, v2 %s\n", out.cycle_stage.c_str(), Name(out.models["v1"]),
              Name(out.models["v2"]));
  return out;
}

// `kaizen up` with the runtime armed to kill itself at `crash_at` ("" = not).
void UpArmed(TestCluster& c, const std::string& crash_at) {
  if (crash_at.empty()) {
    ::unsetenv("KAIZEN_TEST_CRASH_AT");
  } else {
    ::setenv("KAIZEN_TEST_CRASH_AT", crash_at.c_str(), 1);
  }
  const auto up = c.Up();
  ::unsetenv("KAIZEN_TEST_CRASH_AT");
  REQUIRE(up.exit_code == 0);
  std::printf("fault: `kaizen up`%s\n", crash_at.empty() ? "" : (" armed to crash at " + crash_at).c_str());
}

// Waits for the promotion to wait for a person; its summary is shown (after a restart too).
void WaitForPromotionApproval(TestCluster& c) {
  json st;
  REQUIRE(WaitFor([&] {
    st = c.Status();
    return st.is_object() && st["cycle"].is_object() && st["cycle"].value("stage", "") == "awaiting_approval";
  }, 120000));
  INFO(st.dump(2));
  REQUIRE(st["cycle"]["approval"].is_object());
  CHECK(st["cycle"]["approval"]["subject"] == "promotion");
  CHECK(st["cycle"]["approval"].value("summary", "").find("promote v2 over v1") != std::string::npos);
}

// Runs the operator's `verb` (approve | reject) and expects the runtime to die at its armed point.
void DecideAndCrash(TestCluster& c, const std::string& verb, const std::string& point) {
  const pid_t runtime = c.RuntimePid();
  REQUIRE(runtime > 0);
  const auto decided = Kaizen(verb + " c1 --reason \"fault test\" --state-dir " + c.state_dir());
  std::printf("fault: `kaizen %s c1` (exit %d); the runtime should die at %s\n", verb.c_str(), decided.exit_code,
              point.c_str());
  REQUIRE(WaitFor([&] { return c.RuntimeGone(runtime); }, 20000));
  CHECK(decided.exit_code != 0);  // nobody told it the decision was made
}

// Both crash points of one outcome, then a clean restart.
void CrashThroughDecision(TestCluster& c, const std::string& verb, const std::string& outcome,
                          const std::string& serving, kaizen::store::ModelStatus candidate_status) {
  using kaizen::store::ModelStatus;
  UpArmed(c, outcome + ":written");
  WaitForPromotionApproval(c);
  DecideAndCrash(c, verb, outcome + ":written");
  Stored before = ReadStore(c.state_dir());
  CHECK(before.cycle_stage == "awaiting_approval");  // nothing of the decision was kept
  CHECK(before.models["v1"] == ModelStatus::kServing);
  CHECK(before.models["v2"] == ModelStatus::kCandidate);

  UpArmed(c, outcome + ":committed");
  WaitForPromotionApproval(c);  // the restarted runtime still asks, with the same summary
  DecideAndCrash(c, verb, outcome + ":committed");
  Stored after = ReadStore(c.state_dir());
  CHECK(after.cycle_stage == outcome);  // all of it was kept
  CHECK(after.models["v1"] == (serving == "v1" ? ModelStatus::kServing : ModelStatus::kRetired));
  CHECK(after.models["v2"] == candidate_status);

  UpArmed(c, "");
  // The decided version serves, on the worker (all traffic back on it).
  json st;
  REQUIRE(WaitFor([&] {
    st = c.Status();
    json worker = c.Agent("worker");
    return st.is_object() && st["router"].value("serving", "") == serving && worker.is_object() &&
           worker.value("model_version", "") == serving;
  }, 60000));
  INFO(st.dump(2));
  CHECK(c.Down().exit_code == 0);
  CheckStore(c.state_dir());
  Stored end = ReadStore(c.state_dir());
  CHECK(end.cycle_stage == outcome);
  CHECK(end.models["v2"] == candidate_status);
}

}  // namespace

TEST_CASE("a promotion is all or nothing when the runtime is killed at either commit point", "[faults]") {
  TestCluster c("decide-promote");
  std::ofstream(c.manifest_path()) << ApprovalManifest("decide-promote");
  CrashThroughDecision(c, "approve", "promoted", "v2", kaizen::store::ModelStatus::kServing);
  // One decision was recorded, though the approval was given twice: the first died uncommitted.
  CHECK(CountEvents(c.state_dir(), "approval_decision") == 1);
}

TEST_CASE("a rollback is all or nothing when the runtime is killed at either commit point", "[faults]") {
  TestCluster c("decide-rollback");
  std::ofstream(c.manifest_path()) << ApprovalManifest("decide-rollback");
  CrashThroughDecision(c, "reject", "rolled_back", "v1", kaizen::store::ModelStatus::kRolledBack);
  CHECK(CountEvents(c.state_dir(), "approval_decision") == 1);
}
