// Worker replicas (issue 17): tasks per second through the runtime with 1,
// 2 and 4 replicas of a deliberately slow worker (a fixed 1 ms of CPU per
// task), against the same number of independent workers with no router.
//
// Routed: one real cluster per replica count (replica_cluster.h: `kaizen up
// --detach`, the worker external with `replicas: N`, nothing else running)
// and N slow-worker processes (slow_worker.h, this binary's --slow-worker
// mode) that join as worker, worker-2, ...; a client (runtime_pinger.h)
// keeps --window-per-replica x N tasks in flight to the runtime, which picks
// a replica for each by least outstanding tasks, and counts the answers.
//
// Baseline: N processes (this binary's --burn mode) that burn the same 1 ms
// per task as fast as they can, no messaging at all: N x one worker alone,
// as far as the cores allow. Target: routed / baseline >= 0.8 for N up to
// the core count; above it the figure is printed without a target.
//
// Per replica count, repetitions alternate (routed, baseline, routed, ...)
// since the machine is shared; medians are reported, every run is in the JSON.
// Each worker of either side runs in a session of its own, as the runtime
// does (see RunHelperMode).
//
// Beside each throughput, the CPU that one task costs on each side (every
// process's CPU time over the run / the tasks answered): unlike tasks per
// second it does not depend on what else the machine runs.
//
//   replica_bench [--kaizen BIN] [--replicas 1,2,4] [--reps N] [--seconds S]
//                 [--window-per-replica W] [--task-us U] [--keep] [--json FILE] [--quick]
//   replica_bench --slow-worker --id ID --connect ENDPOINT --model FILE [--task-ns NS]
//   replica_bench --burn --task-ns NS --from-ns T0 --to-ns T1      (prints the tasks done in [T0, T1))
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "bench/child_process.h"
#include "bench/cpu_burn.h"
#include "bench/proc_cpu.h"
#include "bench/replica_cluster.h"
#include "bench/report.h"
#include "bench/runtime_pinger.h"
#include "bench/slow_worker.h"
#include "bench/temp_dir.h"
#include "bench/timing.h"

namespace kaizen::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Options {
  std::string kaizen = KAIZEN_BINARY;
  std::string data = KAIZEN_SOURCE_DIR "/manifests/data/clinc150.jsonl";
  std::vector<int> replicas = {1, 2, 4};
  // Short runs, many times: the load of a shared machine changes within
  // seconds, so routed and baseline runs alternate closely.
  int reps = 5;
  double warmup_s = 0.5, measure_s = 1.5;
  int window_per_replica = 16;  // a replica always has its next tasks queued while it burns one
  int64_t task_ns = 1000000;
  int users = 2000;
  int serve_timeout_ms = 30000;
  bool keep = false;
};

std::string SelfExecutable() {
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : "replica_bench";
}

// "worker 0.74 (0.21 waiting)": cores on a CPU, and its threads' time ready
// to run but waiting for one (a busy machine), per second.
std::string Cores(const CpuUse& cpu) {
  std::string s;
  for (const auto& [p, cores] : cpu.processes) {
    auto w = cpu.waiting.find(p);
    s += fmt::format(" {} {:.2f} ({:.2f} waiting)", p, cores, w == cpu.waiting.end() ? 0.0 : w->second);
  }
  return s;
}

// One run of either side.
struct Sample {
  double per_s = 0;             // tasks answered per second over the measured interval
  double cpu_us_per_task = 0;   // every process's CPU over the run / every task answered in it
  json raw;
};

