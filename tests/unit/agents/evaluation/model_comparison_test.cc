#include "agents/evaluation/model_comparison.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace kaizen::agents;
namespace v1 = kaizen::v1;

namespace {

v1::Acceptance Accept(double gain, double regression) {
  v1::Acceptance a;
  a.set_min_accuracy_gain(gain);
  a.set_max_category_regression(regression);
  return a;
}

// n items of `domain`; the candidate is right on the first `cand`, the incumbent on the first `inc`.
void Add(std::vector<PairedPrediction>& items, const std::string& domain, int n, int cand, int inc) {
  for (int i = 0; i < n; ++i) {
    items.push_back({"y", domain, i < cand ? "y" : "n", i < inc ? "y" : "n"});
  }
}

}  // namespace

TEST_CASE("a clearly better candidate passes with intervals, McNemar and a verdict") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 200, 180, 100);
  Add(items, "travel", 200, 170, 110);
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  CHECK(r.pass());
  CHECK(r.samples() == 400);
  CHECK(r.candidate_accuracy() == Approx(350.0 / 400));
  CHECK(r.incumbent_accuracy() == Approx(210.0 / 400));
  CHECK(r.candidate_ci_low() < r.candidate_accuracy());
  CHECK(r.candidate_ci_high() > r.candidate_accuracy());
  CHECK(r.incumbent_ci_high() < r.candidate_ci_low());
  CHECK(r.candidate_only_correct() == 140);
  CHECK(r.incumbent_only_correct() == 0);
  CHECK(r.p_value() < 1e-30);
  CHECK(r.regressions_size() == 0);
  CHECK(r.verdict().find("pass") != std::string::npos);
  CHECK(r.verdict().find("McNemar") != std::string::npos);
}

TEST_CASE("a category regression fails the candidate even with an overall gain") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 300, 290, 150);
  Add(items, "travel", 50, 35, 45);   // -0.20
  Add(items, "tiny", 5, 0, 5);        // too few samples to count
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  CHECK_FALSE(r.pass());
  REQUIRE(r.regressions_size() == 1);
  CHECK(r.regressions(0).dimension() == "domain");
  CHECK(r.regressions(0).value() == "travel");
  CHECK(r.regressions(0).baseline() == Approx(0.9));
  CHECK(r.regressions(0).recent() == Approx(0.7));
  CHECK(r.regressions(0).samples() == 50);
  CHECK(r.verdict().find("travel") != std::string::npos);
  CHECK(r.verdict().find("fail") != std::string::npos);
}

TEST_CASE("a drop of a few rows in a small category is noise, not a regression") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 300, 290, 150);
  Add(items, "home", 25, 22, 24);  // -0.08 on 2 discordant rows: McNemar p = 0.5
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  CHECK(r.regressions_size() == 0);
  CHECK(r.pass());
}

TEST_CASE("too small a gain fails: categories fall back to the true label") {
  std::vector<PairedPrediction> items;
  for (int i = 0; i < 100; ++i) items.push_back({i % 2 ? "a" : "b", "", "x", "x"});
  items[0].candidate = items[0].truth;  // +0.01
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  CHECK_FALSE(r.pass());
  CHECK(r.regressions_size() == 0);
  CHECK(r.p_value() == 1.0);
  CHECK(r.verdict().find("gain below") != std::string::npos);

  std::vector<PairedPrediction> by_label;
  for (int i = 0; i < 40; ++i) by_label.push_back({"a", "", "a", "a"});
  for (int i = 0; i < 40; ++i) by_label.push_back({"b", "", i < 20 ? "b" : "a", "b"});
  for (int i = 0; i < 40; ++i) by_label.push_back({"c", "", "c", "x"});
  auto r2 = CompareModels(by_label, Accept(0.0, 0.05), {});
  REQUIRE(r2.regressions_size() == 1);
  CHECK(r2.regressions(0).dimension() == "label");
  CHECK(r2.regressions(0).value() == "b");
}

