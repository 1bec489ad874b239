// CycleRecord: the persisted state of one improvement cycle, the state
// machine's single source of truth. Stored as JSON in the cycles table after
// every change, so a restarted runtime knows where each cycle stood.
//
//   triggered -> planning -> [awaiting_approval] -> generating_data -> training
//     -> evaluating -> rolling_out -> promoted | rolled_back | aborted
//   evaluating -> planning when the candidate fails and replans are left.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cycle.pb.h"
#include "runtime/base/result.h"

namespace kaizen::cycle {

// A model version as the registry knows it.
struct ModelRef {
  std::string version, uri, sha256;
  bool empty() const { return version.empty(); }
  nlohmann::json ToJson() const { return {{"version", version}, {"uri", uri}, {"sha256", sha256}}; }
  static ModelRef FromJson(const nlohmann::json& j);
};

struct StageSpan {
  std::string name;
  int64_t started_ms = 0;  // wall clock
  int64_t ended_ms = 0;    // 0 while the stage runs
};

struct CycleRecord {
  std::string id;
  v1::CycleStage stage = v1::CYCLE_STAGE_TRIGGERED;
  int attempt = 1;                 // plan attempt; > 1 after a replan
  std::string during_improvement;  // clone | pause
  nlohmann::json trigger = nlohmann::json::object();
  nlohmann::json plan = nlohmann::json::object();
  nlohmann::json dataset = nlohmann::json::object();   // id, uri, sha256, rows
  nlohmann::json evaluation = nlohmann::json::object();
  nlohmann::json decision = nlohmann::json::object();
  // The approval the cycle waits for, while it does (awaiting_approval):
  // subject (plan | promotion), summary, expires_ms (0 = waits). Persisted so
  // `kaizen status` shows it after a runtime restart too.
  nlohmann::json approval = nlohmann::json::object();
  // Where the cycle stands inside its stage: "plan_approval" or
  // "promotion_approval" (awaiting_approval); "loading_candidate" or
  // "ab_test" (rolling_out); "" otherwise.
  std::string phase;
  // The stage request the cycle waits on: its id, the agent it went to and
  // that agent's registration epoch then. A new epoch (the agent, or the
  // runtime, restarted) means the request is lost and goes out again.
  struct Request {
    std::string id, target;
    int64_t epoch = 0;
    bool empty() const { return id.empty(); }
  } request;
  int64_t loaded_epoch = 0;  // rolling_out: the worker's epoch when it loaded the candidate
  ModelRef incumbent, candidate;
  std::string incumbent_worker;    // the instance serving the incumbent during the cycle
  std::string candidate_worker;
  double candidate_weight = 0;
  int64_t teacher_calls = 0;
  double teacher_cost = 0;
  // LLM calls per stage name ({"generating_data": {"calls", "failures",
  // "prompt_tokens", "completion_tokens", "cost"}, ...}); "total" sums them.
  nlohmann::json llm_usage = nlohmann::json::object();
  std::string outcome_reason;
  std::vector<StageSpan> stages;
  int64_t created_ms = 0;

  bool finished() const;
  // Closes the running stage span and opens one for `to`.
  void Enter(v1::CycleStage to, int64_t now_ms);
  // Adds a stage's LLM usage (a replan's second dataset adds to the first).
  void AddLlmUsage(const std::string& stage, const v1::LlmUsage& u);

  nlohmann::json ToJson() const;
  static Result<CycleRecord> FromJson(const nlohmann::json& j);
};

// One line for people: "412 LLM calls (3 failed), 51234 prompt + 2211 completion
// tokens, $0.43 (generating_data $0.30, training $0.10, evaluating $0.03)";
// "" when the cycle made no LLM call.
std::string LlmUsageLine(const nlohmann::json& llm_usage);

// "generating_data" for CYCLE_STAGE_GENERATING_DATA, and back.
std::string StageName(v1::CycleStage stage);
v1::CycleStage StageFromName(const std::string& name);
bool IsTerminal(v1::CycleStage stage);
// Whether the state machine allows from -> to.
bool TransitionAllowed(v1::CycleStage from, v1::CycleStage to);

}  // namespace kaizen::cycle
