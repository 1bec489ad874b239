// The story of a cycle, its timeline and the HTML report, read back from a
// real SQLite store holding the events a cycle journals.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "envelope.pb.h"
#include "runtime/report/cycle_story.h"
#include "runtime/report/html_report.h"
#include "runtime/report/timeline.h"
#include "tests/unit/report/xml_check.h"
#include "tests/support/temp_dir.h"

using json = nlohmann::json;
using namespace kaizen;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // a wall-clock ms

class Journal {
 public:
  explicit Journal(store::Store& s) : s_(s) {}
  void Add(const std::string& kind, const std::string& cycle, int64_t ts, v1::Envelope e) {
    e.set_cycle_id(cycle);
    e.set_timestamp_ms(ts);
    store::JournalEvent ev;
    ev.ts_ms = ts;
    ev.kind = kind;
    ev.cycle = cycle;
    ev.payload = e.SerializeAsString();
    REQUIRE(s_.AppendEvent(&ev).ok());
  }
  void Transition(const std::string& cycle, int64_t ts, v1::CycleStage from, v1::CycleStage to, const std::string& why) {
    v1::Envelope e;
    auto* t = e.mutable_cycle_transition();
    t->set_cycle_id(cycle);
    t->set_from(from);
    t->set_to(to);
    t->set_reason(why);
    Add("cycle_transition", cycle, ts, e);
  }
  void Task(const std::string& cycle, int64_t ts, uint64_t index, const std::string& version, bool up) {
    v1::Envelope r;
    r.mutable_task_result()->set_task_id("t" + std::to_string(index));
    r.mutable_task_result()->set_model_version(version);
    r.mutable_task_result()->set_ok(true);
    r.mutable_task_result()->set_task_index(index);
    Add("task_result", cycle, ts, r);
    v1::Envelope f;
    f.mutable_feedback()->set_task_id("t" + std::to_string(index));
    f.mutable_feedback()->set_kind(up ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
    f.mutable_feedback()->set_model_version(version);
    Add("feedback", cycle, ts + 1, f);
  }

 private:
  store::Store& s_;
};

// A run: 100 s of tasks by v1 (quality drops at 40 s), cycle c1 triggered at
// 50 s, A/B test of v2 from 70 s in two steps, promoted at 90 s.
void WriteRun(store::Store& s) {
  Journal j(s);
  uint64_t index = 0;
  for (int sec = 0; sec < 50; ++sec) {
    for (int k = 0; k < 10; ++k) j.Task("", kT0 + sec * 1000 + k * 50, ++index, "v1", sec < 40 ? k != 0 : k < 5);
  }
  v1::Envelope trig;
  auto* t = trig.mutable_trigger();
  t->set_policy("performance");
  t->set_reason("CUSUM 9.3 > 9.2");
  t->set_task_index(480);
  t->set_statistic(9.3);
  t->set_threshold(9.2);
  t->mutable_diagnosis()->set_baseline_rate(0.9);
  t->mutable_diagnosis()->set_recent_rate(0.5);
  auto* cat = t->mutable_diagnosis()->add_categories();
  cat->set_dimension("domain");
  cat->set_value("travel <&>");
  cat->set_baseline(0.9);
  cat->set_recent(0.1);
  cat->set_samples(40);
  j.Add("trigger", "c1", kT0 + 50000, trig);
  j.Transition("c1", kT0 + 50000, v1::CYCLE_STAGE_UNSPECIFIED, v1::CYCLE_STAGE_TRIGGERED, "performance: CUSUM");
  j.Transition("c1", kT0 + 50001, v1::CYCLE_STAGE_TRIGGERED, v1::CYCLE_STAGE_PLANNING, "asking planning");
  v1::Envelope plan;
  plan.mutable_plan()->set_strategy("teacher_samples");
  plan.mutable_plan()->set_teacher("oracle");
  plan.mutable_plan()->set_teacher_calls(2000);
  plan.mutable_plan()->set_max_cost(5.0);
  plan.mutable_plan()->add_bound_actions("calls cut 3000 -> 2000");
  j.Add("plan", "c1", kT0 + 51000, plan);
  j.Transition("c1", kT0 + 51000, v1::CYCLE_STAGE_PLANNING, v1::CYCLE_STAGE_GENERATING_DATA, "plan: teacher_samples");
  v1::Envelope ds;
  ds.mutable_dataset_ready()->set_dataset_id("abcdef0123456789abcdef");
  ds.mutable_dataset_ready()->set_train_rows(1800);
  ds.mutable_dataset_ready()->set_validation_rows(200);
  ds.mutable_dataset_ready()->set_teacher_calls(2000);
  ds.mutable_dataset_ready()->set_teacher_cost(2.0);
  ds.mutable_dataset_ready()->set_provenance_json(R"({"teacher":"oracle","selection_policy":"failures_first"})");
  j.Add("dataset", "c1", kT0 + 60000, ds);
  j.Transition("c1", kT0 + 60000, v1::CYCLE_STAGE_GENERATING_DATA, v1::CYCLE_STAGE_TRAINING, "dataset abcdef");
  for (int e = 1; e <= 4; ++e) {
    v1::Envelope p;
    p.mutable_train_progress()->set_fraction(e / 4.0);
    p.mutable_train_progress()->set_loss(2.0 / e);
    p.mutable_train_progress()->set_message("epoch " + std::to_string(e) + "/4");
    j.Add("train_progress", "c1", kT0 + 60000 + e * 500, p);
  }
  v1::Envelope m;
  m.mutable_model_ready()->set_version("v2");
  m.mutable_model_ready()->set_parent("v1");
  j.Add("model", "c1", kT0 + 63000, m);
  j.Transition("c1", kT0 + 63000, v1::CYCLE_STAGE_TRAINING, v1::CYCLE_STAGE_EVALUATING, "candidate v2 registered");
  v1::Envelope ev;
  auto* r = ev.mutable_eval_report();
  r->set_pass(true);
  r->set_candidate_accuracy(0.88);
  r->set_candidate_ci_low(0.84);
  r->set_candidate_ci_high(0.91);
  r->set_incumbent_accuracy(0.47);
  r->set_p_value(1e-20);
  r->set_samples(200);
  r->set_candidate_only_correct(90);
  r->set_incumbent_only_correct(8);
  r->set_verdict("candidate better");
  j.Add("eval_report", "c1", kT0 + 64000, ev);
  j.Transition("c1", kT0 + 64000, v1::CYCLE_STAGE_EVALUATING, v1::CYCLE_STAGE_ROLLING_OUT, "evaluation passed");
  for (int sec = 50; sec < 70; ++sec) {
    for (int k = 0; k < 10; ++k) j.Task("c1", kT0 + sec * 1000 + 200 + k * 50, ++index, "v1", k < 5);
  }
  int64_t ts = kT0 + 70000;
  for (double w : {0.1, 0.5}) {
    v1::Envelope split;
    split.mutable_traffic_split()->set_candidate_weight(w);
    j.Add("traffic", "c1", ts, split);
    // 10 s per step: the candidate answers w of the tasks, 90% right; the incumbent 50%.
    for (int k = 0; k < 100; ++k) {
      const bool cand = k < static_cast<int>(w * 100);
      j.Task("c1", ts + 10 + k * 100, ++index, cand ? "v2" : "v1", cand ? k % 10 != 0 : k % 2 == 0);
    }
    ts += 10000;
  }
  v1::Envelope d;
  d.mutable_rollout_decision()->set_outcome(v1::RolloutDecision::PROMOTE);
  d.mutable_rollout_decision()->set_reason("candidate is better");
  d.mutable_rollout_decision()->set_candidate_samples(60);
  d.mutable_rollout_decision()->set_candidate_rate(0.9);
  j.Add("rollout", "c1", kT0 + 90000, d);
  j.Transition("c1", kT0 + 90000, v1::CYCLE_STAGE_ROLLING_OUT, v1::CYCLE_STAGE_PROMOTED, "candidate is better");
  for (int sec = 90; sec < 100; ++sec) j.Task("", kT0 + sec * 1000, ++index, "v2", true);
  v1::Envelope sc;
  sc.mutable_scenario_report()->set_json(
      R"({"drift_at_task": 400, "timeline": [{"first_task": 1, "tasks": 500, "accuracy": 0.85}, {"first_task": 501, "tasks": 500, "accuracy": 0.5}]})");
  j.Add("scenario", "", kT0 + 100000, sc);

  store::CycleRow row;
  row.id = "c1";
  row.stage = "promoted";
  row.created_ms = kT0 + 50000;
  row.updated_ms = kT0 + 90000;
  json stages = json::array();
  const std::pair<const char*, int64_t> spans[] = {{"triggered", 50000}, {"planning", 50001}, {"generating_data", 51000},
                                                   {"training", 60000},  {"evaluating", 63000}, {"rolling_out", 64000},
                                                   {"promoted", 90000}};
  for (size_t i = 0; i < std::size(spans); ++i) {
    const int64_t end = i + 1 < std::size(spans) ? kT0 + spans[i + 1].second : 0;
    stages.push_back({{"name", spans[i].first}, {"started_ms", kT0 + spans[i].second}, {"ended_ms", end}});
  }
  row.state_json = json{{"id", "c1"}, {"stage", "promoted"}, {"attempt", 1}, {"trigger", {{"policy", "performance"}, {"task_index", "480"}}},
                        {"incumbent", {{"version", "v1"}}}, {"candidate", {{"version", "v2"}}}, {"teacher_calls", 2000},
                        {"teacher_cost", 2.0}, {"outcome_reason", "candidate is better"}, {"stages", stages}}
                       .dump();
  REQUIRE(s.PutCycle(row).ok());
}

}  // namespace

