#include <catch2/catch.hpp>

#include "agents/feedback/feed.h"

namespace kaizen::feedback {
namespace {

v1::Envelope LabelReq(const std::string& id, int index = 1) {
  v1::Envelope e;
  e.set_cycle_id("c1");
  auto* r = e.mutable_label_request();
  r->set_request_id(id);
  r->set_input("how do i see my balance");
  r->set_model_output("transfer");
  r->set_index(index);
  r->set_total(3);
  r->set_asked_by("datagen");
  return e;
}

v1::Envelope Approval(const std::string& id) {
  v1::Envelope e;
  e.set_cycle_id(id);
  auto* r = e.mutable_approval_request();
  r->set_request_id(id);
  r->set_subject("plan");
  r->set_summary("human_demonstrations, 3 labels");
  return e;
}

v1::Envelope ResultEvent(const std::string& task, double confidence) {
  v1::Envelope e;
  auto* r = e.mutable_task_result();
  r->set_task_id(task);
  r->set_ok(true);
  r->set_input("text of " + task);
  r->set_output("balance");
  r->set_confidence(confidence);
  r->set_model_version("v1");
  return e;
}

v1::Envelope Closed(const std::string& id, const std::string& by) {
  v1::Envelope e;
  auto* c = e.mutable_request_closed();
  c->set_request_id(id);
  c->set_reason("answered");
  c->set_closed_by(by);
  return e;
}

TEST_CASE("approvals come first and then label requests and then answers to rate", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  CHECK(f.Current() == nullptr);
  CHECK(f.Apply(ResultEvent("t1", 0.2)));  // low confidence
  CHECK(f.Apply(LabelReq("lr-1")));
  CHECK(f.Apply(Approval("c1")));
  REQUIRE(f.Current() != nullptr);
  CHECK(f.Current()->kind == ItemKind::kApproval);
  f.Remove("c1");
  CHECK(f.Current()->kind == ItemKind::kLabel);
  f.Remove("lr-1");
  CHECK(f.Current()->kind == ItemKind::kUnsure);
  CHECK_FALSE(f.Apply(LabelReq("lr-1")));  // answered here: never shown again
}

TEST_CASE("a request answered by someone else disappears with a notice", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  f.Apply(LabelReq("lr-1"));
  f.Apply(LabelReq("lr-2", 2));
  CHECK(f.Apply(Closed("lr-1", "bob.2")));
  CHECK(f.Find("lr-1") == nullptr);
  auto notices = f.TakeNotices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find("answered by bob.2") != std::string::npos);
  // Our own answer's close needs no notice.
  CHECK(f.Apply(Closed("lr-2", "alice.1")));
  CHECK(f.TakeNotices().empty());
}

TEST_CASE("an approval decided elsewhere and or whose cycle moved on and is gone", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  f.Apply(Approval("c1"));
  v1::Envelope d;
  d.mutable_approval_decision()->set_request_id("c1");
  d.mutable_approval_decision()->set_approved(true);
  d.mutable_approval_decision()->set_decided_by("ops-cli");
  CHECK(f.Apply(d));
  CHECK(f.Find("c1") == nullptr);

  f.Apply(Approval("c2"));
  v1::Envelope t;
  t.mutable_cycle_transition()->set_cycle_id("c2");
  t.mutable_cycle_transition()->set_from(v1::CYCLE_STAGE_AWAITING_APPROVAL);
  t.mutable_cycle_transition()->set_to(v1::CYCLE_STAGE_ABORTED);
  t.mutable_cycle_transition()->set_reason("approval timed out");
  CHECK(f.Apply(t));
  CHECK(f.Find("c2") == nullptr);
}

TEST_CASE("a promotion approval after the cycle's plan approval is shown and though both have the cycle's id",
          "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  f.Apply(Approval("c1"));
  v1::Envelope d;
  d.mutable_approval_decision()->set_request_id("c1");
  d.mutable_approval_decision()->set_approved(true);
  f.Apply(d);
  v1::Envelope promo = Approval("c1");
  promo.mutable_approval_request()->set_subject("promotion");
  CHECK(f.Apply(promo));
  REQUIRE(f.Current() != nullptr);
  CHECK(f.Current()->subject == "promotion");
  CHECK_FALSE(f.Apply(Approval("c1")));  // the plan approval again (a replay): stays closed
}

TEST_CASE("sampling offers every Nth answer and every low-confidence one and bounded", "[feedback]") {
  Feed::Options o;
  o.sample_every = 3;
  o.low_confidence = 0.5;
  o.max_rate_items = 4;
  Feed f("alice.1", o);
  for (int i = 1; i <= 6; ++i) f.Apply(ResultEvent("t" + std::to_string(i), 0.9));
  CHECK(f.Count(ItemKind::kSample) == 2);  // t3, t6
  for (int i = 7; i <= 12; ++i) f.Apply(ResultEvent("t" + std::to_string(i), 0.1));
  CHECK(f.Count(ItemKind::kUnsure) + f.Count(ItemKind::kSample) == 4);
  CHECK(f.Find("t3") == nullptr);  // the oldest went first
}

TEST_CASE("answers are the runtime's messages and with what is missing refused", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  f.Apply(Approval("c1"));
  f.Apply(LabelReq("lr-1"));
  f.Apply(ResultEvent("t1", 0.1));

  auto ok = f.Approve("c1", true, "");
  REQUIRE(ok.ok());
  CHECK(ok->recipient() == "runtime");
  CHECK(ok->approval_decision().approved());
  CHECK(ok->approval_decision().request_id() == "c1");
  auto no = f.Approve("c1", false, "  ");
  REQUIRE_FALSE(no.ok());
  CHECK(no.status().message().find("reason") != std::string::npos);
  CHECK_FALSE(f.Approve("lr-1", true, "").ok());  // not an approval

  auto label = f.Label("lr-1", " balance ");
  REQUIRE(label.ok());
  CHECK(label->label_answer().label() == "balance");
  CHECK(label->cycle_id() == "c1");
  CHECK_FALSE(f.Label("lr-1", "").ok());
  CHECK_FALSE(f.Label("nope", "x").ok());

  auto down = f.Rate("t1", false);
  REQUIRE(down.ok());
  CHECK(down->feedback().kind() == v1::Feedback::THUMBS_DOWN);
  CHECK(down->feedback().source() == "alice.1");
  auto fix = f.Correct("t1", "transfer");
  REQUIRE(fix.ok());
  CHECK(fix->feedback().kind() == v1::Feedback::THUMBS_DOWN);
  CHECK(fix->feedback().correction() == "transfer");
}

TEST_CASE("skip moves an item behind the others and expiry drops it", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  v1::Envelope a = LabelReq("lr-1");
  a.mutable_label_request()->set_expires_ms(1000);
  f.Apply(a);
  f.Apply(LabelReq("lr-2", 2));
  CHECK(f.Current()->id == "lr-1");
  f.Skip("lr-1");
  CHECK(f.Current()->id == "lr-2");
  CHECK(f.Expire(2000));
  CHECK(f.Find("lr-1") == nullptr);
}

}  // namespace
}  // namespace kaizen::feedback
