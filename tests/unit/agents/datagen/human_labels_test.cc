#include <catch2/catch.hpp>

#include "agents/datagen/human_labels.h"

namespace kaizen::agents {
namespace {

std::vector<SelectedCandidate> Rows(int n) {
  std::vector<SelectedCandidate> rows;
  for (int i = 0; i < n; ++i) {
    SelectedCandidate s;
    s.candidate.task_id = "t" + std::to_string(i);
    s.candidate.text = "input " + std::to_string(i);
    s.candidate.predicted = "wrong";
    s.candidate.confidence = 0.3;
    s.candidate.tags = {{"domain", "banking"}};
    s.selected_by = "thumbs_down";
    rows.push_back(s);
  }
  return rows;
}

v1::LabelAnswer Ans(const std::string& id, const std::string& label, const std::string& who) {
  v1::LabelAnswer a;
  a.set_request_id(id);
  a.set_label(label);
  a.set_answered_by(who);
  return a;
}

TEST_CASE("a label batch makes one request per input with what a person needs to see", "[datagen]") {
  HumanLabelBatch b("lr-x", Rows(3), 12345);
  REQUIRE(b.requests().size() == 3);
  const auto& r = b.requests()[1];
  CHECK(r.request_id() == "lr-x-2");
  CHECK(r.input() == "input 1");
  CHECK(r.model_output() == "wrong");
  CHECK(r.index() == 2);
  CHECK(r.total() == 3);
  CHECK(r.expires_ms() == 12345);
  CHECK(r.selected_by() == "thumbs_down");
  CHECK(r.task_id() == "t1");
}

TEST_CASE("answers become rows labeled by the person and repeats and unknown ids and empty labels are ignored",
          "[datagen]") {
  HumanLabelBatch b("lr-x", Rows(3), 0);
  CHECK(b.Answer(Ans("lr-x-2", "  balance ", "alice.1")));
  CHECK_FALSE(b.Answer(Ans("lr-x-2", "other", "bob.2")));   // first answer wins
  CHECK_FALSE(b.Answer(Ans("lr-y-1", "balance", "bob.2")));  // not ours
  CHECK_FALSE(b.Answer(Ans("lr-x-1", "   ", "bob.2")));      // empty
  CHECK(b.Answer(Ans("lr-x-3", "transfer", "bob.2")));
  CHECK(b.answered() == 2);
  CHECK_FALSE(b.complete());
  auto rows = b.Rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].text == "input 1");
  CHECK(rows[0].label == "balance");
  CHECK(rows[0].teacher == "human:alice.1");
  CHECK(rows[0].task_id == "t1");
  CHECK(rows[1].teacher == "human:bob.2");
  auto by = b.ByPerson();
  CHECK(by["alice.1"] == 1);
  CHECK(by["bob.2"] == 1);
  CHECK(b.Answer(Ans("lr-x-1", "x", "bob.2")));
  CHECK(b.complete());
}

TEST_CASE("a correction becomes a label: the label set's spelling, a new label, or none", "[datagen]") {
  const std::vector<std::string> labels = {"hotel_search", "Book Flight"};
  CHECK(CorrectionAsLabel("hotel_search", labels) == "hotel_search");
  CHECK(CorrectionAsLabel("  HOTEL_search ", labels) == "hotel_search");  // case and spaces: the known spelling
  CHECK(CorrectionAsLabel("book   flight", labels) == "Book Flight");
  CHECK(CorrectionAsLabel("car_rental", labels) == "car_rental");  // unknown but label-sized: a new label
  CHECK_FALSE(CorrectionAsLabel(std::string(kMaxLabelBytes + 1, 'x'), labels));  // a paste, not a label
  CHECK_FALSE(CorrectionAsLabel("hotel\nsearch", labels));
  CHECK_FALSE(CorrectionAsLabel("   ", labels));
  // No label set (free text, or no teacher): the correction is the answer.
  const std::string reply = "Sorry about that. Your refund is on its way:\nexpect it within 5 days.";
  CHECK(CorrectionAsLabel(reply, {}) == reply);

  std::vector<Candidate> cs(3);
  cs[0].correction = "HOTEL_SEARCH";
  cs[0].correction_source = "alice.1";
  cs[1].correction = std::string(300, 'y');
  cs[1].correction_source = "bob.2";
  cs[1].thumbs_down = true;
  CHECK(FitCorrectionsToLabels(cs, labels) == 1);
  CHECK(cs[0].correction == "hotel_search");
  CHECK(cs[0].correction_source == "alice.1");
  CHECK(cs[1].correction.empty());  // dropped: a thumbs-down for the teacher
  CHECK(cs[1].correction_source.empty());
  CHECK(cs[1].thumbs_down);
  CHECK(cs[2].correction.empty());
}

}  // namespace
}  // namespace kaizen::agents
