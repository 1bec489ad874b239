// The test server's rules for agent strategies (README.md in
// tests/support/openai_test_server): a critic, classify learning from its
// lessons, a tool writer whose Python really passes its own tests, and a
// worker that calls the request's tools (also over HTTP, streamed or not).
#include <cstdio>
#include <sstream>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "tests/support/openai_test_server/rules.h"
#include "tests/support/openai_test_server/server.h"
#include "tests/unit/agents/models/test_util.h"

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using kaizen::testing::Answer;
using kaizen::testing::RuleReply;

json Request(const std::string& model, const std::string& system, const std::string& input) {
  json messages = json::array();
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  messages.push_back({{"role", "user"}, {"content", input}});
  return {{"model", model}, {"messages", messages}};
}

const char* kCriticInput =
    "The worker got these tasks wrong.\n\nFailures:\n"
    "- [t1] \"lock my stolen card\" -> freeze_account (it answered transfer)\n"
    "- [t2] \"card was stolen yesterday\" -> freeze_account\n"
    "- [t3] \"what is my balance\" -> balance (it answered transfer)\n\nReply with JSON lessons.";

// Runs a written tool's code on its own tests with python3 -I -B; {passed, failed}.
// The harness imports the code from a file and calls the function with each
// test's arguments as keyword arguments (relative tolerance 1e-6).
std::pair<int, int> RunToolTests(const json& tool) {
  kaizen::models::testing::ScratchDir dir;
  kaizen::models::testing::WriteBytes(dir.File("tool.py"), tool["code"].get<std::string>());
  kaizen::models::testing::WriteBytes(dir.File("tool.json"), tool.dump());
  kaizen::models::testing::WriteBytes(dir.File("harness.py"), R"PY(import importlib.util, json, math, sys
spec = importlib.util.spec_from_file_location('tool', sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
tool = json.load(open(sys.argv[2]))
function = getattr(module, tool['name'])
passed = failed = 0
for test in tool['tests']:
    try:
        got = function(**test['arguments'])
        ok = isinstance(got, (int, float)) and math.isclose(got, test['expected'], rel_tol=1e-6, abs_tol=1e-9)
    except Exception as e:
        print('error:', e, file=sys.stderr)
        ok = False
    passed, failed = passed + ok, failed + (not ok)
print(passed, failed)
)PY");
  const std::string cmd =
      "python3 -I -B " + dir.File("harness.py") + " " + dir.File("tool.py") + " " + dir.File("tool.json");
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  int passed = -1, failed = -1;
  const int read = std::fscanf(pipe, "%d %d", &passed, &failed);
  const int status = pclose(pipe);
  INFO(cmd);
  REQUIRE(status == 0);
  REQUIRE(read == 2);
  return {passed, failed};
}

bool HavePython() { return std::system("python3 -I -B -c pass > /dev/null 2>&1") == 0; }

// The modules the code imports.
std::vector<std::string> Imports(const std::string& code) {
  std::vector<std::string> out;
  std::istringstream in(code);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("import ", 0) == 0) out.push_back(line.substr(7));
    if (line.rfind("from ", 0) == 0) out.push_back(line);
  }
  return out;
}

ordered_json Tool(const std::string& name, const std::string& description, const ordered_json& properties) {
  return {{"type", "function"},
          {"function",
           {{"name", name}, {"description", description}, {"parameters", {{"type", "object"}, {"properties", properties}}}}}};
}

const ordered_json kQuestion = {{"question", {{"type", "string"}}}};

}  // namespace

TEST_CASE("test server critic: one cited lesson per expected answer") {
  const auto r = Answer(Request("kaizen-test", "You are a critic of a worker.", kCriticInput), nullptr);
  CHECK(r.rule == "critic");
  CHECK(json::parse(r.content) ==
        json::parse(R"({"lessons": [
          {"lesson": "When the input mentions lock, stolen, card, yesterday, the answer is freeze_account.",
           "tasks": ["t1", "t2"]},
          {"lesson": "When the input mentions balance, the answer is balance.", "tasks": ["t3"]}]})"));

  SECTION("a sloppy critic cites no tasks") {
    const auto s = Answer(Request("sloppy-critic", "You are a CRITIC.", kCriticInput), nullptr);
    CHECK(s.rule == "critic");
    const auto lessons = json::parse(s.content)["lessons"];
    REQUIRE(lessons.size() == 2);
    for (const auto& l : lessons) CHECK(l["tasks"] == json::array());
  }
  SECTION("at most 8 words a lesson") {
    const auto s = Answer(Request("kaizen-test", "critic",
                                  "Failures:\n- [a] \"one1 two2 three3 four4 five5 six6 seven7 eight8 nine9\" -> x"),
                          nullptr);
    CHECK(json::parse(s.content)["lessons"][0]["lesson"] ==
          "When the input mentions one1, two2, three3, four4, five5, six6, seven7, eight8, the answer is x.");
  }
  SECTION("without failure lines it is not the critic") {
    CHECK(Answer(Request("kaizen-test", "You are a critic.", "Failures:\nnone"), nullptr).rule == "text");
  }
}

