#include <cstdio>

#include "config/manifest.h"
#include "runtime/cli/commands.h"

namespace kaizen::cli {

int RunValidate(const std::string& manifest) {
  config::LoadResult r = config::LoadManifestFile(manifest);
  if (!r.ok()) {
    for (const auto& d : r.errors) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    std::fprintf(stderr, "%s: %zu error%s\n", manifest.c_str(), r.errors.size(), r.errors.size() == 1 ? "" : "s");
    return kExitInvalid;
  }
  std::printf("%s: valid (cluster '%s', %zu agents, state dir %s)\n", manifest.c_str(), r.manifest.name.c_str(),
              r.manifest.agents.size(), r.manifest.runtime.state_dir.c_str());
  return kExitOk;
}

}  // namespace kaizen::cli
