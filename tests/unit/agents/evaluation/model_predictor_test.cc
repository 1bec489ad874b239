// Evaluation of prompt models: predictions through the worker's endpoint, and
// free-text answers graded by the LLM judge of the test server.
#include <catch2/catch.hpp>

#include "agents/evaluation/model_predictor.h"
#include "agents/models/llm/prompt_model.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/unit/agents/models/test_util.h"

namespace {
using json = nlohmann::json;
using namespace kaizen::agents;
namespace llm = kaizen::models::llm;
}  // namespace

TEST_CASE("a prompt model file is evaluated through the worker's endpoint: free text by the judge") {
  kaizen::testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  kaizen::models::testing::ScratchDir dir;
  const json endpoint = {{"base_url", server.base_url()}, {"model", "kaizen-test"}};
  const json spec = {{"worker", {{"skill", {{"openai", endpoint}}}}},
                     {"evaluation", {{"judge", {{"openai", endpoint}, {"system_prompt", "You are a judge."}, {"pass_score", 0.5}}}}}};

  llm::PromptModel m;
  m.labels = {"transfer", "balance"};
  m.examples = {{"send money to bob", "transfer"}, {"what is my account balance", "balance"}};
  REQUIRE(llm::SavePromptModel(dir.File("m.json"), m).ok());
  auto p = LoadModelPredictor("candidate", dir.File("m.json"), spec);
  REQUIRE(p.ok());
  std::atomic<int64_t> done{0};
  auto out = (*p)->PredictAll({"send some money to alice", "balance of my account please"}, &done);
  CHECK(out == std::vector<std::string>{"transfer", "balance"});
  CHECK(done == 2);
  CHECK((*p)->usage().calls == 2);
  CHECK_FALSE((*p)->free_text());

  auto missing = LoadModelPredictor("candidate", dir.File("m.json"), json::object());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("spec.worker.skill.openai") != std::string::npos);

  auto grader = Grader::Create(spec);
  REQUIRE(grader.ok());
  auto right = (*grader)->GradeAll({"in1", "in2", "in3"},
                                   {"the parcel arrives on monday", "refund issued today", "x"},
                                   {"parcel arrives monday", "we cannot help", ""});
  CHECK(right == std::vector<bool>{true, false, false});
  CHECK((*grader)->usage().calls == 2);  // an empty answer is not sent to the judge
  auto exact = Grader::Create(json::object());
  REQUIRE(exact.ok());
  CHECK((*exact)->GradeAll({"i"}, {"Yes"}, {" yes "}) == std::vector<bool>{true});
  CHECK(Grader::ParseScore("{\"score\": 0.25}") == 0.25);
  CHECK(Grader::ParseScore("0.7") == 0.7);
  CHECK_FALSE(Grader::ParseScore("great").has_value());
}
