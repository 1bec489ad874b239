#include "bench/ab_sim.h"

#include <cmath>

#include "agents/stats/proportion.h"

namespace kaizen::bench {

SequentialRun RunSequential(double p_a, double p_b, const stats::MixtureSprt::Options& options, int64_t cap, Rng& rng) {
  using Arm = stats::MixtureSprt::Arm;
  stats::MixtureSprt test(options);
  SequentialRun r;
  while (r.samples < cap) {
    const bool candidate = (r.samples % 2) == 1;
    test.Update(candidate ? Arm::kCandidate : Arm::kIncumbent, rng.Bernoulli(candidate ? p_b : p_a));
    ++r.samples;
    if (test.decision() != stats::MixtureSprt::Decision::kNone) break;
  }
  r.decision = test.decision();
  return r;
}

int64_t FixedHorizonPerArm(double p_a, double p_b, double alpha, double power) {
  const double z_a = stats::NormalQuantile(1 - alpha / 2), z_b = stats::NormalQuantile(power);
  const double p_bar = (p_a + p_b) / 2, d = p_b - p_a;
  const double num = z_a * std::sqrt(2 * p_bar * (1 - p_bar)) + z_b * std::sqrt(p_a * (1 - p_a) + p_b * (1 - p_b));
  return static_cast<int64_t>(std::ceil(num * num / (d * d)));
}

int FixedHorizonTest(double p_a, double p_b, int64_t n_per_arm, double alpha, Rng& rng) {
  int64_t s_a = 0, s_b = 0;
  for (int64_t i = 0; i < n_per_arm; ++i) {
    s_a += rng.Bernoulli(p_a) ? 1 : 0;
    s_b += rng.Bernoulli(p_b) ? 1 : 0;
  }
  const auto n = static_cast<double>(n_per_arm);
  const double ra = static_cast<double>(s_a) / n, rb = static_cast<double>(s_b) / n;
  const double pool = static_cast<double>(s_a + s_b) / (2 * n);
  const double se = std::sqrt(pool * (1 - pool) * 2 / n);
  if (se == 0) return 0;
  const double z = (rb - ra) / se;
  const double crit = stats::NormalQuantile(1 - alpha / 2);
  return z > crit ? 1 : z < -crit ? -1 : 0;
}

}  // namespace kaizen::bench
