#include <catch2/catch.hpp>

#include "runtime/metrics/metrics_registry.h"
#include "runtime/metrics/prometheus_text.h"
#include "tests/unit/metrics/exposition_check.h"

using namespace kaizen::metrics;
using kaizen::metrics::testing::CheckExposition;
using kaizen::metrics::testing::SampleValue;

namespace {
std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}
}  // namespace

TEST_CASE("counters, gauges and labels render as exposition text") {
  MetricsRegistry m;
  m.Declare("kaizen_tasks_total", Type::kCounter, "Tasks.");
  m.Declare("kaizen_stage", Type::kGauge, "Stage.");
  m.Add("kaizen_tasks_total", {});
  m.Add("kaizen_tasks_total", {}, 2);
  m.Set("kaizen_stage", {{"stage", "training"}, {"cycle", "c1"}}, 1);
  m.Set("kaizen_stage", {{"stage", "planning"}, {"cycle", "c1"}}, 0);
  m.Add("kaizen_undeclared_total", {});  // ignored
  const std::string text = RenderText(m);
  CHECK(text ==
        "# HELP kaizen_tasks_total Tasks.\n"
        "# TYPE kaizen_tasks_total counter\n"
        "kaizen_tasks_total 3\n"
        "# HELP kaizen_stage Stage.\n"
        "# TYPE kaizen_stage gauge\n"
        "kaizen_stage{cycle=\"c1\",stage=\"planning\"} 0\n"
        "kaizen_stage{cycle=\"c1\",stage=\"training\"} 1\n");
  CHECK(CheckExposition(text).empty());
}

TEST_CASE("histograms are cumulative with +Inf, _sum and _count") {
  MetricsRegistry m;
  m.Declare("lat_seconds", Type::kHistogram, "Latency.", {0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 3.0}) m.Observe("lat_seconds", {{"model_version", "v1"}}, v);
  const std::string text = RenderText(m);
  INFO(text);
  CHECK(SampleValue(text, "lat_seconds_bucket{model_version=\"v1\",le=\"0.1\"}") == 2);  // le is inclusive
  CHECK(SampleValue(text, "lat_seconds_bucket{model_version=\"v1\",le=\"1\"}") == 3);
  CHECK(SampleValue(text, "lat_seconds_bucket{model_version=\"v1\",le=\"+Inf\"}") == 4);
  CHECK(SampleValue(text, "lat_seconds_count{model_version=\"v1\"}") == 4);
  CHECK(SampleValue(text, "lat_seconds_sum{model_version=\"v1\"}") == Approx(3.65));
  const auto problems = CheckExposition(text);
  INFO(Joined(problems));
  CHECK(problems.empty());
}

TEST_CASE("label values and help text are escaped") {
  MetricsRegistry m;
  m.Declare("x_total", Type::kCounter, "Back\\slash and\nnewline.");
  m.Add("x_total", {{"why", "say \"hi\"\\\n"}});
  const std::string text = RenderText(m);
  CHECK(text.find("# HELP x_total Back\\\\slash and\\nnewline.\n") != std::string::npos);
  CHECK(text.find("x_total{why=\"say \\\"hi\\\"\\\\\\n\"} 1\n") != std::string::npos);
  CHECK(CheckExposition(text).empty());
}

TEST_CASE("values: integers plain, fractions, infinities and NaN") {
  CHECK(FormatValue(42) == "42");
  CHECK(FormatValue(0.25) == "0.25");
  CHECK(FormatValue(1.0 / 0.0) == "+Inf");
  CHECK(FormatValue(-1.0 / 0.0) == "-Inf");
  CHECK(FormatValue(0.0 / 0.0) == "NaN");
}

TEST_CASE("the checker finds what is not exposition format") {
  // It must be able to fail: each of these is refused.
  CHECK_FALSE(CheckExposition("x 1\n").empty());                                  // no TYPE
  CHECK_FALSE(CheckExposition("# HELP x h\n# TYPE x counter\nx{a=b} 1\n").empty());  // unquoted label
  CHECK_FALSE(CheckExposition("# HELP x h\n# TYPE x counter\nx one\n").empty());  // bad value
  CHECK_FALSE(CheckExposition("# HELP 1x h\n# TYPE 1x counter\n1x 1\n").empty());  // bad name
  CHECK_FALSE(CheckExposition("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                              "h_sum 1\nh_count 1\n")
                  .empty());  // not cumulative
  CHECK_FALSE(CheckExposition("# HELP x h\n# TYPE x gauge\nx 1").empty());  // no final newline
}

TEST_CASE("Clear drops a family's series, Find reads one") {
  MetricsRegistry m;
  m.Declare("g", Type::kGauge, "G.");
  m.Set("g", {{"a", "1"}}, 5);
  REQUIRE(m.Find("g", {{"a", "1"}}) != nullptr);
  CHECK(m.Find("g", {{"a", "1"}})->value == 5);
  m.Clear("g");
  CHECK(m.Find("g", {{"a", "1"}}) == nullptr);
  CHECK(RenderText(m) == "# HELP g G.\n# TYPE g gauge\n");
}
