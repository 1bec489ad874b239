// The test cluster (tests/slurm/CMakeLists.txt): a SlurmClient for the
// cluster SLURM_CONF names, or exit 77 (ctest: skipped) saying why there is
// none, so a slurm test never passes without having run.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "runtime/slurm/slurm_client.h"

namespace kaizen::slurm {

inline SlurmClient SlurmTestClusterOrSkip() {
  const char* conf = std::getenv("SLURM_CONF");
  SlurmClient client({.command_timeout_ms = 15000, .bin_dir = ""});
  if (conf == nullptr || *conf == '\0') {
    std::fprintf(stderr, "SKIP: SLURM_CONF is not set; the slurm tests run under ctest (fixture slurm_cluster)\n");
    std::exit(77);
  }
  if (Status s = client.Ping(); !s.ok()) {
    std::fprintf(stderr,
                 "SKIP: the test Slurm cluster (SLURM_CONF=%s) does not answer: %s\n"
                 "  (scripts/start-slurm.sh starts it; it needs root and the slurm-wlm and munge packages)\n",
                 conf, s.message().c_str());
    std::exit(77);
  }
  return client;
}

// Polls `done` every 100 ms until it holds or timeout_ms passes.
inline bool SlurmTestWaitFor(const std::function<bool()>& done, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// The job's state, waiting until `want` holds (a final state, a running one).
inline JobInfo SlurmTestWaitForJob(const SlurmClient& client, const std::string& id,
                                   const std::function<bool(const JobInfo&)>& want, int timeout_ms = 60000) {
  JobInfo last;
  SlurmTestWaitFor(
      [&] {
        auto j = client.Query(id);
        if (!j.ok()) return false;
        last = *j;
        return want(last);
      },
      timeout_ms);
  return last;
}

// Jobs of `comment` Slurm still counts as queued or running.
inline int SlurmTestLiveJobs(const SlurmClient& client, const std::string& comment) {
  auto jobs = client.ListByComment(comment);
  if (!jobs.ok()) return -1;
  int live = 0;
  for (const auto& j : *jobs) live += IsFinal(j.state) ? 0 : 1;
  return live;
}

}  // namespace kaizen::slurm
