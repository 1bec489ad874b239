#include "agents/memory/memory_artifact.h"

#include <filesystem>

#include "runtime/base/artifact_uri.h"
#include "runtime/base/atomic_file.h"
#include "runtime/base/sha256.h"

namespace kaizen::memory {

using json = nlohmann::json;

Result<WrittenArtifact> WriteJsonArtifact(const std::string& dir, const std::string& stem, const json& doc) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create the artifact directory " + dir + ": " + ec.message());
  // Replacement keeps one bad byte in a stored input from failing the whole artifact.
  const std::string text = doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  // Refused here rather than by every worker that would load it.
  if (text.size() > kMaxMemoryArtifactBytes) {
    return Status::InvalidArgument(stem + " would be " + std::to_string(text.size() >> 20) + " MiB, more than the " +
                                   std::to_string(kMaxMemoryArtifactBytes >> 20) + " MiB a version may load");
  }
  WrittenArtifact w;
  w.sha256 = Sha256Hex(text);
  w.path = (std::filesystem::path(dir) / (stem + "-" + w.sha256.substr(0, 12) + ".json")).string();
  if (Status s = WriteFileAtomically(w.path, text); !s.ok()) return s.WithContext("writing " + stem);
  w.uri = "file://" + std::filesystem::absolute(w.path).string();
  return w;
}

Result<json> ReadVerifiedJson(const std::string& what, const std::string& uri, const std::string& sha256) {
  const std::optional<std::string> path = LocalPathOfUri(uri);
  if (!path) return Status::InvalidArgument(what + " at '" + uri + "' is not a file:// URI; only local artifacts are supported");
  auto text = ReadWholeFile(*path, kMaxMemoryArtifactBytes);
  if (!text.ok()) return text.status().WithContext(what);
  // Hash the bytes that are parsed, not the file again: nothing can change in between.
  const std::string got = Sha256Hex(*text);
  if (got != sha256) return Status::Corruption(what + " at " + uri + " hashes to " + got + ", not " + sha256);
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(what + " at " + uri + " is not JSON");
  return j;
}

json ExamplePoolFile::ToJson() const {
  json list = json::array();
  for (const auto& e : examples) list.push_back({{"input", e.text}, {"output", e.label}});
  return {{"format", kExamplePoolFormat}, {"examples", std::move(list)}, {"provenance", provenance}};
}

Result<ExamplePoolFile> ExamplePoolFile::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("format") || j["format"] != kExamplePoolFormat) {
    return Status::Corruption(std::string("not an example pool: \"format\" is not \"") + kExamplePoolFormat + "\"");
  }
  ExamplePoolFile pool;
  const json list = j.value("examples", json::array());
  if (!list.is_array()) return Status::Corruption("example pool: examples: not an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string at = "example pool: examples[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("input") || !e["input"].is_string() || !e.contains("output") ||
        !e["output"].is_string()) {
      return Status::Corruption(at + ": needs a string input and a string output");
    }
    pool.examples.push_back({e["input"].get<std::string>(), e["output"].get<std::string>()});
  }
  if (j.contains("provenance") && j["provenance"].is_object()) pool.provenance = j["provenance"];
  return pool;
}

}  // namespace kaizen::memory
