// kaizen keys NAME [--dir DIR] [--force]: makes a CURVE key pair.
// See docs/security.md for listing the key in a manifest and rotating it.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "runtime/bus/curve_keys.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

int RunKeys(const KeysOptions& o) {
  // The name becomes two file names; keep it to one plain path component.
  if (!std::regex_match(o.name, std::regex("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"))) {
    std::fprintf(stderr, "kaizen keys: name '%s': use letters, digits, '_', '.', '-' (up to 63)\n", o.name.c_str());
    return kExitInvalid;
  }
  if (!bus::CurveAvailable()) {
    std::fprintf(stderr, "kaizen keys: this libzmq was built without CURVE support\n");
    return kExitFailure;
  }
  const std::string dir = o.dir.empty() ? "." : o.dir;
  const std::string secret = (std::filesystem::path(dir) / (o.name + ".key")).string();
  const std::string pub = (std::filesystem::path(dir) / (o.name + ".pub")).string();
  if (!o.force) {
    // Check both before writing either, so a refusal leaves nothing half-done.
    for (const auto& f : {secret, pub}) {
      if (::access(f.c_str(), F_OK) == 0) {
        std::fprintf(stderr, "kaizen keys: %s exists; use --force to replace it\n", f.c_str());
        return kExitFailure;
      }
    }
  }
  auto pair = bus::GenerateCurveKeyPair();
  Status s = pair.ok() ? Status::OK() : pair.status();
  // Only a directory we create is made private; an existing one is the user's.
  if (s.ok() && ::access(dir.c_str(), F_OK) != 0) s = bus::EnsurePrivateDir(dir);
  if (s.ok()) s = bus::WriteSecretKeyFile(secret, *pair, o.force);
  if (s.ok()) s = bus::WritePublicKeyFile(pub, pair->public_key, o.force);
  if (!s.ok()) {
    std::fprintf(stderr, "kaizen keys: %s\n", s.message().c_str());
    return kExitFailure;
  }
  std::fprintf(stderr, "wrote %s (secret, mode 0600) and %s\n", secret.c_str(), pub.c_str());
  std::printf("%s\n", pair->public_key.c_str());
  return kExitOk;
}

}  // namespace kaizen::cli
