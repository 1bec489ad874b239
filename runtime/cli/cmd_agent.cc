#include <cstdio>

#include <spdlog/spdlog.h>

#include "agents/roles.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

int RunAgentCommand(const AgentOptions& o) {
  // stderr is the agent's log file (the supervisor redirects it).
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + o.id + "] %v");
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  auto agent = agents::MakeAgent(o.role);
  if (!agent.ok()) {
    std::fprintf(stderr, "kaizen agent: %s\n", agent.status().message().c_str());
    return kExitInvalid;
  }
  sdk::RunOptions ro;
  ro.id = o.id;
  ro.role = o.role;
  ro.control_endpoint = o.connect;
  ro.key_file = o.key_file;
  ro.server_key = o.server_key;
  return sdk::RunAgent(**agent, ro);
}

}  // namespace kaizen::cli
