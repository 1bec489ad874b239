// Figure 4, A/B efficiency: ratings to a decision for the sequential test
// the deployment agent uses (MixtureSprt: always-valid mixture SPRT, alpha
// 0.05, tau 0.1, at least 30 ratings per arm) against a fixed-horizon
// two-proportion z-test of the same alpha and power 0.8, over simulated arms
// split 50/50; and the false-promotion rate over A/A runs.
//
// A fixed-horizon test must fix its sample size before it starts, for the
// smallest effect worth finding (here +0.05 over the incumbent's rate): that
// is the baseline. Beside it, a fixed horizon sized for the true effect,
// which only a simulation can know, is reported too.
//
//   ab_bench [--json FILE] [--quick]
#include <cstdio>
#include <string>
#include <vector>

#include "bench/ab_sim.h"
#include "bench/report.h"
#include "bench/timing.h"

namespace kaizen::bench {
namespace {

using Decision = stats::MixtureSprt::Decision;

struct Plan {
  double alpha = 0.05, power = 0.8;
  int64_t cap = 20000;  // ratings, as deployment.max_samples in the demo manifest
  int runs = 5000;      // per effect
  int aa_runs = 5000;
  double aa_rate = 0.80;
  std::vector<std::pair<double, double>> effects = {{0.80, 0.85}, {0.80, 0.90}, {0.50, 0.80}};
  // The smallest improvement worth finding, which a fixed-horizon test must
  // be sized for before it starts (the smallest effect tried here).
  double mde = 0.05;
};

std::string Pct(double a, double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f_vs_%.2f", a, b);
  return buf;
}

void Run(Report& report, const Plan& plan) {
  stats::MixtureSprt::Options options;
  options.alpha = plan.alpha;
  std::vector<double> planned_ratios, oracle_ratios;
  nlohmann::json per_effect = nlohmann::json::array();
  uint64_t seed = 100;
  for (auto [p_a, p_b] : plan.effects) {
    Rng rng(++seed);
    std::vector<double> samples;
    int correct = 0, wrong = 0;
    for (int i = 0; i < plan.runs; ++i) {
      SequentialRun r = RunSequential(p_a, p_b, options, plan.cap, rng);
      samples.push_back(static_cast<double>(r.samples));
      correct += r.decision == Decision::kCandidateBetter;
      wrong += r.decision == Decision::kCandidateWorse;
    }
    // Planned: sized before the test for the smallest effect worth finding
    // over the incumbent's rate. Oracle: sized for the true effect.
    const int64_t n_planned = FixedHorizonPerArm(p_a, p_a + plan.mde, plan.alpha, plan.power);
    const int64_t n_oracle = FixedHorizonPerArm(p_a, p_b, plan.alpha, plan.power);
    int planned_correct = 0, oracle_correct = 0;
    for (int i = 0; i < plan.runs; ++i) {
      planned_correct += FixedHorizonTest(p_a, p_b, n_planned, plan.alpha, rng) == 1;
      oracle_correct += FixedHorizonTest(p_a, p_b, n_oracle, plan.alpha, rng) == 1;
    }
    const double mean = Mean(samples), planned = 2.0 * static_cast<double>(n_planned),
                 oracle = 2.0 * static_cast<double>(n_oracle);
    planned_ratios.push_back(mean / planned);
    oracle_ratios.push_back(mean / oracle);
    const double power = static_cast<double>(correct) / plan.runs;
    nlohmann::json d = {{"incumbent_rate", p_a},
                        {"candidate_rate", p_b},
                        {"sequential_mean_samples", mean},
                        {"sequential_median_samples", Median(samples)},
                        {"sequential_p80_samples", [&] { auto v = samples; return Percentile(v, 0.8); }()},
                        {"sequential_power", power},
                        {"sequential_wrong_direction", static_cast<double>(wrong) / plan.runs},
                        {"planned_fixed_samples", planned},
                        {"planned_fixed_power_simulated", static_cast<double>(planned_correct) / plan.runs},
                        {"oracle_fixed_samples", oracle},
                        {"oracle_fixed_power_simulated", static_cast<double>(oracle_correct) / plan.runs},
                        {"runs", plan.runs}};
    per_effect.push_back(d);
    char what[320];
    std::snprintf(what, sizeof what,
                  "fixed-horizon z-test planned for +%.2f, %lld per arm (power %.2f here); sequential power %.3f, "
                  "median %.0f; a fixed test told the true effect needs %.0f (ratio %.2f, power %.2f)",
                  plan.mde, static_cast<long long>(n_planned), static_cast<double>(planned_correct) / plan.runs, power,
                  Median(samples), oracle, mean / oracle, static_cast<double>(oracle_correct) / plan.runs);
    report.Add({"ab." + Pct(p_a, p_b) + ".mean_samples", mean, "ratings", planned, what, "", d});
  }
  report.Set("effects", per_effect);
  report.Add({"ab.average.samples_ratio", Mean(planned_ratios), "x", 1.0,
              "mean over the effects of sequential mean ratings / planned fixed-horizon ratings; 1 = the same",
              "ratio <= 0.6"});
  report.Add({"ab.average.samples_ratio_vs_oracle", Mean(oracle_ratios), "x", 1.0,
              "the same against a fixed horizon sized for the true effect (which no real test knows)", ""});

  // A/A: no difference; any PROMOTE is a false promotion.
  Rng rng(7);
  int promote = 0, rollback = 0, fixed_fp = 0;
  const int64_t n = FixedHorizonPerArm(plan.aa_rate, plan.aa_rate + plan.mde, plan.alpha, plan.power);
  for (int i = 0; i < plan.aa_runs; ++i) {
    SequentialRun r = RunSequential(plan.aa_rate, plan.aa_rate, options, plan.cap, rng);
    promote += r.decision == Decision::kCandidateBetter;
    rollback += r.decision == Decision::kCandidateWorse;
    fixed_fp += FixedHorizonTest(plan.aa_rate, plan.aa_rate, n, plan.alpha, rng) == 1;
  }
  const double fp = static_cast<double>(promote) / plan.aa_runs;
  char what[240];
  std::snprintf(what, sizeof what,
                "alpha; %d A/A runs at %.2f up to %lld ratings: %d promotions, %d rollbacks (any decision %.4f); "
                "fixed-horizon false promotions %.4f",
                plan.aa_runs, plan.aa_rate, static_cast<long long>(plan.cap), promote, rollback,
                static_cast<double>(promote + rollback) / plan.aa_runs, static_cast<double>(fixed_fp) / plan.aa_runs);
  report.Add({"ab.aa.false_promotion_rate", fp, "per run", plan.alpha, what, "ratio <= 1",
              {{"runs", plan.aa_runs}, {"promotions", promote}, {"rollbacks", rollback}, {"cap", plan.cap}}});
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  Plan plan;
  if (QuickArg(argc, argv)) {
    plan.runs = 300;
    plan.aa_runs = 300;
  }
  Report report("ab");
  report.Set("settings", {{"alpha", plan.alpha},
                          {"power", plan.power},
                          {"split", "50/50, ratings alternate between the arms"},
                          {"msprt", "tau 0.1, min 30 ratings per arm (MixtureSprt defaults)"},
                          {"cap", plan.cap},
                          {"fixed_horizon_planned_for", "+" + std::to_string(plan.mde).substr(0, 4) + " over the incumbent"},
                          {"runs_per_effect", plan.runs},
                          {"aa_runs", plan.aa_runs},
                          {"samples", "ratings of both arms together; a sequential run that never decides counts the cap"}});
  Run(report, plan);
  return report.WriteJson(JsonPathArg(argc, argv)) ? 0 : 1;
}
