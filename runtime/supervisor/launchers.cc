// LaunchersFor: fork always, Slurm when the manifest places an agent there.
#include "runtime/supervisor/launchers.h"

#include <algorithm>
#include <memory>

#include "runtime/supervisor/fork_launcher.h"
#include "runtime/supervisor/slurm_launcher.h"

namespace kaizen::supervisor {

Result<Launchers> LaunchersFor(const config::Manifest& manifest, const std::string& state_dir,
                               std::vector<slurm::JobInfo>* cancelled) {
  Launchers launchers;
  launchers[config::Placement::kFork] = std::make_unique<ForkLauncher>();
  const bool slurm =
      manifest.runtime.launcher == config::Placement::kSlurm ||
      std::any_of(manifest.agents.begin(), manifest.agents.end(),
                  [](const config::AgentSpec& a) { return a.placement == config::Placement::kSlurm; });
  if (!slurm) return launchers;
  SlurmLauncher::Options o;
  o.cluster = manifest.name;
  o.state_dir = state_dir;
  o.slurm = manifest.slurm;
  auto launcher = std::make_unique<SlurmLauncher>(o, slurm::SlurmClient(slurm::SlurmClient::Options{}));
  auto left = launcher->CancelLeftovers();
  if (!left.ok()) return left.status().WithContext("cannot start agents as Slurm jobs");
  if (cancelled) *cancelled = std::move(*left);
  launchers[config::Placement::kSlurm] = std::move(launcher);
  return launchers;
}

}  // namespace kaizen::supervisor
