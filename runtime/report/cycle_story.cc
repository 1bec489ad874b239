#include "runtime/report/cycle_story.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <spdlog/fmt/fmt.h>

#include "runtime/report/journal_scan.h"

namespace kaizen::report {
namespace {

using json = nlohmann::json;

// Protobuf's JSON writes int64 as a string.
int64_t Int(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number()) return v.get<int64_t>();
  if (v.is_string()) return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

json CategoriesJson(const google::protobuf::RepeatedPtrField<v1::CategoryDelta>& cats) {
  json out = json::array();
  for (const auto& c : cats) {
    out.push_back({{"dimension", c.dimension()}, {"value", c.value()}, {"baseline", c.baseline()},
                   {"recent", c.recent()}, {"samples", c.samples()}});
  }
  return out;
}

json TriggerJson(const v1::Trigger& t, int64_t ts_ms) {
  return {{"policy", t.policy()},
          {"reason", t.reason()},
          {"task_index", t.task_index()},
          {"statistic", t.statistic()},
          {"threshold", t.threshold()},
          {"baseline_rate", t.diagnosis().baseline_rate()},
          {"recent_rate", t.diagnosis().recent_rate()},
          {"categories", CategoriesJson(t.diagnosis().categories())},
          {"ts_ms", ts_ms}};
}

json PlanJson(const v1::Plan& p) {
  json focus = json::array(), bounds = json::array();
  for (const auto& f : p.focus()) focus.push_back(f);
  for (const auto& b : p.bound_actions()) bounds.push_back(b);
  return {{"strategy", p.strategy()},
          {"selection_policy", p.selection_policy()},
          {"teacher", p.teacher()},
          {"teacher_calls", p.teacher_calls()},
          {"max_cost", p.max_cost()},
          {"min_accuracy_gain", p.acceptance().min_accuracy_gain()},
          {"max_category_regression", p.acceptance().max_category_regression()},
          {"focus", focus},
          {"needs_approval", p.needs_approval()},
          {"bound_actions", bounds},
          {"rationale", p.rationale()}};
}

json DatasetJson(const v1::DatasetReady& d) {
  json prov = json::parse(d.provenance_json().empty() ? "{}" : d.provenance_json(), nullptr, false);
  if (prov.is_discarded()) prov = json::object();
  return {{"id", d.dataset_id()},        {"train_rows", d.train_rows()},     {"validation_rows", d.validation_rows()},
          {"teacher_calls", d.teacher_calls()}, {"teacher_cost", d.teacher_cost()}, {"sha256", d.sha256()},
          {"uri", d.uri()},              {"provenance", prov}};
}

// The constitution gate's result (docs/safety.md); null without a constitution.
json ConstitutionJson(const v1::EvalReport& r) {
  if (!r.has_constitution()) return nullptr;
  const v1::ConstitutionResult& c = r.constitution();
  json regressions = json::array();
  for (const auto& g : c.regressions()) {
    regressions.push_back({{"id", g.id()},
                           {"input", g.input()},
                           {"expected", g.expected()},
                           {"refuse", g.refuse()},
                           {"incumbent_answer", g.incumbent_answer()},
                           {"candidate_answer", g.candidate_answer()}});
  }
  return {{"name", c.name()},
          {"pass", c.pass()},
          {"cases", c.cases()},
          {"incumbent_passed", c.incumbent_passed()},
          {"candidate_passed", c.candidate_passed()},
          {"regressions", regressions},
          {"summary", c.summary()}};
}

json EvalJson(const v1::EvalReport& r) {
  return {{"pass", r.pass()},
          {"samples", r.samples()},
          {"candidate_accuracy", r.candidate_accuracy()},
          {"candidate_ci", {r.candidate_ci_low(), r.candidate_ci_high()}},
          {"incumbent_accuracy", r.incumbent_accuracy()},
          {"incumbent_ci", {r.incumbent_ci_low(), r.incumbent_ci_high()}},
          {"delta", r.candidate_accuracy() - r.incumbent_accuracy()},
          {"mcnemar_p", r.p_value()},
          {"candidate_only_correct", r.candidate_only_correct()},
          {"incumbent_only_correct", r.incumbent_only_correct()},
          {"regressions", CategoriesJson(r.regressions())},
          {"categories", CategoriesJson(r.categories())},
          {"verdict", r.verdict()},
          {"constitution", ConstitutionJson(r)}};
}

json DecisionJson(const v1::RolloutDecision& d) {
  return {{"outcome", d.outcome() == v1::RolloutDecision::PROMOTE    ? "promote"
                      : d.outcome() == v1::RolloutDecision::ROLLBACK ? "rollback"
                                                                      : "unspecified"},
          {"reason", d.reason()},
          {"candidate_samples", d.candidate_samples()},
          {"incumbent_samples", d.incumbent_samples()},
          {"candidate_rate", d.candidate_rate()},
          {"incumbent_rate", d.incumbent_rate()},
          {"p_value", d.p_value()}};
}

json SummaryFromRow(const store::CycleRow& row) {
  json rec = json::parse(row.state_json, nullptr, false);
  if (!rec.is_object()) rec = json::object();
  const std::string stage = row.stage;
  const bool finished = stage == "promoted" || stage == "rolled_back" || stage == "aborted";
  json stages = json::array();
  int64_t ended = 0;
  for (const auto& s : rec.value("stages", json::array())) {
    const int64_t start = Int(s, "started_ms"), end = Int(s, "ended_ms");
    stages.push_back({{"name", Str(s, "name")},
                      {"started_ms", start},
                      {"ended_ms", end == 0 ? json(nullptr) : json(end)},
                      {"duration_ms", end == 0 ? json(nullptr) : json(end - start)}});
    ended = std::max(ended, std::max(start, end));
  }
  const json& trig = rec.value("trigger", json::object());
  return {{"id", row.id},
          {"stage", stage},
          {"outcome", finished ? stage : "running"},
          {"reason", rec.value("outcome_reason", "")},
          {"started_ms", row.created_ms},
          {"ended_ms", finished ? json(ended) : json(nullptr)},
          {"trigger", {{"policy", Str(trig, "policy")}, {"task_index", Int(trig, "task_index")}, {"reason", Str(trig, "reason")}}},
          {"incumbent", rec.value("incumbent", json::object()).value("version", "")},
          {"candidate", rec.value("candidate", json::object()).value("version", "")},
          {"incumbent_worker", rec.value("incumbent_worker", "")},
          {"candidate_worker", rec.value("candidate_worker", "")},
          {"during_improvement", rec.value("during_improvement", "")},
          {"attempts", rec.value("attempt", 1)},
          {"teacher_calls", Int(rec, "teacher_calls")},
          {"teacher_cost", rec.value("teacher_cost", 0.0)},
          {"llm_usage", rec.value("llm_usage", json::object())},
          {"stages", stages}};
}

// Per-arm counts of one rollout step.
struct ArmCounts {
  int64_t tasks = 0, errors = 0, up = 0, down = 0;
  json ToJson(const std::string& arm, const std::string& version) const {
    const int64_t n = up + down;
    return {{"arm", arm}, {"version", version}, {"tasks", tasks}, {"errors", errors}, {"up", up}, {"down", down},
            {"rate", n == 0 ? json(nullptr) : json(static_cast<double>(up) / static_cast<double>(n))}};
  }
};

}  // namespace

Result<json> ListCycleSummaries(const store::Store& store) {
  auto rows = store.ListCycles();
  if (!rows.ok()) return rows.status();
  std::vector<store::CycleRow> sorted = *rows;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
  json out = json::array();
  for (const auto& row : sorted) out.push_back(SummaryFromRow(row));
  return out;
}

Result<json> LoadCycleStory(const store::Store& store, const std::string& cycle_id) {
  auto row = store.GetCycle(cycle_id);
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no cycle '" + cycle_id + "' in " + store.path() + " (kaizen cycles lists them)");
  json story = SummaryFromRow(**row);
  const std::string candidate = story["candidate"];
  json attempts = json::array();
  auto attempt = [&]() -> json& {
    if (attempts.empty()) {
      attempts.push_back({{"attempt", 1}, {"plan", nullptr}, {"approval", nullptr}, {"dataset", nullptr},
                          {"training", {{"progress", json::array()}, {"model", nullptr}}}, {"evaluation", nullptr}});
    }
    return attempts.back();
  };
  json trigger = nullptr;
  std::vector<std::pair<std::string, std::string>> entered;  // stage name, reason, in order
  json steps = json::array();
  std::map<std::string, ArmCounts> arms;                    // "incumbent" / "candidate" of the current step
  int64_t cum_n[2] = {0, 0}, cum_up[2] = {0, 0};           // whole rollout: incumbent, candidate
  json curve = json::array();
  json decision = nullptr;
  std::string stage;
  std::string incumbent_version = story["incumbent"];
  auto close_step = [&](int64_t ts) {
    if (steps.empty()) return;
    json& s = steps.back();
    s["ended_ms"] = ts;
    s["arms"] = json::array({arms["incumbent"].ToJson("incumbent", incumbent_version),
                             arms["candidate"].ToJson("candidate", candidate)});
  };
  store::EventFilter f;
  f.cycle = cycle_id;
  Status s = ScanJournal(store, f, [&](const store::JournalEvent& row, const v1::Envelope& e) {
    const int64_t ts = row.ts_ms;
    switch (e.body_case()) {
      case v1::Envelope::kTrigger:
        trigger = TriggerJson(e.trigger(), ts);
        break;
      case v1::Envelope::kCycleTransition: {
        const auto& ct = e.cycle_transition();
        std::string to = v1::CycleStage_Name(ct.to());
        // "CYCLE_STAGE_ROLLING_OUT" -> "rolling_out"
        to = to.substr(std::string("CYCLE_STAGE_").size());
        std::transform(to.begin(), to.end(), to.begin(), [](unsigned char c) { return std::tolower(c); });
        entered.emplace_back(to, ct.reason());
        if (stage == "rolling_out" && to != "rolling_out") close_step(ts);
        stage = to;
        break;
      }
      case v1::Envelope::kPlan: {
        json& a = attempt();
        if (!a["plan"].is_null()) {  // a replan: the next attempt
          attempts.push_back({{"attempt", a["attempt"].get<int>() + 1}, {"plan", nullptr}, {"approval", nullptr},
                              {"dataset", nullptr}, {"training", {{"progress", json::array()}, {"model", nullptr}}},
                              {"evaluation", nullptr}});
        }
        attempts.back()["plan"] = PlanJson(e.plan());
        attempts.back()["plan"]["ts_ms"] = ts;
        break;
      }
      case v1::Envelope::kApprovalRequest: {
        const auto& r = e.approval_request();
        attempt()["approval"] = {{"request", {{"subject", r.subject()}, {"summary", r.summary()},
                                              {"expires_ms", r.expires_ms()}, {"ts_ms", ts}}},
                                 {"decision", nullptr}};
        break;
      }
      case v1::Envelope::kApprovalDecision: {
        const auto& d = e.approval_decision();
        json& a = attempt();
        if (a["approval"].is_null()) a["approval"] = {{"request", nullptr}};
        a["approval"]["decision"] = {{"approved", d.approved()}, {"reason", d.reason()}, {"decided_by", d.decided_by()},
                                     {"ts_ms", ts}};
        break;
      }
      case v1::Envelope::kDatasetReady:
        attempt()["dataset"] = DatasetJson(e.dataset_ready());
        attempt()["dataset"]["ts_ms"] = ts;
        break;
      case v1::Envelope::kTrainProgress: {
        const auto& p = e.train_progress();
        attempt()["training"]["progress"].push_back(
            {{"ts_ms", ts}, {"fraction", p.fraction()}, {"loss", p.loss()}, {"message", p.message()}});
        // Tools the trainer wrote (tool_creation), accepted or rejected by their tests.
        for (const auto& t : p.tools()) {
          attempt()["training"]["tools"].push_back({{"name", t.name()},
                                                    {"accepted", t.accepted()},
                                                    {"reason", t.reason()},
                                                    {"uri", t.uri()},
                                                    {"sha256", t.sha256()}});
        }
        break;
      }
      case v1::Envelope::kModelReady: {
        const auto& m = e.model_ready();
        json metrics = json::parse(m.metrics_json().empty() ? "{}" : m.metrics_json(), nullptr, false);
        attempt()["training"]["model"] = {{"version", m.version()}, {"parent", m.parent()}, {"sha256", m.sha256()},
                                          {"metrics", metrics.is_discarded() ? json::object() : metrics},
                                          {"ts_ms", ts}};
        break;
      }
      case v1::Envelope::kEvalReport:
        attempt()["evaluation"] = EvalJson(e.eval_report());
        attempt()["evaluation"]["ts_ms"] = ts;
        break;
      case v1::Envelope::kTrafficSplit: {
        close_step(ts);
        arms.clear();
        steps.push_back({{"step", steps.size() + 1}, {"weight", e.traffic_split().candidate_weight()},
                         {"reason", e.traffic_split().reason()}, {"started_ms", ts}, {"ended_ms", nullptr},
                         {"arms", json::array()}});
        break;
      }
      case v1::Envelope::kRolloutDecision:
        decision = DecisionJson(e.rollout_decision());
        decision["ts_ms"] = ts;
        break;
      case v1::Envelope::kTaskResult: {
        if (stage != "rolling_out" || steps.empty()) break;
        const auto& r = e.task_result();
        ArmCounts& a = arms[r.model_version() == candidate ? "candidate" : "incumbent"];
        ++a.tasks;
        a.errors += r.ok() ? 0 : 1;
        break;
      }
      case v1::Envelope::kFeedback: {
        if (stage != "rolling_out" || steps.empty()) break;
        const auto& fb = e.feedback();
        if (fb.kind() != v1::Feedback::THUMBS_UP && fb.kind() != v1::Feedback::THUMBS_DOWN) break;
        const bool cand = fb.model_version() == candidate;
        const bool up = fb.kind() == v1::Feedback::THUMBS_UP;
        ArmCounts& a = arms[cand ? "candidate" : "incumbent"];
        (up ? a.up : a.down) += 1;
        ++cum_n[cand];
        cum_up[cand] += up;
        auto rate = [&](int i) {
          return cum_n[i] == 0 ? json(nullptr) : json(static_cast<double>(cum_up[i]) / static_cast<double>(cum_n[i]));
        };
        curve.push_back({{"ts_ms", ts}, {"incumbent_n", cum_n[0]}, {"incumbent_rate", rate(0)},
                         {"candidate_n", cum_n[1]}, {"candidate_rate", rate(1)}});
        break;
      }
      default:
        break;
    }
  });
  if (!s.ok()) return s;
  if (stage == "rolling_out") close_step(0);
  if (!steps.empty() && steps.back()["ended_ms"] == 0) steps.back()["ended_ms"] = nullptr;
  // Stage reasons, matched to the spans in order.
  json& spans = story["stages"];
  for (size_t i = 0, k = 0; i < spans.size(); ++i) {
    while (k < entered.size() && entered[k].first != spans[i]["name"]) ++k;
    if (k < entered.size()) spans[i]["reason"] = entered[k++].second;
    else spans[i]["reason"] = "";
  }
  // A long rollout: keep at most ~300 points of the curve, and its last one.
  if (curve.size() > 300) {
    json thin = json::array();
    const size_t every = curve.size() / 300 + 1;
    for (size_t i = 0; i < curve.size(); ++i) {
      if (i % every == 0 || i + 1 == curve.size()) thin.push_back(curve[i]);
    }
    curve = std::move(thin);
  }
  story["trigger_evidence"] = trigger;
  story["attempts_detail"] = attempts;
  story["rollout"] = {{"steps", steps}, {"curve", curve}, {"decision", decision}};
  return story;
}

std::vector<std::pair<std::string, std::string>> TrainingChanges(const json& training) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!training.is_object()) return out;
  auto str = [](const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
  auto num = [](const json& j, const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<int64_t>() : 0; };
  const json metrics = training.contains("model") && training["model"].is_object()
                           ? training["model"].value("metrics", json::object())
                           : json::object();
  if (!str(metrics, "strategy").empty()) out.emplace_back("strategy", str(metrics, "strategy"));
  for (const auto& t : training.value("tools", json::array())) {
    out.emplace_back("tool", str(t, "name") + ": " + (t.value("accepted", false) ? "accepted" : "rejected") + ", " +
                                 str(t, "reason") + " (kaizen tools show " + str(t, "name") + ")");
  }
  if (metrics.contains("lessons") && metrics["lessons"].is_object()) {
    const json& l = metrics["lessons"];
    out.emplace_back("lessons", fmt::format("{} in memory ({} new, {} merged, {} dropped, {} refused) by critic {}",
                                            num(l, "count"), num(l, "added"), num(l, "merged"), num(l, "dropped"),
                                            num(l, "refused"), str(metrics, "critic")));
    out.emplace_back("memory", str(l, "uri"));
  }
  if (metrics.contains("example_pool") && metrics["example_pool"].is_object()) {
    const json& p = metrics["example_pool"];
    out.emplace_back("examples", fmt::format("{} retrieved per input from a pool of {} ({} corrections)", num(p, "k"),
                                             num(p, "examples"), num(p, "from_corrections")));
    out.emplace_back("pool", str(p, "uri"));
  }
  return out;
}

}  // namespace kaizen::report
