#include "agents/monitoring/feedback_diagnosis.h"

#include <catch2/catch.hpp>

using kaizen::agents::FeedbackDiagnosis;

TEST_CASE("diagnosis moves old feedback to the baseline and ranks the degraded category first") {
  FeedbackDiagnosis d(100);
  // Baseline: both domains 10 % down.
  for (int i = 0; i < 400; ++i) {
    d.Add((i / 2) % 10 == 0, {{"domain", i % 2 ? "banking" : "travel"}});
  }
  CHECK(d.baseline_samples() == 300);
  CHECK(d.recent_samples() == 100);
  CHECK(d.baseline_rate() == Approx(0.1));
  // Recent: banking 60 % down, travel unchanged.
  for (int i = 0; i < 100; ++i) {
    bool banking = i % 2;
    d.Add(banking ? ((i / 2) % 10 < 6) : ((i / 2) % 10 == 0), {{"domain", banking ? "banking" : "travel"}, {"predicted_label", "x"}});
  }
  auto diag = d.Build();
  REQUIRE(diag.categories_size() >= 2);
  CHECK(diag.categories(0).dimension() == "domain");
  CHECK(diag.categories(0).value() == "banking");
  CHECK(diag.categories(0).samples() == 50);
  CHECK(diag.categories(0).recent() > 0.4);
  CHECK(diag.categories(0).baseline() == Approx(0.1).margin(0.02));
  CHECK(diag.recent_rate() > diag.baseline_rate());
  d.Reset();
  CHECK(d.recent_samples() == 0);
  CHECK(d.Build().categories_size() == 0);
}

TEST_CASE("diagnosis compares a new category with the overall baseline and skips tiny ones") {
  FeedbackDiagnosis d(50);
  for (int i = 0; i < 100; ++i) d.Add(i % 5 == 0, {{"domain", "old"}});  // 20 % down
  for (int i = 0; i < 50; ++i) d.Add(i < 40, {{"domain", i < 48 ? "new" : "rare"}});
  auto diag = d.Build(10, 5);
  REQUIRE(diag.categories_size() == 1);  // "rare" has 2 samples
  CHECK(diag.categories(0).value() == "new");
  CHECK(diag.categories(0).baseline() == Approx(0.2));
}
