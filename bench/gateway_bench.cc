// Figure 7, the HTTP gateway: requests per second and the latency it adds
// (p50, p99) in front of the bus, at 1k, 5k and 10k requests/s offered.
//
// One real cluster (the kaizen binary, `kaizen up --detach`): a
// builtin-classifier worker trained on CLINC150's banking domain, no
// simulator, no triggers (no cycle can start), and a gateway with no rate
// limit. Two paths to the same worker through the same runtime, measured
// alternately at each rate (bus, gateway, bus, gateway, ...; medians of 3):
//
//   * bus (baseline): a BusClient, registered as a CLI peer, sends each task
//     as a Task envelope to "runtime" and reads the TaskResult, which is what
//     the gateway does for every HTTP request;
//   * gateway: POST /v1/tasks {"input", "user"} over keep-alive HTTP/1.1
//     connections, a pool of up to --connections (64) opened as needed
//     (http_load.h); the gateway has twice as many threads.
//
// Both open loop (open_loop.h): requests sent on a fixed schedule, latency
// from the scheduled send time, every request answered or counted lost.
//
// Before the runs, the gateway's CPU at rest, without and with the idle
// keep-alive connections open (what the connections cost by themselves).
//
//   gateway_bench [--kaizen BIN] [--data CLINC150_JSONL] [--rates 1000,5000,10000]
//                 [--connections N] [--seconds S] [--reps N] [--only bus|gateway]
//                 [--keep] [--json FILE] [--quick]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "bench/bus_load.h"
#include "bench/child_process.h"
#include "bench/http_load.h"
#include "bench/open_loop.h"
#include "bench/proc_cpu.h"
#include "bench/proc_rss.h"
#include "bench/report.h"
#include "bench/temp_dir.h"
#include "bench/timing.h"
#include "runtime/core/state_dir.h"

namespace kaizen::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Options {
  std::string kaizen = KAIZEN_BINARY;
  std::string data = KAIZEN_SOURCE_DIR "/manifests/data/clinc150.jsonl";
  std::vector<int> rates = {1000, 5000, 10000};
  int reps = 3;
  int connections = 64;
  double warmup_s = 0.5, measure_s = 2.0, drain_s = 35.0;  // the gateway answers 504 after 30 s
  double idle_s = 2.0;
  int users = 2000;
  std::string only;  // "bus" or "gateway": measure one path (profiling)
  bool keep = false;
};

enum class Path { kBus, kGateway };
const char* PathName(Path p) { return p == Path::kBus ? "bus" : "gateway"; }

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string RateName(int rate) { return rate % 1000 == 0 ? std::to_string(rate / 1000) + "k" : std::to_string(rate); }

std::string Manifest(const Options& o, int port) {
  return "apiVersion: kaizen.dev/v1\n"
         "kind: Cluster\n"
         "metadata: {name: gateway-bench}\n"
         "spec:\n"
         "  data:\n"
         "    clinc150: {path: " + o.data + "}\n"
         "  worker:\n"
         "    skill:\n"
         "      backend: builtin-classifier\n"
         "      train: {dataset: clinc150, split: train, domains: [banking]}\n"
         "  monitoring:\n"
         "    triggers: []                # no cycle can start\n"
         "  gateway:\n"
         "    listen: 127.0.0.1:" + std::to_string(port) + "\n"
         "    model: intents\n"
         "    rate_limit_per_s: 0\n"
         "    threads: " + std::to_string(2 * o.connections) + "\n";
}

// Banking messages the worker never trained on (the test split), each with a
// user: what both paths send, request i taking specs[i % size].
std::vector<TaskSpec> LoadSpecs(const Options& o) {
  std::vector<std::string> inputs;
  std::ifstream in(o.data);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("domain", "") == "banking" && j.value("split", "") == "test")
      inputs.push_back(j.value("text", ""));
  }
  if (inputs.empty()) inputs.push_back("what is the balance of my checking account");
  std::vector<TaskSpec> specs;
  for (int k = 0; k < o.users; ++k)
    specs.push_back({inputs[static_cast<size_t>(k) % inputs.size()], "user-" + std::to_string(k)});
  return specs;
}

struct Cluster {
  std::string state;
  int port = 0;
  pid_t runtime = 0;
  std::string control;
};

