// kaizen keys NAME [--dir DIR] [--force]: makes a CURVE key pair.
// kaizen keys gateway NAME --file FILE: adds an API key of the HTTP gateway.
// See docs/security.md for listing the keys and rotating them.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "agents/gateway/api_keys.h"
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

int RunGatewayKey(const GatewayKeyOptions& o) {
  if (o.name.empty() || o.file.empty()) {
    std::fprintf(stderr,
                 "kaizen keys gateway: give a key name and --file FILE, e.g. `kaizen keys gateway alice --file "
                 "gateway-keys.txt`\n(for a CURVE key pair named 'gateway' run `kaizen keys -- gateway`)\n");
    return kExitInvalid;
  }
  std::string key;
  Status s = gateway::AddApiKey(o.file, o.name, &key);
  if (!s.ok()) {
    std::fprintf(stderr, "kaizen keys gateway: %s\n", s.message().c_str());
    return s.code() == Status::Code::kInvalidArgument ? kExitInvalid : kExitFailure;
  }
  std::fprintf(stderr, "added key %s to %s; it is shown only now, keep it: only its hash is stored\n", o.name.c_str(),
               o.file.c_str());
  std::printf("%s\n", key.c_str());
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

}  // namespace kaizen::cli
