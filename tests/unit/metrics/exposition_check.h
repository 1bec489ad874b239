// A small checker of the Prometheus text exposition format (0.0.4), for tests:
// every line is a HELP, a TYPE, a comment or a sample with a valid name,
// labels and value; TYPE comes once, before the family's samples; histogram
// buckets are cumulative, end with le="+Inf", and _count equals that bucket.
#pragma once

#include <string>
#include <vector>

namespace kaizen::metrics::testing {

// Problems found, each "line N: what"; empty when the text is valid.
std::vector<std::string> CheckExposition(const std::string& text);

// The value of the sample written exactly as `series` (e.g. `a{b="c"}`), or -1 when absent.
double SampleValue(const std::string& text, const std::string& series);

}  // namespace kaizen::metrics::testing
