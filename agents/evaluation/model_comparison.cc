#include "agents/evaluation/model_comparison.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "agents/stats/mcnemar.h"
#include "agents/stats/proportion.h"

namespace kaizen::agents {

namespace {

struct Tally {
  int64_t n = 0, candidate = 0, incumbent = 0;
  int64_t candidate_only = 0, incumbent_only = 0;  // discordant pairs, for the per-category test
};

// The report lists this many categories at most (largest drop first).
constexpr std::size_t kMaxCategoriesReported = 50;

double Acc(int64_t right, int64_t n) { return n == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(n); }

}  // namespace

v1::EvalReport CompareModels(const std::vector<PairedPrediction>& items, const v1::Acceptance& acceptance,
                             const ComparisonOptions& options) {
  v1::EvalReport r;
  Tally all;
  int64_t cand_only = 0, inc_only = 0;
  std::map<std::pair<std::string, std::string>, Tally> by_category;  // (dimension, value)
  for (const auto& it : items) {
    bool c = it.candidate == it.truth, i = it.incumbent == it.truth;
    all.n++;
    all.candidate += c;
    all.incumbent += i;
    cand_only += c && !i;
    inc_only += i && !c;
    auto key = it.category.empty() ? std::make_pair(std::string("label"), it.truth)
                                   : std::make_pair(std::string("domain"), it.category);
    Tally& t = by_category[key];
    t.n++;
    t.candidate += c;
    t.incumbent += i;
    t.candidate_only += c && !i;
    t.incumbent_only += i && !c;
  }
  double ca = Acc(all.candidate, all.n), ia = Acc(all.incumbent, all.n);
  auto cci = stats::WilsonInterval(all.candidate, all.n, options.confidence);
  auto ici = stats::WilsonInterval(all.incumbent, all.n, options.confidence);
  double p = stats::McNemarPValue(cand_only, inc_only);
  r.set_samples(all.n);
  r.set_candidate_accuracy(ca);
  r.set_candidate_ci_low(cci.low);
  r.set_candidate_ci_high(cci.high);
  r.set_incumbent_accuracy(ia);
  r.set_incumbent_ci_low(ici.low);
  r.set_incumbent_ci_high(ici.high);
  r.set_p_value(p);
  r.set_candidate_only_correct(cand_only);
  r.set_incumbent_only_correct(inc_only);

  // baseline: the incumbent's accuracy in the category, recent: the candidate's.
  auto delta = [](const std::pair<std::string, std::string>& key, const Tally& t) {
    v1::CategoryDelta d;
    d.set_dimension(key.first);
    d.set_value(key.second);
    d.set_baseline(Acc(t.incumbent, t.n));
    d.set_recent(Acc(t.candidate, t.n));
    d.set_samples(t.n);
    return d;
  };
  std::vector<v1::CategoryDelta> categories;
  for (const auto& [key, t] : by_category) categories.push_back(delta(key, t));
  std::stable_sort(categories.begin(), categories.end(), [](const auto& a, const auto& b) {
    return a.baseline() - a.recent() > b.baseline() - b.recent();
  });
  for (std::size_t i = 0; i < categories.size() && i < kMaxCategoriesReported; ++i) *r.add_categories() = categories[i];

  // A few dozen rows per category make a drop of a few rows look large: a
  // drop counts only when the paired test on the category says it is real.
  // With many categories some would pass that test by chance, so the tests
  // are corrected together (Holm): the k-th smallest p of the drops must be
  // below alpha / (m - k + 1), m the categories large enough to be tested.
  const double alpha = 1.0 - options.confidence;
  std::size_t tested = 0;
  std::vector<std::pair<double, v1::CategoryDelta>> drops;  // p-value, category
  for (const auto& [key, t] : by_category) {
    if (t.n < options.min_category_samples) continue;
    ++tested;
    const double drop = Acc(t.incumbent, t.n) - Acc(t.candidate, t.n);
    if (drop <= acceptance.max_category_regression()) continue;
    drops.emplace_back(stats::McNemarPValue(t.candidate_only, t.incumbent_only), delta(key, t));
  }
  std::stable_sort(drops.begin(), drops.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<v1::CategoryDelta> regressions;
  for (std::size_t k = 0; k < drops.size(); ++k) {
    if (drops[k].first >= alpha / static_cast<double>(tested - k)) break;  // Holm stops at the first kept null
    regressions.push_back(drops[k].second);
  }
  std::sort(regressions.begin(), regressions.end(), [](const auto& a, const auto& b) {
    return a.baseline() - a.recent() > b.baseline() - b.recent();
  });
  for (auto& d : regressions) *r.add_regressions() = d;

  const double gain = ca - ia;
  const bool gain_ok = gain >= acceptance.min_accuracy_gain() - 1e-12;
  r.set_pass(gain_ok && regressions.empty());
  std::string verdict = fmt::format(
      "candidate {:.3f} [{:.3f}, {:.3f}] vs incumbent {:.3f} [{:.3f}, {:.3f}] on {} validation rows, {:+.3f} "
      "({} needed), McNemar p={:.2g} ({} vs {} discordant)",
      ca, cci.low, cci.high, ia, ici.low, ici.high, all.n, gain,
      fmt::format("{:+.3f}", acceptance.min_accuracy_gain()), p, cand_only, inc_only);
  if (regressions.empty()) {
    verdict += fmt::format(", no category regressed more than {:.2f} (significantly)", acceptance.max_category_regression());
  } else {
    verdict += fmt::format(", {} categor{} regressed significantly more than {:.2f}:", regressions.size(),
                           regressions.size() == 1 ? "y" : "ies", acceptance.max_category_regression());
    for (size_t i = 0; i < regressions.size() && i < 5; ++i) {
      const auto& d = regressions[i];
      verdict += fmt::format(" {}{} {:.2f} -> {:.2f} (n={})", i ? ", " : "", d.value(), d.baseline(), d.recent(),
                             d.samples());
    }
    if (regressions.size() > 5) verdict += fmt::format(" and {} more", regressions.size() - 5);
  }
  if (!gain_ok) verdict += "; gain below the required";
  verdict += r.pass() ? ": pass" : ": fail";
  r.set_verdict(verdict);
  return r;
}

void ApplyRefitCheck(v1::EvalReport& report) {
  if (!report.refit()) return;
  const double seen = report.refit_accuracy_seen(), holdout = report.candidate_accuracy();
  if (seen + kRefitSlack < holdout) {
    report.set_pass(false);
    report.set_verdict(report.verdict() +
                       fmt::format("; but the refit on every row scores {:.3f} on validation rows it was trained on, "
                                   "below the holdout model's {:.3f} on them unseen: the refit is not deployed",
                                   seen, holdout));
    return;
  }
  report.set_verdict(report.verdict() +
                     fmt::format(" (judged on the holdout model; deployed: the same recipe refitted with the "
                                 "validation rows, {:.3f} on them)",
                                 seen));
}

}  // namespace kaizen::agents
