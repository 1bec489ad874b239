// An openai teacher against the test server: labels, per-tag usage and priced
// cost, free-text requests, and failures answered as "no label".
#include <catch2/catch.hpp>
#include <httplib.h>

#include "agents/datagen/teacher.h"
#include "tests/support/openai_test_server/server.h"

namespace {
using json = nlohmann::json;
using kaizen::agents::FirstTeacher;
using kaizen::agents::Teacher;

json Settings(int port) {
  json teacher = {{"name", "gpt"},
                  {"backend", "openai"},
                  {"cost_per_call", 0.01},
                  {"max_concurrency", 2},
                  {"openai",
                   {{"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
                    {"model", "kaizen-test"},
                    {"max_retries", 0},
                    {"price_per_1k_prompt_tokens", 1.0},
                    {"max_concurrency", 8}}},
                  {"prompt",
                   {{"system_prompt", "Label the request."},
                    {"labels", {"transfer", "balance"}},
                    {"examples", {{{"input", "send money to bob"}, {"output", "transfer"}},
                                  {{"input", "how much is in my account"}, {"output", "balance"}}}}}}};
  return {{"cluster", {{"spec", {{"teachers", json::array({teacher})}, {"data", json::object()}}}}}};
}
}  // namespace

TEST_CASE("an openai teacher labels through the endpoint and accounts per tag") {
  kaizen::testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  auto spec = FirstTeacher(Settings(server.port()));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, "/nonexistent-state-dir");
  REQUIRE(teacher.ok());
  CHECK(teacher->is_llm());
  {
    httplib::Client c("127.0.0.1", server.port());
    REQUIRE(c.Post("/control/fail", json{{"kind", "500"}, {"count", 1}}.dump(), "application/json"));
  }
  std::atomic<std::size_t> done{0};
  auto labels = teacher->LabelAll({"please send money to alice", "how much money is in my account", "send bob 5"}, 8, 1,
                                  &done, "datagen:c-1/1");
  REQUIRE(labels.size() == 3);
  CHECK(done == 3);
  // One of the three calls failed (no retries): it answers "" and is skipped by datagen.
  int empty = 0;
  for (const auto& l : labels) empty += l.empty();
  CHECK(empty == 1);
  auto u = teacher->usage_for("datagen:c-1/1");
  CHECK(u.calls == 2);
  CHECK(u.failures == 1);
  CHECK(u.prompt_tokens > 0);
  CHECK(u.cost == Approx(2 * 0.01 + u.prompt_tokens / 1000.0));
  auto reply = teacher->Ask("Current instructions:\n<<<\nLabel.\n>>>\n- \"my card got stolen\" -> freeze_account\n");
  REQUIRE(reply.ok());
  CHECK(*reply == "Label.\nfreeze_account: card got stolen");
  CHECK(teacher->usage_for("training").calls == 1);
}

TEST_CASE("an openai teacher is not called for inputs that carry a correction") {
  kaizen::testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  auto spec = FirstTeacher(Settings(server.port()));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, "/nonexistent-state-dir");
  REQUIRE(teacher.ok());
  std::vector<kaizen::agents::SelectedCandidate> sel(3);
  sel[0].candidate.text = "please send money to alice";
  sel[0].candidate.correction = "transfer";
  sel[0].candidate.correction_source = "alice.1";
  sel[1].candidate.text = "how much money is in my account";
  sel[2].candidate.text = "send bob 5";
  sel[2].candidate.correction = "freeze_account";  // a label the prompt lacks: kept, reported as new
  sel[2].candidate.correction_source = "bob.2";
  std::atomic<std::size_t> done{0};
  auto out = kaizen::agents::LabelSelection(sel, &*teacher, 8, 1, &done, "datagen:c-2/1");
  CHECK(teacher->usage_for("datagen:c-2/1").calls == 1);
  CHECK(out.teacher_calls == 1);
  CHECK(out.corrections_used == 2);
  CHECK(out.new_labels == std::set<std::string>{"freeze_account"});
  REQUIRE(out.rows.size() == 3);
  CHECK(out.rows[0].teacher == "human:alice.1");
  CHECK(out.rows[1].teacher == "gpt");
  CHECK(out.rows[2].label == "freeze_account");
}
