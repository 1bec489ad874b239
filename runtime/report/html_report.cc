#include "runtime/report/html_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "runtime/base/clock.h"
#include "runtime/report/cycle_story.h"
#include "runtime/report/svg_chart.h"

namespace kaizen::report {
namespace {

using json = nlohmann::json;

constexpr const char* kBlue = "#1f77b4";
constexpr const char* kGreen = "#2ca02c";
constexpr const char* kOrange = "#ff7f0e";
constexpr const char* kRed = "#d62728";
constexpr const char* kPurple = "#9467bd";
constexpr const char* kGrey = "#7f7f7f";
const char* const kPalette[] = {kBlue, kOrange, kGreen, kPurple, "#8c564b", "#e377c2", kGrey, "#17becf"};

std::string E(const std::string& s) { return XmlEscape(s); }

std::string S(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  const json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}
double D(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<double>();
}
int64_t I(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<int64_t>();
}
std::string Pct(double v) { return fmt::format("{:.1f}%", v * 100); }
std::string Secs(const json& ms) {
  if (!ms.is_number()) return "—";
  const double s = ms.get<double>() / 1000.0;
  return s < 60 ? fmt::format("{:.1f} s", s) : fmt::format("{:.0f} min {:02.0f} s", std::floor(s / 60), std::fmod(s, 60));
}

std::string MarkerColor(const std::string& kind) {
  if (kind == "drift") return kOrange;
  if (kind == "trigger") return kRed;
  if (kind == "promoted") return kGreen;
  return kPurple;  // rolled_back, aborted
}

// A two-column table of label/value pairs.
std::string KeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string o = "<table class=\"kv\">\n";
  for (const auto& [k, v] : rows) {
    if (v.empty()) continue;
    o += "<tr><th>" + E(k) + "</th><td>" + E(v) + "</td></tr>\n";
  }
  return o + "</table>\n";
}

std::string Table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::string o = "<table class=\"grid\">\n<tr>";
  for (const auto& h : head) o += "<th>" + E(h) + "</th>";
  o += "</tr>\n";
  for (const auto& r : rows) {
    o += "<tr>";
    for (const auto& c : r) o += "<td>" + E(c) + "</td>";
    o += "</tr>\n";
  }
  return o + "</table>\n";
}

// One line each, when there is something to say: the simulated users'
// accuracy per phase, and the answers deferred to a teacher.
std::string RunFigures(const json& tl) {
  std::string accuracy;
  const json& acc = tl.contains("scenario_accuracy") ? tl["scenario_accuracy"] : json();
  if (acc.is_object()) {
    for (const auto& [key, label] : {std::pair{"before_drift", "before drift"}, {"after_drift", "after drift"},
                                     {"during_cycle", "during the cycle"}, {"after_promotion", "after promotion"},
                                     {"after_last_promotion", "after the last promotion"}}) {
      if (!acc.contains(key)) continue;  // a report from before that phase was measured
      if (std::string(key) == "after_last_promotion" && acc.value("after_last_promotion", json()) ==
                                                            acc.value("after_promotion", json()))
        continue;  // one promotion: the same figure
      accuracy += std::string(accuracy.empty() ? "" : " · ") + label + " " +
                  (acc[key].is_number() ? Pct(acc[key].get<double>()) : "—");
    }
  }
  std::string deferred;
  const json& d = tl.contains("deferred") ? tl["deferred"] : json();
  if (I(d, "deferred") > 0) {
    deferred = fmt::format("{} of {} answers ({}", I(d, "deferred"), I(d, "answers"),
                           Pct(D(d, "deferred") / std::max(1.0, D(d, "answers"))));
    if (I(d, "answers_during_cycle") > 0) {
      deferred += "; " + Pct(D(d, "deferred_during_cycle") / D(d, "answers_during_cycle")) + " during a cycle";
    }
    deferred += fmt::format("), ${:.2f}", D(d, "cost"));
  }
  if (accuracy.empty() && deferred.empty()) return "";
  return KeyValues({{"users' accuracy", accuracy}, {"deferred to a teacher", deferred}});
}

