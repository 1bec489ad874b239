#include "agents/sdk/artifacts.h"

#include <filesystem>
#include <system_error>

#include "runtime/base/artifact_uri.h"
#include "runtime/base/sha256.h"

namespace kaizen::sdk {
namespace fs = std::filesystem;

Result<Artifact> StoreArtifactFile(const std::string& state_dir, const std::string& kind, const std::string& ext,
                                   const std::string& tmp_path) {
  auto sha = Sha256File(tmp_path);
  if (!sha.ok()) return sha.status().WithContext("hashing artifact " + tmp_path);
  fs::path dir = fs::absolute(fs::path(state_dir) / "artifacts" / kind);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  fs::path dest = dir / (*sha + "." + ext);
  if (fs::exists(dest, ec)) {
    fs::remove(tmp_path, ec);  // same content is already stored
  } else {
    fs::rename(tmp_path, dest, ec);
    if (ec) return Status::IOError("cannot move " + tmp_path + " to " + dest.string() + ": " + ec.message());
  }
  Artifact a;
  a.sha256 = *sha;
  a.path = dest.string();
  a.uri = "file://" + a.path;
  return a;
}

Result<std::string> PathFromUri(const std::string& uri) {
  std::optional<std::string> path = LocalPathOfUri(uri);
  if (!path) {
    return Status::InvalidArgument("artifact URI '" + uri + "' is not a file:// URI; only local artifacts are supported");
  }
  return std::move(*path);
}

Status VerifyArtifact(const std::string& uri, const std::string& sha256) {
  return CheckArtifactHash("artifact", uri, sha256);
}

}  // namespace kaizen::sdk
