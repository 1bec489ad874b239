#include "bench/efficacy_summary.h"

namespace kaizen::bench {
namespace {

using json = nlohmann::json;

std::optional<double> Num(const json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

// The first number under `key` in any object of `j` (breadth first, lists
// skipped: the timeline and per-cycle records are not run totals).
std::optional<double> FindNumber(const json& j, const std::string& key, std::string* path) {
  std::vector<std::pair<const json*, std::string>> level = {{&j, ""}}, next;
  while (!level.empty()) {
    for (const auto& [node, at] : level) {
      if (auto v = Num(*node, key)) {
        *path = at.empty() ? key : at + "." + key;
        return v;
      }
    }
    next.clear();
    for (const auto& [node, at] : level) {
      for (auto it = node->begin(); it != node->end(); ++it) {
        if (it->is_object()) next.emplace_back(&*it, at.empty() ? it.key() : at + "." + it.key());
      }
    }
    level.swap(next);
  }
  return std::nullopt;
}

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

RunFigures ReadRunFigures(const json& s, int64_t tasks_after_cycle) {
  RunFigures f;
  const json acc = s.value("accuracy", json::object());
  f.before_drift = Num(acc, "before_drift");
  f.after_drift = Num(acc, "after_drift");
  const json tasks = s.value("tasks", json::object());
  f.submitted = tasks.value("submitted", int64_t{0});
  f.answered = tasks.value("answered", int64_t{0});
  f.lost = tasks.value("lost", int64_t{0});
  f.wall_seconds = s.value("wall_seconds", 0.0);

  int promotions = 0;
  for (const auto& c : s.value("cycles", json::array())) {
    ++f.cycles;
    const std::string outcome = c.value("outcome", "");
    f.outcomes += (f.outcomes.empty() ? "" : ", ") + c.value("id", "?") + " " +
                  (outcome.empty() ? "unfinished" : outcome);
    promotions += outcome == "promoted";
    f.promoted = promotions > 0;
    f.teacher_calls += c.value("teacher_calls", int64_t{0});
    f.teacher_cost += c.value("teacher_cost", 0.0);
  }
  if (f.cycles == 0) f.outcomes = "none";

  if (f.promoted && promotions > 1 && Num(acc, "after_last_promotion")) {
    // Follow-up rounds: where the run ended up, not the mix of versions since the first.
    f.after = Num(acc, "after_last_promotion");
    f.after_is = "after the last of " + std::to_string(promotions) + " promotions";
  } else if (f.promoted && Num(acc, "after_promotion")) {
    f.after = Num(acc, "after_promotion");
    f.after_is = "after promotion";
    if (auto n = Num(s.value("answered_by_phase", json::object()), "after_promotion"))
      f.after_tasks = static_cast<int64_t>(*n);
  } else {
    int64_t n = 0, right = 0;
    for (const auto& b : s.value("timeline", json::array())) {
      if (b.value("first_task", int64_t{0}) <= f.submitted - tasks_after_cycle) continue;
      const int64_t t = b.value("tasks", int64_t{0});
      n += t;
      right += static_cast<int64_t>(b.value("accuracy", 0.0) * static_cast<double>(t) + 0.5);
    }
    if (n > 0) f.after = static_cast<double>(right) / static_cast<double>(n);
    f.after_tasks = n;
    f.after_is = "last " + std::to_string(tasks_after_cycle) + " tasks, " +
                 (f.cycles == 0  ? "no cycle ran"
                  : f.promoted   ? "after the cycle ended (promoted; the summary has no after_promotion)"
                                 : "after the cycle ended (not promoted)");
  }
  if (f.after && f.before_drift && f.after_drift && *f.before_drift != *f.after_drift)
    f.recovery = (*f.after - *f.after_drift) / (*f.before_drift - *f.after_drift);

  for (const std::string& name : kDeferralFields) {
    std::string path;
    f.deferral[name] = FindNumber(s, name, &path);
    if (f.deferral[name]) f.deferral_paths[name] = path;
  }
  return f;
}

json RunFigures::ToJson() const {
  json d = json::object();
  for (const auto& [k, v] : deferral) d[k] = Opt(v);
  return {{"promoted", promoted},
          {"cycles", cycles},
          {"outcomes", outcomes},
          {"teacher_calls", teacher_calls},
          {"teacher_cost", teacher_cost},
          {"before_drift", Opt(before_drift)},
          {"after_drift", Opt(after_drift)},
          {"after", Opt(after)},
          {"after_is", after_is},
          {"after_tasks", after_tasks ? json(*after_tasks) : json(nullptr)},
          {"recovery", Opt(recovery)},
          {"deferral", d},
          {"deferral_found_at", deferral_paths},
          {"tasks", {{"submitted", submitted}, {"answered", answered}, {"lost", lost}}},
          {"wall_seconds", wall_seconds}};
}

}  // namespace kaizen::bench
