#include <catch2/catch.hpp>

#include "agents/feedback/batch_line.h"
#include "agents/feedback/item_view.h"

namespace kaizen::feedback {
namespace {

TEST_CASE("batch lines parse into verbs and targets and text", "[feedback]") {
  auto a = ParseBatchLine("approve next looks good to me");
  REQUIRE(a.ok());
  REQUIRE(*a);
  CHECK((*a)->verb == BatchLine::Verb::kApprove);
  CHECK((*a)->target == "next");
  CHECK((*a)->text == "looks good to me");
  CHECK((*a)->kind() == ItemKind::kApproval);

  auto l = ParseBatchLine("  label lr-abc-2   card declined  ");
  REQUIRE(l.ok());
  CHECK((*l)->target == "lr-abc-2");
  CHECK((*l)->text == "card declined");
  CHECK((*l)->kind() == ItemKind::kLabel);

  auto s = ParseBatchLine("sleep 1.5");
  REQUIRE(s.ok());
  CHECK((*s)->seconds == 1.5);

  for (const char* skip : {"", "   ", "# a comment"}) {
    auto r = ParseBatchLine(skip);
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
  }
}

TEST_CASE("bad batch lines say what is wrong", "[feedback]") {
  auto msg = [](const char* line) {
    auto r = ParseBatchLine(line);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(msg("approv next").find("unknown command 'approv'") != std::string::npos);
  CHECK(msg("reject next").find("reason") != std::string::npos);
  CHECK(msg("label next").find("label") != std::string::npos);
  CHECK(msg("label").find("target") != std::string::npos);
  CHECK(msg("up t1 extra").find("only a target") != std::string::npos);
  CHECK(msg("sleep soon").find("seconds") != std::string::npos);
  CHECK(msg("quit now").find("quit") != std::string::npos);
}

TEST_CASE("items render within 80 columns", "[feedback]") {
  Feed f("alice.1", Feed::Options{});
  v1::Envelope e;
  e.set_cycle_id("c1");
  auto* r = e.mutable_label_request();
  r->set_request_id("lr-1");
  r->set_input(std::string(300, 'x') + " and some words that go on and on past the edge of the terminal");
  r->set_model_output("transfer");
  r->set_index(1);
  r->set_total(3);
  f.Apply(e);
  auto lines = RenderItem(*f.Current(), f, 0, 80);
  REQUIRE(lines.size() > 4);
  CHECK(lines[0].rfind("-- LABEL 1/3 lr-1", 0) == 0);
  for (const auto& l : lines) CHECK(l.size() <= 80);
  CHECK(RenderCounts(f) == "waiting: 0 approvals, 1 label request, 0 to rate");
}

TEST_CASE("wrapping keeps words whole and indents continuation lines", "[feedback]") {
  auto lines = Wrap("  input : ", "one two three four five six", 20);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0] == "  input : one two");
  CHECK(lines[1].rfind("          ", 0) == 0);
}

}  // namespace
}  // namespace kaizen::feedback
