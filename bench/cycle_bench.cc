// Figures 5 and 6: the cost of orchestrating an improvement cycle, and the
// memory of every process, from real runs of the kaizen binary.
//
//  1. idle: the scenario manifest without its simulator, `kaizen up
//     --detach`; once every agent is idle, the RSS of the runtime and each
//     agent, and of a bare `kaizen logs -f` (the floor of any kaizen process).
//  2. load: the scenario at --rate tasks/s (default 1000) in the foreground
//     with --summary-json, sampling the RSS of the runtime and its
//     descendants every 100 ms; then the cycle is taken apart (cycle_timeline.h).
//
//   cycle_bench [--kaizen BIN] [--manifest YAML] [--rate N] [--json FILE] [--keep]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/child_process.h"
#include "bench/cycle_timeline.h"
#include "bench/proc_rss.h"
#include "bench/report.h"
#include "bench/scenario_manifest.h"
#include "bench/temp_dir.h"
#include "runtime/store/store.h"

namespace kaizen::bench {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string kaizen = KAIZEN_BINARY;
  std::string manifest = KAIZEN_SOURCE_DIR "/manifests/intent-router.yaml";
  int rate = 1000;
  int timeout_s = 300;
  bool keep = false;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
double MiB(int64_t kib) { return static_cast<double>(kib) / 1024.0; }

// Every registered agent idle (a worker with a model among them).
bool AllIdle(const std::string& state_dir) {
  auto s = store::Store::Open(state_dir + "/state.db", store::Store::Mode::kReadOnly);
  if (!s.ok()) return false;
  auto agents = (*s)->ListAgents();
  if (!agents.ok() || agents->empty()) return false;
  bool worker_ready = false;
  for (const auto& a : *agents) {
    if (a.state != "idle") return false;
    worker_ready = worker_ready || (a.role == "worker" && !a.model_version.empty());
  }
  return worker_ready;
}

struct Idle {
  std::map<std::string, RssStats> rss;
  int64_t bare_cli_kib = 0;
  bool ok = false;
};

Idle MeasureIdle(const Options& o, const std::string& dir, const std::string& manifest) {
  Idle idle;
  const std::string state = dir + "/idle";
  if (RunChild({o.kaizen, "up", manifest, "--detach", "--state-dir", state}, dir + "/idle-up.out", 120) != 0) {
    std::fprintf(stderr, "cycle_bench: the idle cluster did not start (see %s/idle-up.out)\n", dir.c_str());
    return idle;
  }
  auto info = nlohmann::json::parse(ReadText(state + "/runtime.json"), nullptr, false);
  const pid_t runtime = info.is_object() ? info.value("pid", 0) : 0;
  for (int waited = 0; waited < 60000 && !AllIdle(state); waited += 200) Sleep(200);
  Sleep(1000);
  pid_t cli = StartChild({o.kaizen, "logs", "-f", "--state-dir", state}, dir + "/idle-logs.out");
  Sleep(1000);
  RssTracker tracker;
  for (int i = 0; i < 5; ++i, Sleep(200)) tracker.Sample(runtime);
  idle.rss = tracker.stats();
  idle.bare_cli_kib = ReadRssKib(cli);
  StopChild(cli, 2000);
  RunChild({o.kaizen, "down", "--state-dir", state}, dir + "/idle-down.out", 60);
  idle.ok = runtime > 0 && !idle.rss.empty();
  return idle;
}

struct Load {
  std::map<std::string, RssStats> rss;
  nlohmann::json summary;
  bool ok = false;
};

Load RunScenario(const Options& o, const std::string& dir, const std::string& manifest) {
  Load load;
  const std::string state = dir + "/load";
  pid_t pid = StartChild({o.kaizen, "up", manifest, "--state-dir", state, "--summary-json", dir + "/summary.json"},
                         dir + "/load-up.out");
  if (pid < 0) return load;
  RssTracker tracker;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  std::optional<int> status;
  while (!(status = ExitedStatus(pid))) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "cycle_bench: the scenario ran past %d s; stopping it\n", o.timeout_s);
      StopChild(pid, 10000);
      break;
    }
    tracker.Sample(pid);
    Sleep(100);
  }
  load.rss = tracker.stats();
  load.summary = nlohmann::json::parse(ReadText(dir + "/summary.json"), nullptr, false);
  load.ok = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0 && load.summary.is_object();
  if (!load.ok) std::fprintf(stderr, "cycle_bench: the scenario failed (see %s/load-up.out)\n", dir.c_str());
  return load;
}

std::string Ms(int64_t ms) { return std::to_string(ms) + " ms"; }