Sample MeasureRouted(const Options& o, const ReplicaCluster& cluster, RuntimePinger& client, int n, int rep) {
  auto processes = cluster.Processes();
  processes.emplace_back(::getpid(), "bench-client");
  const auto answers_before = client.answers_by_worker();
  const uint64_t errors_before = client.errors();
  const CpuSample before = SampleCpu(processes);
  const int64_t t0 = NowNs();
  const Throughput t = MeasureThroughput(client, o.warmup_s, o.measure_s, o.window_per_replica * n);
  const double wall = static_cast<double>(NowNs() - t0) / 1e9;
  const CpuUse cpu = CpuBetween(before, SampleCpu(processes), wall);

  // Which replica answered, over the whole run (warm-up and drain included).
  json by_worker = json::object();
  std::string spread;
  uint64_t all = 0;
  for (const auto& [worker, count] : client.answers_by_worker()) {
    auto it = answers_before.find(worker);
    const uint64_t d = count - (it == answers_before.end() ? 0 : it->second);
    by_worker[worker] = d;
    all += d;
    spread += fmt::format(" {} {}", worker, d);
  }
  // CPU per task: the runtime, all workers together, the client.
  json cpu_us = json::object();
  double total_us = 0;
  for (const auto& [p, cores] : cpu.processes) {
    const std::string part = p.rfind("worker", 0) == 0 ? "workers" : p;
    const double us = all == 0 ? 0 : cores * wall * 1e6 / static_cast<double>(all);
    cpu_us[part] = cpu_us.value(part, 0.0) + us;
    total_us += us;
  }
  json router;
  if (auto s = client.QueryStatus(5000); s.ok()) router = json::parse(s->router_json(), nullptr, false);
  Sample r;
  r.per_s = t.per_s;
  r.cpu_us_per_task = total_us;
  r.raw = {{"replicas", n},
           {"rep", rep},
           {"path", "routed"},
           {"tasks_per_s", t.per_s},
           {"answered", t.answered},
           {"answered_in_run", all},
           {"seconds", t.seconds},
           {"window", o.window_per_replica * n},
           {"answers_by_replica", by_worker},
           {"task_errors", client.errors() - errors_before},
           {"router", router},
           {"cpu_us_per_task", total_us},
           {"cpu_us_per_task_by_process", cpu_us},
           {"cpu_cores",
            {{"machine", cpu.machine},
             {"processes", cpu.processes},
             {"threads", cpu.threads},
             {"waiting_for_a_cpu", cpu.waiting}}}};
  std::fprintf(stderr,
               "replica_bench: %d replica(s) routed:   %7.0f tasks/s, %4.0f us CPU/task (runtime %.0f, workers %.0f, "
               "client %.0f) | answers by replica:%s | cores:%s; machine %.2f\n",
               n, t.per_s, total_us, cpu_us.value("runtime", 0.0), cpu_us.value("workers", 0.0),
               cpu_us.value("bench-client", 0.0), spread.c_str(), Cores(cpu).c_str(), cpu.machine);
  if (client.errors() > errors_before)
    std::fprintf(stderr, "replica_bench: %llu tasks answered with an error, the last: %s\n",
                 static_cast<unsigned long long>(client.errors() - errors_before), client.last_error().c_str());
  return r;
}

// n --burn processes over the same warm-up and measured interval; their
// tasks summed. Throws if one does not report.
Sample MeasureBaseline(const Options& o, const std::string& self, const std::string& dir, int n, int rep) {
  const int64_t start = NowNs();
  const int64_t from = start + static_cast<int64_t>(o.warmup_s * 1e9);
  const int64_t to = from + static_cast<int64_t>(o.measure_s * 1e9);
  const CpuSample before = SampleCpu({});
  std::vector<pid_t> pids;
  std::vector<std::string> outputs;
  for (int i = 0; i < n; ++i) {
    outputs.push_back(fmt::format("{}/burn-{}-{}-{}.out", dir, n, rep, i));
    pids.push_back(StartChild({self, "--burn", "--task-ns", std::to_string(o.task_ns), "--from-ns",
                               std::to_string(from), "--to-ns", std::to_string(to)},
                              outputs.back()));
  }
  std::vector<uint64_t> done;
  uint64_t measured = 0, all = 0;
  int64_t cpu_ns = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    if (pids[i] < 0) throw std::runtime_error("cannot start " + self + " --burn");
    std::optional<int> st;
    while (!(st = ExitedStatus(pids[i])) && NowNs() < to + 10000000000LL)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!st) StopChild(pids[i], 1000);
    uint64_t count = 0, tasks = 0;
    int64_t ns = 0;
    std::ifstream in(outputs[i]);
    if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0 || !(in >> count >> tasks >> ns))
      throw std::runtime_error("a baseline worker did not report (see " + outputs[i] + ")");
    done.push_back(count);
    measured += count;
    all += tasks;
    cpu_ns += ns;
  }
  const CpuUse cpu = CpuBetween(before, SampleCpu({}), static_cast<double>(NowNs() - start) / 1e9);
  Sample b;
  b.per_s = static_cast<double>(measured) / o.measure_s;
  b.cpu_us_per_task = all == 0 ? 0 : static_cast<double>(cpu_ns) / 1e3 / static_cast<double>(all);
  b.raw = {{"replicas", n},
           {"rep", rep},
           {"path", "baseline"},
           {"tasks_per_s", b.per_s},
           {"tasks_by_process", done},
           {"seconds", o.measure_s},
           {"cpu_us_per_task", b.cpu_us_per_task},
           {"cpu_cores", {{"machine", cpu.machine}}}};
  std::string each;
  for (uint64_t d : done) each += " " + std::to_string(d);
  std::fprintf(stderr,
               "replica_bench: %d replica(s) baseline: %7.0f tasks/s, %4.0f us CPU/task | tasks by process:%s | "
               "machine %.2f cores\n",
               n, b.per_s, b.cpu_us_per_task, each.c_str(), cpu.machine);
  return b;
}

