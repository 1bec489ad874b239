// The launchers a manifest needs, made in one place so the runtime's start
// stays a few lines: the fork launcher always; the Slurm launcher when some
// agent is placed on Slurm (spec.<role>.placement, or spec.runtime.launcher).
#pragma once

#include <string>
#include <vector>

#include "config/manifest.h"
#include "runtime/base/result.h"
#include "runtime/slurm/slurm_client.h"
#include "runtime/supervisor/supervisor.h"

namespace kaizen::supervisor {

// With Slurm, first cancels the jobs an earlier runtime of this cluster and
// state dir left (SlurmLauncher::CancelLeftovers); *cancelled gets them, for
// the journal. An error when Slurm cannot be asked: the agents could not be
// submitted either.
Result<Launchers> LaunchersFor(const config::Manifest& manifest, const std::string& state_dir,
                               std::vector<slurm::JobInfo>* cancelled);

}  // namespace kaizen::supervisor