bool StartCluster(const Options& o, const std::string& dir, Cluster& c) {
  c.port = FreeLocalPort();
  c.state = dir + "/state";
  std::ofstream(dir + "/gateway-bench.yaml") << Manifest(o, c.port);
  const std::vector<std::string> up = {o.kaizen, "up", dir + "/gateway-bench.yaml", "--detach", "--state-dir", c.state};
  if (RunChild(up, dir + "/up.out", 120) != 0) {
    std::fprintf(stderr, "gateway_bench: the cluster did not start (see %s/up.out)\n", dir.c_str());
    return false;
  }
  auto info = core::ReadRuntimeInfo(core::StatePaths(c.state));
  if (!info.ok()) {
    std::fprintf(stderr, "gateway_bench: %s\n", info.status().ToString().c_str());
    return false;
  }
  c.runtime = static_cast<pid_t>(info->pid);
  c.control = info->control_endpoint;
  for (int waited = 0; waited < 120000; waited += 200, Sleep(200)) {
    if (HttpGetStatus(c.port, "/readyz", 2000) == 200) return true;
  }
  std::fprintf(stderr, "gateway_bench: the gateway was not ready within 120 s (logs in %s/logs)\n", c.state.c_str());
  return false;
}

struct Cell {
  double per_s = 0, p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  uint64_t sent = 0, lost = 0;
  CpuUse cpu;
  json raw;
};

Cell Measure(Path path, int rate, const Options& o, const Cluster& c, zmq::context_t& ctx,
             const std::vector<TaskSpec>& specs, const std::vector<std::string>& bodies, int run) {
  OpenLoopPlan plan;
  plan.rate_per_s = rate;
  plan.warmup_s = o.warmup_s;
  plan.measure_s = o.measure_s;
  plan.drain_s = o.drain_s;
  std::unique_ptr<Transport> t;
  if (path == Path::kBus) {
    const std::string run_id = "bench-" + std::to_string(run);
    t = std::make_unique<BusTransport>(ctx, c.control, run_id, run_id, specs);
  } else {
    t = std::make_unique<HttpTransport>(c.port, "/v1/tasks", bodies, o.connections);
  }
  auto processes = ProcessTree(c.runtime);
  processes.emplace_back(::getpid(), "bench");
  const CpuSample before = SampleCpu(processes);
  const int64_t t0 = NowNs();
  OpenLoopResult r = RunOpenLoop(*t, plan);
  const double wall = static_cast<double>(NowNs() - t0) / 1e9;
  const CpuSample after = SampleCpu(processes);
  t.reset();

  Cell cell;
  cell.per_s = r.answered_per_s;
  cell.p50_ms = Percentile(r.latency_us, 0.5) / 1000;
  cell.p99_ms = Percentile(r.latency_us, 0.99) / 1000;
  cell.p999_ms = Percentile(r.latency_us, 0.999) / 1000;
  cell.max_ms = r.latency_us.empty() ? 0 : r.latency_us.back() / 1000;  // sorted by Percentile
  cell.sent = r.sent;
  cell.lost = r.lost();
  cell.cpu = CpuBetween(before, after, wall);
  cell.raw = {{"path", PathName(path)},
              {"offered_per_s", rate},
              {"answered_per_s", cell.per_s},
              {"p50_ms", cell.p50_ms},
              {"p99_ms", cell.p99_ms},
              {"p999_ms", cell.p999_ms},
              {"max_ms", cell.max_ms},
              {"sent", r.sent},
              {"ok", r.ok},
              {"failed", r.failed},
              {"unanswered", r.unanswered},
              {"issue_lag_p99_us", r.issue_lag_p99_us},
              {"issue_lag_max_us", r.issue_lag_max_us},
              {"wall_s", wall},
              {"transport", r.transport},
              {"cpu_cores",
               {{"machine", cell.cpu.machine},
                {"processes", cell.cpu.processes},
                {"threads", cell.cpu.threads},
                {"waiting_for_a_cpu", cell.cpu.waiting}}}};
  std::string cpu;
  for (const auto& [p, cores] : cell.cpu.processes) {
    if (cores >= 0.01) cpu += fmt::format(" {} {:.2f}", p, cores);
  }
  double waiting = 0;
  for (const auto& [p, w] : cell.cpu.waiting) waiting += w;
  std::fprintf(stderr,
               "gateway_bench: %-7s %5d/s offered: %7.0f/s answered, p50 %6.3f ms, p99 %7.3f ms, max %7.1f ms, "
               "lost %llu | cores:%s; machine %.2f; threads waiting for a CPU %.2f\n",
               PathName(path), rate, cell.per_s, cell.p50_ms, cell.p99_ms, cell.max_ms,
               static_cast<unsigned long long>(cell.lost), cpu.c_str(), cell.cpu.machine, waiting);
  return cell;
}

