#include <catch2/catch.hpp>

#include "runtime/report/svg_chart.h"
#include "tests/unit/report/xml_check.h"

using namespace kaizen::report;
using kaizen::testing::CheckXml;
using kaizen::testing::Count;

namespace {

ChartSpec TwoSeries() {
  ChartSpec c;
  c.title = "Quality";
  c.x_label = "time (s)";
  c.y_label = "rate";
  c.series.push_back({"thumbs-up", "#1f77b4", {{0, 0.9}, {10, 0.88}, {20, 0.5}, {30, 0.85}}, false, false, false});
  c.series.push_back({"accuracy", "#2ca02c", {{5, 0.92}, {25, 0.47}}, false, false, true});
  c.markers.push_back({12, "drift", "#ff7f0e"});
  c.markers.push_back({18, "trigger c1", "#d62728"});
  c.references.push_back({0.8, "target", "#999"});
  return c;
}

}  // namespace

TEST_CASE("a chart is one well-formed svg element with axes, ticks, a legend, markers and its series") {
  const std::string svg = RenderSvgChart(TwoSeries());
  INFO(svg);
  CHECK(CheckXml(svg).empty());
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(Count(svg, "class=\"series\"") == 2);
  CHECK(Count(svg, "class=\"marker\"") == 2);
  CHECK(Count(svg, "class=\"reference\"") == 1);
  CHECK(svg.find(">drift<") != std::string::npos);
  CHECK(svg.find(">trigger c1<") != std::string::npos);
  CHECK(svg.find(">time (s)<") != std::string::npos);   // x-axis label
  CHECK(svg.find(">rate<") != std::string::npos);       // y-axis label
  CHECK(svg.find("class=\"legend\"") != std::string::npos);
  CHECK(svg.find(">thumbs-up<") != std::string::npos);
  CHECK(svg.find(">accuracy<") != std::string::npos);
  CHECK(Count(svg, "<circle") == 2);                     // dots on the accuracy series only
  CHECK(svg.find("no data") == std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("href") == std::string::npos);          // nothing external
}

TEST_CASE("labels from the journal are escaped, so they cannot break the markup") {
  ChartSpec c = TwoSeries();
  c.title = "cycle <c1> & \"friends\" 'quoted'";
  c.series[0].name = "</svg><script>alert(1)</script>";
  c.markers[0].label = "a < b && c > d";
  c.x_label = std::string("bell\x07") + "char";
  const std::string svg = RenderSvgChart(c);
  INFO(svg);
  CHECK(CheckXml(svg).empty());
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find("&lt;/svg&gt;&lt;script&gt;") != std::string::npos);
  CHECK(svg.find("cycle &lt;c1&gt; &amp; &quot;friends&quot; &#39;quoted&#39;") != std::string::npos);
  CHECK(svg.find("a &lt; b &amp;&amp; c &gt; d") != std::string::npos);
  CHECK(svg.find('\x07') == std::string::npos);
}

TEST_CASE("points map into the plot area: larger y is drawn higher, later x further right") {
  ChartSpec c;
  c.width = 400;
  c.height = 200;
  c.x_min = 0;
  c.x_max = 10;
  c.y_min = 0;
  c.y_max = 1;
  c.series.push_back({"s", "#000", {{0, 0}, {10, 1}}, false, false, false});
  const std::string svg = RenderSvgChart(c);
  // Plot area: left 64, right 24, top 44, bottom 78 -> x 64..376, y 44..122.
  CHECK(svg.find("d=\"M64.0 122.0 L376.0 44.0\"") != std::string::npos);
  c.series[0].step = true;
  const std::string step = RenderSvgChart(c);
  CHECK(step.find("d=\"M64.0 122.0 H376.0 L376.0 44.0\"") != std::string::npos);
}

TEST_CASE("a chart without points says so instead of drawing an empty line") {
  ChartSpec c;
  c.title = "A/B test";
  c.series.push_back({"candidate", "#f00", {}, false, false, false});
  const std::string svg = RenderSvgChart(c);
  CHECK(CheckXml(svg).empty());
  CHECK(svg.find(">no data<") != std::string::npos);
  CHECK(Count(svg, "class=\"series\"") == 0);
}

TEST_CASE("ticks are round numbers covering the range") {
  auto u = NiceTicks(0, 1, 6);
  REQUIRE(u.size() == 6);
  for (size_t i = 0; i < u.size(); ++i) CHECK(u[i] == Approx(0.2 * static_cast<double>(i)).margin(1e-12));
  auto t = NiceTicks(3, 97, 6);
  REQUIRE(t.size() >= 2);
  CHECK(t.front() <= 3);
  CHECK(t.back() >= 97);
  CHECK(t[1] - t[0] == 20);
  CHECK(NiceTicks(5, 5, 6) == std::vector<double>{5});
  CHECK(ShortNumber(0) == "0");
  CHECK(ShortNumber(0.25) == "0.25");
  CHECK(ShortNumber(1200) == "1200");
  CHECK(ShortNumber(15000) == "15k");
  CHECK(ShortNumber(2500000) == "2.5M");
}
