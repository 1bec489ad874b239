// The test server's "model": deterministic answers from the request alone (and,
// for models given a knowledge file, from that file). README.md in this folder
// states the rules; tests and the LLM example manifests rely on them.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/example.h"

namespace kaizen::testing {

// Lower-case words of letters and digits, stop words and 1-letter words removed.
std::set<std::string> ContentWords(const std::string& text);
std::vector<std::string> ContentWordList(const std::string& text);  // in order, with repeats

// Labeled examples a model "knows" beyond its prompt (the --knowledge option).
struct Knowledge {
  std::vector<std::pair<std::set<std::string>, std::string>> examples;  // words, label
  std::vector<std::string> labels;                                        // in first-seen order
  static Knowledge From(const std::vector<models::Example>& examples);
};

struct RuleReply {
  std::string content;
  // "tool-result", "critic", "tool-writer", "tool-call", "classify", "rewrite",
  // "constitution-judge", "judge", "plan" or "text"
  std::string rule;
  // Non-empty: the reply is these OpenAI tool calls ([{"id", "type", "function":
  // {"name", "arguments"}}]) and `content` is unused (null in the response).
  nlohmann::json tool_calls = nlohmann::json::array();
};

// The reply to a chat-completions request body ({"model", "messages", ...}).
// `knowledge` is the knowledge of the request's model, or null. `tools`: the
// request's "tools" parsed with their key order kept (nlohmann::json sorts
// keys, and tool arguments are built in the order of the properties); null:
// the request's own "tools", with its properties alphabetical.
RuleReply Answer(const nlohmann::json& request, const Knowledge* knowledge,
                 const nlohmann::ordered_json* tools = nullptr);

// Token counts as the server reports them: whitespace-separated words, plus 3
// per message for the prompt; at least 1 for the completion.
int64_t PromptTokens(const nlohmann::json& messages);
int64_t CompletionTokens(const std::string& content);
// A tool call counts the words of its arguments text (at least 1).
int64_t CompletionTokens(const RuleReply& reply);

}  // namespace kaizen::testing