TEST_CASE("a cycle's story is read back from the journal: trigger, plan, data, training, evaluation, A/B, decision") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  {
    auto s = store::Store::Open(db);
    REQUIRE(s.ok());
    WriteRun(**s);
  }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  const store::Store& s = **ro;

  auto list = report::ListCycleSummaries(s);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  const json& c = (*list)[0];
  CHECK(c["outcome"] == "promoted");
  CHECK(c["trigger"]["policy"] == "performance");
  CHECK(c["trigger"]["task_index"] == 480);
  CHECK(c["ended_ms"] == kT0 + 90000);
  CHECK(c["stages"][2]["name"] == "generating_data");
  CHECK(c["stages"][2]["duration_ms"] == 9000);
  CHECK(c["stages"].back()["ended_ms"].is_null());

  auto story = report::LoadCycleStory(s, "c1");
  REQUIRE(story.ok());
  const json& st = *story;
  INFO(st.dump(2));
  CHECK(st["stages"][2]["reason"] == "plan: teacher_samples");
  CHECK(st["trigger_evidence"]["statistic"] == Approx(9.3));
  CHECK(st["trigger_evidence"]["categories"][0]["value"] == "travel <&>");
  REQUIRE(st["attempts_detail"].size() == 1);
  const json& a = st["attempts_detail"][0];
  CHECK(a["plan"]["teacher_calls"] == 2000);
  CHECK(a["plan"]["bound_actions"][0] == "calls cut 3000 -> 2000");
  CHECK(a["dataset"]["provenance"]["selection_policy"] == "failures_first");
  CHECK(a["training"]["progress"].size() == 4);
  CHECK(a["training"]["model"]["version"] == "v2");
  CHECK(a["evaluation"]["delta"] == Approx(0.41));
  CHECK(a["evaluation"]["candidate_only_correct"] == 90);
  const json& steps = st["rollout"]["steps"];
  REQUIRE(steps.size() == 2);
  CHECK(steps[0]["weight"] == Approx(0.1));
  // Step 1: 10 tasks to the candidate (9 up), 90 to the incumbent (45 up).
  CHECK(steps[0]["arms"][1]["arm"] == "candidate");
  CHECK(steps[0]["arms"][1]["tasks"] == 10);
  CHECK(steps[0]["arms"][1]["up"] == 9);
  CHECK(steps[0]["arms"][0]["tasks"] == 90);
  CHECK(steps[0]["arms"][0]["up"] == 45);
  CHECK(steps[1]["arms"][1]["tasks"] == 50);
  CHECK(steps[1]["arms"][1]["up"] == 45);
  CHECK(steps[1]["ended_ms"] == kT0 + 90000);
  CHECK(st["rollout"]["curve"].size() == 200);
  CHECK(st["rollout"]["curve"].back()["candidate_n"] == 60);
  CHECK(st["rollout"]["decision"]["outcome"] == "promote");

  CHECK(report::LoadCycleStory(s, "c9").status().code() == Status::Code::kNotFound);
}

