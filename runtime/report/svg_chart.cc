#include "runtime/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <fmt/format.h>

namespace kaizen::report {
namespace {

constexpr int kLeft = 64, kRight = 24, kTop = 44, kBottom = 78;

std::string Num(double v) { return fmt::format("{:.1f}", v); }

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// The axis range: the spec's when given, else the data's widened to nice ticks.
void AxisRange(double spec_min, double spec_max, Range data, double* lo, double* hi, std::vector<double>* ticks) {
  if (spec_min < spec_max) {
    *lo = spec_min;
    *hi = spec_max;
    *ticks = NiceTicks(*lo, *hi, 6);
    ticks->erase(std::remove_if(ticks->begin(), ticks->end(), [&](double t) { return t < *lo - 1e-9 || t > *hi + 1e-9; }),
                 ticks->end());
    return;
  }
  if (data.empty()) data = Range{0, 1};
  if (data.lo == data.hi) {
    data.lo -= data.lo == 0 ? 0 : std::abs(data.lo) * 0.1;
    data.hi += data.hi == 0 ? 1 : std::abs(data.hi) * 0.1;
  }
  *ticks = NiceTicks(data.lo, data.hi, 6);
  *lo = std::min(data.lo, ticks->front());
  *hi = std::max(data.hi, ticks->back());
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string ShortNumber(double v) {
  const double a = std::abs(v);
  std::string s;
  if (a >= 1e6) s = fmt::format("{:.3g}M", v / 1e6);
  else if (a >= 1e4) s = fmt::format("{:.3g}k", v / 1e3);
  else if (a >= 100 || a == 0) s = fmt::format("{:.0f}", v);
  else s = fmt::format("{:.3g}", v);
  return s == "-0" ? "0" : s;
}

std::vector<double> NiceTicks(double lo, double hi, int count) {
  if (!(hi > lo) || count < 2) return {lo};
  const double raw = (hi - lo) / (count - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (int k = 0; k < 50; ++k) {
    const double t = first + k * step;  // not a running sum: no drift
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= hi - 1e-9 * step) break;
  }
  return ticks;
}

std::string RenderSvgChart(const ChartSpec& spec) {
  const int w = spec.width, h = spec.height;
  const double pw = w - kLeft - kRight, ph = h - kTop - kBottom;
  Range xr, yr;
  size_t points = 0;
  for (const auto& s : spec.series) {
    for (const auto& p : s.points) {
      xr.Add(p.x);
      yr.Add(p.y);
      ++points;
    }
  }
  for (const auto& m : spec.markers) xr.Add(m.x);
  for (const auto& r : spec.references) yr.Add(r.y);
  double x0, x1, y0, y1;
  std::vector<double> xticks, yticks;
  AxisRange(spec.x_min, spec.x_max, xr, &x0, &x1, &xticks);
  AxisRange(spec.y_min, spec.y_max, yr, &y0, &y1, &yticks);
  auto fx = spec.x_format ? spec.x_format : ShortNumber;
  auto fy = spec.y_format ? spec.y_format : ShortNumber;
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return kTop + ph - (y - y0) / (y1 - y0) * ph; };

  std::string o;
  o += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "role=\"img\" aria-label=\"{}\" font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\" "
      "font-size=\"12\">\n",
      w, h, w, h, XmlEscape(spec.title));
  o += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", w, h);
  o += fmt::format("<text class=\"title\" x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\" fill=\"#222\">{}</text>\n",
                   kLeft, XmlEscape(spec.title));
  // Grid and tick labels.
  o += "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double t : yticks) o += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", kLeft, Num(py(t)), kLeft + pw, Num(py(t)));
  for (double t : xticks) o += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", Num(px(t)), kTop, Num(px(t)), kTop + ph);
  o += "</g>\n";
  o += "<g class=\"axis y-axis\" fill=\"#333\" text-anchor=\"end\">\n";
  for (double t : yticks) o += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft - 6, Num(py(t) + 4), XmlEscape(fy(t)));
  o += "</g>\n<g class=\"axis x-axis\" fill=\"#333\" text-anchor=\"middle\">\n";
  for (double t : xticks) o += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", Num(px(t)), kTop + ph + 16, XmlEscape(fx(t)));
  o += "</g>\n";
  o += fmt::format("<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\"><line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                   "<line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\"/></g>\n",
                   kLeft, kTop, kTop + ph, kLeft + pw);
  o += fmt::format("<text class=\"x-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>\n",
                   Num(kLeft + pw / 2), kTop + ph + 34, XmlEscape(spec.x_label));
  o += fmt::format("<text class=\"y-label\" x=\"14\" y=\"{0}\" text-anchor=\"middle\" fill=\"#333\" "
                   "transform=\"rotate(-90 14 {0})\">{1}</text>\n",
                   Num(kTop + ph / 2), XmlEscape(spec.y_label));
  // Reference lines and markers, under the data.
  for (const auto& r : spec.references) {
    if (r.y < y0 || r.y > y1) continue;
    o += fmt::format("<g class=\"reference\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-dasharray=\"6 4\"/>"
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\">{}</text></g>\n",
                     kLeft, Num(py(r.y)), kLeft + pw, Num(py(r.y)), XmlEscape(r.color), Num(kLeft + pw - 4),
                     Num(py(r.y) - 4), XmlEscape(r.color), XmlEscape(r.label));
  }
  for (size_t i = 0; i < spec.markers.size(); ++i) {
    const auto& m = spec.markers[i];
    if (m.x < x0 || m.x > x1) continue;
    // Labels alternate between two rows so that close markers stay readable.
    const double lx = px(m.x);
    const bool right_half = lx > kLeft + pw * 0.75;
    o += fmt::format("<g class=\"marker\"><line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.5\" "
                     "stroke-dasharray=\"4 3\"/><text x=\"{4}\" y=\"{5}\" text-anchor=\"{6}\" fill=\"{3}\" font-size=\"11\" "
                     "font-weight=\"bold\">{7}</text></g>\n",
                     Num(lx), kTop, kTop + ph, XmlEscape(m.color), Num(right_half ? lx - 3 : lx + 3),
                     kTop + 12 + 13 * static_cast<int>(i % 3), right_half ? "end" : "start", XmlEscape(m.label));
  }
  if (points == 0) {
    o += fmt::format("<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#999\" font-size=\"14\">no data</text>\n",
                     Num(kLeft + pw / 2), Num(kTop + ph / 2));
  }
  // The data, clipped to the plot area.
  o += fmt::format("<g class=\"series-group\"><svg x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                   "viewBox=\"{} {} {} {}\" overflow=\"hidden\">\n",
                   kLeft, kTop, Num(pw), Num(ph), kLeft, kTop, Num(pw), Num(ph));
  for (const auto& s : spec.series) {
    if (s.points.empty()) continue;
    std::string d;
    for (size_t i = 0; i < s.points.size(); ++i) {
      const auto& p = s.points[i];
      if (!std::isfinite(p.y) || !std::isfinite(p.x)) continue;
      if (d.empty()) {
        d += "M" + Num(px(p.x)) + " " + Num(py(p.y));
      } else {
        if (s.step) d += " H" + Num(px(p.x));
        d += " L" + Num(px(p.x)) + " " + Num(py(p.y));
      }
    }
    o += fmt::format("<path class=\"series\" data-name=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.2\"{} "
                     "stroke-linejoin=\"round\"/>\n",
                     XmlEscape(s.name), d, XmlEscape(s.color), s.dashed ? " stroke-dasharray=\"7 4\"" : "");
    if (s.dots || s.points.size() == 1) {
      for (const auto& p : s.points) {
        if (!std::isfinite(p.y) || !std::isfinite(p.x)) continue;
        o += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", Num(px(p.x)), Num(py(p.y)), XmlEscape(s.color));
      }
    }
  }
  o += "</svg></g>\n";
  // Legend: one row under the x-axis label.
  o += "<g class=\"legend\">\n";
  double lx = kLeft;
  const int ly = h - 14;
  for (const auto& s : spec.series) {
    o += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"{}/>"
                     "<text x=\"{}\" y=\"{}\" fill=\"#222\">{}</text>\n",
                     Num(lx), ly - 4, Num(lx + 22), ly - 4, XmlEscape(s.color), s.dashed ? " stroke-dasharray=\"7 4\"" : "",
                     Num(lx + 28), ly, XmlEscape(s.name));
    lx += 28 + 7.0 * static_cast<double>(s.name.size()) + 24;
  }
  o += "</g>\n</svg>\n";
  return o;
}

}  // namespace kaizen::report