std::string QualityChart(const json& tl, double t0, double span) {
  ChartSpec c;
  c.title = "Quality on live traffic";
  c.x_label = "time since " + FormatIsoMs(static_cast<int64_t>(t0)) + " (UTC)";
  c.y_label = "rate";
  c.y_min = 0;
  c.y_max = 1;
  c.x_min = 0;
  c.x_max = span;
  c.x_format = [span](double v) { return ElapsedLabel(v, span); };
  c.y_format = [](double v) { return fmt::format("{:.0f}%", v * 100); };
  Series up{"thumbs-up rate (per " + Secs(tl["bucket_ms"]) + ")", kBlue, {}, false, false, false};
  for (const auto& b : tl["buckets"]) {
    if (b["rate"].is_null() || I(b, "up") + I(b, "down") < 5) continue;  // too few ratings to plot a rate
    up.points.push_back({(D(b, "t_ms") + D(tl, "bucket_ms") / 2 - t0) / 1000.0, D(b, "rate")});
  }
  c.series.push_back(std::move(up));
  if (!tl["accuracy"].empty()) {
    Series acc{"accuracy (simulated users' gold labels, per 500 tasks)", kGreen, {}, false, false, true};
    for (const auto& a : tl["accuracy"]) acc.points.push_back({(D(a, "t_ms") - t0) / 1000.0, D(a, "accuracy")});
    c.series.push_back(std::move(acc));
  }
  for (const auto& m : tl["markers"]) {
    c.markers.push_back({(D(m, "t_ms") - t0) / 1000.0, S(m, "label"), MarkerColor(S(m, "kind"))});
  }
  return RenderSvgChart(c);
}

std::string TrafficChart(const json& tl, double t0, double span) {
  ChartSpec c;
  c.title = "Answers per model version";
  c.x_label = "time since start";
  c.y_label = "tasks answered per " + Secs(tl["bucket_ms"]);
  c.x_min = 0;
  c.x_max = span;
  c.x_format = [span](double v) { return ElapsedLabel(v, span); };
  size_t k = 0;
  for (const auto& v : tl["versions"]) {
    const std::string version = v.get<std::string>();
    if (version.empty()) continue;
    Series s{version, kPalette[k++ % std::size(kPalette)], {}, false, false, false};
    for (const auto& b : tl["buckets"]) {
      const json& vs = b["versions"];
      s.points.push_back({(D(b, "t_ms") + D(tl, "bucket_ms") / 2 - t0) / 1000.0,
                          vs.contains(version) ? D(vs[version], "tasks") : 0.0});
    }
    c.series.push_back(std::move(s));
  }
  for (const auto& m : tl["markers"]) {
    if (S(m, "kind") != "drift") c.markers.push_back({(D(m, "t_ms") - t0) / 1000.0, S(m, "label"), MarkerColor(S(m, "kind"))});
  }
  return RenderSvgChart(c);
}

std::string TeacherChart(const json& tl, const json& story, double t0, double span) {
  ChartSpec c;
  c.title = "Teacher spend";
  c.x_label = "time since start";
  c.y_label = "cumulative cost ($)";
  c.x_min = 0;
  c.x_max = span;
  c.y_min = 0;
  c.x_format = [span](double v) { return ElapsedLabel(v, span); };
  c.y_format = [](double v) { return fmt::format("${:.2f}", v); };
  Series s{"teacher cost", kRed, {{0, 0}}, true, false, true};
  double last = 0, top = 0;
  for (const auto& t : tl["teacher"]) {
    last = D(t, "cost");
    s.points.push_back({(D(t, "t_ms") - t0) / 1000.0, last});
  }
  s.points.push_back({span, last});
  top = last;
  c.series.push_back(std::move(s));
  if (story.is_object()) {
    for (const auto& a : story["attempts_detail"]) {
      if (a["plan"].is_object() && D(a["plan"], "max_cost") > 0) {
        c.references.push_back({D(a["plan"], "max_cost"), "budget of cycle " + S(story, "id") + ": $" +
                                                              fmt::format("{:.2f}", D(a["plan"], "max_cost")),
                                kGrey});
        top = std::max(top, D(a["plan"], "max_cost"));
        break;
      }
    }
  }
  c.y_max = top > 0 ? top * 1.15 : 1.0;
  for (const auto& m : tl["markers"]) {
    if (S(m, "kind") == "trigger") c.markers.push_back({(D(m, "t_ms") - t0) / 1000.0, S(m, "label"), kRed});
  }
  return RenderSvgChart(c);
}

