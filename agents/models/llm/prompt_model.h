// PromptModel: a model version of an LLM skill. Where the builtin classifier's
// version is a weight file, an LLM worker's version is the prompt it sends: a
// base model id, a system prompt, few-shot examples and, for classification,
// the label set. The prompt trainer makes new versions of this file; the
// registry stores, versions and rolls them out like any other model file.
//
// File format (JSON, UTF-8, written atomically like atomic_file.h):
//   {"format": "kaizen-prompt-model", "format_version": 1,
//    "base_model": "gpt-4o-mini",          // the "model" sent to the server
//    "task": "label" | "text",             // classification or free text
//    "system_prompt": "...",
//    "labels": ["a", "b"],                 // task label: the answers allowed
//    "examples": [{"input": "...", "output": "..."}],   // few-shot, in order
//    "origin": "...",                      // how this version was made (free text)
//    "tools": [{"name", "uri", "sha256"}], // format_version 2: tools of the tool
//    "max_tool_rounds": 3,                 //   repository (agents/tools) offered to the LLM
//    "example_pool": {"uri", "sha256", "k", "max_per_label"},  // format_version 3:
//    "lessons": {"uri", "sha256", "k"}}    //   what is retrieved per input (prompt_retrieval.h)
// A version is written with the lowest format_version that holds it: one
// without tools or retrieval as version 1, byte for byte as before, so
// existing files and their hashes do not change; an older reader refuses a
// newer file rather than serve it without its tools or memory.
// Unknown keys are ignored (newer writers); a missing or wrong "format" or a
// newer format_version is Corruption.
//
// Messages for an input (BuildMessages), in this order:
//   1. system: system_prompt, then, for task "label" with labels, a blank line and
//        "Labels: a, b, c"
//        "Answer with JSON: {\"label\": \"<one of the labels>\"}"
//      (the test server and any real LLM read the same text). Lessons
//      retrieved for the input (strategy reflection) go right after the
//      system prompt, before the labels block: a blank line,
//      "Lessons from earlier mistakes:" and one "- LESSON" line each.
//   2. per example (the fixed ones, then those retrieved for the input, the
//      most similar last): user = example input; assistant = {"label":
//      "<output>"} for task label, the output itself for task text.
//   3. user = the input.
//
// Reply parsing (ParseLabel): the first JSON object in the reply (code fences
// allowed) with a string "label" field, else the whole reply trimmed of quotes,
// spaces and a trailing period. The candidate is matched case-insensitively
// (and with spaces/hyphens treated as underscores) against the label set and
// answered in the set's spelling; no match is InvalidArgument quoting the
// reply (cut to 200 bytes). With an empty label set any non-empty label is
// accepted as given. ParseText returns the reply trimmed (for task text).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/example.h"
#include "agents/models/llm/chat_client.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::models::llm {

enum class TaskKind { kLabel, kText };
const char* TaskKindName(TaskKind kind);                 // "label" / "text"
Result<TaskKind> ParseTaskKind(const std::string& name);

// A tool this version offers the LLM: an accepted tool of the tool
// repository, its artifact verified by hash before it is used.
struct ToolRef {
  std::string name;
  std::string uri;
  std::string sha256;
};

// The labelled examples a version retrieves from for each input (strategy
// dynamic_examples): a pool artifact (agents/memory/memory_artifact.h), the k
// most similar shown as few-shot examples, at most max_per_label of one
// label (0: no limit).
struct ExamplePoolRef {
  std::string uri;
  std::string sha256;
  int k = 8;
  int max_per_label = 0;
};

// The lessons a version retrieves from for each input (strategy reflection):
// a lesson memory artifact (agents/memory/lessons.h), the k most relevant
// put in the system prompt.
struct LessonMemoryRef {
  std::string uri;
  std::string sha256;
  int k = 4;
};

// What was retrieved for one input (PromptRetrieval::For).
struct PromptContext {
  std::vector<Example> examples;     // shown after the fixed examples
  std::vector<std::string> lessons;  // put in the system prompt
};

struct PromptModel {
  std::string base_model;
  TaskKind task = TaskKind::kLabel;
  std::string system_prompt;
  std::vector<std::string> labels;
  std::vector<Example> examples;  // text = input, label = output (a label or a free-text answer)
  std::string origin;
  std::vector<ToolRef> tools;
  int max_tool_rounds = 3;  // rounds of tool calls one answer may take; the last offers no tools
  std::optional<ExamplePoolRef> example_pool;
  std::optional<LessonMemoryRef> lessons;

  nlohmann::json ToJson() const;
  static Result<PromptModel> FromJson(const nlohmann::json& j);  // Corruption names the bad field
};

inline constexpr std::size_t kMaxPromptModelBytes = 64u << 20;

Status SavePromptModel(const std::string& path, const PromptModel& model);  // atomic
Result<PromptModel> LoadPromptModel(const std::string& path);

// The chat messages sent for `input` (see the header comment), with what was
// retrieved for it.
std::vector<ChatMessage> BuildMessages(const PromptModel& model, const std::string& input,
                                       const PromptContext& context = {});

// A reply as a label of `labels` (see the header comment).
Result<std::string> ParseLabel(const std::string& reply, const std::vector<std::string>& labels);
// A reply as free text: trimmed; an empty reply is InvalidArgument.
Result<std::string> ParseText(const std::string& reply);

// The answer for `input` (with nothing retrieved): BuildMessages, client.Complete (tagged `tag`), then
// ParseLabel or ParseText by task kind. The reply's usage comes back in `reply`
// when given (also on a parse failure, since the call was paid for).
Result<std::string> Answer(ChatClient& client, const PromptModel& model, const std::string& input,
                           const std::string& tag = "", ChatReply* reply = nullptr);

}  // namespace kaizen::models::llm
