// Artifacts: files an agent produces for the registry (datasets, model files),
// stored under <state_dir>/artifacts/<kind>/ by content (sha256) and referred
// to by a file:// URI, so that a later shared store can serve them elsewhere.
// The registry rows themselves are written by the runtime only.
#pragma once

#include <string>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::sdk {

struct Artifact {
  std::string sha256;  // 64 hex characters
  std::string uri;     // file:///abs/path/to/<sha256>.<ext>
  std::string path;    // the same, as a local path
};

// Moves the finished file at `tmp_path` to <state_dir>/artifacts/<kind>/<sha256>.<ext>.
// Writing the same content twice yields the same artifact (the second copy is dropped).
Result<Artifact> StoreArtifactFile(const std::string& state_dir, const std::string& kind, const std::string& ext,
                                   const std::string& tmp_path);

// The local path of a file:// URI (a plain path is returned as is); other schemes
// are an InvalidArgument error naming the URI.
Result<std::string> PathFromUri(const std::string& uri);

// Checks that the file behind `uri` still hashes to `sha256` (Corruption if not).
Status VerifyArtifact(const std::string& uri, const std::string& sha256);

}  // namespace kaizen::sdk
