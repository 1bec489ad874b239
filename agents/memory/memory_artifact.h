// The artifacts a worker version retrieves from: a lesson memory (lessons.h,
// strategy reflection) and an example pool (strategy dynamic_examples). Each
// is one JSON file named by the hash of its bytes, so the same content is
// the same file and a version's model file pins it by URI and SHA-256
// (prompt_model.h): rolling back to an earlier version restores its memory.
//   DIR/STEM-SHA256[0:12].json
// Example pool file:
//   {"format": "kaizen.examples/v1",
//    "examples": [{"input": "...", "output": "..."}],
//    "provenance": {...}}        // free JSON: cycle, dataset, counts
//
// Durability: written atomically (runtime/base/atomic_file.h). Read: the
// bytes must hash to the pinned SHA-256 before they are parsed, so a changed
// file is refused (Corruption naming it and both hashes), never served.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/models/example.h"
#include "runtime/base/result.h"

namespace kaizen::memory {

inline constexpr char kExamplePoolFormat[] = "kaizen.examples/v1";
inline constexpr std::size_t kMaxMemoryArtifactBytes = 64u << 20;

struct WrittenArtifact {
  std::string path;
  std::string uri;     // file://ABSOLUTE_PATH
  std::string sha256;  // of the file's bytes
};

// Writes `doc` (pretty-printed, newline-terminated) to DIR/STEM-SHA12.json,
// creating DIR if missing; InvalidArgument when it would be larger than
// kMaxMemoryArtifactBytes, which ReadVerifiedJson would refuse.
Result<WrittenArtifact> WriteJsonArtifact(const std::string& dir, const std::string& stem, const nlohmann::json& doc);

// The JSON of the artifact at `uri` (file:// or a path) whose bytes hash to
// `sha256`. Errors name `what` ("the lessons of v3").
Result<nlohmann::json> ReadVerifiedJson(const std::string& what, const std::string& uri, const std::string& sha256);

// ReadVerifiedJson, then File::FromJson (ExamplePoolFile, LessonMemory);
// errors name `what` and the URI.
template <typename File>
Result<File> ReadPinnedArtifact(const std::string& what, const std::string& uri, const std::string& sha256) {
  auto j = ReadVerifiedJson(what, uri, sha256);
  if (!j.ok()) return j.status();
  auto file = File::FromJson(*j);
  if (!file.ok()) return file.status().WithContext(what + " at " + uri);
  return file;
}

struct ExamplePoolFile {
  std::vector<models::Example> examples;  // text = input, label = output
  nlohmann::json provenance = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static Result<ExamplePoolFile> FromJson(const nlohmann::json& j);  // Corruption names the bad field
};

}  // namespace kaizen::memory