std::string AbChart(const json& story) {
  const json& ro = story["rollout"];
  ChartSpec c;
  c.title = "A/B test of cycle " + S(story, "id") + ": cumulative thumbs-up rate per arm";
  c.x_label = "seconds since the A/B test started";
  c.y_label = "thumbs-up rate";
  c.y_format = [](double v) { return fmt::format("{:.0f}%", v * 100); };
  if (ro["steps"].empty()) return RenderSvgChart(c);
  const double t0 = D(ro["steps"][0], "started_ms");
  Series inc{"incumbent " + S(story, "incumbent"), kBlue, {}, false, false, false};
  Series cand{"candidate " + S(story, "candidate"), kOrange, {}, false, false, false};
  double lo = 1, hi = 0;
  for (const auto& p : ro["curve"]) {
    const double x = (D(p, "ts_ms") - t0) / 1000.0;
    // The first few ratings of an arm swing wildly; start each curve at 20.
    if (I(p, "incumbent_n") >= 20 && p["incumbent_rate"].is_number()) inc.points.push_back({x, D(p, "incumbent_rate")});
    if (I(p, "candidate_n") >= 20 && p["candidate_rate"].is_number()) cand.points.push_back({x, D(p, "candidate_rate")});
  }
  for (const auto* s : {&inc, &cand}) {
    for (const auto& p : s->points) {
      lo = std::min(lo, p.y);
      hi = std::max(hi, p.y);
    }
  }
  if (lo <= hi) {
    c.y_min = std::max(0.0, std::floor(lo * 10 - 0.5) / 10);
    c.y_max = std::min(1.0, std::ceil(hi * 10 + 0.5) / 10);
  }
  c.series.push_back(std::move(inc));
  c.series.push_back(std::move(cand));
  for (const auto& st : ro["steps"]) {
    c.markers.push_back({(D(st, "started_ms") - t0) / 1000.0,
                         fmt::format("step {}: {:.0f}%", I(st, "step"), D(st, "weight") * 100), kGrey});
  }
  if (ro["decision"].is_object()) {
    c.markers.push_back({(D(ro["decision"], "ts_ms") - t0) / 1000.0, S(ro["decision"], "outcome"),
                         S(ro["decision"], "outcome") == "promote" ? kGreen : kPurple});
  }
  return RenderSvgChart(c);
}

std::string TrainingChart(const json& attempt, const std::string& cycle) {
  const json& progress = attempt["training"]["progress"];
  if (progress.size() < 2) return "";
  ChartSpec c;
  c.title = "Training curve (cycle " + cycle + ", attempt " + S(attempt, "attempt") + ")";
  c.x_label = "training progress";
  c.y_label = "mean loss";
  c.x_min = 0;
  c.x_max = 1;
  c.x_format = [](double v) { return fmt::format("{:.0f}%", v * 100); };
  Series s{"loss", kPurple, {}, false, false, true};
  for (const auto& p : progress) {
    if (D(p, "loss") > 0) s.points.push_back({D(p, "fraction"), D(p, "loss")});
  }
  if (s.points.size() < 2) return "";
  c.series.push_back(std::move(s));
  return RenderSvgChart(c);
}

std::string CyclesTable(const json& cycles) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : cycles) {
    std::string stages;
    for (const auto& s : c["stages"]) {
      if (s["duration_ms"].is_null()) continue;
      stages += (stages.empty() ? "" : ", ") + S(s, "name") + " " + Secs(s["duration_ms"]);
    }
    rows.push_back({S(c, "id"), FormatIsoMs(I(c, "started_ms")), S(c["trigger"], "policy"), S(c, "outcome"),
                    S(c, "incumbent") + " → " + (S(c, "candidate").empty() ? "?" : S(c, "candidate")),
                    fmt::format("{} (${:.2f})", I(c, "teacher_calls"), D(c, "teacher_cost")), stages});
  }
  if (rows.empty()) return "<p>No improvement cycle has run.</p>\n";
  return Table({"cycle", "started (UTC)", "trigger", "outcome", "versions", "teacher calls", "stage durations"}, rows);
}

