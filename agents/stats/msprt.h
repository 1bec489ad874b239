// MixtureSprt: an always-valid two-arm Bernoulli test (mixture sequential
// probability ratio test, normal approximation; Johari, Pekelis, Walsh,
// "Always valid inference: bringing sequential analysis to A/B testing").
//
// With rates pA (incumbent) and pB (candidate) over nA and nB samples, the
// estimate d = pB - pA has variance s2 = pA(1-pA)/nA + pB(1-pB)/nB, taken no
// smaller than the pooled p(1-p)(1/nA + 1/nB) that holds under H0 (and a floor).
// Mixing the alternative over d ~ N(0, tau^2) gives the likelihood ratio
//   Lambda = sqrt(s2 / (s2 + tau2)) * exp(tau2 d^2 / (2 s2 (s2 + tau2)))
// and the always-valid p-value p_n = min(p_{n-1}, 1 / Lambda_n). Rejecting
// when p <= alpha keeps the false-rejection rate at or below alpha however
// often one looks. Nothing is decided before each arm has min_samples.
#pragma once

#include <cstdint>

namespace kaizen::stats {

class MixtureSprt {
 public:
  enum class Arm { kIncumbent, kCandidate };  // A and B
  enum class Decision { kNone, kCandidateBetter, kCandidateWorse };

  struct Options {
    double tau = 0.1;             // prior sd of the effect d
    double alpha = 0.05;          // reject H0 (no difference) when p <= alpha
    int64_t min_samples = 30;     // per arm, before any p-value update
    double variance_floor = 1e-6;
  };

  explicit MixtureSprt(const Options& options);

  void Update(Arm arm, bool success);
  void Reset();

  int64_t samples(Arm arm) const { return arm == Arm::kCandidate ? n_b_ : n_a_; }
  int64_t successes(Arm arm) const { return arm == Arm::kCandidate ? s_b_ : s_a_; }
  double rate(Arm arm) const;    // 0 with no samples
  double effect() const { return rate(Arm::kCandidate) - rate(Arm::kIncumbent); }
  double p_value() const { return p_; }
  // Sticky once made: the sign of d when p first reached alpha.
  Decision decision() const { return decision_; }
  const Options& options() const { return options_; }

 private:
  void Recompute();

  Options options_;
  int64_t n_a_ = 0, s_a_ = 0, n_b_ = 0, s_b_ = 0;
  double p_ = 1.0;
  Decision decision_ = Decision::kNone;
};

const char* DecisionName(MixtureSprt::Decision decision);

}  // namespace kaizen::stats
