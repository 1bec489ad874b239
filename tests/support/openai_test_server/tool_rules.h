// The test server's rules for agent strategies (issue 19: reflection and
// tool_creation): a critic that turns failures into cited lessons, a tool
// writer that writes a Python tool for failures, and a worker that calls the
// request's tools and answers from their results. README.md states them.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/openai_test_server/rules.h"

namespace kaizen::testing {

// "tool-result": the last message has role "tool": its content is the answer.
std::optional<RuleReply> ToolResult(const nlohmann::json& messages);

// "critic": a system prompt saying "critic" and an input with "Failures:" lines.
std::optional<RuleReply> Critic(const std::string& system, const std::string& input, const std::string& model);

// "tool-writer": a system prompt saying "write" and "tool" and "Failures:" lines.
std::optional<RuleReply> ToolWriter(const std::string& system, const std::string& input, const std::string& model);

// "tool-call": the request offers tools that share content words with `input`.
std::optional<RuleReply> ToolCall(const nlohmann::json& request, const nlohmann::ordered_json& tools,
                                  const std::string& input);

// The label a lesson line teaches ("When the input mentions a, b, the answer is X."),
// with the words it names; nullopt for other lines. Classify's evidence (e).
struct LessonLine {
  std::string label;
  std::string words;  // the text between "mentions " and ", the answer is"
};
std::optional<LessonLine> ParseLessonLine(const std::string& line);

}  // namespace kaizen::testing
