#include "agents/gateway/openai_shapes.h"

#include <catch2/catch.hpp>

using namespace kaizen::gateway;
using json = nlohmann::json;

namespace {

template <typename T>
T Ok(const std::variant<T, BadRequest>& v) {
  if (auto* bad = std::get_if<BadRequest>(&v)) FAIL("refused: " << bad->message);
  return std::get<T>(v);
}

std::string ParamOf(const std::variant<TaskRequest, BadRequest>& v) {
  REQUIRE(std::holds_alternative<BadRequest>(v));
  return std::get<BadRequest>(v).param;
}

}  // namespace

TEST_CASE("openai shapes: the last user message is the task input, metadata become tags", "[gateway]") {
  json body = {{"model", "m"},
               {"user", "alice"},
               {"stream", true},
               {"stream_options", {{"include_usage", true}}},
               {"metadata", {{"domain", "banking"}}},
               {"messages",
                {{{"role", "system"}, {"content", "be brief"}},
                 {{"role", "user"}, {"content", "first"}},
                 {{"role", "assistant"}, {"content", "ok"}},
                 {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "second"}}, {{"type", "image_url"}}}}}}}};
  const TaskRequest r = Ok(ParseChatRequest(body));
  CHECK(r.input == "second");
  CHECK(r.user == "alice");
  CHECK(r.model == "m");
  CHECK(r.stream);
  CHECK(r.include_usage);
  CHECK(r.tags.at("domain") == "banking");
}

