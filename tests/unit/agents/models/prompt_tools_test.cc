// Tools a PromptModel offers (format_version 2): the file format, loading the
// tools from their artifacts, and the exchange in which the LLM calls them,
// against the in-process OpenAI test server and the real bubblewrap sandbox.
// Nothing is mocked: without bubblewrap these fail with the reason.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/llm/prompt_tools.h"
#include "agents/tools/sandbox.h"
#include "agents/tools/tool_artifact.h"
#include "agents/tools/tool_runner.h"
#include "agents/tools/tool_spec.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/unit/agents/models/test_util.h"

namespace {

namespace pt_llm = kaizen::models::llm;
namespace pt_tools = kaizen::tools;
using pt_json = nlohmann::json;

// A small correct tool: reads two numbers and an operation word, raises
// ValueError on a question it cannot read.
pt_tools::ToolSpec PtCalculate() {
  pt_tools::ToolSpec spec;
  spec.name = "calculate";
  spec.description = "Answers questions like: what times plus minus";
  spec.parameters = pt_json::parse(R"({"type": "object",
      "properties": {"question": {"type": "string", "description": "the question as asked"}},
      "required": ["question"]})");
  spec.code =
      "import re\n"
      "def calculate(question):\n"
      "    nums = [float(x) for x in re.findall(r'-?\\d+(?:\\.\\d+)?', question)]\n"
      "    q = question.lower()\n"
      "    if len(nums) != 2:\n"
      "        raise ValueError('cannot read: ' + question)\n"
      "    a, b = nums\n"
      "    if 'times' in q:\n"
      "        r = a * b\n"
      "    elif 'plus' in q:\n"
      "        r = a + b\n"
      "    elif 'minus' in q:\n"
      "        r = a - b\n"
      "    else:\n"
      "        raise ValueError('no operation in: ' + question)\n"
      "    return int(r) if r == int(r) else r\n";
  spec.tests = {{{{"question", "what is 12 times 7"}}, 84},
                {{{"question", "what is 9 plus 10"}}, 19},
                {{{"question", "20 minus 5.5"}}, 14.5}};
  return spec;
}

// A tool with a required number: the test server leaves a number out when the
// input has none, so the call does not fit the schema.
pt_tools::ToolSpec PtHalve() {
  pt_tools::ToolSpec spec;
  spec.name = "halve";
  spec.description = "halves a number";
  spec.parameters = pt_json::parse(R"({"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]})");
  spec.code = "def halve(x):\n    return x / 2\n";
  spec.tests = {{{{"x", 3}}, 1.5}};
  return spec;
}

void PtRequireSandbox() {
  const kaizen::Status s = pt_tools::SandboxAvailable();
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Runs the tool's tests in the sandbox and writes its artifact under `dir`.
pt_tools::WrittenToolArtifact PtWriteTool(const std::string& dir, const pt_tools::ToolSpec& spec) {
  PtRequireSandbox();
  auto report = pt_tools::RunToolTests(spec, {});
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  INFO(report->Summary(spec));
  REQUIRE(report->accepted());
  auto written = pt_tools::WriteToolArtifact(dir, pt_tools::MakeToolArtifact(spec, *report, {{"by", "test"}}));
  INFO(written.status().ToString());
  REQUIRE(written.ok());
  return *written;
}

pt_llm::ToolRef PtRef(const std::string& name, const pt_tools::WrittenToolArtifact& w) {
  return {name, w.uri, w.sha256};
}

pt_llm::PromptModel PtTextModel() {
  pt_llm::PromptModel m;
  m.base_model = "kaizen-test";
  m.task = pt_llm::TaskKind::kText;
  m.system_prompt = "Answer the question.";
  m.origin = "test";
  return m;
}

std::unique_ptr<pt_llm::ChatClient> PtClient(const kaizen::testing::OpenAiTestServer& server) {
  pt_llm::ChatClientConfig c;
  c.base_url = server.base_url();
  c.model = "kaizen-test";
  c.backoff_initial = std::chrono::milliseconds(1);
  c.backoff_max = std::chrono::milliseconds(5);
  c.timeout = std::chrono::milliseconds(10000);
  c.jitter_seed = 7;
  auto client = pt_llm::ChatClient::Create(std::move(c));
  REQUIRE(client.ok());
  return std::move(*client);
}

struct PtServed {
  kaizen::models::testing::ScratchDir dir;
  kaizen::testing::OpenAiTestServer server{kaizen::testing::OpenAiTestServerOptions{}};
  std::unique_ptr<pt_llm::ChatClient> client;
  pt_llm::PromptModel model = PtTextModel();
  pt_llm::PromptAssets tools;

  explicit PtServed(const std::vector<pt_tools::ToolSpec>& specs, int max_tool_rounds = 3) {
    REQUIRE(server.Start().ok());
    client = PtClient(server);
    for (const auto& s : specs) model.tools.push_back(PtRef(s.name, PtWriteTool(dir.File("tools"), s)));
    model.max_tool_rounds = max_tool_rounds;
    auto loaded = pt_llm::LoadPromptAssets(model);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    tools = std::move(*loaded);
  }
};

}  // namespace

