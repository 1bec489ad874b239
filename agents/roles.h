// The agent roles a manifest can name, and how to make one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agents/sdk/agent.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// The roles the runtime supervises, in start order: the manifest schema's
// list (config::kRoles), the only place a role is named.
const std::vector<std::string>& SupervisedRoles();
// The roles this binary has an agent for (for the test that the two agree).
std::vector<std::string> RolesWithAgents();

// A new agent for `role`, or InvalidArgument naming the known roles.
Result<std::unique_ptr<sdk::Agent>> MakeAgent(const std::string& role);

}  // namespace kaizen::agents