std::string StorySection(const json& st) {
  std::string o;
  o += "<h2>Cycle " + E(S(st, "id")) + ": " + E(S(st, "outcome")) + "</h2>\n";
  o += "<p class=\"reason\">" + E(S(st, "reason")) + "</p>\n";
  // Stages.
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : st["stages"]) {
    rows.push_back({S(s, "name"), FormatIsoMs(I(s, "started_ms")), Secs(s["duration_ms"]), S(s, "reason")});
  }
  o += "<h3>Stages</h3>\n" + Table({"stage", "entered (UTC)", "took", "why"}, rows);
  // Trigger evidence.
  const json& t = st["trigger_evidence"];
  if (t.is_object()) {
    o += "<h3>Trigger</h3>\n";
    o += KeyValues({{"policy", S(t, "policy")},
                    {"reason", S(t, "reason")},
                    {"at task", std::to_string(I(t, "task_index"))},
                    {"detector statistic", fmt::format("{:.3f} (threshold {:.3f})", D(t, "statistic"), D(t, "threshold"))},
                    {"thumbs-down rate", "baseline " + Pct(D(t, "baseline_rate")) + " → recent " + Pct(D(t, "recent_rate"))}});
    rows.clear();
    for (const auto& c : t["categories"]) {
      rows.push_back({S(c, "dimension"), S(c, "value"), Pct(D(c, "baseline")), Pct(D(c, "recent")),
                      fmt::format("{:+.1f} pts", (D(c, "recent") - D(c, "baseline")) * 100), S(c, "samples")});
      if (rows.size() >= 10) break;
    }
    if (!rows.empty()) o += "<p>What got worse (worst first):</p>\n" + Table({"dimension", "category", "before", "now", "change", "samples"}, rows);
  }
  for (const auto& a : st["attempts_detail"]) {
    const std::string n = S(a, "attempt");
    const json& p = a["plan"];
    if (p.is_object()) {
      std::string bounds;
      for (const auto& b : p["bound_actions"]) bounds += (bounds.empty() ? "" : "; ") + b.get<std::string>();
      std::string focus;
      for (const auto& f : p["focus"]) focus += (focus.empty() ? "" : ", ") + f.get<std::string>();
      o += "<h3>Plan (attempt " + E(n) + ")</h3>\n";
      o += KeyValues({{"strategy", S(p, "strategy")},
                      {"teacher", S(p, "teacher") + ", " + S(p, "teacher_calls") + " calls, budget $" +
                                      fmt::format("{:.2f}", D(p, "max_cost"))},
                      {"selection", S(p, "selection_policy")},
                      {"focus", focus},
                      {"acceptance", fmt::format("accuracy gain ≥ {:.3f}, no category worse by more than {:.3f}",
                                                 D(p, "min_accuracy_gain"), D(p, "max_category_regression"))},
                      {"bounds applied", bounds},
                      {"approval", p.value("needs_approval", false) ? "required" : "not required (auto-approved)"},
                      {"rationale", S(p, "rationale")}});
    }
    const json& ap = a["approval"];
    if (ap.is_object() && ap["decision"].is_object()) {
      const json& d = ap["decision"];
      o += KeyValues({{"decision", std::string(d.value("approved", false) ? "approved" : "rejected") + " by " +
                                       S(d, "decided_by") + (S(d, "reason").empty() ? "" : ": " + S(d, "reason"))}});
    }
    const json& ds = a["dataset"];
    if (ds.is_object()) {
      std::vector<std::pair<std::string, std::string>> kv = {
          {"dataset", S(ds, "id").substr(0, 16)},
          {"rows", fmt::format("{} train, {} validation", I(ds, "train_rows"), I(ds, "validation_rows"))},
          {"teacher calls", fmt::format("{} (${:.2f})", I(ds, "teacher_calls"), D(ds, "teacher_cost"))}};
      for (const auto& [k, v] : ds["provenance"].items()) {
        if (k == "attempt" || k == "cycle_id" || k == "teacher_calls" || k == "teacher_cost") continue;  // shown above
        if (v.is_primitive()) kv.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
        else if (v.is_object() && v.size() <= 12) kv.emplace_back(k, v.dump());
      }
      o += "<h3>Data (attempt " + E(n) + ")</h3>\n" + KeyValues(kv);
    }
    const json& model = a["training"]["model"];
    // A training that failed (a tool rejected by its tests) still shows what it wrote.
    if (model.is_object() || !a["training"].value("tools", json::array()).empty()) {
      std::vector<std::pair<std::string, std::string>> kv = {
          {"model", model.is_object() ? S(model, "version") + " from " + S(model, "parent") : "none"},
          {"progress events", std::to_string(a["training"]["progress"].size())}};
      for (auto& line : TrainingChanges(a["training"])) kv.push_back(std::move(line));
      o += "<h3>Training (attempt " + E(n) + ")</h3>\n" + KeyValues(kv);
      o += TrainingChart(a, S(st, "id"));
    }
    const json& ev = a["evaluation"];
    if (ev.is_object()) {
      o += "<h3>Evaluation (attempt " + E(n) + "): " + std::string(ev.value("pass", false) ? "pass" : "fail") + "</h3>\n";
      auto ci = [](const json& v) {
        return v.is_array() && v.size() == 2 ? fmt::format("[{:.3f}, {:.3f}]", v[0].get<double>(), v[1].get<double>()) : "";
      };
      o += Table({"model", "accuracy", "95% CI"},
                 {{"candidate " + S(st, "candidate"), fmt::format("{:.3f}", D(ev, "candidate_accuracy")), ci(ev["candidate_ci"])},
                  {"incumbent " + S(st, "incumbent"), fmt::format("{:.3f}", D(ev, "incumbent_accuracy")), ci(ev["incumbent_ci"])}});
      o += KeyValues({{"difference", fmt::format("{:+.3f} on {} validation examples", D(ev, "delta"), I(ev, "samples"))},
                      {"McNemar", fmt::format("p = {:.3g} (only the candidate right: {}, only the incumbent right: {})",
                                              D(ev, "mcnemar_p"), I(ev, "candidate_only_correct"), I(ev, "incumbent_only_correct"))},
                      {"verdict", S(ev, "verdict")}});
      if (const json& gate = ev.value("constitution", json()); gate.is_object()) {
        o += "<p>Constitution gate: " + E(S(gate, "summary")) + "</p>\n";
        rows.clear();
        for (const auto& g : gate.value("regressions", json::array())) {
          rows.push_back({S(g, "id"), S(g, "input"), S(g, "expected"), S(g, "incumbent_answer"), S(g, "candidate_answer")});
        }
        if (!rows.empty()) o += Table({"case", "input", "expected", "incumbent", "candidate"}, rows);
      }
      rows.clear();
      for (const auto& r : ev["regressions"]) {
        rows.push_back({S(r, "dimension"), S(r, "value"), fmt::format("{:.3f}", D(r, "baseline")),
                        fmt::format("{:.3f}", D(r, "recent")), fmt::format("{:+.3f}", D(r, "recent") - D(r, "baseline")),
                        S(r, "samples")});
      }
      if (!rows.empty()) o += "<p>Categories that regressed:</p>\n" + Table({"dimension", "category", "incumbent", "candidate", "delta", "samples"}, rows);
      rows.clear();
      for (const auto& c : ev.value("categories", json::array())) {
        rows.push_back({S(c, "dimension"), S(c, "value"), fmt::format("{:.3f}", D(c, "baseline")),
                        fmt::format("{:.3f}", D(c, "recent")), fmt::format("{:+.3f}", D(c, "recent") - D(c, "baseline")),
                        S(c, "samples")});
      }
      if (!rows.empty()) {
        o += "<p>Every category, largest drop first:</p>\n" +
             Table({"dimension", "category", "incumbent", "candidate", "delta", "samples"}, rows);
      }
    }
  }
  const json& ro = st["rollout"];
  if (!ro["steps"].empty()) {
    o += "<h3>A/B test</h3>\n" + AbChart(st);
    rows.clear();
    for (const auto& s : ro["steps"]) {
      for (const auto& arm : s["arms"]) {
        rows.push_back({S(s, "step"), fmt::format("{:.0f}%", D(s, "weight") * 100), S(arm, "arm"), S(arm, "version"),
                        S(arm, "tasks"), S(arm, "errors"), S(arm, "up"), S(arm, "down"),
                        arm["rate"].is_number() ? Pct(D(arm, "rate")) : "—"});
      }
    }
    o += Table({"step", "candidate share", "arm", "version", "tasks", "errors", "thumbs-up", "thumbs-down", "thumbs-up rate"}, rows);
  }
  const json& d = ro["decision"];
  if (d.is_object()) {
    o += "<h3>Decision: " + E(S(d, "outcome")) + "</h3>\n";
    o += KeyValues({{"reason", S(d, "reason")},
                    {"candidate", fmt::format("{} (n = {})", Pct(D(d, "candidate_rate")), I(d, "candidate_samples"))},
                    {"incumbent", fmt::format("{} (n = {})", Pct(D(d, "incumbent_rate")), I(d, "incumbent_samples"))},
                    {"always-valid p", fmt::format("{:.3g}", D(d, "p_value"))}});
  }
  return o;
}

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222; margin: 24px auto;
       max-width: 820px; line-height: 1.4; background: #fafafa; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; border-bottom: 1px solid #ccc; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta, .reason { color: #555; margin-top: 0; }
