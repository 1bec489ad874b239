// Expected calibration error and the reliability table, and how answers are
// judged from the journal for `kaizen describe model`.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "envelope.pb.h"
#include "runtime/report/calibration.h"
#include "runtime/report/model_calibration.h"
#include "tests/support/temp_dir.h"

using json = nlohmann::json;
using namespace kaizen;
using report::JudgedAnswer;

TEST_CASE("a model right as often as it is confident has an ECE of 0", "[report][calibration]") {
  std::vector<JudgedAnswer> a;
  // Confidence 0.75 (bin 0.7-0.8): 3 of 4 right. Confidence 0.25: 1 of 4.
  for (int i = 0; i < 4; ++i) a.push_back({0.75, i < 3});
  for (int i = 0; i < 4; ++i) a.push_back({0.25, i < 1});
  auto c = report::ComputeCalibration(a);
  CHECK(c.judged == 8);
  CHECK(c.ece == Approx(0.0).margin(1e-12));
  REQUIRE(c.bins.size() == 10);
  CHECK(c.bins[7].count == 4);
  CHECK(c.bins[7].low == Approx(0.7));
  CHECK(c.bins[7].high == Approx(0.8));
  CHECK(c.bins[7].accuracy == Approx(0.75));
  CHECK(c.bins[2].mean_confidence == Approx(0.25));
  CHECK(c.bins[0].count == 0);
}

TEST_CASE("ECE is the answer-weighted gap between accuracy and mean confidence over equal-width bins",
          "[report][calibration]") {
  std::vector<JudgedAnswer> a;
  // Bin 0.9-1.0: confidences 0.9 and 1.0 (1.0 falls in the last bin), 1 of 2 right: gap |0.5 - 0.95| = 0.45.
  a.push_back({0.9, true});
  a.push_back({1.0, false});
  // Bin 0.5-0.6: 2 answers at 0.5, both right: gap 0.5.
  a.push_back({0.5, true});
  a.push_back({0.5, true});
  // Out of range: clamped (1.7 -> 1.0, wrong: bin 0.9-1.0; -0.2 -> 0, wrong: bin 0.0-0.1, gap 0). NaN: left out.
  a.push_back({1.7, false});
  a.push_back({-0.2, false});
  a.push_back({std::nan(""), true});
  auto c = report::ComputeCalibration(a);
  CHECK(c.judged == 6);
  CHECK(c.bins[9].count == 3);
  CHECK(c.bins[9].mean_confidence == Approx(0.9666667));
  CHECK(c.bins[9].accuracy == Approx(1.0 / 3));
  CHECK(c.bins[5].count == 2);
  CHECK(c.bins[0].count == 1);
  const double want = 3.0 / 6 * std::fabs(1.0 / 3 - 2.9 / 3) + 2.0 / 6 * 0.5 + 1.0 / 6 * 0.0;
  CHECK(c.ece == Approx(want));

  json j = c.ToJson();
  CHECK(j["ece"] == Approx(want));
  CHECK(j["judged"] == 6);
  REQUIRE(j["bins"].size() == 10);
  CHECK(j["bins"][1]["count"] == 0);
  CHECK(j["bins"][1]["accuracy"].is_null());
  CHECK(j["bins"][1]["mean_confidence"].is_null());
  CHECK(j["bins"][5]["accuracy"] == Approx(1.0));
}

TEST_CASE("with nothing judged the ECE is null and the bins are empty", "[report][calibration]") {
  auto c = report::ComputeCalibration({});
  CHECK(c.judged == 0);
  json j = c.ToJson();
  CHECK(j["ece"].is_null());
  CHECK(j["bins"].size() == 10);
  CHECK(report::ComputeCalibration({{0.5, true}}, 0).bins.size() == 1);  // at least one bin
}

namespace {

v1::TaskResult AnswerOf(const std::string& id, const std::string& version, double confidence,
                      const std::string& output = "a") {
  v1::TaskResult r;
  r.set_task_id(id);
  r.set_model_version(version);
  r.set_confidence(confidence);
  r.set_output(output);
  r.set_ok(true);
  return r;
}

v1::TaskResult Deferred(const std::string& id, double confidence, const std::string& worker_answer,
                        const std::string& teacher_answer, const std::string& worker_confidence) {
  v1::TaskResult r = AnswerOf(id, "v2", confidence, teacher_answer);
  (*r.mutable_tags())["deferred"] = "oracle";
  (*r.mutable_tags())["deferred_cost"] = "0.001";
  (*r.mutable_tags())["worker_answer"] = worker_answer;
  if (!worker_confidence.empty()) (*r.mutable_tags())["worker_confidence"] = worker_confidence;
  return r;
}

v1::Feedback Rating(const std::string& id, v1::Feedback::Kind kind) {
  v1::Feedback f;
  f.set_task_id(id);
  f.set_kind(kind);
  return f;
}

}  // namespace