TEST_CASE("test server classify learns from a critic's lesson in its prompt") {
  const std::string labels = "Labels: transfer, freeze_account\n";
  const std::string input = "my card got stolen";
  CHECK(Answer(Request("kaizen-test", labels, input), nullptr).content == "transfer");  // all zero: the first
  const auto taught = Answer(
      Request("kaizen-test", labels + "When the input mentions lock, stolen, card, the answer is freeze_account.", input),
      nullptr);
  CHECK(taught.rule == "classify");
  CHECK(taught.content == "freeze_account");
  SECTION("a lesson quoted in JSON teaches too") {
    const auto quoted = Answer(
        Request("kaizen-test",
                labels + R"({"lesson": "When the input mentions stolen, card, the answer is freeze account.", "tasks": []})",
                input),
        nullptr);
    CHECK(quoted.content == "freeze_account");
  }
}

TEST_CASE("test server tool writer: unit conversions") {
  const std::string input =
      "Write a tool for these.\nFailures:\n"
      "- \"Convert 5 km to miles\" -> 3.10686 (it answered 5)\n"
      "- [t2] \"How many feet are in 3 meters?\" -> 9.84252\n"
      "- \"what is 2 kg in pounds\" -> about 4.4\n";
  const auto r = Answer(Request("kaizen-test", "You write Python TOOLS for a worker.", input), nullptr);
  CHECK(r.rule == "tool-writer");
  const json tool = json::parse(r.content);
  CHECK(tool["name"] == "convert_units");
  CHECK(tool["description"] == "Answers questions like: convert km miles many feet meters kg pounds");
  CHECK(tool["parameters"] ==
        json::parse(R"({"type": "object", "properties": {"question": {"type": "string",
                        "description": "the question as asked"}}, "required": ["question"]})"));
  REQUIRE(tool["tests"].size() == 4);  // two numeric failures and two of its own
  CHECK(tool["tests"][0] == json::parse(R"({"arguments": {"question": "Convert 5 km to miles"}, "expected": 3.10686})"));
  CHECK(tool["tests"][1]["expected"] == 9.84252);
  const std::string code = tool["code"];
  CHECK(code.find("def convert_units(question):") != std::string::npos);
  for (const auto& m : Imports(code)) CHECK((m == "re" || m == "math" || m == "json"));
  if (!HavePython()) {
    WARN("no python3: the written code is not run");
    return;
  }
  CHECK(RunToolTests(tool) == std::pair<int, int>{4, 0});

  SECTION("a sloppy writer's tool fails its tests, which keep the right answers") {
    const auto s = Answer(Request("sloppy-writer", "You write Python TOOLS for a worker.", input), nullptr);
    const json sloppy = json::parse(s.content);
    CHECK(sloppy["tests"] == tool["tests"]);
    CHECK(sloppy["code"] != tool["code"]);
    CHECK(RunToolTests(sloppy) == std::pair<int, int>{0, 4});
  }
}

TEST_CASE("test server tool writer: arithmetic") {
  const std::string input =
      "Failures:\n"
      "- [a1] \"What is 12 plus 7?\" -> 19 (it answered 12)\n"
      "- \"what is 6 times 7\" -> 42\n"
      "- [a3] \"100 divided by 8\" -> 12.5\n";
  const auto r = Answer(Request("kaizen-test", "Write a tool that answers these.", input), nullptr);
  CHECK(r.rule == "tool-writer");
  const json tool = json::parse(r.content);
  CHECK(tool["name"] == "calculate");
  CHECK(tool["description"] == "Answers questions like: plus times divided");
  REQUIRE(tool["tests"].size() == 5);
  CHECK(tool["tests"][2]["expected"] == 12.5);
  CHECK(tool["tests"][0]["expected"].is_number_integer());
  if (!HavePython()) {
    WARN("no python3: the written code is not run");
    return;
  }
  CHECK(RunToolTests(tool) == std::pair<int, int>{5, 0});
  SECTION("sloppy") {
    const json sloppy = json::parse(Answer(Request("a-sloppy-one", "Write a tool.", input), nullptr).content);
    CHECK(RunToolTests(sloppy) == std::pair<int, int>{0, 5});
  }
  SECTION("the code solves questions beyond its tests") {
    json more = tool;
    more["tests"] = json::parse(R"([
      {"arguments": {"question": "what's 2 + 2 * 3?"}, "expected": 8},
      {"arguments": {"question": "the sum of 3.5 and 4"}, "expected": 7.5},
      {"arguments": {"question": "9 squared minus 1"}, "expected": 80},
      {"arguments": {"question": "12 × 3"}, "expected": 36},
      {"arguments": {"question": "1/3"}, "expected": 0.333333}])");
    CHECK(RunToolTests(more) == std::pair<int, int>{5, 0});
  }
}

