// Simulations for the A/B benchmark: the sequential test (MixtureSprt) run
// on simulated arms, and the fixed-horizon two-proportion z-test it is
// compared with.
#pragma once

#include <cstdint>

#include "agents/stats/msprt.h"
#include "bench/rng.h"

namespace kaizen::bench {

struct SequentialRun {
  int64_t samples = 0;  // ratings seen (both arms) when it decided or hit the cap
  stats::MixtureSprt::Decision decision = stats::MixtureSprt::Decision::kNone;
};

// Ratings alternate between the arms (a 50/50 split), thumbs-up rates pA
// (incumbent) and pB (candidate), until the test decides or `cap` ratings.
SequentialRun RunSequential(double p_a, double p_b, const stats::MixtureSprt::Options& options, int64_t cap, Rng& rng);

// Per-arm sample size of a two-sided two-proportion z-test with power
// `power` at pA vs pB (the textbook formula with the pooled variance under H0).
int64_t FixedHorizonPerArm(double p_a, double p_b, double alpha, double power);

// One fixed-horizon test: n ratings per arm, pooled two-sided z-test.
// Returns +1 (candidate better), -1 (worse) or 0 (no difference found).
int FixedHorizonTest(double p_a, double p_b, int64_t n_per_arm, double alpha, Rng& rng);

}  // namespace kaizen::bench