TEST_CASE("every category is reported with both models' accuracy, largest drop first") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 100, 60, 90);  // -0.30
  Add(items, "travel", 100, 90, 50);   // +0.40
  Add(items, "home", 4, 2, 3);         // -0.25, too small to count as a regression but still shown
  auto r = CompareModels(items, Accept(0.0, 0.05), {});
  REQUIRE(r.categories_size() == 3);
  CHECK(r.categories(0).value() == "banking");
  CHECK(r.categories(0).baseline() == Approx(0.9));
  CHECK(r.categories(0).recent() == Approx(0.6));
  CHECK(r.categories(0).samples() == 100);
  CHECK(r.categories(1).value() == "home");
  CHECK(r.categories(2).value() == "travel");
  CHECK(r.categories(2).recent() - r.categories(2).baseline() == Approx(0.4));
  REQUIRE(r.regressions_size() == 1);
  CHECK(r.regressions(0).value() == "banking");
}

TEST_CASE("with many categories a drop that is significant alone is not a regression after the Holm correction") {
  std::vector<PairedPrediction> items;
  // Ten categories where the models agree, and one where the incumbent alone is
  // right on 7 rows: McNemar p = 2 * 0.5^7 = 0.016 < 0.05 alone, but not below
  // 0.05 / 11 with eleven categories tested.
  for (int i = 0; i < 10; ++i) Add(items, "same" + std::to_string(i), 20, 18, 18);
  Add(items, "home", 20, 11, 18);
  auto r = CompareModels(items, Accept(-1.0, 0.05), {});
  CHECK(r.regressions_size() == 0);
  CHECK(r.pass());
  // With one other category, the same drop is a regression: 0.016 < 0.05 / 2.
  std::vector<PairedPrediction> two;
  Add(two, "same", 20, 18, 18);
  Add(two, "home", 20, 11, 18);
  auto r2 = CompareModels(two, Accept(-1.0, 0.05), {});
  REQUIRE(r2.regressions_size() == 1);
  CHECK(r2.regressions(0).value() == "home");
  CHECK_FALSE(r2.pass());
}

TEST_CASE("Holm, not Bonferroni: after the strongest drop, the next is held to alpha / (m - 1)") {
  // Four categories tested (alpha 0.05). "strong": the incumbent alone is right
  // on 12 rows, p = 2 * 0.5^12 = 0.0005 < 0.05 / 4. "second": alone right on 7,
  // p = 0.0156: above Bonferroni's 0.05 / 4 = 0.0125 for every category, below
  // Holm's 0.05 / 3 = 0.0167 for the second smallest. Holm finds both.
  std::vector<PairedPrediction> items;
  Add(items, "same0", 20, 18, 18);
  Add(items, "same1", 20, 18, 18);
  Add(items, "strong", 20, 6, 18);
  Add(items, "second", 20, 11, 18);
  auto r = CompareModels(items, Accept(-1.0, 0.05), {});
  REQUIRE(r.regressions_size() == 2);
  std::set<std::string> regressed = {r.regressions(0).value(), r.regressions(1).value()};
  CHECK(regressed == std::set<std::string>{"strong", "second"});
  CHECK_FALSE(r.pass());
  // One more quiet category makes m = 5: "second" needs p < 0.05 / 4 = 0.0125 and is kept.
  Add(items, "same2", 20, 18, 18);
  auto r5 = CompareModels(items, Accept(-1.0, 0.05), {});
  REQUIRE(r5.regressions_size() == 1);
  CHECK(r5.regressions(0).value() == "strong");
}

TEST_CASE("a sound refit keeps the holdout verdict and says which model is deployed") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 200, 180, 100);
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  REQUIRE(r.pass());
  r.set_refit(true);
  r.set_refit_accuracy_seen(0.95);
  ApplyRefitCheck(r);
  CHECK(r.pass());
  CHECK(r.verdict().find("refitted") != std::string::npos);
}

TEST_CASE("a refit that scores below its holdout twin on rows it was trained on fails the candidate") {
  std::vector<PairedPrediction> items;
  Add(items, "banking", 200, 180, 100);
  auto r = CompareModels(items, Accept(0.02, 0.05), {});
  REQUIRE(r.pass());
  r.set_refit(true);
  r.set_refit_accuracy_seen(0.80);  // holdout 0.90 on the same rows, unseen
  ApplyRefitCheck(r);
  CHECK_FALSE(r.pass());
  CHECK(r.verdict().find("not deployed") != std::string::npos);

  auto plain = CompareModels(items, Accept(0.02, 0.05), {});
  const std::string before = plain.verdict();
  ApplyRefitCheck(plain);  // no refit: nothing changes
  CHECK(plain.verdict() == before);
}
