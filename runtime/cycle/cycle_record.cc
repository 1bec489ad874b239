#include "runtime/cycle/cycle_record.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace kaizen::cycle {

using json = nlohmann::json;

ModelRef ModelRef::FromJson(const json& j) {
  ModelRef m;
  if (!j.is_object()) return m;
  m.version = j.value("version", "");
  m.uri = j.value("uri", "");
  m.sha256 = j.value("sha256", "");
  return m;
}

std::string StageName(v1::CycleStage stage) {
  std::string n = v1::CycleStage_Name(stage);
  const std::string prefix = "CYCLE_STAGE_";
  if (n.rfind(prefix, 0) == 0) n = n.substr(prefix.size());
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  return n;
}

v1::CycleStage StageFromName(const std::string& name) {
  std::string upper = "CYCLE_STAGE_" + name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  v1::CycleStage s = v1::CYCLE_STAGE_UNSPECIFIED;
  return v1::CycleStage_Parse(upper, &s) ? s : v1::CYCLE_STAGE_UNSPECIFIED;
}

bool IsTerminal(v1::CycleStage s) {
  return s == v1::CYCLE_STAGE_PROMOTED || s == v1::CYCLE_STAGE_ROLLED_BACK || s == v1::CYCLE_STAGE_ABORTED;
}

bool TransitionAllowed(v1::CycleStage from, v1::CycleStage to) {
  using S = v1::CycleStage;
  if (IsTerminal(from)) return false;
  if (to == S::CYCLE_STAGE_ABORTED) return true;  // any running stage may be aborted
  switch (from) {
    case S::CYCLE_STAGE_TRIGGERED:
      return to == S::CYCLE_STAGE_PLANNING;
    case S::CYCLE_STAGE_PLANNING:
      // planning again: the runtime refused a plan outside spec.planning.bounds.
      return to == S::CYCLE_STAGE_AWAITING_APPROVAL || to == S::CYCLE_STAGE_GENERATING_DATA ||
             to == S::CYCLE_STAGE_PLANNING;
    case S::CYCLE_STAGE_AWAITING_APPROVAL:
      // A plan waits before generating_data; a promotion (deployment.require_approval)
      // waits after the A/B test and ends promoted or rolled back.
      return to == S::CYCLE_STAGE_GENERATING_DATA || to == S::CYCLE_STAGE_PROMOTED ||
             to == S::CYCLE_STAGE_ROLLED_BACK;
    case S::CYCLE_STAGE_GENERATING_DATA:
      return to == S::CYCLE_STAGE_TRAINING;
    case S::CYCLE_STAGE_TRAINING:
      // planning: the runtime refused a candidate outside spec.planning.bounds.
      return to == S::CYCLE_STAGE_EVALUATING || to == S::CYCLE_STAGE_PLANNING;
    case S::CYCLE_STAGE_EVALUATING:
      return to == S::CYCLE_STAGE_ROLLING_OUT || to == S::CYCLE_STAGE_PLANNING;
    case S::CYCLE_STAGE_ROLLING_OUT:
      return to == S::CYCLE_STAGE_PROMOTED || to == S::CYCLE_STAGE_ROLLED_BACK ||
             to == S::CYCLE_STAGE_AWAITING_APPROVAL;
    default:
      return false;
  }
}

bool CycleRecord::finished() const { return IsTerminal(stage); }

void CycleRecord::Enter(v1::CycleStage to, int64_t now_ms) {
  if (!stages.empty() && stages.back().ended_ms == 0) stages.back().ended_ms = now_ms;
  stage = to;
  StageSpan span{StageName(to), now_ms, IsTerminal(to) ? now_ms : 0};
  stages.push_back(span);
}

void CycleRecord::AddLlmUsage(const std::string& stage, const v1::LlmUsage& u) {
  if (u.calls() == 0 && u.failures() == 0) return;
  for (const std::string& key : {stage, std::string("total")}) {
    json& e = llm_usage[key];
    if (!e.is_object()) e = json::object();
    e["calls"] = e.value("calls", int64_t{0}) + u.calls();
    e["failures"] = e.value("failures", int64_t{0}) + u.failures();
    e["prompt_tokens"] = e.value("prompt_tokens", int64_t{0}) + u.prompt_tokens();
    e["completion_tokens"] = e.value("completion_tokens", int64_t{0}) + u.completion_tokens();
    e["cost"] = e.value("cost", 0.0) + u.cost();
  }
}

