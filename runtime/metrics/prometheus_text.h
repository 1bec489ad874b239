// The Prometheus text exposition format (version 0.0.4): a HELP and a TYPE
// line per family, then one line per sample; histograms as cumulative
// _bucket{le=...} lines ending with le="+Inf", then _sum and _count.
#pragma once

#include <string>

#include "runtime/metrics/metrics_registry.h"

namespace kaizen::metrics {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderText(const MetricsRegistry& registry);

// A sample value as the format writes it: integers without a fraction, +Inf, -Inf, NaN.
std::string FormatValue(double v);
// A label value with \, " and newline escaped.
std::string EscapeLabelValue(const std::string& v);

}  // namespace kaizen::metrics
