#include "runtime/bus/cluster_keys.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "runtime/bus/auth_roles.h"

namespace kaizen::bus {
namespace {

// Reads `path`, or makes a new pair there when there is no file yet.
Result<CurveKeyPair> LoadOrCreate(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return ReadSecretKeyFile(path);
  auto pair = GenerateCurveKeyPair();
  if (!pair.ok()) return pair.status();
  Status s = WriteSecretKeyFile(path, *pair, /*overwrite=*/false);
  if (s.code() == Status::Code::kAlreadyExists) return ReadSecretKeyFile(path);  // made by someone else meanwhile
  if (!s.ok()) return s;
  spdlog::info("made CURVE key pair {} (public {})", path, pair->public_key);
  return pair;
}

}  // namespace

std::string KeysDir(const std::string& state_dir) { return state_dir + "/keys"; }

Result<ClusterKeys> PrepareClusterKeys(const std::string& keys_dir, const std::string& server_key_file,
                                       const std::vector<ListedKey>& clients) {
  if (!CurveAvailable()) {
    return Status::FailedPrecondition("security.curve is on but libzmq was built without CURVE support");
  }
  Status s = EnsurePrivateDir(keys_dir);
  if (!s.ok()) return s;
  ClusterKeys k;
  k.server_key_file = server_key_file.empty() ? keys_dir + "/runtime.key" : server_key_file;
  k.agent_key_file = keys_dir + "/agent.key";
  k.admin_key_file = keys_dir + "/admin.key";
  auto server = LoadOrCreate(k.server_key_file);
  if (!server.ok()) return server.status().WithContext("server key");
  k.server = *server;
  // The public half, for agents an operator starts on other hosts
  // (`kaizen agent --server-key runtime.pub`): copying it reveals nothing.
  k.server_public_file = keys_dir + "/runtime.pub";
  if (Status pub = WritePublicKeyFile(k.server_public_file, k.server.public_key, /*overwrite=*/true); !pub.ok()) {
    return pub.WithContext("writing the runtime's public key");
  }
  for (const auto& [file, role] : {std::pair{k.agent_key_file, kRoleAgent}, std::pair{k.admin_key_file, kRoleAdmin}}) {
    auto pair = LoadOrCreate(file);
    if (!pair.ok()) return pair.status();
    k.allowed[pair->public_key] = role;
  }
  for (const auto& c : clients) {
    if (!IsAuthRole(c.role)) return Status::InvalidArgument("client '" + c.name + "': unknown role '" + c.role + "'");
    std::string key = c.public_key;
    if (key.empty()) {
      auto read = ReadPublicKeyFile(c.public_key_file);
      if (!read.ok()) return read.status().WithContext("client '" + c.name + "'");
      key = *read;
    }
    if (!IsZ85Key(key)) return Status::InvalidArgument("client '" + c.name + "': public key is not 40 Z85 characters");
    auto [it, added] = k.allowed.emplace(key, c.role);
    if (!added && it->second != c.role) {
      return Status::InvalidArgument("client '" + c.name + "': its public key is already listed as role " + it->second);
    }
  }
  return k;
}

}  // namespace kaizen::bus
