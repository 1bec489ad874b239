// FeedbackSession (what `kaizen feedback` runs on) against a real cluster
// whose runtime is restarted under it: the new runtime does not know the
// session, refuses its next message with NOT_REGISTERED and drops it; the
// session says Hello again and sends that message once more, so a person's
// rating is not lost to a restart they never saw.
#include <catch2/catch.hpp>

#include "runtime/base/ids.h"
#include "runtime/cli/cmd_feedback_session.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

// Feedback events in the journal about `task_id`.
int FeedbackAbout(const std::string& state_dir, const std::string& task_id) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  if (!store.ok()) return -1;
  kaizen::store::EventFilter f;
  f.kind = "feedback";
  auto events = (*store)->ReadEvents(f);
  if (!events.ok()) return -1;
  int n = 0;
  for (const auto& row : *events) {
    kaizen::v1::Envelope e;
    n += e.ParseFromString(row.payload) && e.feedback().task_id() == task_id;
  }
  return n;
}

kaizen::v1::Envelope ThumbsUp(const std::string& task_id) {
  kaizen::v1::Envelope e;
  e.set_recipient("runtime");
  e.set_message_id(kaizen::NewId());
  e.mutable_feedback()->set_task_id(task_id);
  e.mutable_feedback()->set_kind(kaizen::v1::Feedback::THUMBS_UP);
  return e;
}

}  // namespace

TEST_CASE("a rating sent to a restarted runtime that forgot the person is sent again after Hello", "[integration]") {
  TestCluster c("fb-session");
  REQUIRE(c.Up().exit_code == 0);
  kaizen::cli::FeedbackOptions o;
  o.state_dir = c.state_dir();
  o.name = "ana";
  auto session = kaizen::cli::FeedbackSession::Open(o);
  REQUIRE(session.ok());
  kaizen::cli::FeedbackSession& s = **session;

  REQUIRE(s.SendRating(ThumbsUp("before-restart"), "").ok());
  REQUIRE(WaitFor([&] { s.Pump(20); return FeedbackAbout(c.state_dir(), "before-restart") == 1; }, 10000));

  // The runtime goes and comes back on the same state dir; the session's
  // socket reconnects by itself, but the new runtime has never met it.
  REQUIRE(c.Down().exit_code == 0);
  REQUIRE(c.Up().exit_code == 0);
  REQUIRE(s.SendRating(ThumbsUp("after-restart"), "").ok());
  REQUIRE(WaitFor([&] { s.Pump(20); return FeedbackAbout(c.state_dir(), "after-restart") >= 1; }, 15000));
  // Sent again once, not twice.
  for (int i = 0; i < 20; ++i) s.Pump(20);
  CHECK(FeedbackAbout(c.state_dir(), "after-restart") == 1);
  CHECK(FeedbackAbout(c.state_dir(), "before-restart") == 1);
  CHECK(c.Down().exit_code == 0);
}