void AddCycle(Report& report, const Load& load, const std::string& state_dir) {
  const auto& cycles = load.summary.value("cycles", nlohmann::json::array());
  if (cycles.empty()) {
    std::fprintf(stderr, "cycle_bench: the scenario ran no improvement cycle\n");
    return;
  }
  const auto& c = cycles[0];
  CycleTimeline t = AnalyzeCycle(state_dir, c.value("id", ""), c.value("candidate", ""));
  report.Set("cycle", t.ToJson());
  report.Set("summary", {{"stages", c.value("stages", nlohmann::json::array())},
                         {"outcome", c.value("outcome", "")},
                         {"tasks", load.summary.value("tasks", nlohmann::json::object())},
                         {"wall_seconds", load.summary.value("wall_seconds", 0.0)}});
  if (t.cycle_id.empty()) {
    std::fprintf(stderr, "cycle_bench: cycle %s has no final stage in the journal\n", c.value("id", "").c_str());
    return;
  }
  std::string what = "wall time of cycle " + t.cycle_id + " (" + t.outcome + "); not orchestration:";
  for (const auto& i : t.excluded) what += " " + i.name + " " + Ms(i.end_ms - i.start_ms) + ",";
  what += " left:";
  for (const auto& g : t.gaps) what += " " + g.name + " " + Ms(g.end_ms - g.start_ms) + ",";
  what.pop_back();
  if (!t.missing.empty()) {
    what += "; NOT FOUND (counted as overhead):";
    for (const auto& m : t.missing) what += " " + m;
  }
  report.Add({"cycle.overhead_ms", t.overhead_ms, "ms", static_cast<double>(t.end_ms - t.start_ms), what,
              "value < 500"});
}

void AddFootprint(Report& report, const Idle& idle, const Load& load) {
  const double bare = MiB(idle.bare_cli_kib);
  for (const auto& [name, s] : idle.rss) {
    report.Add({"footprint." + name + ".rss_idle", MiB(s.max_rss_kib), "MiB", bare,
                "a bare `kaizen logs -f` (the binary, connected, doing nothing)", "",
                {{"vm_hwm_mib", MiB(s.hwm_kib)}, {"samples", s.samples}}});
  }
  int64_t total_load = 0, total_idle = 0;
  for (const auto& [name, s] : load.rss) {
    auto it = idle.rss.find(name);
    const bool has_idle = it != idle.rss.end();
    const double base = has_idle ? MiB(it->second.max_rss_kib) : bare;
    total_load += s.hwm_kib;
    if (has_idle) total_idle += it->second.max_rss_kib;
    report.Add({"footprint." + name + ".rss_load", MiB(s.hwm_kib), "MiB", base,
                std::string(has_idle ? "the same process at idle" : "a bare `kaizen logs -f` (no idle twin)") +
                    "; value: peak RSS (VmHWM) during the run; largest sampled RSS " +
                    std::to_string(static_cast<int>(MiB(s.max_rss_kib) + 0.5)) + " MiB",
                "",
                {{"max_sampled_rss_mib", MiB(s.max_rss_kib)}, {"samples", s.samples}}});
  }
  report.Add({"footprint.total.rss_load", MiB(total_load), "MiB", MiB(total_idle),
              "sum at idle; value: sum of every process's peak (an upper bound: the peaks need not coincide)", ""});
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keep") o.keep = true;
    if (i + 1 >= argc) continue;
    if (a == "--kaizen") o.kaizen = argv[++i];
    else if (a == "--manifest") o.manifest = argv[++i];
    else if (a == "--rate") o.rate = std::atoi(argv[++i]);
  }
  const std::string manifest_dir = fs::absolute(o.manifest).parent_path().string();
  const std::string text = AbsoluteDataPaths(ReadText(o.manifest), manifest_dir);
  if (text.empty()) {
    std::fprintf(stderr, "cycle_bench: cannot read %s\n", o.manifest.c_str());
    return 1;
  }
  TempDir dir("kzcycle");
  WriteText(dir.path() + "/idle.yaml", WithoutSimulator(text));
  WriteText(dir.path() + "/load.yaml", WithSimulatorRate(text, o.rate));

  Report report("cycle");
  report.Set("settings", {{"manifest", o.manifest},
                          {"rate_per_s", o.rate},
                          {"idle", "the manifest without its simulator, every agent idle"},
                          {"load", "the scenario at rate_per_s; RSS sampled every 100 ms"}});
  Idle idle = MeasureIdle(o, dir.path(), dir.path() + "/idle.yaml");
  Load load = RunScenario(o, dir.path(), dir.path() + "/load.yaml");
  if (load.ok) AddCycle(report, load, dir.path() + "/load");
  AddFootprint(report, idle, load);
  if (o.keep) {
    const std::string keep = dir.path() + "-kept";
    std::error_code ec;
    fs::rename(dir.path(), keep, ec);
    std::fprintf(stderr, "cycle_bench: kept %s\n", keep.c_str());
  }
  bool ok = report.WriteJson(JsonPathArg(argc, argv));
  return ok && idle.ok && load.ok ? 0 : 1;
}
