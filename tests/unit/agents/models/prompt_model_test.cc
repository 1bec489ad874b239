// PromptModel: the file format, the messages it sends, reply parsing, and
// answers from the test server whose quality follows the prompt.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "agents/models/llm/prompt_model.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/unit/agents/models/test_util.h"

namespace {

using kaizen::models::Example;
using namespace kaizen::models::llm;
using kaizen::models::testing::ScratchDir;

PromptModel Sample() {
  PromptModel m;
  m.base_model = "kaizen-test";
  m.system_prompt = "Classify the banking message.";
  m.labels = {"transfer", "balance", "freeze_account"};
  m.examples = {{"send 20 dollars to my brother", "transfer"}};
  m.origin = "manifest";
  return m;
}

}  // namespace

TEST_CASE("a prompt model survives a save and a load") {
  ScratchDir dir;
  PromptModel m = Sample();
  m.task = TaskKind::kText;
  REQUIRE(SavePromptModel(dir.File("p.json"), m).ok());
  auto back = LoadPromptModel(dir.File("p.json"));
  REQUIRE(back.ok());
  CHECK(back->ToJson() == m.ToJson());
  CHECK(back->task == TaskKind::kText);
  CHECK(back->examples.at(0).label == "transfer");
}

TEST_CASE("a damaged or foreign prompt model file is Corruption, a missing one an error") {
  ScratchDir dir;
  std::ofstream(dir.File("a.json")) << "{\"format\": \"something-else\"}";
  std::ofstream(dir.File("b.json")) << "{not json";
  std::ofstream(dir.File("c.json")) << "{\"format\": \"kaizen-prompt-model\", \"format_version\": 9}";
  std::ofstream(dir.File("d.json")) << "{\"format\": \"kaizen-prompt-model\", \"format_version\": 1, \"examples\": [{\"input\": 3}]}";
  for (const char* f : {"a.json", "b.json", "c.json", "d.json"}) {
    auto r = LoadPromptModel(dir.File(f));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == kaizen::Status::Code::kCorruption);
    CHECK(r.status().message().find(f) != std::string::npos);
  }
  CHECK_FALSE(LoadPromptModel(dir.File("missing.json")).ok());
}

TEST_CASE("messages: system prompt with the label list, examples as turns, then the input") {
  auto msgs = BuildMessages(Sample(), "how much money do i have");
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[0].role == "system");
  CHECK(msgs[0].content ==
        "Classify the banking message.\n\nLabels: transfer, balance, freeze_account\n"
        "Answer with JSON: {\"label\": \"<one of the labels>\"}");
  CHECK(msgs[1].role == "user");
  CHECK(msgs[2].content == "{\"label\":\"transfer\"}");
  CHECK(msgs[3].content == "how much money do i have");
  PromptModel text = Sample();
  text.task = TaskKind::kText;
  text.examples = {{"long text", "short"}};
  auto t = BuildMessages(text, "x");
  CHECK(t[0].content == "Classify the banking message.");
  CHECK(t[2].content == "short");
}

TEST_CASE("replies are parsed into labels of the set") {
  const std::vector<std::string> labels = {"transfer", "balance", "freeze_account"};
  CHECK(*ParseLabel("{\"label\": \"balance\"}", labels) == "balance");
  CHECK(*ParseLabel("Sure! {\"label\": \"Balance\", \"why\": \"{}\"} hope it helps", labels) == "balance");
  CHECK(*ParseLabel("```json\n{\"label\": \"transfer\"}\n```", labels) == "transfer");
  CHECK(*ParseLabel("  \"Freeze Account\".\n", labels) == "freeze_account");
  CHECK(*ParseLabel("label: freeze-account", labels) == "freeze_account");
  auto bad = ParseLabel("{\"label\": \"weather\"}", labels);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("weather") != std::string::npos);
  CHECK_FALSE(ParseLabel("   ", labels).ok());
  CHECK(*ParseLabel("anything", {}) == "anything");
  CHECK(*ParseText("  a summary \n") == "a summary");
  CHECK_FALSE(ParseText("\n").ok());
}

TEST_CASE("the test server's answers improve with the prompt: label list, examples, keyword lines") {
  kaizen::testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  ChatClientConfig c;
  c.base_url = server.base_url();
  c.model = "kaizen-test";
  auto client = ChatClient::Create(c);
  REQUIRE(client.ok());
  const std::vector<Example> tests = {{"please send money to my mom", "transfer"},
                                      {"what's left in my checking account", "balance"},
                                      {"lock my card it was stolen", "freeze_account"},
                                      {"how much cash is in my savings", "balance"}};
  auto accuracy = [&](const PromptModel& m) {
    int right = 0;
    for (const auto& t : tests) {
      auto a = Answer(**client, m, t.text, "test");
      right += a.ok() && *a == t.label;
    }
    return right;
  };
  PromptModel m = Sample();
  m.examples.clear();
  m.labels = {"transfer"};
  const int narrow = accuracy(m);
  m.labels = {"transfer", "balance", "freeze_account"};
  const int listed = accuracy(m);
  m.examples = {{"send money to my dad", "transfer"},
                {"what is left in my savings account", "balance"},
                {"my card was stolen please lock it", "freeze_account"}};
  const int with_examples = accuracy(m);
  CHECK(narrow == 1);  // only "transfer" can be answered
  CHECK(listed < with_examples);
  CHECK(with_examples == 4);
  m.examples.clear();
  m.system_prompt += "\nbalance: checking savings cash left\nfreeze_account: lock stolen card";
  CHECK(accuracy(m) > listed);
  CHECK((*client)->UsageFor("test").calls == 16);
}
