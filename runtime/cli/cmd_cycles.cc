// kaizen cycles: one line per improvement cycle, from the store (read-only),
// so it works with the cluster down.
#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/cli/commands.h"
#include "runtime/cli/stored_cluster.h"
#include "runtime/report/cycle_story.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

// "0.4s", "18s", "3m05", "2h10": fits 5 columns.
std::string ShortDuration(const json& ms) {
  if (!ms.is_number()) return "-";
  const double s = ms.get<double>() / 1000.0;
  if (s < 10) return fmt::format("{:.1f}s", s);
  if (s < 60) return fmt::format("{:.0f}s", s);
  const long m = static_cast<long>(s / 60);
  if (m < 60) return fmt::format("{}m{:02}", m, static_cast<long>(s) % 60);
  return fmt::format("{}h{:02}", m / 60, m % 60);
}

// "11-24 12:03" (UTC).
std::string ShortTime(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%m-%d %H:%M", &tm);
  return buf;
}

// Time spent in the stages of one kind (a replan visits planning twice).
json StageMs(const json& cycle, std::initializer_list<const char*> names) {
  bool any = false;
  int64_t total = 0;
  for (const auto& s : cycle["stages"]) {
    for (const char* n : names) {
      if (s["name"] == n) {
        any = true;
        if (s["duration_ms"].is_number()) total += s["duration_ms"].get<int64_t>();
        else return nullptr;  // still running
      }
    }
  }
  return any ? json(total) : json(nullptr);
}

}  // namespace

int RunCycles(const CyclesOptions& o) {
  int code = kExitOk;
  auto cluster = OpenStoredCluster("cycles", o.state_dir, &code);
  if (!cluster) return code;
  auto cycles = report::ListCycleSummaries(*cluster->store);
  if (!cycles.ok()) {
    std::fprintf(stderr, "kaizen cycles: %s\n", cycles.status().message().c_str());
    return kExitFailure;
  }
  if (o.output == "json") {
    std::printf("%s\n", cycles->dump(2).c_str());
    return kExitOk;
  }
  if (cycles->empty()) {
    std::printf("no improvement cycle has run in %s\n", cluster->state_dir.c_str());
    return kExitOk;
  }
  // 79 columns: times are UTC; durations per stage (planning includes waiting for approval).
  std::printf("%-5s %-11s %-11s %-11s %-7s %5s %5s %5s %5s %5s %5s\n", "CYCLE", "STARTED", "TRIGGER", "OUTCOME",
              "VERSION", "PLAN", "DATA", "TRAIN", "EVAL", "A/B", "TOTAL");
  for (const auto& c : *cycles) {
    const std::string versions = c.value("incumbent", "") + ">" + (c.value("candidate", "").empty() ? "?" : c.value("candidate", ""));
    json total = c["ended_ms"].is_number() ? json(c["ended_ms"].get<int64_t>() - c["started_ms"].get<int64_t>()) : json(nullptr);
    std::printf("%-5s %-11s %-11s %-11s %-7s %5s %5s %5s %5s %5s %5s\n", c.value("id", "").c_str(),
                ShortTime(c.value("started_ms", int64_t{0})).c_str(), c["trigger"].value("policy", "").substr(0, 11).c_str(),
                c.value("outcome", "").c_str(), versions.c_str(),
                ShortDuration(StageMs(c, {"triggered", "planning", "awaiting_approval"})).c_str(),
                ShortDuration(StageMs(c, {"generating_data"})).c_str(), ShortDuration(StageMs(c, {"training"})).c_str(),
                ShortDuration(StageMs(c, {"evaluating"})).c_str(), ShortDuration(StageMs(c, {"rolling_out"})).c_str(),
                ShortDuration(total).c_str());
  }
  std::printf("times UTC; `kaizen describe cycle ID` tells one cycle's story\n");
  return kExitOk;
}

}  // namespace kaizen::cli