TEST_CASE("the timeline buckets answers and ratings, and marks the drift, the trigger and the promotion") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  {
    auto s = store::Store::Open(db);
    REQUIRE(s.ok());
    WriteRun(**s);
  }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  auto tl = report::LoadTimeline(**ro, {});
  REQUIRE(tl.ok());
  INFO(tl->dump());
  CHECK((*tl)["bucket_ms"] == 2000);  // 100 s over about 80 buckets
  int64_t tasks = 0, up = 0;
  for (const auto& b : (*tl)["buckets"]) {
    tasks += b["tasks"].get<int64_t>();
    up += b["up"].get<int64_t>();
  }
  CHECK(tasks == 500 + 200 + 200 + 10);
  CHECK((*tl)["buckets"][0]["rate"] == Approx(0.9));
  CHECK((*tl)["versions"] == json::array({"v1", "v2"}));
  std::vector<std::string> kinds;
  for (const auto& m : (*tl)["markers"]) kinds.push_back(m["kind"]);
  CHECK(kinds == std::vector<std::string>{"drift", "trigger", "promoted"});
  CHECK((*tl)["markers"][0]["t_ms"] == kT0 + 39 * 1000 + 9 * 50);  // task 400 answered
  REQUIRE((*tl)["teacher"].size() == 1);
  CHECK((*tl)["teacher"][0]["cost"] == Approx(2.0));
  CHECK((*tl)["accuracy"].size() == 2);
}