TEST_CASE("test server tool writer: no tool fits") {
  const auto r = Answer(Request("kaizen-test", "Write a tool.",
                                "Failures:\n- [x] \"book a flight to Paris\" -> book_flight\n"),
                        nullptr);
  CHECK(r.rule == "tool-writer");
  CHECK(r.content == R"({"error":"no tool fits these failures"})");
}

TEST_CASE("test server tool calls: arguments, choice, results and fall-through") {
  SECTION("arguments follow the properties in order: strings get the input, numbers the next number") {
    ordered_json props = {{"value", {{"type", "number"}}},
                          {"question", {{"type", "string"}}},
                          {"count", {{"type", "integer"}}},
                          {"extra", {{"type", "number"}}},
                          {"flag", {{"type", "boolean"}}}};
    const ordered_json tools = ordered_json::array({Tool("convert_units", "converts units", props)});
    json request = Request("kaizen-test", "", "convert 5.5 km to miles, 3 times");
    request["tools"] = tools;
    const auto r = Answer(request, nullptr, &tools);
    CHECK(r.rule == "tool-call");
    REQUIRE(r.tool_calls.size() == 1);
    CHECK(r.tool_calls[0]["id"] == "call_1");
    CHECK(r.tool_calls[0]["type"] == "function");
    CHECK(r.tool_calls[0]["function"]["name"] == "convert_units");
    CHECK(r.tool_calls[0]["function"]["arguments"] ==
          R"({"value":5.5,"question":"convert 5.5 km to miles, 3 times","count":3})");
    CHECK(kaizen::testing::CompletionTokens(r) == 7);  // whitespace-separated words of the arguments text
  }
  const ordered_json two = ordered_json::array(
      {Tool("calculate", "Answers questions like: plus times minus", kQuestion),
       Tool("convert_units", "Answers questions like: convert km miles feet", kQuestion)});
  auto call = [&](const std::string& system, const std::string& input, const json& extra = json::object()) {
    json request = Request("kaizen-test", system, input);
    request["tools"] = two;
    request.update(extra);
    return Answer(request, nullptr, &two);
  };
  SECTION("the tool sharing most words with the input") {
    CHECK(call("", "convert 3 feet to meters").tool_calls[0]["function"]["name"] == "convert_units");
    CHECK(call("", "what is 3 plus 4").tool_calls[0]["function"]["name"] == "calculate");
    CHECK(call("", "3 plus 4 feet").tool_calls[0]["function"]["name"] == "calculate");  // a tie: the first
  }
  SECTION("tool_choice: none, a named function, required") {
    CHECK(call("", "what is 3 plus 4", {{"tool_choice", "none"}}).rule == "text");
    CHECK(call("", "what is 3 plus 4", {{"tool_choice", {{"type", "function"}, {"function", {{"name", "convert_units"}}}}}})
              .tool_calls[0]["function"]["name"] == "convert_units");
    CHECK(call("", "hello there", {{"tool_choice", "required"}}).tool_calls[0]["function"]["name"] == "calculate");
  }
  SECTION("no tool shares a word: classify or text answers") {
    const auto c = call("Labels: balance, transfer", "what is my balance");
    CHECK(c.rule == "classify");
    CHECK(c.content == "balance");
    CHECK(c.tool_calls.empty());
    CHECK(call("", "hello there").rule == "text");
  }
  SECTION("a tool message: its content is the answer") {
    auto after = [&](const std::string& content) {
      json request = Request("kaizen-test", "", "convert 10 km to miles");
      request["tools"] = two;
      request["messages"].push_back(
          {{"role", "assistant"},
           {"content", nullptr},
           {"tool_calls", json::parse(R"([{"id": "call_1", "type": "function",
                                          "function": {"name": "convert_units", "arguments": "{}"}}])")}});
      request["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", content}});
      return Answer(request, nullptr);
    };
    CHECK(after("6.21371").content == "6.21371");
    CHECK(after("6.21371").rule == "tool-result");
    CHECK(after("\"six point two\"").content == "six point two");
    CHECK(after("{\"error\": \"x\"}").content == "{\"error\": \"x\"}");
    CHECK(after("not json").content == "not json");
  }
  SECTION("the next call's id counts the calls before it") {
    json request = Request("kaizen-test", "", "first");
    request["messages"].push_back({{"role", "assistant"},
                                   {"content", nullptr},
                                   {"tool_calls", json::parse(R"([{"id": "call_1", "type": "function",
                                       "function": {"name": "calculate", "arguments": "{}"}}])")}});
    request["messages"].push_back({{"role", "user"}, {"content", "what is 2 plus 2"}});
    request["tools"] = two;
    CHECK(Answer(request, nullptr).tool_calls[0]["id"] == "call_2");
  }
}

