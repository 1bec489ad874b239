#include "agents/datagen/candidate_selector.h"

#include <catch2/catch.hpp>

namespace kaizen::agents {
namespace {

v1::TaskResult AnsweredTask(const std::string& id, const std::string& text, const std::string& out, double conf,
                      const std::string& domain) {
  v1::TaskResult r;
  r.set_task_id(id);
  r.set_input(text);
  r.set_output(out);
  r.set_confidence(conf);
  r.set_ok(true);
  (*r.mutable_tags())["domain"] = domain;
  return r;
}

v1::Feedback Down(const std::string& id) {
  v1::Feedback f;
  f.set_task_id(id);
  f.set_kind(v1::Feedback::THUMBS_DOWN);
  return f;
}

v1::Feedback Correction(const std::string& id, const std::string& text, const std::string& source,
                        v1::Feedback::Kind kind = v1::Feedback::THUMBS_DOWN) {
  v1::Feedback f = Down(id);
  f.set_kind(kind);
  f.set_correction(text);
  f.set_source(source);
  return f;
}

TEST_CASE("NormalizeText lowercases, trims and collapses spaces") {
  CHECK(NormalizeText("  Book A\tFlight \n") == "book a flight");
  CHECK(NormalizeText("") == "");
}

TEST_CASE("the pool joins results and feedback by task id in any order and dedupes") {
  CandidatePool pool;
  pool.AddFeedback(Down("t2"), 5);  // feedback before its result
  pool.AddResult(AnsweredTask("t1", "Book a flight", "book_flight", 0.9, "travel"), 1);
  pool.AddResult(AnsweredTask("t2", "book a  flight ", "book_hotel", 0.7, "travel"), 2);
  pool.AddResult(AnsweredTask("t3", "balance please", "balance", 0.4, "banking"), 3);
  v1::TaskResult failed = AnsweredTask("t4", "x", "", 0, "banking");
  failed.set_ok(false);
  pool.AddResult(failed, 4);

  auto all = pool.Candidates(false);
  REQUIRE(all.size() == 3);  // the failed task is no candidate
  auto deduped = pool.Candidates(true);
  REQUIRE(deduped.size() == 2);
  const Candidate& flight = deduped[0].task_id == "t2" ? deduped[0] : deduped[1];
  CHECK(flight.task_id == "t2");  // the most recent copy
  CHECK(flight.thumbs_down);
  CHECK(flight.confidence == Approx(0.7));
}

TEST_CASE("failures_first: thumbs-down most recent first, then low confidence, round-robin across domains") {
  CandidatePool pool;
  uint64_t seq = 1;
  // Ten travel failures and two banking failures: banking must not be starved.
  for (int i = 0; i < 10; ++i) {
    std::string id = "tr" + std::to_string(i);
    pool.AddResult(AnsweredTask(id, "travel " + std::to_string(i), "x", 0.9, "travel"), seq++);
    pool.AddFeedback(Down(id), seq++);
  }
  for (int i = 0; i < 2; ++i) {
    std::string id = "bk" + std::to_string(i);
    pool.AddResult(AnsweredTask(id, "bank " + std::to_string(i), "x", 0.9, "banking"), seq++);
    pool.AddFeedback(Down(id), seq++);
  }
  pool.AddResult(AnsweredTask("low", "unsure", "x", 0.2, "kitchen"), seq++);
  pool.AddResult(AnsweredTask("fine", "sure", "x", 0.99, "kitchen"), seq++);

  SelectionOptions o;
  o.policy = "failures_first";
  o.focus = {"domain=travel"};
  o.limit = 4;
  auto sel = CandidateSelector(o).Select(pool.Candidates(true));
  CHECK(sel.policy == "failures_first");
  REQUIRE(sel.rows.size() == 4);
  CHECK(sel.rows[0].candidate.task_id == "tr9");  // focus first, most recent first
  CHECK(sel.rows[1].candidate.task_id == "bk1");
  CHECK(sel.rows[2].candidate.task_id == "tr8");
  CHECK(sel.rows[3].candidate.task_id == "bk0");
  CHECK(sel.counts["thumbs_down"] == 4);

  o.limit = 100;
  sel = CandidateSelector(o).Select(pool.Candidates(true));
  REQUIRE(sel.rows.size() == 14);
  CHECK(sel.rows[12].candidate.task_id == "low");
  CHECK(sel.rows[12].selected_by == "low_confidence");
  CHECK(sel.rows[13].selected_by == "fill");
  CHECK(sel.counts["thumbs_down"] == 12);
  CHECK(sel.counts["low_confidence"] == 1);
  CHECK(sel.counts["fill"] == 1);
  CHECK(CandidateSelector(o).CountQualifying(pool.Candidates(true)) == 13);
}

TEST_CASE("low_confidence_stratified: lowest confidence first, spread over predicted labels") {
  CandidatePool pool;
  pool.AddResult(AnsweredTask("a1", "a1", "A", 0.10, "d"), 1);
  pool.AddResult(AnsweredTask("a2", "a2", "A", 0.15, "d"), 2);
  pool.AddResult(AnsweredTask("a3", "a3", "A", 0.20, "d"), 3);
  pool.AddResult(AnsweredTask("b1", "b1", "B", 0.60, "d"), 4);
  pool.AddResult(AnsweredTask("b2", "b2", "B", 0.70, "d"), 5);
  SelectionOptions o;
  o.policy = "low_confidence_stratified";
  o.limit = 4;
  auto sel = CandidateSelector(o).Select(pool.Candidates(true));
  REQUIRE(sel.rows.size() == 4);
  CHECK(sel.rows[0].candidate.task_id == "a1");
  CHECK(sel.rows[1].candidate.task_id == "b1");
  CHECK(sel.rows[2].candidate.task_id == "a2");
  CHECK(sel.rows[3].candidate.task_id == "b2");
}

TEST_CASE("an unknown policy falls back to a seeded random selection") {
  CandidatePool pool;
  for (int i = 0; i < 50; ++i) pool.AddResult(AnsweredTask("t" + std::to_string(i), "text " + std::to_string(i), "x", 0.9, "d"), i + 1);
  SelectionOptions o;
  o.policy = "astrology";
  o.limit = 10;
  o.seed = 7;
  auto a = CandidateSelector(o).Select(pool.Candidates(true));
  auto b = CandidateSelector(o).Select(pool.Candidates(true));
  CHECK(a.policy == "random");
  REQUIRE(a.rows.size() == 10);
  for (std::size_t i = 0; i < a.rows.size(); ++i) CHECK(a.rows[i].candidate.task_id == b.rows[i].candidate.task_id);
  o.seed = 8;
  auto c = CandidateSelector(o).Select(pool.Candidates(true));
  bool differs = false;
  for (std::size_t i = 0; i < a.rows.size(); ++i) differs |= a.rows[i].candidate.task_id != c.rows[i].candidate.task_id;
  CHECK(differs);
}

TEST_CASE("the pool keeps the latest correction per task, with who gave it") {
  CandidatePool pool;
  pool.AddResult(AnsweredTask("t1", "book a hotel", "restaurant", 0.9, "travel"), 1);
  pool.AddFeedback(Correction("t1", "  hotel_search ", "alice.1"), 9);
  pool.AddFeedback(Correction("t1", "hotel_booking", "bob.2", v1::Feedback::CORRECTION), 7);  // older: arrives later
  pool.AddFeedback(Down("t1"), 10);  // a plain thumbs-down carries no answer and keeps the correction
  pool.AddResult(AnsweredTask("t2", "balance", "transfer", 0.9, "banking"), 2);
  pool.AddFeedback(Correction("t2", std::string(kMaxCorrectionBytes + 1, 'x'), "carol.3"), 11);  // too long
  pool.AddResult(AnsweredTask("t3", "weather", "weather", 0.9, "misc"), 3);
  v1::Feedback up = Correction("t3", "forecast", "dave.4");
  up.set_kind(v1::Feedback::THUMBS_UP);  // a thumbs-up is no correction
  pool.AddFeedback(up, 12);

  auto all = pool.Candidates(false);
  REQUIRE(all.size() == 3);
  CHECK(all[0].task_id == "t1");
  CHECK(all[0].correction == "hotel_search");  // trimmed, the latest by seq
  CHECK(all[0].correction_source == "alice.1");
  CHECK(all[0].correction_seq == 9);
  CHECK(all[0].thumbs_down);
  CHECK(all[1].correction.empty());  // too long: dropped, the thumbs-down counts
  CHECK(all[1].thumbs_down);
  CHECK(all[2].correction.empty());
  CHECK_FALSE(all[2].thumbs_down);
  CHECK(CandidateSelector::CountCorrected(all) == 1);

  // A later correction replaces it.
  pool.AddFeedback(Correction("t1", "hotel_reservation", "bob.2"), 13);
  CHECK(pool.Candidates(false)[0].correction == "hotel_reservation");
  CHECK(pool.Candidates(false)[0].correction_source == "bob.2");
}

TEST_CASE("dedupe keeps the latest correction of any copy of an input") {
  CandidatePool pool;
  pool.AddResult(AnsweredTask("a", "Book a hotel", "x", 0.9, "travel"), 1);
  pool.AddResult(AnsweredTask("b", "book a hotel", "x", 0.9, "travel"), 2);
  pool.AddResult(AnsweredTask("c", "book  a hotel ", "x", 0.9, "travel"), 3);
  pool.AddFeedback(Correction("a", "hotel_search", "alice.1"), 5);
  pool.AddFeedback(Correction("b", "hotel_booking", "bob.2"), 4);
  auto deduped = pool.Candidates(true);
  REQUIRE(deduped.size() == 1);
  CHECK(deduped[0].task_id == "c");  // the most recent copy, which has no correction of its own
  CHECK(deduped[0].correction == "hotel_search");  // the latest correction (seq 5) of the copies
  CHECK(deduped[0].correction_source == "alice.1");
  CHECK(deduped[0].thumbs_down);
}

TEST_CASE("corrections_first: corrected inputs first, then the policy's order within the teacher limit") {
  CandidatePool pool;
  uint64_t seq = 1;
  for (int i = 0; i < 4; ++i) {  // thumbs-down without an answer
    std::string id = "d" + std::to_string(i);
    pool.AddResult(AnsweredTask(id, "down " + std::to_string(i), "x", 0.9, "travel"), seq++);
    pool.AddFeedback(Down(id), seq++);
  }
  pool.AddResult(AnsweredTask("low", "unsure", "x", 0.1, "travel"), seq++);
  // Corrected inputs, one of them of high confidence: still first.
  pool.AddResult(AnsweredTask("c0", "corrected 0", "x", 0.99, "travel"), seq++);
  pool.AddFeedback(Correction("c0", "right0", "alice.1"), seq++);
  pool.AddResult(AnsweredTask("c1", "corrected 1", "x", 0.9, "banking"), seq++);
  pool.AddFeedback(Correction("c1", "right1", "bob.2"), seq++);
  pool.AddResult(AnsweredTask("c2", "corrected 2", "x", 0.9, "travel"), seq++);
  pool.AddFeedback(Correction("c2", "right2", "alice.1"), seq++);

  for (const std::string policy : {"failures_first", "low_confidence_stratified", "random"}) {
    SelectionOptions o;
    o.policy = policy;
    o.limit = 5;
    o.corrections_first = true;
    auto sel = CandidateSelector(o).Select(pool.Candidates(true));
    REQUIRE(sel.rows.size() == 5);
    for (int i = 0; i < 3; ++i) {
      CHECK(sel.rows[i].selected_by == "correction");
      CHECK_FALSE(sel.rows[i].candidate.correction.empty());
    }
    for (int i = 3; i < 5; ++i) CHECK(sel.rows[i].candidate.correction.empty());
    CHECK(sel.counts["correction"] == 3);
  }

  SelectionOptions o;
  o.policy = "failures_first";
  o.limit = 6;
  o.corrections_first = true;
  auto sel = CandidateSelector(o).Select(pool.Candidates(true));
  REQUIRE(sel.rows.size() == 6);
  CHECK(sel.rows[0].candidate.task_id == "c2");  // most recent first, round-robin across domains
  CHECK(sel.rows[1].candidate.task_id == "c1");
  CHECK(sel.rows[2].candidate.task_id == "c0");
  CHECK(sel.rows[3].candidate.task_id == "d3");  // then failures_first: thumbs-down, most recent first
  CHECK(sel.rows[3].selected_by == "thumbs_down");

  // The teacher limit bounds only the rows that cost a call.
  o.teacher_limit = 1;
  sel = CandidateSelector(o).Select(pool.Candidates(true));
  REQUIRE(sel.rows.size() == 4);
  CHECK(sel.counts["correction"] == 3);
  CHECK(sel.counts["thumbs_down"] == 1);
  o.teacher_limit = 0;
  sel = CandidateSelector(o).Select(pool.Candidates(true));
  CHECK(sel.rows.size() == 3);
  // More corrections than rows wanted: the most recent ones.
  o.limit = 2;
  sel = CandidateSelector(o).Select(pool.Candidates(true));
  REQUIRE(sel.rows.size() == 2);
  CHECK(sel.rows[0].candidate.task_id == "c2");
  CHECK(sel.rows[1].candidate.task_id == "c1");

  // Without corrections_first a corrected input is a thumbs-down like any other.
  SelectionOptions plain;
  plain.limit = 100;
  sel = CandidateSelector(plain).Select(pool.Candidates(true));
  CHECK(sel.counts.count("correction") == 0);
  CHECK(sel.counts["thumbs_down"] == 7);
}

v1::TaskResult Deferred(const std::string& id, const std::string& text, const std::string& teacher_answer,
                        const std::string& worker_answer, double conf) {
  v1::TaskResult r = AnsweredTask(id, text, teacher_answer, conf, "travel");
  (*r.mutable_tags())["deferred"] = "oracle";
  (*r.mutable_tags())["deferred_cost"] = "0.001";
  (*r.mutable_tags())["worker_answer"] = worker_answer;
  (*r.mutable_tags())["worker_confidence"] = "0.2";
  return r;
}

TEST_CASE("a deferred answer is a correction from deferral:<teacher> and a person's correction wins in any order") {
  CandidatePool pool;
  pool.AddResult(Deferred("d1", "book a flight", " book_flight ", "book_hotel", 0.2), 1);
  pool.AddResult(AnsweredTask("p1", "my balance", "balance", 0.3, "banking"), 2);  // not deferred
  // A person corrects d2 before and d3 after its deferred result is seen.
  pool.AddFeedback(Correction("d2", "car_rental", "alice"), 9);
  pool.AddResult(Deferred("d2", "rent a car", "book_flight", "book_hotel", 0.1), 3);
  pool.AddResult(Deferred("d3", "rent a bike", "book_flight", "book_hotel", 0.1), 4);
  pool.AddFeedback(Correction("d3", "bike_rental", "bob"), 2);  // an older seq, still a person's
  v1::TaskResult empty = Deferred("d4", "x y z", "  ", "book_hotel", 0.1);  // no label to use
  pool.AddResult(empty, 5);

  std::map<std::string, Candidate> by_id;
  for (auto& c : pool.Candidates(false)) by_id[c.task_id] = c;
  REQUIRE(by_id.size() == 5);
  CHECK(by_id["d1"].correction == "book_flight");
  CHECK(by_id["d1"].correction_source == "deferral:oracle");
  CHECK(by_id["d1"].predicted == "book_hotel");  // the worker's own answer
  CHECK(by_id["d1"].confidence == Approx(0.2));
  CHECK_FALSE(by_id["d1"].thumbs_down);          // nobody rated it
  CHECK(by_id["p1"].correction.empty());
  CHECK(by_id["d2"].correction == "car_rental");
  CHECK(by_id["d2"].correction_source == "alice");
  CHECK(by_id["d3"].correction == "bike_rental");
  CHECK(by_id["d3"].correction_source == "bob");
  CHECK(by_id["d4"].correction.empty());
  CHECK(CandidateSelector::CountCorrected(pool.Candidates(false)) == 3);

  // corrections_first takes the deferred answer without a teacher call.
  SelectionOptions o;
  o.limit = 10;
  o.corrections_first = true;
  o.teacher_limit = 0;
  Selection sel = CandidateSelector(o).Select(pool.Candidates(true));
  CHECK(sel.counts["correction"] == 3);
}

}  // namespace
}  // namespace kaizen::agents