TEST_CASE("prompt model with tools: format_version 2 and a round trip") {
  pt_llm::PromptModel m = PtTextModel();
  m.tools = {{"calculate", "file:///t/calculate-abc.json", std::string(64, 'a')},
             {"halve", "file:///t/halve-def.json", std::string(64, 'b')}};
  m.max_tool_rounds = 5;
  const pt_json j = m.ToJson();
  CHECK(j["format_version"] == 2);
  CHECK(j["max_tool_rounds"] == 5);
  REQUIRE(j["tools"].size() == 2);
  CHECK(j["tools"][0] == pt_json({{"name", "calculate"}, {"uri", "file:///t/calculate-abc.json"},
                                  {"sha256", std::string(64, 'a')}}));
  auto back = pt_llm::PromptModel::FromJson(j);
  INFO(back.status().ToString());
  REQUIRE(back.ok());
  CHECK(back->ToJson() == j);
  REQUIRE(back->tools.size() == 2);
  CHECK(back->tools[1].name == "halve");
  CHECK(back->max_tool_rounds == 5);

  kaizen::models::testing::ScratchDir dir;
  REQUIRE(pt_llm::SavePromptModel(dir.File("m.json"), m).ok());
  auto loaded = pt_llm::LoadPromptModel(dir.File("m.json"));
  REQUIRE(loaded.ok());
  CHECK(loaded->ToJson() == j);
}

TEST_CASE("prompt model without tools: format_version 1 and the bytes of before") {
  pt_llm::PromptModel m = PtTextModel();
  m.max_tool_rounds = 7;  // not written without tools
  const pt_json j = m.ToJson();
  CHECK(j["format_version"] == 1);
  CHECK_FALSE(j.contains("tools"));
  CHECK_FALSE(j.contains("max_tool_rounds"));
  // The format_version 1 file, byte for byte (keys sorted by nlohmann).
  CHECK(j.dump() ==
        R"({"base_model":"kaizen-test","examples":[],"format":"kaizen-prompt-model","format_version":1,)"
        R"("labels":[],"origin":"test","system_prompt":"Answer the question.","task":"text"})");
  auto back = pt_llm::PromptModel::FromJson(j);
  REQUIRE(back.ok());
  CHECK(back->tools.empty());
  CHECK(back->max_tool_rounds == 3);  // the default
  CHECK(back->ToJson().dump() == j.dump());
}

TEST_CASE("prompt model: bad tool entries and max_tool_rounds out of 1..10 are Corruption") {
  pt_llm::PromptModel m = PtTextModel();
  m.tools = {{"calculate", "file:///t/c.json", std::string(64, 'a')}};
  const pt_json good = m.ToJson();
  REQUIRE(pt_llm::PromptModel::FromJson(good).ok());
  auto corrupt = [](const pt_json& j) {
    auto r = pt_llm::PromptModel::FromJson(j);
    INFO(j.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == kaizen::Status::Code::kCorruption);
    return r.status().message();
  };
  pt_json j = good;
  j["tools"][0].erase("sha256");
  CHECK(corrupt(j).find("prompt model") != std::string::npos);
  j = good;
  j["tools"][0]["name"] = "";
  CHECK(corrupt(j) == "prompt model: a tool needs a name, a uri and a sha256");
  j = good;
  j["tools"][0]["uri"] = 7;
  CHECK(corrupt(j).find("wrong type") != std::string::npos);
  j = good;
  j["tools"] = pt_json::array({"calculate"});
  corrupt(j);
  for (int rounds : {0, 11, -1}) {
    j = good;
    j["max_tool_rounds"] = rounds;
    CHECK(corrupt(j) == "prompt model: max_tool_rounds " + std::to_string(rounds) + " is not in 1..10");
  }
  for (int rounds : {1, 10}) {
    j = good;
    j["max_tool_rounds"] = rounds;
    auto r = pt_llm::PromptModel::FromJson(j);
    REQUIRE(r.ok());
    CHECK(r->max_tool_rounds == rounds);
  }
  j = good;
  j["format_version"] = 4;
  CHECK(corrupt(j).find("format_version 4 is not supported") != std::string::npos);
}

