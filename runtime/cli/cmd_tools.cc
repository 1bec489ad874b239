// kaizen tools list | show NAME [--version N]: the tool repository, read-only
// from the store (cluster up or down). `show` reads the tool's artifact and
// checks its bytes against the hash the repository recorded, so a file
// changed after the tool was registered is reported, not shown as if trusted.
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agents/tools/tool_artifact.h"
#include "runtime/base/clock.h"
#include "runtime/base/sha256.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

json ToolRowJson(const store::ToolRow& r) {
  return {{"name", r.name},     {"version", r.version}, {"status", r.status},          {"reason", r.reason},
          {"cycle", r.cycle},   {"uri", r.uri},         {"sha256", r.sha256},          {"spec_sha256", r.spec_sha256},
          {"created", FormatIsoMs(r.created_ms)}};
}

int ToolsList(const ToolsOptions& o, store::Store& store) {
  auto rows = store.ListTools();
  if (!rows.ok()) {
    std::fprintf(stderr, "kaizen tools list: %s\n", rows.status().message().c_str());
    return kExitFailure;
  }
  if (o.json) {
    for (const auto& r : *rows) std::printf("%s\n", ToolRowJson(r).dump().c_str());
    return kExitOk;
  }
  if (rows->empty()) {
    std::printf("no tools yet: the tool_creation strategy writes them (docs/strategies.md)\n");
    return kExitOk;
  }
  std::printf("%-24s %-7s %-9s %-6s %-20s %s\n", "NAME", "VERSION", "STATUS", "CYCLE", "CREATED", "TESTS");
  for (const auto& r : *rows) {
    std::printf("%-24s v%-6lld %-9s %-6s %-20s %s\n", r.name.c_str(), static_cast<long long>(r.version),
                r.status.c_str(), r.cycle.c_str(), FormatIsoMs(r.created_ms).c_str(), r.reason.c_str());
  }
  return kExitOk;
}

void PrintIndented(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) std::printf("    %s\n", line.c_str());
}

int ToolsShow(const ToolsOptions& o, store::Store& store) {
  auto row = store.GetTool(o.name, o.version);
  if (!row.ok()) {
    std::fprintf(stderr, "kaizen tools show: %s\n", row.status().message().c_str());
    return kExitFailure;
  }
  if (!*row) {
    std::fprintf(stderr, "kaizen tools show: no %s %s (kaizen tools list shows every tool)\n",
                 o.version > 0 ? ("version " + std::to_string(o.version) + " of").c_str() : "accepted version of",
                 o.name.c_str());
    return kExitInvalid;
  }
  const store::ToolRow& r = **row;
  const Status hash = CheckArtifactHash("tool " + r.name + " v" + std::to_string(r.version), r.uri, r.sha256);
  auto artifact = hash.ok() ? tools::ReadToolArtifact(r.uri) : Result<tools::ToolArtifact>(hash);
  if (o.json) {
    json out = ToolRowJson(r);
    out["artifact_ok"] = artifact.ok();
    if (artifact.ok()) {
      out["tool"] = artifact->spec.ToJson();
      out["tests"] = artifact->tests;
      out["provenance"] = artifact->provenance;
    } else {
      out["artifact_error"] = artifact.status().message();
    }
    std::printf("%s\n", out.dump(2).c_str());
    return artifact.ok() ? kExitOk : kExitFailure;
  }
  std::printf("tool %s v%lld: %s, written by cycle %s at %s\n", r.name.c_str(), static_cast<long long>(r.version),
              r.status.c_str(), r.cycle.c_str(), FormatIsoMs(r.created_ms).c_str());
  std::printf("tests: %s\n", r.reason.c_str());
  std::printf("artifact: %s sha256 %s\n", r.uri.c_str(), r.sha256.substr(0, 12).c_str());
  if (!artifact.ok()) {
    std::printf("artifact NOT usable: %s\n", artifact.status().message().c_str());
    return kExitFailure;
  }
  const tools::ToolSpec& spec = artifact->spec;
  std::printf("description: %s\n", spec.description.c_str());
  std::printf("arguments: %s\n", spec.parameters.dump().c_str());
  const json results = artifact->tests.value("results", json::array());
  for (size_t i = 0; i < spec.tests.size(); ++i) {
    const json res = i < results.size() ? results[i] : json::object();
    const bool passed = res.value("passed", false);
    std::printf("  test %zu: %s -> expected %s: %s\n", i + 1, spec.tests[i].arguments.dump().c_str(),
                spec.tests[i].expected.dump().c_str(),
                passed ? ("ok, got " + res.value("got", json()).dump()).c_str()
                       : ("FAILED: " + res.value("reason", std::string("not run"))).c_str());
  }
  std::printf("provenance: %s\n", artifact->provenance.dump().c_str());
  std::printf("code:\n");
  PrintIndented(spec.code);
  return kExitOk;
}

}  // namespace

int RunTools(const ToolsOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster(o.action == ToolsOptions::Action::kList ? "tools list" : "tools show", o.state_dir,
                                   &code);
  if (!cluster) return code;
  return o.action == ToolsOptions::Action::kList ? ToolsList(o, *cluster->store) : ToolsShow(o, *cluster->store);
}

}  // namespace kaizen::cli
