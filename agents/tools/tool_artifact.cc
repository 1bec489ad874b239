#include "agents/tools/tool_artifact.h"

#include <filesystem>

#include "runtime/base/artifact_uri.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/sha256.h"

namespace kaizen::tools {

using json = nlohmann::json;

ToolArtifact MakeToolArtifact(ToolSpec spec, const ToolTestReport& report, json provenance) {
  ToolArtifact a;
  a.reason = report.Summary(spec);
  a.status = report.accepted() ? "accepted" : "rejected";
  a.tests = report.ToJson();
  a.spec = std::move(spec);
  a.provenance = provenance.is_object() ? std::move(provenance) : json::object();
  return a;
}

Result<WrittenToolArtifact> WriteToolArtifact(const std::string& dir, const ToolArtifact& a) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create the tool directory " + dir + ": " + ec.message());
  const json doc = {{"format", kToolArtifactFormat}, {"tool", a.spec.ToJson()}, {"status", a.status},
                    {"reason", a.reason},            {"tests", a.tests},          {"provenance", a.provenance}};
  const std::string text = doc.dump(2) + "\n";
  WrittenToolArtifact w;
  w.path = (std::filesystem::path(dir) / (a.spec.name + "-" + a.spec.ContentHash().substr(0, 12) + ".json")).string();
  if (Status s = WriteFileAtomically(w.path, text); !s.ok()) return s.WithContext("writing tool " + a.spec.name);
  w.uri = "file://" + std::filesystem::absolute(w.path).string();
  w.sha256 = Sha256Hex(text);
  return w;
}

Result<ToolArtifact> ReadToolArtifact(const std::string& uri_or_path) {
  const std::optional<std::string> local = LocalPathOfUri(uri_or_path);
  if (!local) return Status::InvalidArgument("tool artifact " + uri_or_path + " is not a file:// URI or a path");
  const std::string& path = *local;
  auto text = ReadWholeFile(path, kMaxToolArtifactBytes);
  if (!text.ok()) return text.status().WithContext("reading tool artifact " + path);
  json doc;
  try {
    doc = json::parse(*text);
  } catch (const json::exception& e) {
    return Status::Corruption("tool artifact " + path + " is not JSON: " + e.what());
  }
  if (!doc.is_object() || doc.value("format", "") != kToolArtifactFormat) {
    return Status::Corruption("tool artifact " + path + ": format is not " + kToolArtifactFormat);
  }
  auto spec = ParseToolSpec(doc.value("tool", json()));
  if (!spec.ok()) return Status::Corruption("tool artifact " + path + ": tool: " + spec.status().message());
  ToolArtifact a;
  a.spec = std::move(*spec);
  a.status = doc.value("status", "");
  if (a.status != "accepted" && a.status != "rejected") {
    return Status::Corruption("tool artifact " + path + ": status must be accepted or rejected");
  }
  a.reason = doc.value("reason", "");
  a.tests = doc.value("tests", json::object());
  a.provenance = doc.value("provenance", json::object());
  return a;
}

Result<ToolSpec> LoadAcceptedTool(const std::string& name, const std::string& uri, const std::string& sha256) {
  if (Status s = CheckArtifactHash("tool " + name, uri, sha256); !s.ok()) return s;
  auto a = ReadToolArtifact(uri);
  if (!a.ok()) return a.status();
  if (a->spec.name != name) {
    return Status::Corruption("tool " + name + ": the artifact " + uri + " holds the tool " + a->spec.name);
  }
  if (a->status != "accepted") {
    return Status::FailedPrecondition("tool " + name + " was rejected by its tests (" + a->reason +
                                      "); a model version may offer only accepted tools");
  }
  return std::move(a->spec);
}

}  // namespace kaizen::tools