std::string LlmUsageLine(const json& llm_usage) {
  if (!llm_usage.is_object() || !llm_usage.contains("total")) return "";
  const json& t = llm_usage["total"];
  auto money = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.2f", v);
    return std::string(buf);
  };
  std::string out = std::to_string(t.value("calls", int64_t{0})) + " LLM calls";
  if (const int64_t failed = t.value("failures", int64_t{0}); failed > 0) out += " (" + std::to_string(failed) + " failed)";
  out += ", " + std::to_string(t.value("prompt_tokens", int64_t{0})) + " prompt + " +
         std::to_string(t.value("completion_tokens", int64_t{0})) + " completion tokens, " + money(t.value("cost", 0.0));
  std::string stages;
  // In cycle order, not the object's alphabetical order.
  for (const char* stage : {"planning", "generating_data", "training", "evaluating"}) {
    if (!llm_usage.contains(stage)) continue;
    stages += std::string(stages.empty() ? "" : ", ") + stage + " " + money(llm_usage[stage].value("cost", 0.0));
  }
  if (!stages.empty()) out += " (" + stages + ")";
  return out;
}

json CycleRecord::ToJson() const {
  json spans = json::array();
  for (const auto& s : stages) spans.push_back({{"name", s.name}, {"started_ms", s.started_ms}, {"ended_ms", s.ended_ms}});
  return json{{"id", id},
              {"stage", StageName(stage)},
              {"attempt", attempt},
              {"during_improvement", during_improvement},
              {"trigger", trigger},
              {"plan", plan},
              {"dataset", dataset},
              {"evaluation", evaluation},
              {"decision", decision},
              {"approval", approval},
              {"phase", phase},
              {"request", {{"id", request.id}, {"target", request.target}, {"epoch", request.epoch}}},
              {"loaded_epoch", loaded_epoch},
              {"incumbent", incumbent.ToJson()},
              {"candidate", candidate.ToJson()},
              {"incumbent_worker", incumbent_worker},
              {"candidate_worker", candidate_worker},
              {"candidate_weight", candidate_weight},
              {"teacher_calls", teacher_calls},
              {"teacher_cost", teacher_cost},
              {"llm_usage", llm_usage},
              {"outcome_reason", outcome_reason},
              {"stages", spans},
              {"created_ms", created_ms}};
}

Result<CycleRecord> CycleRecord::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("id")) return Status::Corruption("cycle state is not an object with an id");
  try {
    CycleRecord c;
    c.id = j.at("id").get<std::string>();
    c.stage = StageFromName(j.value("stage", ""));
    if (c.stage == v1::CYCLE_STAGE_UNSPECIFIED) return Status::Corruption("cycle " + c.id + " has an unknown stage");
    c.attempt = j.value("attempt", 1);
    c.during_improvement = j.value("during_improvement", "clone");
    c.trigger = j.value("trigger", json::object());
    c.plan = j.value("plan", json::object());
    c.dataset = j.value("dataset", json::object());
    c.evaluation = j.value("evaluation", json::object());
    c.decision = j.value("decision", json::object());
    c.approval = j.value("approval", json::object());
    c.phase = j.value("phase", "");
    const json request = j.value("request", json::object());
    c.request.id = request.value("id", "");
    c.request.target = request.value("target", "");
    c.request.epoch = request.value("epoch", int64_t{0});
    c.loaded_epoch = j.value("loaded_epoch", int64_t{0});
    c.incumbent = ModelRef::FromJson(j.value("incumbent", json::object()));
    c.candidate = ModelRef::FromJson(j.value("candidate", json::object()));
    c.incumbent_worker = j.value("incumbent_worker", "");
    c.candidate_worker = j.value("candidate_worker", "");
    c.candidate_weight = j.value("candidate_weight", 0.0);
    c.teacher_calls = j.value("teacher_calls", int64_t{0});
    c.teacher_cost = j.value("teacher_cost", 0.0);
    c.llm_usage = j.value("llm_usage", json::object());
    c.outcome_reason = j.value("outcome_reason", "");
    c.created_ms = j.value("created_ms", int64_t{0});
    for (const auto& s : j.value("stages", json::array())) {
      c.stages.push_back({s.value("name", ""), s.value("started_ms", int64_t{0}), s.value("ended_ms", int64_t{0})});
    }
    return c;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("cycle state does not parse: ") + e.what());
  }
}

}  // namespace kaizen::cycle