TEST_CASE("openai shapes: a bad chat or task request names the field", "[gateway]") {
  CHECK(ParamOf(ParseChatRequest(json{{"messages", json::array()}})) == "model");
  CHECK(ParamOf(ParseChatRequest(json{{"model", "m"}})) == "messages");
  CHECK(ParamOf(ParseChatRequest(json{{"model", "m"}, {"messages", {{{"role", "system"}, {"content", "x"}}}}})) ==
        "messages");
  CHECK(ParamOf(ParseChatRequest(json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", 3}}}}})) ==
        "messages[0].content");
  CHECK(ParamOf(ParseChatRequest(
            json{{"model", "m"}, {"stream", "yes"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}})) == "stream");
  CHECK(ParamOf(ParseTaskRequest(json{{"input", ""}})) == "input");
  CHECK(ParamOf(ParseTaskRequest(json{{"input", "x"}, {"tags", {{"a", 1}}}})) == "tags.a");
  CHECK(ParamOf(ParseTaskRequest(json{{"input", "x"}, {"user", 5}})) == "user");
  CHECK(std::holds_alternative<BadRequest>(ParseTaskRequest(json::array())));
}

TEST_CASE("openai shapes: feedback takes exactly one rating, a score maps to thumbs at 0.5", "[gateway]") {
  auto up = ParseFeedbackRequest(json{{"id", "t"}, {"thumbs", "up"}});
  REQUIRE(std::holds_alternative<kaizen::v1::Feedback>(up));
  CHECK(std::get<kaizen::v1::Feedback>(up).kind() == kaizen::v1::Feedback::THUMBS_UP);
  auto low = std::get<kaizen::v1::Feedback>(ParseFeedbackRequest(json{{"id", "t"}, {"score", 0.49}}));
  CHECK(low.kind() == kaizen::v1::Feedback::THUMBS_DOWN);
  CHECK(low.score() == Approx(0.49));
  auto high = std::get<kaizen::v1::Feedback>(ParseFeedbackRequest(json{{"id", "t"}, {"score", 0.5}}));
  CHECK(high.kind() == kaizen::v1::Feedback::THUMBS_UP);
  auto corr = std::get<kaizen::v1::Feedback>(
      ParseFeedbackRequest(json{{"id", "t"}, {"correction", "balance"}, {"comment", "c"}, {"user", "ann"}}));
  CHECK(corr.kind() == kaizen::v1::Feedback::THUMBS_DOWN);
  CHECK(corr.correction() == "balance");
  CHECK(corr.comment() == "c");
  CHECK(corr.source() == "ann");
  auto param = [](const json& j) { return std::get<BadRequest>(ParseFeedbackRequest(j)).param; };
  CHECK(param(json{{"thumbs", "up"}}) == "id");
  CHECK(param(json{{"id", "t"}}) == "thumbs");
  CHECK(param(json{{"id", "t"}, {"thumbs", "sideways"}}) == "thumbs");
  CHECK(param(json{{"id", "t"}, {"score", 1.5}}) == "score");
  CHECK(param(json{{"id", "t"}, {"thumbs", "up"}, {"correction", "x"}}) == "correction");
}

TEST_CASE("openai shapes: the same rating by the same user has the same derived key", "[gateway]") {
  auto a = std::get<kaizen::v1::Feedback>(ParseFeedbackRequest(json{{"id", "t"}, {"thumbs", "up"}}));
  auto b = std::get<kaizen::v1::Feedback>(ParseFeedbackRequest(json{{"id", "t"}, {"thumbs", "down"}}));
  CHECK(DerivedFeedbackKey(a, "u") == DerivedFeedbackKey(a, "u"));
  CHECK(DerivedFeedbackKey(a, "u") != DerivedFeedbackKey(a, "v"));
  CHECK(DerivedFeedbackKey(a, "u") != DerivedFeedbackKey(b, "u"));
}

TEST_CASE("openai shapes: a completion, its stream and a task answer carry the task's answer", "[gateway]") {
  kaizen::v1::TaskResult r;
  r.set_task_id("kz-1");
  r.set_output("balance");
  r.set_model_version("v2");
  r.set_arm("candidate");
  json c = ChatCompletion(r, "intents", 100);
  CHECK(c["id"] == "kz-1");
  CHECK(c["object"] == "chat.completion");
  CHECK(c["model"] == "intents");
  CHECK(c["choices"][0]["message"]["content"] == "balance");
  CHECK(c["usage"]["prompt_tokens"] == 0);
  auto events = ChatCompletionEvents(r, "intents", 100, true);
  REQUIRE(events.size() == 5);
  CHECK(events.back() == "data: [DONE]\n\n");
  std::string content;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    REQUIRE(events[i].rfind("data: ", 0) == 0);
    REQUIRE(events[i].size() > 8);
    CHECK(events[i].substr(events[i].size() - 2) == "\n\n");
    json chunk = json::parse(events[i].substr(6));
    CHECK(chunk["object"] == "chat.completion.chunk");
    if (!chunk["choices"].empty()) content += chunk["choices"][0]["delta"].value("content", "");
  }
  CHECK(content == "balance");
  CHECK(json::parse(events[3].substr(6))["usage"]["total_tokens"] == 0);
  json t = TaskAnswer(r);
  CHECK(t["arm"] == "candidate");
  CHECK(t["model_version"] == "v2");
  CHECK(ErrorBody("m", ErrorType(429), "rate_limit_exceeded")["error"]["type"] == "rate_limit_error");
}

TEST_CASE("a /v1/tasks answer names the teacher when the task was deferred and says nothing otherwise", "[gateway]") {
  kaizen::v1::TaskResult r;
  r.set_task_id("kz-2");
  r.set_output("balance");
  r.set_model_version("v1");
  r.set_arm("serving");
  r.set_confidence(0.12);
  CHECK_FALSE(TaskAnswer(r).contains("deferred"));
  (*r.mutable_tags())["domain"] = "banking";
  CHECK_FALSE(TaskAnswer(r).contains("deferred"));
  (*r.mutable_tags())["deferred"] = "oracle";
  (*r.mutable_tags())["deferred_cost"] = "0.001";
  json t = TaskAnswer(r);
  CHECK(t["deferred"] == "oracle");
  CHECK(t["output"] == "balance");
  CHECK(t["confidence"] == 0.12);
}