// The gateway's CPU (cores) over idle_s with nothing to do: without
// connections, then with o.connections keep-alive connections open and idle.
void MeasureIdle(Report& report, const Options& o, const Cluster& c, const std::vector<std::string>& bodies) {
  const auto processes = ProcessTree(c.runtime);
  auto gateway_cores = [&] {
    const CpuSample before = SampleCpu(processes);
    Sleep(static_cast<int>(o.idle_s * 1000));
    const CpuUse use = CpuBetween(before, SampleCpu(processes), o.idle_s);
    auto it = use.processes.find("gateway");
    auto threads = use.threads.find("gateway");
    return std::make_pair(it == use.processes.end() ? 0.0 : it->second,
                          threads == use.threads.end() ? std::map<std::string, double>{} : threads->second);
  };
  const auto [alone, alone_threads] = gateway_cores();
  HttpTransport open(c.port, "/v1/tasks", bodies, o.connections, o.connections);
  const auto [idle, idle_threads] = gateway_cores();
  std::fprintf(stderr, "gateway_bench: gateway at rest: %.3f cores, %.3f with %d idle keep-alive connections\n", alone,
               idle, o.connections);
  report.Add({"gateway.idle_cores", idle, "cores", alone,
              "the gateway process at rest with no connection; value: with " + std::to_string(o.connections) +
                  " idle keep-alive connections open (as many as the load may open)",
              "", {{"threads_alone", alone_threads}, {"threads_with_connections", idle_threads}}});
}

void AddFigures(Report& report, const Options& o, std::map<int, std::map<Path, std::vector<Cell>>>& cells) {
  const std::string bus = "the same tasks sent over the bus (BusClient -> runtime -> worker) at the same offered rate, "
                          "measured alternately with the gateway";
  uint64_t lost_gw = 0, lost_bus = 0, sent_gw = 0, sent_bus = 0;
  for (int rate : o.rates) {
    auto& b = cells[rate][Path::kBus];
    auto& g = cells[rate][Path::kGateway];
    for (const Cell& c : b) {
      lost_bus += c.lost;
      sent_bus += c.sent;
    }
    for (const Cell& c : g) {
      lost_gw += c.lost;
      sent_gw += c.sent;
    }
    if (b.empty() || g.empty()) continue;
    const std::string k = RateName(rate);
    std::vector<double> added50, added99, gw_p50, gw_p99, bus_p50, bus_p99, gw_rps, bus_rps;
    for (size_t i = 0; i < std::min(b.size(), g.size()); ++i) {
      added50.push_back(g[i].p50_ms - b[i].p50_ms);
      added99.push_back(g[i].p99_ms - b[i].p99_ms);
    }
    for (const Cell& c : g) {
      gw_p50.push_back(c.p50_ms);
      gw_p99.push_back(c.p99_ms);
      gw_rps.push_back(c.per_s);
    }
    for (const Cell& c : b) {
      bus_p50.push_back(c.p50_ms);
      bus_p99.push_back(c.p99_ms);
      bus_rps.push_back(c.per_s);
    }
    const json details = {{"offered_per_s", rate},
                          {"gateway", {{"answered_per_s", gw_rps}, {"p50_ms", gw_p50}, {"p99_ms", gw_p99}}},
                          {"bus", {{"answered_per_s", bus_rps}, {"p50_ms", bus_p50}, {"p99_ms", bus_p99}}},
                          {"added_p50_ms", added50},
                          {"added_p99_ms", added99}};
    report.Add({"gateway.rps_" + k, Median(gw_rps), "req/s", Median(bus_rps),
                bus + "; " + std::to_string(rate) + "/s offered, open loop", "", details});
    report.Add({"gateway.p50_added_ms_" + k, Median(added50), "ms", Median(bus_p50),
                "p50 of the bus path; value = gateway p50 " + fmt::format("{:.3f}", Median(gw_p50)) +
                    " ms minus the bus p50 of the same repetition (median of the differences)",
                "", details});
    report.Add({"gateway.p99_added_ms_" + k, Median(added99), "ms", Median(bus_p99),
                "p99 of the bus path; value = gateway p99 " + fmt::format("{:.3f}", Median(gw_p99)) +
                    " ms minus the bus p99 of the same repetition (median of the differences)",
                rate == 10000 ? "value <= 1" : "", details});
  }
  report.Add({"gateway.lost", static_cast<double>(lost_gw), "requests", static_cast<double>(lost_bus),
              "requests lost on the bus path; value: gateway requests answered with a status other than 200 or not "
              "at all, of " + std::to_string(sent_gw) + " sent (bus: of " + std::to_string(sent_bus) + ")",
              "value <= 0"});
}

