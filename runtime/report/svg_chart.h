// SvgChart: a line chart drawn as one self-contained inline <svg> element
// (no scripts, no external fonts or styles), for the HTML report. Axes with
// ticks and labels, a legend, vertical markers (e.g. "drift", "trigger",
// "promoted") and horizontal reference lines (e.g. a budget). Every label is
// XML-escaped, so text from the journal cannot break the markup.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace kaizen::report {

struct Point {
  double x = 0, y = 0;
};

struct Series {
  std::string name;             // legend text
  std::string color;            // any SVG color, e.g. "#1f77b4"
  std::vector<Point> points;    // drawn in the order given; x need not be evenly spaced
  bool step = false;            // a staircase (value holds until the next point), e.g. cumulative spend
  bool dashed = false;
  bool dots = false;            // a small circle at each point
};

struct Marker {
  double x = 0;
  std::string label;
  std::string color = "#555";
};

struct ReferenceLine {
  double y = 0;
  std::string label;
  std::string color = "#999";
};

struct ChartSpec {
  std::string title;
  std::string x_label, y_label;
  int width = 760, height = 300;
  std::vector<Series> series;
  std::vector<Marker> markers;
  std::vector<ReferenceLine> references;
  // Axis ranges; when min == max the range is taken from the data (and
  // markers/references) with "nice" round ends.
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  // Tick label formatters; default: a short number ("0.25", "1200", "1.5k").
  std::function<std::string(double)> x_format, y_format;
};

// The chart as an <svg> element. A chart with no points says "no data" in
// its plot area instead of drawing empty axes that look like a flat line.
std::string RenderSvgChart(const ChartSpec& spec);

// "Nice" tick values covering [lo, hi], about `count` of them (1, 2, 2.5, 5 x 10^k steps).
std::vector<double> NiceTicks(double lo, double hi, int count);

// Escapes & < > " ' for XML text and attribute values.
std::string XmlEscape(const std::string& text);

// "1.5k", "0.25", "12", "3.2M": short numbers for tick labels.
std::string ShortNumber(double v);

}  // namespace kaizen::report
