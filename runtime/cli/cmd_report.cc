// kaizen report [CYCLE] -o FILE: a self-contained HTML report of the run and
// one cycle (the last one by default), from the store (read-only).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/base/clock.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"
#include "runtime/report/cycle_story.h"
#include "runtime/report/html_report.h"
#include "runtime/report/timeline.h"

namespace kaizen::cli {

int RunReport(const ReportOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("report", o.state_dir, &code);
  if (!cluster) return code;
  const store::Store& store = *cluster->store;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "kaizen report: %s\n", s.message().c_str());
    return kExitFailure;
  };
  report::ReportInput in;
  in.cluster = std::filesystem::path(cluster->state_dir).lexically_normal().string();
  in.generated_ms = WallMs();
  auto cycles = report::ListCycleSummaries(store);
  if (!cycles.ok()) return fail(cycles.status());
  in.cycles = *cycles;
  std::string cycle = o.cycle;
  if (cycle.empty() && !in.cycles.empty()) cycle = in.cycles.back().value("id", "");
  in.story = nullptr;
  if (!cycle.empty()) {
    auto story = report::LoadCycleStory(store, cycle);
    if (!story.ok()) {
      std::fprintf(stderr, "kaizen report: %s\n", story.status().message().c_str());
      return story.status().code() == Status::Code::kNotFound ? kExitInvalid : kExitFailure;
    }
    in.story = *story;
  }
  auto timeline = report::LoadTimeline(store, {});
  if (!timeline.ok()) return fail(timeline.status());
  in.timeline = *timeline;
  const std::string html = report::RenderHtmlReport(in);
  // Written whole to a temporary file, then renamed: never a half report.
  const std::string tmp = o.output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << html;
    out.close();
    if (!out) return fail(Status::IOError("cannot write " + tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, o.output, ec);
  if (ec) return fail(Status::IOError("cannot rename " + tmp + " to " + o.output + ": " + ec.message()));
  std::printf("wrote %s (%zu bytes%s)\n", o.output.c_str(), html.size(),
              cycle.empty() ? ", no cycle yet" : (", cycle " + cycle).c_str());
  return kExitOk;
}

}  // namespace kaizen::cli
