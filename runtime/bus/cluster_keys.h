// ClusterKeys: the CURVE keys one runtime needs, made on first use.
//
//   <state_dir>/keys/          owner-only (0700)
//     runtime.key              the server's pair (unless security.server_key names another file)
//     agent.key                one pair for every agent the runtime starts (role agent)
//     admin.key                the local operator's CLI pair (role admin)
//     runtime.pub              the server's public key, for agents on other hosts
//
// Missing files are generated (0600); existing ones are read and checked.
// The allow list is these keys plus the manifest's clients.
#pragma once

#include <string>
#include <vector>

#include "runtime/base/result.h"
#include "runtime/bus/curve_keys.h"
#include "runtime/bus/zap_handler.h"

namespace kaizen::bus {

// A key the manifest lists (security.clients): exactly one of public_key
// and public_key_file is set.
struct ListedKey {
  std::string name, role, public_key, public_key_file;
};

struct ClusterKeys {
  CurveKeyPair server;
  std::string server_key_file, agent_key_file, admin_key_file;
  std::string server_public_file;  // <keys_dir>/runtime.pub, rewritten on every start
  ZapHandler::KeyRoles allowed;  // public key -> role
};

// The keys directory of a state dir.
std::string KeysDir(const std::string& state_dir);

// `server_key_file` "" means <keys_dir>/runtime.key.
Result<ClusterKeys> PrepareClusterKeys(const std::string& keys_dir, const std::string& server_key_file,
                                       const std::vector<ListedKey>& clients);

}  // namespace kaizen::bus
