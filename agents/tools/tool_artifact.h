// The tool repository's artifact: one JSON file per tool version, written by
// whoever created the tool (the training agent) and read by the worker that
// serves it and by `kaizen tools show`. Named by the tool's content address,
// so the same tool is the same file:
//   DIR/NAME-SPEC_SHA256[0:12].json
//   {"format": "kaizen.tool/v1", "tool": ToolSpec::ToJson(),
//    "status": "accepted" | "rejected", "reason": "passed 5 of 5 tests",
//    "tests": ToolTestReport::ToJson(), "provenance": {...}}
// Provenance is free JSON the creator fills (cycle, teacher, model, the
// failures the tool was written for); the repository keeps it as written.
//
// Durability: written atomically (runtime/base/atomic_file.h); a crash leaves
// the old file or the new one. Read: a file that is not this format, or whose
// tool does not parse, is an error naming the file and the field.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/tools/tool_runner.h"
#include "agents/tools/tool_spec.h"
#include "runtime/base/result.h"

namespace kaizen::tools {

inline constexpr const char* kToolArtifactFormat = "kaizen.tool/v1";
inline constexpr size_t kMaxToolArtifactBytes = 4 << 20;

struct ToolArtifact {
  ToolSpec spec;
  std::string status;  // "accepted" when every test passed, else "rejected"
  std::string reason;  // ToolTestReport::Summary
  nlohmann::json tests = nlohmann::json::object();       // ToolTestReport::ToJson
  nlohmann::json provenance = nlohmann::json::object();
};

// The artifact of a tool and its tests' report.
ToolArtifact MakeToolArtifact(ToolSpec spec, const ToolTestReport& report, nlohmann::json provenance);

struct WrittenToolArtifact {
  std::string path;
  std::string uri;     // file://PATH
  std::string sha256;  // of the file's bytes
};

// Writes DIR/NAME-SHA12.json (DIR is created if missing).
Result<WrittenToolArtifact> WriteToolArtifact(const std::string& dir, const ToolArtifact& artifact);

// Reads a file:// URI or a path.
Result<ToolArtifact> ReadToolArtifact(const std::string& uri_or_path);

// The tool a model version offers: the artifact at `uri` must hash to
// `sha256`, hold a tool named `name`, and be accepted. Errors name the tool
// and what is wrong, for the worker that refuses to serve such a version.
Result<ToolSpec> LoadAcceptedTool(const std::string& name, const std::string& uri, const std::string& sha256);

}  // namespace kaizen::tools
