// tool_creation (issue 19): when an LLM worker keeps failing a kind of task,
// a teacher writes it a tool (after the tool-creating agent of arXiv
// 2404.11964): a name, a JSON schema for its arguments, a Python 3 function
// and test cases, from the failures and their right answers. The tool is
// accepted only if every test passes in the sandbox (agents/tools); accepted
// or not, it is written as a tool artifact so the repository records it.
//
// The request (what a teacher reads; the test server's tool-writer rule reads
// the same text, tests/support/openai_test_server/README.md):
//   system: kToolWriterSystemPrompt
//   user:   "Category: C\n"                       (when the failures have one)
//           "Failures:\n"
//           "- \"INPUT\" -> RIGHT ANSWER\n" ...   (at most max_failures_shown)
// The reply: one JSON object as agents/tools/tool_spec.h describes, or
// {"error": "..."} when no tool fits.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/example.h"
#include "agents/models/llm/chat_client.h"
#include "agents/tools/sandbox.h"
#include "agents/tools/tool_artifact.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

inline constexpr const char* kToolWriterSystemPrompt =
    "You write tools for an assistant that keeps getting a kind of question wrong. Write one tool that answers "
    "such questions exactly. Reply with one JSON object: \"name\" (a Python identifier), \"description\" (what "
    "it answers, in words like the questions'), \"parameters\" (a JSON schema of type object for its arguments), "
    "\"code\" (Python 3 source, standard library only, defining a function with the tool's name that takes the "
    "arguments as keyword arguments and returns a JSON value), and \"tests\" (a list of {\"arguments\": {...}, "
    "\"expected\": value}: the failures below with their right answers, plus cases of your own). If no tool can "
    "answer these questions, reply {\"error\": \"why\"}.";

struct ToolCreationJob {
  std::string category;                   // "" when the failures have none
  std::vector<models::Example> failures;  // text = the input, label = the right answer
  int max_failures_shown = 20;
  std::string tools_dir;                  // where the artifact is written
  nlohmann::json provenance = nlohmann::json::object();  // cycle, version, teacher; the failures are added
  tools::SandboxLimits limits;
};

struct CreatedTool {
  tools::ToolArtifact artifact;
  tools::WrittenToolArtifact written;
  bool accepted() const { return artifact.status == "accepted"; }
};

// The user message of the request above.
std::string ToolWriterRequest(const ToolCreationJob& job);

// Asks `teacher` (its usage tagged `tag`), tests the tool in the sandbox and
// writes its artifact. Errors: the call failed, the teacher declined or wrote
// something that is not a tool (the message says what is wrong), the sandbox
// or the artifact directory is unusable. A tool that fails its tests is no
// error: it comes back rejected, with its artifact written.
Result<CreatedTool> CreateTool(models::llm::ChatClient& teacher, const ToolCreationJob& job, const std::string& tag);

}  // namespace kaizen::agents
