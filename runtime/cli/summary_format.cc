#include "runtime/cli/summary_format.h"

#include <cstdarg>
#include <cstdio>

#include "runtime/cycle/cycle_record.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

std::string Line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Line(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return std::string(buf) + "\n";
}

std::string Rate(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v.get<double>());
  return buf;
}

double Seconds(const json& ms) { return ms.is_number() ? ms.get<double>() / 1000.0 : 0.0; }

// 9000 -> "9,000".
std::string Thousands(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

// "deferred 812 of 9,000 tasks (9.0%; 21.3% during the cycle), $0.81": only
// when the worker handed some answers to a teacher.
std::string DeferredLine(const json& t) {
  const long long deferred = t.value("deferred_tasks", 0LL);
  if (deferred <= 0) return "";
  char share[96] = "-";
  const json all = t.value("deferred_share", json()), during = t.value("deferred_share_during_cycle", json());
  if (all.is_number() && during.is_number()) {
    std::snprintf(share, sizeof share, "%.1f%%; %.1f%% during the cycle", 100 * all.get<double>(),
                  100 * during.get<double>());
  } else if (all.is_number()) {
    std::snprintf(share, sizeof share, "%.1f%%", 100 * all.get<double>());
  }
  return Line("deferred %s of %s tasks (%s), $%.2f", Thousands(deferred).c_str(),
              Thousands(t.value("answered", 0LL)).c_str(), share, t.value("deferred_cost", 0.0));
}

}  // namespace

std::string FormatSummary(const json& s) {
  std::string out = Line("=== run summary: cluster %s, %.1f s ===", s.value("cluster", "").c_str(),
                         s.value("wall_seconds", 0.0));
  const json acc = s.value("accuracy", json::object());
  out += Line("accuracy on live traffic:  before drift %s   after drift %s   during the cycle %s   after promotion %s",
              Rate(acc.value("before_drift", json())).c_str(), Rate(acc.value("after_drift", json())).c_str(),
              Rate(acc.value("during_cycle", json())).c_str(), Rate(acc.value("after_promotion", json())).c_str());
  int promotions = 0;
  for (const auto& c : s.value("cycles", json::array())) promotions += c.value("outcome", "") == "promoted";
  if (promotions > 1) {
    // Follow-up rounds: after_promotion mixes every version since the first.
    out += Line("  after the last of %d promotions %s", promotions,
                Rate(acc.value("after_last_promotion", json())).c_str());
  }
  const json t = s.value("tasks", json::object());
  out += Line("tasks: %lld submitted, %lld answered, %lld lost, %lld answered twice",
              t.value("submitted", 0LL), t.value("answered", 0LL), t.value("lost", 0LL), t.value("duplicated", 0LL));
  out += DeferredLine(t);
  const json cycles = s.value("cycles", json::array());
  if (cycles.empty()) out += "cycles: none (no trigger fired)\n";
  for (const auto& c : cycles) {
    const json trig = c.value("trigger", json::object());
    out += Line("cycle %s: %s — triggered by %s at task %lld", c.value("id", "").c_str(),
                c.value("outcome", "").c_str(), trig.value("policy", "").c_str(), trig.value("task_index", 0LL));
    std::string stages;
    for (const auto& st : c.value("stages", json::array())) {
      if (!stages.empty()) stages += " -> ";
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s %.1fs", st.value("name", "").c_str(),
                    st["ended_ms"].is_number() ? Seconds(st["ended_ms"]) - Seconds(st["started_ms"]) : 0.0);
      stages += buf;
    }
    out += "  stages: " + stages + "\n";
    out += Line("  teacher: %lld calls, $%.2f   models: %s -> %s", c.value("teacher_calls", 0LL),
                c.value("teacher_cost", 0.0), c.value("incumbent", "").c_str(), c.value("candidate", "").c_str());
    if (const std::string llm = cycle::LlmUsageLine(c.value("llm_usage", json::object())); !llm.empty()) {
      out += "  llm: " + llm + "\n";
    }
    const json tr = c.value("training", json::object());
    if (tr.contains("baseline_score") && tr.contains("candidate_score")) {
      out += Line("  training (%s): validation score %.3f (incumbent prompt) -> %.3f (%s)",
                  tr.value("backend", "").c_str(), tr.value("baseline_score", 0.0), tr.value("candidate_score", 0.0),
                  tr.value("best", "").c_str());
    }
    const json ev = c.value("evaluation", json::object());
    if (!ev.value("verdict", "").empty()) out += "  evaluation: " + ev.value("verdict", "") + "\n";
    if (!c.value("reason", "").empty()) out += "  decision: " + c.value("reason", "") + "\n";
  }
  out += Line("serving now: %s", s.value("serving", "").c_str());
  return out;
}

}  // namespace kaizen::cli