TEST_CASE("LoadPromptAssets: an accepted artifact loads but a wrong hash or a rejected tool or another name does not") {
  kaizen::models::testing::ScratchDir dir;
  const pt_tools::ToolSpec spec = PtCalculate();
  const pt_tools::WrittenToolArtifact w = PtWriteTool(dir.File("tools"), spec);
  pt_llm::PromptModel m = PtTextModel();

  SECTION("no tools: nothing to load") {
    auto none = pt_llm::LoadPromptAssets(m);
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_tools());
    CHECK(none->chat_tools == pt_json::array());
  }
  SECTION("accepted: the spec and its chat tool entry") {
    m.tools = {PtRef("calculate", w)};
    pt_tools::SandboxLimits limits;
    limits.wall_timeout_ms = 4321;
    auto loaded = pt_llm::LoadPromptAssets(m, limits);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    REQUIRE(loaded->specs.size() == 1);
    CHECK(loaded->specs[0].ContentHash() == spec.ContentHash());
    REQUIRE(loaded->chat_tools.size() == 1);
    CHECK(loaded->chat_tools[0] == spec.ChatTool());
    CHECK(loaded->chat_tools[0]["function"]["name"] == "calculate");
    CHECK(loaded->limits.wall_timeout_ms == 4321);
  }
  SECTION("a wrong sha256 is refused naming the tool") {
    m.tools = {{"calculate", w.uri, std::string(64, '0')}};
    auto r = pt_llm::LoadPromptAssets(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("tool calculate") != std::string::npos);
  }
  SECTION("a rejected artifact is refused") {
    pt_tools::ToolTestReport report;
    report.results.push_back({false, 85, "returned 85 instead of 84", 0.01});
    auto rejected = pt_tools::WriteToolArtifact(dir.File("rejected"),
                                                pt_tools::MakeToolArtifact(spec, report, pt_json::object()));
    REQUIRE(rejected.ok());
    m.tools = {PtRef("calculate", *rejected)};
    auto r = pt_llm::LoadPromptAssets(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("tool calculate was rejected by its tests") == 0);
    CHECK(r.status().message().find("returned 85 instead of 84") != std::string::npos);
  }
  SECTION("a name that is not the artifact's tool is refused") {
    m.tools = {PtRef("calculator", w)};
    auto r = pt_llm::LoadPromptAssets(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("tool calculator") == 0);
    CHECK(r.status().message().find("holds the tool calculate") != std::string::npos);
  }
  SECTION("a missing artifact is refused naming the tool") {
    m.tools = {{"calculate", "file://" + dir.File("nowhere.json"), w.sha256}};
    auto r = pt_llm::LoadPromptAssets(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("calculate") != std::string::npos);
  }
}

TEST_CASE("tools: the model calls the tool and the reply uses the sandbox result") {
  PtServed s({PtCalculate()});
  std::vector<pt_llm::ToolCallTrace> trace;
  pt_llm::ChatReply reply;
  auto answer = pt_llm::AnswerWithTools(*s.client, s.model, s.tools, "what is 12 times 7", "serve", &reply, &trace);
  INFO(answer.status().ToString());
  REQUIRE(answer.ok());
  CHECK(*answer == "84");
  REQUIRE(trace.size() == 1);
  CHECK(trace[0].name == "calculate");
  CHECK(trace[0].ok);
  CHECK(trace[0].result == "84");
  CHECK(trace[0].error.empty());
  CHECK(pt_json::parse(trace[0].arguments) == pt_json({{"question", "what is 12 times 7"}}));
  CHECK(trace[0].seconds > 0);
  // Two rounds, both counted: the call, then the answer from the tool's result.
  const pt_llm::Usage usage = s.client->UsageFor("serve");
  CHECK(usage.calls == 2);
  CHECK(reply.prompt_tokens == usage.prompt_tokens);
  CHECK(reply.completion_tokens == usage.completion_tokens);
  CHECK(reply.attempts == 2);
  // Words + 3 a message: round 1 system (3) and user (5); round 2 adds the
  // assistant's call (no content) and the tool's "84".
  CHECK(reply.prompt_tokens == (6 + 8) + (6 + 8 + 3 + 4));
  // The call's arguments text {"question":"what is 12 times 7"} is 5 words; "84" one.
  CHECK(reply.completion_tokens == 5 + 1);
  CHECK(reply.text == "84");
  CHECK(reply.finish_reason == "stop");

  SECTION("CompleteWithTools appends to the trace it is given") {
    auto again = pt_llm::CompleteWithTools(*s.client, s.model, s.tools, "what is 9 plus 10", "serve", &trace);
    REQUIRE(again.ok());
    CHECK(again->text == "19");
    REQUIRE(trace.size() == 2);
    CHECK(trace[1].result == "19");
  }
}