TEST_CASE("the HTML report is self-contained: inline SVG charts, the story's tables, escaped text, no scripts") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  {
    auto s = store::Store::Open(db);
    REQUIRE(s.ok());
    WriteRun(**s);
  }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  report::ReportInput in;
  in.cluster = "test <cluster>";
  in.generated_ms = kT0 + 200000;
  in.timeline = *report::LoadTimeline(**ro, {});
  in.cycles = *report::ListCycleSummaries(**ro);
  in.story = *report::LoadCycleStory(**ro, "c1");
  const std::string html = report::RenderHtmlReport(in);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("test &lt;cluster&gt;") != std::string::npos);
  CHECK(html.find("travel &lt;&amp;&gt;") != std::string::npos);
  // Five charts: quality, answers per version, teacher spend, training curve, A/B.
  size_t svgs = 0;
  for (size_t p = html.find("<svg xmlns"); p != std::string::npos; p = html.find("<svg xmlns", p + 1)) {
    const size_t end = html.find("</svg>\n</svg>", p);
    const size_t close = html.find("</svg>", html.find("</svg>", p) + 1);  // nested plot <svg> closes first
    REQUIRE(close != std::string::npos);
    const std::string one = html.substr(p, close + 6 - p);
    INFO(one);
    CHECK(kaizen::testing::CheckXml(one).empty());
    (void)end;
    ++svgs;
  }
  CHECK(svgs == 5);
  for (const char* s : {"Quality on live traffic", "Answers per model version", "Teacher spend", "Training curve",
                        "A/B test of cycle c1", ">drift (task 400)<", ">trigger c1<", ">promoted c1<",
                        "budget of cycle c1: $5.00", "calls cut 3000 -&gt; 2000", "McNemar", "candidate is better"}) {
    INFO(s);
    CHECK(html.find(s) != std::string::npos);
  }
}