std::vector<int> ParseRates(const std::string& s) {
  std::vector<int> rates;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (int r = std::atoi(item.c_str()); r > 0) rates.push_back(r);
  }
  return rates;
}

int Run(const Options& o, Report& report) {
  TempDir dir("kzgw");
  Cluster cluster;
  // Stops the cluster; with --keep, keeps its files (logs, journal) for a look.
  auto finish = [&](int rc) {
    if (fs::exists(cluster.state + "/runtime.json"))
      RunChild({o.kaizen, "down", "--state-dir", cluster.state}, dir.path() + "/down.out", 60);
    if (o.keep) {
      const std::string keep = dir.path() + "-kept";
      std::error_code ec;
      fs::rename(dir.path(), keep, ec);
      std::fprintf(stderr, "gateway_bench: kept %s\n", keep.c_str());
    }
    return rc;
  };
  if (!StartCluster(o, dir.path(), cluster)) return finish(1);
  const std::vector<TaskSpec> specs = LoadSpecs(o);
  std::vector<std::string> bodies;
  for (const TaskSpec& s : specs) bodies.push_back(json{{"input", s.input}, {"user", s.user}}.dump());
  zmq::context_t ctx(1);

  std::map<int, std::map<Path, std::vector<Cell>>> cells;
  json raw = json::array();
  int run = 0;
  bool ok = true;
  try {
    MeasureIdle(report, o, cluster, bodies);
    for (int rep = 0; rep < o.reps; ++rep) {
      for (int rate : o.rates) {
        for (Path p : {Path::kBus, Path::kGateway}) {
          if (!o.only.empty() && o.only != PathName(p)) continue;
          Cell c = Measure(p, rate, o, cluster, ctx, specs, bodies, ++run);
          c.raw["rep"] = rep;
          raw.push_back(c.raw);
          cells[rate][p].push_back(std::move(c));
          Sleep(300);  // let the runtime's last commits and the gateway's reports settle
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gateway_bench: %s\n", e.what());
    ok = false;
  }
  report.Set("runs", raw);
  AddFigures(report, o, cells);
  return finish(ok ? 0 : 1);
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  spdlog::set_level(spdlog::level::err);
  Options o;
  if (QuickArg(argc, argv)) {
    o.reps = 1;
    o.warmup_s = 0.3;
    o.measure_s = 1.0;
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--keep") o.keep = true;
    if (i + 1 >= argc) continue;
    if (a == "--kaizen") o.kaizen = argv[++i];
    else if (a == "--rates") o.rates = ParseRates(argv[++i]);
    else if (a == "--connections") o.connections = std::max(1, std::atoi(argv[++i]));
    else if (a == "--seconds") o.measure_s = std::max(0.1, std::atof(argv[++i]));
    else if (a == "--reps") o.reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--only") o.only = argv[++i];
    else if (a == "--data") o.data = fs::absolute(argv[++i]).string();
  }
  Report report("gateway");
  report.Set("settings", {{"rates_per_s", o.rates},
                          {"reps", o.reps},
                          {"connections", o.connections},
                          {"gateway_threads", 2 * o.connections},
                          {"warmup_s", o.warmup_s},
                          {"measure_s", o.measure_s},
                          {"drain_s", o.drain_s},
                          {"users", o.users},
                          {"cluster", "kaizen up --detach: builtin-classifier worker (CLINC150 banking), no simulator, "
                                      "no triggers, gateway with rate_limit_per_s 0"},
                          {"order", "per repetition, per rate: bus then gateway"}});
  const int rc = Run(o, report);
  if (!report.WriteJson(JsonPathArg(argc, argv))) return 1;
  return rc;
}