TEST_CASE("tools: max_tool_rounds 1 offers no tools") {
  PtServed s({PtCalculate()}, 1);
  std::vector<pt_llm::ToolCallTrace> trace;
  pt_llm::ChatReply reply;
  auto answer = pt_llm::AnswerWithTools(*s.client, s.model, s.tools, "what is 12 times 7", "serve", &reply, &trace);
  REQUIRE(answer.ok());
  CHECK(trace.empty());
  CHECK(*answer == "what is 12 times 7");  // the text rule: the input's words, no tool result
  CHECK(s.client->UsageFor("serve").calls == 1);
}

TEST_CASE("tools: a tool that raises is traced as failed and the model is told the error") {
  PtServed s({PtCalculate()});
  std::vector<pt_llm::ToolCallTrace> trace;
  auto answer = pt_llm::AnswerWithTools(*s.client, s.model, s.tools, "what is 12 times", "serve", nullptr, &trace);
  INFO(answer.status().ToString());
  REQUIRE(answer.ok());
  REQUIRE(trace.size() == 1);
  CHECK_FALSE(trace[0].ok);
  CHECK(trace[0].result.empty());
  CHECK(trace[0].error == "exited with code 1: ValueError: cannot read: what is 12 times");
  // The test server's tool-result rule answers the tool message's text.
  CHECK(*answer == "error: exited with code 1: ValueError: cannot read: what is 12 times");
}

TEST_CASE("tools: arguments that do not fit the schema are refused without running") {
  PtServed s({PtHalve()});
  std::vector<pt_llm::ToolCallTrace> trace;
  auto answer = pt_llm::AnswerWithTools(*s.client, s.model, s.tools, "halve nothing", "serve", nullptr, &trace);
  REQUIRE(answer.ok());
  REQUIRE(trace.size() == 1);
  CHECK(trace[0].name == "halve");
  CHECK(trace[0].arguments == "{}");
  CHECK_FALSE(trace[0].ok);
  CHECK(trace[0].error.find("refused before running") == 0);
  CHECK(trace[0].seconds == 0);
  CHECK(*answer == "error: " + trace[0].error);
}

TEST_CASE("tools: an input sharing no word with a tool gets no call") {
  PtServed s({PtCalculate(), PtHalve()});
  std::vector<pt_llm::ToolCallTrace> trace;
  auto answer = pt_llm::AnswerWithTools(*s.client, s.model, s.tools, "hello there friend", "serve", nullptr, &trace);
  REQUIRE(answer.ok());
  CHECK(trace.empty());
  CHECK(*answer == "hello there friend");
  CHECK(s.client->UsageFor("serve").calls == 1);
}

TEST_CASE("tools: without tools the exchange is one plain request") {
  kaizen::testing::OpenAiTestServer server{kaizen::testing::OpenAiTestServerOptions{}};
  REQUIRE(server.Start().ok());
  auto client = PtClient(server);
  const pt_llm::PromptModel m = PtTextModel();
  auto tools = pt_llm::LoadPromptAssets(m);
  REQUIRE(tools.ok());
  std::vector<pt_llm::ToolCallTrace> trace;
  pt_llm::ChatReply reply;
  auto answer = pt_llm::AnswerWithTools(*client, m, *tools, "what is 12 times 7", "serve", &reply, &trace);
  REQUIRE(answer.ok());
  CHECK(*answer == "what is 12 times 7");
  CHECK(trace.empty());
  CHECK(reply.attempts == 1);
  // As llm::Answer would have answered.
  auto plain = pt_llm::Answer(*client, m, "what is 12 times 7", "serve");
  REQUIRE(plain.ok());
  CHECK(*plain == *answer);
}