TEST_CASE("answers are judged by their ratings or for deferred ones against the teacher's answer",
          "[report][calibration]") {
  report::AnswerJudge j("v2");
  j.AddResult(AnswerOf("up", "v2", 0.9));
  j.AddResult(AnswerOf("down", "v2", 0.8));
  j.AddResult(AnswerOf("corrected", "v2", 0.7));
  j.AddResult(AnswerOf("changed", "v2", 0.6));
  j.AddResult(AnswerOf("unrated", "v2", 0.5));
  j.AddResult(AnswerOf("other-version", "v1", 0.9));
  v1::TaskResult failed = AnswerOf("failed", "v2", 0.9);
  failed.set_ok(false);
  j.AddResult(failed);
  j.AddResult(Deferred("agrees", 0.3, "b", "b", "0.35"));
  j.AddResult(Deferred("differs", 0.2, "a", "b", ""));  // no worker_confidence tag: the result's confidence
  v1::TaskResult no_answer = Deferred("no-worker-answer", 0.1, "", "b", "0.1");
  no_answer.mutable_tags()->erase("worker_answer");
  j.AddResult(no_answer);

  j.AddFeedback(Rating("up", v1::Feedback::THUMBS_UP));
  j.AddFeedback(Rating("down", v1::Feedback::THUMBS_DOWN));
  j.AddFeedback(Rating("corrected", v1::Feedback::CORRECTION));
  j.AddFeedback(Rating("changed", v1::Feedback::THUMBS_DOWN));
  j.AddFeedback(Rating("changed", v1::Feedback::THUMBS_UP));     // the latest rating wins
  j.AddFeedback(Rating("other-version", v1::Feedback::THUMBS_UP));
  j.AddFeedback(Rating("agrees", v1::Feedback::THUMBS_DOWN));    // rates the teacher: ignored
  j.AddFeedback(Rating("unrated", v1::Feedback::LABEL));         // not a rating
  j.AddFeedback(Rating("never-answered", v1::Feedback::THUMBS_UP));

  CHECK(j.answers() == 8);  // not the other version's nor the failed one
  CHECK(j.by_feedback() == 4);
  CHECK(j.by_teacher() == 2);
  std::map<double, bool> judged;
  for (const auto& a : j.Judged()) judged[a.confidence] = a.correct;
  CHECK(judged == std::map<double, bool>{{0.9, true}, {0.8, false}, {0.7, false}, {0.6, true}, {0.35, true}, {0.2, false}});
}

TEST_CASE("a model's calibration is read from the journal's results and ratings", "[report][calibration]") {
  testing::TempDir dir;
  const std::string db = (dir.path() / "state.db").string();
  {
    auto s = store::Store::Open(db);
    REQUIRE(s.ok());
    auto add = [&](const std::string& kind, const v1::Envelope& e) {
      store::JournalEvent ev;
      ev.ts_ms = 1'800'000'000'000;
      ev.kind = kind;
      ev.payload = e.SerializeAsString();
      REQUIRE((*s)->AppendEvent(&ev).ok());
    };
    // v2 says 0.95 on 20 answers and is right on 10; one deferred answer agrees with the teacher.
    for (int i = 0; i < 20; ++i) {
      v1::Envelope r;
      *r.mutable_task_result() = AnswerOf("t" + std::to_string(i), "v2", 0.95);
      add("task_result", r);
      v1::Envelope f;
      *f.mutable_feedback() = Rating("t" + std::to_string(i), i < 10 ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
      add("feedback", f);
    }
    v1::Envelope d;
    *d.mutable_task_result() = Deferred("d1", 0.15, "x", "x", "0.15");
    add("task_result", d);
  }
  auto ro = store::Store::Open(db, store::Store::Mode::kReadOnly);
  REQUIRE(ro.ok());
  auto c = report::LoadModelCalibration(**ro, "v2");
  REQUIRE(c.ok());
  INFO(c->dump(2));
  CHECK((*c)["version"] == "v2");
  CHECK((*c)["answers"] == 21);
  CHECK((*c)["judged"] == 21);
  CHECK((*c)["by_feedback"] == 20);
  CHECK((*c)["by_teacher"] == 1);
  CHECK((*c)["bins"][9]["count"] == 20);
  CHECK((*c)["bins"][9]["accuracy"] == Approx(0.5));
  CHECK((*c)["bins"][1]["accuracy"] == Approx(1.0));
  CHECK((*c)["ece"] == Approx(20.0 / 21 * 0.45 + 1.0 / 21 * 0.85));

  auto none = report::LoadModelCalibration(**ro, "v7");
  REQUIRE(none.ok());
  CHECK((*none)["answers"] == 0);
  CHECK((*none)["ece"].is_null());
}