TEST_CASE("a store with no events and no cycles still gives a report: empty charts say 'no data'") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  { REQUIRE(store::Store::Open(db).ok()); }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  auto cycles = report::ListCycleSummaries(**ro);
  REQUIRE(cycles.ok());
  CHECK(cycles->empty());
  auto tl = report::LoadTimeline(**ro, {});
  REQUIRE(tl.ok());
  report::ReportInput in;
  in.cluster = "empty";
  in.timeline = *tl;
  in.cycles = *cycles;
  in.story = nullptr;
  const std::string html = report::RenderHtmlReport(in);
  CHECK(html.find("No improvement cycle has run.") != std::string::npos);
  CHECK(html.find(">no data<") != std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("the report says the users' accuracy per phase and how many answers were deferred to a teacher") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  {
    auto s = store::Store::Open(db);
    REQUIRE(s.ok());
    Journal j(**s);
    // 8 answers, 4 of them during cycle c1; 1 deferred before it, 2 during it.
    for (uint64_t i = 1; i <= 8; ++i) {
      v1::Envelope r;
      auto* t = r.mutable_task_result();
      t->set_task_id("t" + std::to_string(i));
      t->set_model_version("v1");
      t->set_ok(true);
      t->set_task_index(i);
      if (i == 2 || i == 6 || i == 7) {
        (*t->mutable_tags())["deferred"] = "oracle";
        (*t->mutable_tags())["deferred_cost"] = i == 7 ? "not a number" : "0.25";
      }
      j.Add("task_result", i > 4 ? "c1" : "", kT0 + static_cast<int64_t>(i) * 1000, r);
    }
    v1::Envelope sc;
    sc.mutable_scenario_report()->set_json(
        R"({"drift_at_task": 3, "accuracy": {"before_drift": 0.9, "after_drift": 0.5, "during_cycle": 0.75, "after_promotion": null}})");
    j.Add("scenario", "", kT0 + 10000, sc);
  }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  auto tl = report::LoadTimeline(**ro, {});
  REQUIRE(tl.ok());
  INFO(tl->dump());
  const json& d = (*tl)["deferred"];
  CHECK(d["answers"] == 8);
  CHECK(d["deferred"] == 3);
  CHECK(d["answers_during_cycle"] == 4);
  CHECK(d["deferred_during_cycle"] == 2);
  CHECK(d["cost"] == Approx(0.5));  // a cost that is not a number counts as 0
  CHECK((*tl)["scenario_accuracy"]["during_cycle"] == Approx(0.75));

  report::ReportInput in;
  in.cluster = "deferring";
  in.timeline = *tl;
  in.cycles = json::array();
  in.story = nullptr;
  const std::string html = report::RenderHtmlReport(in);
  CHECK(html.find("before drift 90.0% · after drift 50.0% · during the cycle 75.0% · after promotion —") !=
        std::string::npos);
  CHECK(html.find("<td>3 of 8 answers (37.5%; 50.0% during a cycle), $0.50</td>") != std::string::npos);

  // Without a simulator and with no deferral: neither line.
  in.timeline.erase("deferred");
  in.timeline["scenario_accuracy"] = nullptr;
  const std::string plain = report::RenderHtmlReport(in);
  CHECK(plain.find("deferred to a teacher") == std::string::npos);
  CHECK(plain.find("users&apos; accuracy") == std::string::npos);
  CHECK(plain.find("users' accuracy") == std::string::npos);
}