std::string List(const std::vector<double>& v, const char* format) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : " ") + fmt::format(fmt::runtime(format), x);
  return s;
}

void AddFigures(Report& report, const Options& o, int n, const std::vector<Sample>& routed,
                const std::vector<Sample>& baseline, const json& runs) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  std::vector<double> routed_per_s, baseline_per_s, routed_us, baseline_us, paired;
  for (const Sample& r : routed) {
    routed_per_s.push_back(r.per_s);
    routed_us.push_back(r.cpu_us_per_task);
  }
  for (const Sample& b : baseline) {
    baseline_per_s.push_back(b.per_s);
    baseline_us.push_back(b.cpu_us_per_task);
  }
  // Each routed run against the baseline run right after it: less exposed
  // to the machine's load changing between runs than the medians' ratio.
  for (size_t i = 0; i < routed.size() && i < baseline.size(); ++i)
    paired.push_back(Ratio(routed[i].per_s, baseline[i].per_s));
  std::fprintf(stderr, "replica_bench: %d replica(s): median of the paired ratios %.2f (%s)\n", n, Median(paired),
               List(paired, "{:.2f}").c_str());

  const std::string ns = std::to_string(n);
  std::string is = ns + " independent process" + (n == 1 ? "" : "es") + " burning " +
                   fmt::format("{:g}", static_cast<double>(o.task_ns) / 1e6) +
                   " ms of CPU per task, no messaging (linear scaling of one worker alone, as far as the cores "
                   "allow); alternated with the routed runs, medians of " + std::to_string(routed.size()) +
                   "; median of the paired ratios " + fmt::format("{:.2f}", Median(paired));
  std::string target;
  if (n <= cores) {
    target = "ratio >= 0.8";
  } else {
    is += "; no target: " + ns + " workers on " + std::to_string(cores) +
          " cores, the baseline's processes alone fill every core";
  }
  report.Add({"replica.tasks_per_s_" + ns, Median(routed_per_s), "tasks/s", Median(baseline_per_s), is, target,
              {{"routed_tasks_per_s", routed_per_s},
               {"baseline_tasks_per_s", baseline_per_s},
               {"paired_ratios", paired},
               {"median_paired_ratio", Median(paired)},
               {"cores", cores},
               {"runs", runs}}});
  report.Add({"replica.cpu_us_per_task_" + ns, Median(routed_us), "us", Median(baseline_us),
              "CPU per task of the baseline's processes; value: of every process on the routed path (runtime, " + ns +
                  " worker" + (n == 1 ? "" : "s") + ", client) over the run / tasks answered in it; medians",
              "",
              {{"routed_cpu_us_per_task", routed_us}, {"baseline_cpu_us_per_task", baseline_us}}});
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (int v = std::atoi(item.c_str()); v > 0) out.push_back(v);
  }
  return out;
}

