#include "runtime/controller/cycle_settings.h"

#include "config/manifest.h"
#include "config/manifest_schema.h"

namespace kaizen::controller {
namespace {

using json = nlohmann::json;

// spec.<section>.<key>, else the schema's default for it.
json Key(const json& spec, const std::string& section, const std::string& key) {
  return config::SettingOrDefault(spec.value(section, json::object()), "spec." + section, key);
}

TimeoutPolicy Policy(const std::string& name) {
  if (name == "approve") return TimeoutPolicy::kApprove;
  if (name == "wait") return TimeoutPolicy::kWait;
  return TimeoutPolicy::kReject;
}

ApprovalSettings Approval(const json& spec, const std::string& section) {
  ApprovalSettings a;
  a.timeout_s = Key(spec, section, "approval_timeout_s").get<int64_t>();
  a.policy = Policy(Key(spec, section, "approval_timeout_policy").get<std::string>());
  a.section = section;
  return a;
}

}  // namespace

const char* PolicyName(TimeoutPolicy p) {
  switch (p) {
    case TimeoutPolicy::kApprove: return "approve";
    case TimeoutPolicy::kWait: return "wait";
    case TimeoutPolicy::kReject: return "reject";
  }
  return "reject";
}

std::vector<std::string> CycleSettings::ReplicasOf(const std::string& arm) const {
  if (arm == worker_id) return worker_replicas;
  if (arm == clone_id) return clone_replicas;
  return {arm};
}

CycleSettings CycleSettings::FromSpec(const json& spec, const std::string& worker_id) {
  CycleSettings s;
  s.worker_id = worker_id;
  s.clone_id = worker_id + "-clone";
  s.worker_replicas = config::ReplicaIds(s.worker_id, Key(spec, "worker", "replicas").get<int64_t>());
  s.clone_replicas = config::ReplicaIds(s.clone_id, Key(spec, "worker", "clone_replicas").get<int64_t>());
  s.during_improvement = Key(spec, "worker", "during_improvement").get<std::string>() == "pause"
                             ? DuringImprovement::kPause
                             : DuringImprovement::kClone;
  s.max_replans = Key(spec, "planning", "max_replans").get<int>();
  s.steps = Key(spec, "deployment", "steps").get<std::vector<double>>();
  s.require_approval = Key(spec, "deployment", "require_approval").get<bool>();
  s.plan_approval = Approval(spec, "planning");
  s.promotion_approval = Approval(spec, "deployment");
  s.bounds = safety::ChangeBounds::FromPlanning(spec.value("planning", json::object()));
  s.training_backend = Key(spec, "training", "backend").get<std::string>();
  s.approval_limits = safety::ApprovalLimits::FromPlanning(spec.value("planning", json::object()));
  s.replay_fraction = Key(spec, "training", "replay_fraction").get<double>();
  return s;
}

}  // namespace kaizen::controller
