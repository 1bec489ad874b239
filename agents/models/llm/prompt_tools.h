// The tools a PromptModel version offers (prompt_model.h, format_version 2)
// and the chat exchange that lets the LLM call them. The worker serves with
// it and evaluation scores with it, so a candidate is judged as it will run.
//
// Exchange for one input (CompleteWithTools): the messages of BuildMessages
// with what the version retrieves for the input,
// sent with the tools; while the reply asks for tool calls and rounds are
// left, each call runs in the sandbox (agents/tools/tool_runner.h) and its
// result goes back as a "tool" message. Round max_tool_rounds offers no tools,
// so the model must answer. A call of a tool the version does not have, with
// arguments that are not JSON or do not fit the schema, or that fails in the
// sandbox, is answered to the model as an error ("error: ..."), never run
// outside the sandbox, and traced like any call.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/llm/prompt_retrieval.h"
#include "agents/tools/sandbox.h"
#include "agents/tools/tool_spec.h"
#include "runtime/base/result.h"

namespace kaizen::models::llm {

// What a version serves with besides its file: its tools and what it
// retrieves per input, loaded and verified once.
struct PromptAssets {
  std::vector<tools::ToolSpec> specs;
  nlohmann::json chat_tools = nlohmann::json::array();  // the request's "tools"
  tools::SandboxLimits limits;
  PromptRetrieval retrieval;
  bool has_tools() const { return !specs.empty(); }
};

// Loads and verifies every tool of `model` (tools::LoadAcceptedTool) and its
// example pool and lessons (PromptRetrieval::Load); with any tool, the
// sandbox must be available here. Errors say which artifact and why.
Result<PromptAssets> LoadPromptAssets(const PromptModel& model, const tools::SandboxLimits& limits = {});

// One tool call as it happened, for the answer's trace.
struct ToolCallTrace {
  std::string name;
  std::string arguments;  // as the model wrote them
  bool ok = false;
  std::string result;     // the value as JSON text, when ok
  std::string error;      // why not, when not ok
  double seconds = 0;     // in the sandbox
};

// The final reply (its usage summed over every round in *reply's token and
// cost fields) and the calls made on the way, appended to *trace.
Result<ChatReply> CompleteWithTools(ChatClient& client, const PromptModel& model, const PromptAssets& tools,
                                    const std::string& input, const std::string& tag,
                                    std::vector<ToolCallTrace>* trace);

// As llm::Answer (prompt_model.h), through CompleteWithTools.
Result<std::string> AnswerWithTools(ChatClient& client, const PromptModel& model, const PromptAssets& tools,
                                    const std::string& input, const std::string& tag, ChatReply* reply = nullptr,
                                    std::vector<ToolCallTrace>* trace = nullptr);

}  // namespace kaizen::models::llm