int Run(const Options& o, Report& report) {
  const std::string self = SelfExecutable();
  TempDir dir("kzreplica");
  json raw = json::array();
  bool ok = true;
  for (int n : o.replicas) {
    const std::string sub = dir.path() + "/r" + std::to_string(n);
    fs::create_directories(sub);
    std::vector<Sample> routed, baseline;
    json runs = json::array();
    try {
      ReplicaClusterOptions co;
      co.kaizen = o.kaizen;
      co.self = self;
      co.data = o.data;
      co.dir = sub;
      co.replicas = n;
      co.task_cpu_ns = o.task_ns;
      const int64_t t0 = NowNs();
      auto cluster = ReplicaCluster::Start(co);
      if (!cluster.ok()) throw std::runtime_error(cluster.status().ToString());
      zmq::context_t ctx(1);
      RuntimePinger client(ctx, (*cluster)->endpoint(), "replica-bench-" + std::to_string(n), o.users);
      if (Status s = (*cluster)->WaitServing(client, o.serve_timeout_ms); !s.ok())
        throw std::runtime_error(s.ToString());
      std::fprintf(stderr, "replica_bench: %d replica(s) serving %.1f s after `kaizen up`\n", n,
                   static_cast<double>(NowNs() - t0) / 1e9);
      if (!Handshake(client, 5000)) throw std::runtime_error("no task was answered through the runtime");
      for (int rep = 0; rep < o.reps; ++rep) {
        routed.push_back(MeasureRouted(o, **cluster, client, n, rep));
        runs.push_back(routed.back().raw);
        baseline.push_back(MeasureBaseline(o, self, sub, n, rep));
        runs.push_back(baseline.back().raw);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "replica_bench: %d replica(s): %s%s\n", n, e.what(),
                   o.keep ? "" : " (the files named are removed at the end; --keep keeps them)");
      ok = false;
    }
    for (const auto& r : runs) raw.push_back(r);
    if (!routed.empty() && routed.size() == baseline.size()) AddFigures(report, o, n, routed, baseline, runs);
    if (o.keep) {  // the manifest, the logs, the journal and the state dir, for a look
      const fs::path keep = fs::temp_directory_path() / ("kzreplica-kept-r" + std::to_string(n) + "-" +
                                                         std::to_string(::getpid()));
      std::error_code ec;
      fs::rename(sub, keep, ec);
      std::fprintf(stderr, "replica_bench: kept %s\n", ec ? ec.message().c_str() : keep.c_str());
    }
  }
  report.Set("runs", raw);
  return ok ? 0 : 1;
}

// --slow-worker and --burn: this binary as one of the benchmark's processes.
std::string ArgAfter(int argc, char** argv, const char* flag) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], flag) == 0) return argv[i + 1];
  }
  return "";
}

int RunHelperMode(int argc, char** argv) {
  // A session of its own, as a worker that an operator or a scheduler starts
  // has, and alike in both modes: with autogroup scheduling (on here) a busy
  // machine's CPU is shared between sessions first, so N workers in one
  // session would get one session's share. Dies with the benchmark.
  ::setsid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() == 1) return 1;  // the benchmark is already gone
  const int64_t task_ns = std::atoll(ArgAfter(argc, argv, "--task-ns").c_str());
  if (std::strcmp(argv[1], "--burn") == 0) {
    const BurnCount done = BurnTasksBetween(task_ns, std::atoll(ArgAfter(argc, argv, "--from-ns").c_str()),
                                            std::atoll(ArgAfter(argc, argv, "--to-ns").c_str()));
    std::printf("%llu %llu %lld\n", static_cast<unsigned long long>(done.measured),
                static_cast<unsigned long long>(done.all), static_cast<long long>(ThreadCpuNs()));
    return 0;
  }
  SlowWorkerOptions w;
  w.id = ArgAfter(argc, argv, "--id");
  w.endpoint = ArgAfter(argc, argv, "--connect");
  w.model_path = ArgAfter(argc, argv, "--model");
  if (task_ns > 0) w.task_cpu_ns = task_ns;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + w.id + "] %v");
  spdlog::set_level(spdlog::level::warn);
  return RunSlowWorker(w);
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  if (argc > 1 && (std::strcmp(argv[1], "--slow-worker") == 0 || std::strcmp(argv[1], "--burn") == 0))
    return RunHelperMode(argc, argv);
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
    else if (a == "--replicas") o.replicas = ParseList(argv[++i]);
    else if (a == "--reps") o.reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--seconds") o.measure_s = std::max(0.1, std::atof(argv[++i]));
    else if (a == "--window-per-replica") o.window_per_replica = std::max(1, std::atoi(argv[++i]));
    else if (a == "--task-us") o.task_ns = std::max(1, std::atoi(argv[++i])) * int64_t{1000};
    else if (a == "--data") o.data = fs::absolute(argv[++i]).string();
  }
  Report report("replica");
  report.Set("settings", {{"replicas", o.replicas},
                          {"reps", o.reps},
                          {"warmup_s", o.warmup_s},
                          {"measure_s", o.measure_s},
                          {"window_per_replica", o.window_per_replica},
                          {"task_cpu_ns", o.task_ns},
                          {"users", o.users},
                          {"cores", std::thread::hardware_concurrency()},
                          {"cluster", "kaizen up --detach: worker placement external with replicas N (slow workers of "
                                      "this binary, each in a session of its own), every other agent external and not "
                                      "started, no simulator"},
                          {"order", "per replica count: routed then baseline, repeated"}});
  const int rc = Run(o, report);
  if (!report.WriteJson(JsonPathArg(argc, argv))) return 1;
  return rc;
}
