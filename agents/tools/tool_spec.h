// ToolSpec: a tool an LLM wrote for the worker (issue 19's tool_creation):
// its name, what it is for, the JSON schema of its arguments, a Python 3
// function, and the test cases it must pass in the sandbox before anyone
// uses it.
//
// The format is the teacher's reply and the artifact's "tool" object:
//   {"name": "convert_units", "description": "...",
//    "parameters": {"type": "object", "properties": {"question": {"type": "string"}},
//                   "required": ["question"]},
//    "code": "def convert_units(question):\n    ...",
//    "tests": [{"arguments": {"question": "..."}, "expected": 3.5}, ...]}
//
// Contract: ParseToolSpec accepts only a spec every part of Kaizen can use as
// is: a name that is a Python identifier (not a keyword) and an OpenAI function
// name, a `parameters` schema of type object whose properties each have a
// JSON type, `required` naming only those properties, code that defines the
// function under the tool's name, and 1..kMaxToolTests tests whose arguments
// satisfy the schema. Anything else is an InvalidArgument naming the field
// and what is wrong with it, so a refused tool says why in the cycle story.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::tools {

inline constexpr size_t kMaxToolCodeBytes = 64 << 10;
inline constexpr size_t kMaxToolTests = 50;

struct ToolTest {
  nlohmann::json arguments = nlohmann::json::object();
  nlohmann::json expected;
};

struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();
  std::string code;
  std::vector<ToolTest> tests;

  // The format above; nlohmann sorts keys, so equal specs dump equal bytes.
  nlohmann::json ToJson() const;
  // Content address: sha256 (hex) of ToJson().dump().
  std::string ContentHash() const;
  // The entry of a chat-completions request's `tools` list.
  nlohmann::json ChatTool() const;
};

Result<ToolSpec> ParseToolSpec(const nlohmann::json& j);

// A model's reply: the outermost {...} of `content` (a ```json fence or words
// around it are fine). A reply {"error": "..."} is the model declining, and
// comes back as a FailedPrecondition with its words.
Result<ToolSpec> ParseToolReply(const std::string& content);

// Whether `arguments` fit the spec's schema: an object, every required
// property present, each present property of its declared type (integer:
// a number with no fraction), no property the schema does not name.
Status CheckArguments(const ToolSpec& spec, const nlohmann::json& arguments);

}  // namespace kaizen::tools
