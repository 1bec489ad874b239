// HtmlReport: one self-contained HTML page about a run and one of its cycles:
// inline CSS, charts as inline SVG, no scripts and no external resources, so
// it reads the same offline, attached to a ticket or printed.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::report {

struct ReportInput {
  std::string cluster;          // a name for the heading (e.g. the state dir)
  int64_t generated_ms = 0;     // when the report was made
  nlohmann::json timeline;      // LoadTimeline()
  nlohmann::json cycles;        // ListCycleSummaries()
  nlohmann::json story;         // LoadCycleStory() of the cycle reported on; null when there is none
};

// Figures: with a simulator, its users' accuracy per phase (before and after
// the drift, during the cycle, after a promotion); the answers deferred to a
// teacher, overall and during a cycle, with their cost (when there were any).
// Charts: quality (thumbs-up rate and, with a simulator, accuracy) over time with the
// drift, triggers and outcomes marked; answers per model version; the A/B
// test's cumulative thumbs-up rate per arm; teacher spend against the plan's budget;
// the training curve. Tables: every cycle, and the reported cycle's story
// (trigger evidence, plan, data, evaluation, A/B counts, decision).
std::string RenderHtmlReport(const ReportInput& input);

// "m:ss" below an hour, "h:mm" above: elapsed time for chart axes.
std::string ElapsedLabel(double seconds, double span_seconds);

}  // namespace kaizen::report