TEST_CASE("test server tool calls over HTTP: message, usage, streaming and by_rule") {
  kaizen::testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  httplib::Client c("127.0.0.1", server.port());
  // Written as text so the properties' order ("b" before "a") reaches the server.
  const std::string tools =
      R"([{"type": "function", "function": {"name": "add_numbers", "description": "adds two numbers",
           "parameters": {"type": "object", "properties": {"b": {"type": "number"}, "a": {"type": "number"}}}}}])";
  const std::string body =
      R"({"model": "kaizen-test", "messages": [{"role": "user", "content": "add numbers 2 and 40"}], "tools": )" +
      tools;
  auto r = c.Post("/v1/chat/completions", body + "}", "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const json out = json::parse(r->body);
  const json& choice = out["choices"][0];
  CHECK(choice["finish_reason"] == "tool_calls");
  CHECK(choice["message"]["content"].is_null());
  CHECK(choice["message"]["tool_calls"][0]["function"]["arguments"] == R"({"b":2,"a":40})");
  CHECK(out["usage"]["completion_tokens"] == 1);

  SECTION("streamed: the call in one chunk's delta, the finish reason in the last, then usage and [DONE]") {
    auto s = c.Post("/v1/chat/completions", body + R"(, "stream": true, "stream_options": {"include_usage": true}})",
                    "application/json");
    REQUIRE(s);
    REQUIRE(s->status == 200);
    CHECK(s->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0);
    std::vector<std::string> events;
    std::istringstream in(s->body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data: ", 0) == 0) events.push_back(line.substr(6));
    }
    REQUIRE(events.size() == 4);
    const json first = json::parse(events[0]), last = json::parse(events[1]), usage = json::parse(events[2]);
    CHECK(first["object"] == "chat.completion.chunk");
    const json& call = first["choices"][0]["delta"]["tool_calls"][0];
    CHECK(call["index"] == 0);
    CHECK(call["id"] == "call_1");
    CHECK(call["function"]["name"] == "add_numbers");
    CHECK(call["function"]["arguments"] == R"({"b":2,"a":40})");
    CHECK(first["choices"][0]["finish_reason"].is_null());
    CHECK(last["choices"][0]["finish_reason"] == "tool_calls");
    CHECK(usage["choices"] == json::array());
    CHECK(usage["usage"]["completion_tokens"] == 1);
    CHECK(events[3] == "[DONE]");
  }
  SECTION("a streamed text reply") {
    auto s = c.Post("/v1/chat/completions",
                    R"({"model": "kaizen-test", "stream": true, "messages": [{"role": "user", "content": "hello there"}]})",
                    "application/json");
    REQUIRE(s);
    std::string content, finish;
    std::istringstream in(s->body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data: {", 0) != 0) continue;
      const json chunk = json::parse(line.substr(6));
      const json& d = chunk["choices"][0]["delta"];
      if (d.contains("content") && d["content"].is_string()) content += d["content"].get<std::string>();
      if (chunk["choices"][0]["finish_reason"].is_string()) finish = chunk["choices"][0]["finish_reason"];
    }
    CHECK(content == "hello there");
    CHECK(finish == "stop");
  }
  SECTION("by_rule counts tool calls and tool results") {
    const std::string result_body =
        R"({"model": "kaizen-test", "messages": [{"role": "user", "content": "add numbers 2 and 40"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
             "function": {"name": "add_numbers", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "42"}]})";
    auto t = c.Post("/v1/chat/completions", result_body, "application/json");
    REQUIRE(t);
    const json answered = json::parse(t->body);
    CHECK(answered["choices"][0]["message"]["content"] == "42");
    CHECK(answered["choices"][0]["finish_reason"] == "stop");
    auto stats = c.Get("/control/stats");
    REQUIRE(stats);
    const json by_rule = json::parse(stats->body)["by_rule"];
    CHECK(by_rule["tool-call"] == 1);
    CHECK(by_rule["tool-result"] == 1);
  }
}
