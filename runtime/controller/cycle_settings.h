// CycleSettings: what the cycle controller reads from the manifest, typed.
// FromSpec() takes each key from the loaded spec (which the loader filled
// with defaults) and falls back to the schema's own default
// (config::SchemaDefault), so no default is written here a second time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/safety/change_bounds.h"
#include "runtime/safety/significance.h"

namespace kaizen::controller {

enum class DuringImprovement { kClone, kPause };
enum class TimeoutPolicy { kReject, kApprove, kWait };

struct ApprovalSettings {
  int64_t timeout_s = 0;
  TimeoutPolicy policy = TimeoutPolicy::kReject;
  std::string section;  // "planning" or "deployment": named in the reasons people read
};

struct CycleSettings {
  std::string worker_id;   // the manifest's worker: its arm is named by its first replica
  std::string clone_id;    // "<worker>-clone"
  std::vector<std::string> worker_replicas;  // worker_id, worker_id-2, ... (worker.replicas)
  std::vector<std::string> clone_replicas;   // clone_id, clone_id-2, ... (worker.clone_replicas)
  // The replicas of an arm (worker_id or clone_id); {arm} for any other id.
  std::vector<std::string> ReplicasOf(const std::string& arm) const;
  DuringImprovement during_improvement = DuringImprovement::kClone;
  int max_replans = 0;                  // planning.max_replans
  std::vector<double> steps;            // deployment.steps
  bool require_approval = false;        // deployment.require_approval: a promotion waits for a person
  ApprovalSettings plan_approval;       // planning.approval_timeout_s / _policy
  ApprovalSettings promotion_approval;  // deployment.approval_timeout_s / _policy
  safety::ChangeBounds bounds;          // planning.bounds: checked on every trigger and plan
  std::string training_backend;         // training.backend: what a strategy changes (safety::ModificationsOf)
  safety::ApprovalLimits approval_limits;  // planning.auto_approve: the runtime scores every plan again
  double replay_fraction = 0;              // training.replay_fraction (a retrain's significance)

  static CycleSettings FromSpec(const nlohmann::json& spec, const std::string& worker_id);
};

const char* PolicyName(TimeoutPolicy p);

}  // namespace kaizen::controller
