// kaizen describe cycle ID: one cycle's story from the store (read-only):
// trigger evidence, plan, data, training curve, evaluation, A/B counts per
// arm and step, and the decision with its reason.
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"
#include "runtime/cycle/cycle_record.h"
#include "runtime/report/cycle_story.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

std::string S(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}
double D(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0; }
int64_t I(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0; }

std::string Secs(const json& ms) {
  if (!ms.is_number()) return "running";
  return fmt::format("{:.1f} s", ms.get<double>() / 1000.0);
}

// Prints "  label  text", wrapping text at 80 columns under itself.
void Field(const std::string& label, const std::string& text) {
  if (text.empty()) return;
  const size_t indent = 22, width = 80;
  std::string line = fmt::format("  {:<19} ", label);
  size_t col = line.size();
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    const std::string word = text.substr(i, j - i);
    if (col > indent && col + word.size() > width) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      std::printf("%s\n", line.c_str());
      line = std::string(indent, ' ');
      col = indent;
    }
    line += word + " ";
    col += word.size() + 1;
    i = j + 1;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::printf("%s\n", line.c_str());
}

// A stage's reason in the 46 columns left on its line.
std::string ClipReason(const std::string& r) {
  if (r.size() <= 46) return r;
  size_t cut = 43;
  while (cut > 0 && (static_cast<unsigned char>(r[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return r.substr(0, cut) + "...";
}

void Heading(const std::string& h) { std::printf("\n%s\n", h.c_str()); }

std::string Pct(double v) { return fmt::format("{:.1f}%", v * 100); }

// Progress as a 20-character bar of loss per event, e.g. for the training curve.
void TrainingCurve(const json& progress) {
  for (const auto& p : progress) {
    const int filled = static_cast<int>(D(p, "fraction") * 20 + 0.5);
    std::printf("    [%s%s] %3.0f%%  loss %.4f  %s\n", std::string(filled, '#').c_str(),
                std::string(20 - std::min(20, filled), '.').c_str(), D(p, "fraction") * 100, D(p, "loss"),
                S(p, "message").c_str());
  }
}

void PrintStory(const json& st) {
  std::printf("cycle %s: %s   %s -> %s   started %s\n", S(st, "id").c_str(), S(st, "outcome").c_str(),
              S(st, "incumbent").c_str(), S(st, "candidate").empty() ? "?" : S(st, "candidate").c_str(),
              FormatIsoMs(I(st, "started_ms")).c_str());
  Field("why", S(st, "reason"));
  if (const std::string llm = cycle::LlmUsageLine(st.value("llm_usage", json::object())); !llm.empty()) Field("llm", llm);
  Heading("Stages");
  for (const auto& s : st["stages"]) {
    std::printf("  %-18s %10s  %s\n", S(s, "name").c_str(), Secs(s["duration_ms"]).c_str(),
                ClipReason(S(s, "reason")).c_str());
  }
  const json& t = st["trigger_evidence"];
  if (t.is_object()) {
    Heading("Trigger");
    Field("policy", S(t, "policy") + " at task " + std::to_string(I(t, "task_index")));
    Field("reason", S(t, "reason"));
    Field("statistic", fmt::format("{:.3f} (threshold {:.3f})", D(t, "statistic"), D(t, "threshold")));
    Field("thumbs-down rate", "baseline " + Pct(D(t, "baseline_rate")) + " -> recent " + Pct(D(t, "recent_rate")));
    int shown = 0;
    for (const auto& c : t["categories"]) {
      if (shown++ == 5) break;
      Field(shown == 1 ? "worse" : "", fmt::format("{}={}: {} -> {} ({} samples)", S(c, "dimension"), S(c, "value"),
                                                   Pct(D(c, "baseline")), Pct(D(c, "recent")), I(c, "samples")));
    }
  }
  for (const auto& a : st["attempts_detail"]) {
    const std::string n = S(a, "attempt");
    const json& p = a["plan"];
    if (p.is_object()) {
      Heading("Plan (attempt " + n + ")");
      Field("strategy", S(p, "strategy") + ", selection " + S(p, "selection_policy"));
      Field("teacher", fmt::format("{}: {} calls, budget ${:.2f}", S(p, "teacher"), I(p, "teacher_calls"), D(p, "max_cost")));
      Field("acceptance", fmt::format("gain >= {:.3f}, category regression <= {:.3f}", D(p, "min_accuracy_gain"),
                                      D(p, "max_category_regression")));
      std::string bounds;
      for (const auto& b : p["bound_actions"]) bounds += (bounds.empty() ? "" : "; ") + b.get<std::string>();
      Field("bounds", bounds);
      Field("approval", p.value("needs_approval", false) ? "required" : "auto-approved");
      Field("rationale", S(p, "rationale"));
    }
    const json& ap = a["approval"];
    if (ap.is_object() && ap["decision"].is_object()) {
      const json& d = ap["decision"];
      Field("decided", std::string(d.value("approved", false) ? "approved" : "rejected") + " by " + S(d, "decided_by") +
                           (S(d, "reason").empty() ? "" : ": " + S(d, "reason")));
    }
    const json& ds = a["dataset"];
    if (ds.is_object()) {
      Heading("Data (attempt " + n + ")");
      Field("dataset", S(ds, "id").substr(0, 16));
      Field("rows", fmt::format("{} train, {} validation", I(ds, "train_rows"), I(ds, "validation_rows")));
      Field("teacher calls", fmt::format("{} (${:.2f})", I(ds, "teacher_calls"), D(ds, "teacher_cost")));
      for (const auto& [k, v] : ds["provenance"].items()) {
        if (k == "attempt" || k == "cycle_id" || k == "teacher_calls" || k == "teacher_cost") continue;  // shown above
        if (v.is_primitive()) Field(k, v.is_string() ? v.get<std::string>() : v.dump());
        else if (v.dump().size() < 200) Field(k, v.dump());
      }
    }
    const json& tr = a["training"];
    if (!tr["progress"].empty() || tr["model"].is_object()) {
      Heading("Training (attempt " + n + ")");
      if (tr["model"].is_object()) Field("model", S(tr["model"], "version") + " from " + S(tr["model"], "parent"));
      for (const auto& [field, text] : report::TrainingChanges(tr)) Field(field, text);
      TrainingCurve(tr["progress"]);
    }
    const json& ev = a["evaluation"];
    if (ev.is_object()) {
      Heading(std::string("Evaluation (attempt ") + n + "): " + (ev.value("pass", false) ? "pass" : "fail"));
      auto ci = [](const json& v) {
        return v.is_array() && v.size() == 2 ? fmt::format("[{:.3f}, {:.3f}]", v[0].get<double>(), v[1].get<double>()) : "";
      };
      std::printf("  %-22s %8s  %s\n", "", "accuracy", "95% CI");
      std::printf("  %-22s %8.3f  %s\n", ("candidate " + S(st, "candidate")).c_str(), D(ev, "candidate_accuracy"),
                  ci(ev["candidate_ci"]).c_str());
      std::printf("  %-22s %8.3f  %s\n", ("incumbent " + S(st, "incumbent")).c_str(), D(ev, "incumbent_accuracy"),
                  ci(ev["incumbent_ci"]).c_str());
      Field("difference", fmt::format("{:+.3f} on {} examples", D(ev, "delta"), I(ev, "samples")));
      Field("McNemar", fmt::format("p = {:.3g} (only candidate right {}, only incumbent right {})", D(ev, "mcnemar_p"),
                                   I(ev, "candidate_only_correct"), I(ev, "incumbent_only_correct")));
      for (const auto& r : ev["regressions"]) {
        Field("regressed", fmt::format("{}={}: {:.3f} -> {:.3f} ({} samples)", S(r, "dimension"), S(r, "value"),
                                       D(r, "baseline"), D(r, "recent"), I(r, "samples")));
      }
      Field("verdict", S(ev, "verdict"));
      if (const json& gate = ev.value("constitution", json()); gate.is_object()) {
        Field("constitution", S(gate, "summary"));
        for (const auto& g : gate.value("regressions", json::array())) {
          // "expected label balance", "expected refusal (oos)", "must not contain \"X\"".
          const std::string need = S(g, "expected");
          Field("lost case", fmt::format("{} {}: {}, incumbent {}, candidate {}", S(g, "id"), json(S(g, "input")).dump(),
                                         need.rfind("must ", 0) == 0 ? need : "expected " + need,
                                         S(g, "incumbent_answer"), S(g, "candidate_answer")));
        }
      }
      if (ev.contains("categories") && !ev["categories"].empty()) {
        // Every category, largest drop first: where the candidate wins and where it loses.
        std::printf("  %-28s %9s %9s %7s %7s\n", "category", "incumbent", "candidate", "delta", "n");
        int shown = 0;
        for (const auto& c : ev["categories"]) {
          if (++shown > 12) {
            std::printf("  ... and %zu more (-o json for all)\n", ev["categories"].size() - 12);
            break;
          }
          std::printf("  %-28s %9.3f %9.3f %+7.3f %7lld\n", (S(c, "dimension") + "=" + S(c, "value")).substr(0, 28).c_str(),
                      D(c, "baseline"), D(c, "recent"), D(c, "recent") - D(c, "baseline"),
                      static_cast<long long>(I(c, "samples")));
        }
      }
    }
  }
  const json& ro = st["rollout"];
  if (!ro["steps"].empty()) {
    Heading("A/B test");
    std::printf("  %-4s %6s  %-9s %-7s %7s %6s %6s %6s %7s\n", "STEP", "SHARE", "ARM", "VERSION", "TASKS", "ERRORS",
                "UP", "DOWN", "UP RATE");
    for (const auto& s : ro["steps"]) {
      for (const auto& arm : s["arms"]) {
        std::printf("  %-4lld %5.0f%%  %-9s %-7s %7lld %6lld %6lld %6lld %7s\n", static_cast<long long>(I(s, "step")),
                    D(s, "weight") * 100, S(arm, "arm").c_str(), S(arm, "version").c_str(),
                    static_cast<long long>(I(arm, "tasks")), static_cast<long long>(I(arm, "errors")),
                    static_cast<long long>(I(arm, "up")), static_cast<long long>(I(arm, "down")),
                    arm["rate"].is_number() ? Pct(D(arm, "rate")).c_str() : "-");
      }
    }
  }
  const json& d = ro["decision"];
  if (d.is_object()) {
    Heading("Decision: " + S(d, "outcome"));
    Field("reason", S(d, "reason"));
    Field("candidate", fmt::format("{} thumbs-up (n = {})", Pct(D(d, "candidate_rate")), I(d, "candidate_samples")));
    Field("incumbent", fmt::format("{} thumbs-up (n = {})", Pct(D(d, "incumbent_rate")), I(d, "incumbent_samples")));
    Field("always-valid p", fmt::format("{:.3g}", D(d, "p_value")));
  }
}

}  // namespace

int RunDescribeCycle(const DescribeOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("describe", o.state_dir, &code);
  if (!cluster) return code;
  auto story = report::LoadCycleStory(*cluster->store, o.id);
  if (!story.ok()) {
    std::fprintf(stderr, "kaizen describe cycle: %s\n", story.status().message().c_str());
    return story.status().code() == Status::Code::kNotFound ? kExitInvalid : kExitFailure;
  }
  if (o.output == "json") std::printf("%s\n", story->dump(2).c_str());
  else PrintStory(*story);
  return kExitOk;
}

}  // namespace kaizen::cli