svg.chart { display: block; margin: 10px 0 14px; border: 1px solid #ddd; background: #fff; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 13px; background: #fff; }
table.grid th, table.grid td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
table.grid th { background: #f0f0f0; }
table.kv th { text-align: left; padding: 2px 12px 2px 0; color: #555; font-weight: normal; vertical-align: top; white-space: nowrap; }
table.kv td { padding: 2px 0; }
)";

}  // namespace

std::string ElapsedLabel(double seconds, double span_seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  if (span_seconds < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}h", s / 3600, (s / 60) % 60);
}

std::string RenderHtmlReport(const ReportInput& in) {
  const json& tl = in.timeline;
  const double t0 = D(tl, "start_ms");
  const double span = std::max(1.0, (D(tl, "end_ms") - t0) / 1000.0);
  std::string title = "Kaizen report: " + in.cluster;
  if (in.story.is_object()) title += ", cycle " + S(in.story, "id");
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + E(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  o += "<h1>" + E(title) + "</h1>\n";
  int64_t tasks = 0, up = 0, down = 0;
  for (const auto& b : tl["buckets"]) {
    tasks += I(b, "tasks");
    up += I(b, "up");
    down += I(b, "down");
  }
  o += "<p class=\"meta\">" +
       E(fmt::format("{} to {} · {} tasks answered · {} thumbs-up / {} thumbs-down · report made {}", FormatIsoMs(I(tl, "start_ms")),
                     FormatIsoMs(I(tl, "end_ms")), tasks, up, down, FormatIsoMs(in.generated_ms))) +
       "</p>\n";
  o += "<h2>The run</h2>\n";
  o += RunFigures(tl);
  o += QualityChart(tl, t0, span);
  o += TrafficChart(tl, t0, span);
  o += TeacherChart(tl, in.story, t0, span);
  o += "<h2>Cycles</h2>\n" + CyclesTable(in.cycles);
  if (in.story.is_object()) o += StorySection(in.story);
  o += "<p class=\"meta\">Made by <code>kaizen report</code> from the cluster's journal. Thumbs-up rates are "
       "the share of thumbs-up among thumbs-up and thumbs-down ratings; the trigger's rates are thumbs-down rates.</p>\n";
  o += "</body>\n</html>\n";
  return o;
}

}  // namespace kaizen::report
