// Figure 2, the router: tasks per second and the p99 latency that routing
// through the runtime adds (TaskRouter + TrafficPolicy with a 90/10 A/B
// split), against the worker called directly; in one process without
// sockets (the router's own cost) and over ipc:// sockets (what a client sees), and over sockets with the tasks persisted as
// the runtime persists them (exactly once across a crash, group commit).
//
//   router_bench [--json FILE] [--quick]
#include <cstdio>
#include <map>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "bench/report.h"
#include "bench/router_inproc.h"
#include "bench/routing_node.h"
#include "bench/task_worker.h"
#include "bench/temp_dir.h"
#include "bench/timing.h"

namespace kaizen::bench {
namespace {

struct Plan {
  int inproc_tasks = 200000;
  int reps = 3;  // socket measurements, interleaved; medians reported
  double warmup_s = 0.3, seconds = 1.5;
  int window = 1000;
  int rtt_warmup = 300, rtt_samples = 3000;
  int users = 2000;
  double candidate_weight = 0.1;
};

struct Sample {
  double per_s = 0, p50 = 0, p99 = 0;
};

enum class Path { kDirect, kRouted, kPersisted };
const char* PathName(Path p) { return p == Path::kDirect ? "direct" : p == Path::kRouted ? "routed" : "persisted"; }

Sample MeasureSockets(Path path, const Plan& plan) {
  const bool routed = path != Path::kDirect;
  zmq::context_t client_ctx(1), node_ctx(1), incumbent_ctx(1), candidate_ctx(1);
  TempDir dir("kzrouter");
  const std::string endpoint = "ipc://" + dir.path() + "/control.sock";
  std::unique_ptr<Background> node, incumbent, candidate;
  RoutingSplit split;
  split.candidate_weight = plan.candidate_weight;
  if (routed) {
    node = StartRoutingNode(node_ctx, endpoint, split, path == Path::kPersisted ? dir.path() + "/state.db" : "");
    incumbent = StartBusWorker(incumbent_ctx, endpoint, split.incumbent);
    candidate = StartBusWorker(candidate_ctx, endpoint, split.candidate);
  } else {
    node = StartDirectWorker(node_ctx, endpoint);
  }
  auto client = MakeTaskPinger(client_ctx, endpoint, routed ? "runtime" : "worker", plan.users);
  Sample s;
  if (!Handshake(*client, 5000)) {
    std::fprintf(stderr, "router_bench: no answer (%s)\n", PathName(path));
    return s;
  }
  s.per_s = MeasureThroughput(*client, plan.warmup_s, plan.seconds, plan.window).per_s;
  std::vector<double> rtt = MeasureRoundTrips(*client, plan.rtt_warmup, plan.rtt_samples);
  s.p50 = Percentile(rtt, 0.5);
  s.p99 = Percentile(rtt, 0.99);
  client.reset();
  candidate.reset();
  incumbent.reset();
  node.reset();
  return s;
}

void Run(Report& report, const Plan& plan) {
  InProcess in = MeasureRouterInProcess(plan.inproc_tasks, plan.users, plan.candidate_weight);
  const double in_routed_p99 = Percentile(in.routed_ns, 0.99), in_direct_p99 = Percentile(in.direct_ns, 0.99);
  report.Add({"router.inproc.tasks_per_s", in.routed_per_s, "tasks/s", in.direct_per_s,
              "the worker function called directly, same thread", ""});
  report.Add({"router.inproc.added_p99", in_routed_p99 - in_direct_p99, "ns", in_direct_p99,
              "p99 of the direct call; value = routed p99 " + std::to_string(static_cast<int>(in_routed_p99)) +
                  " ns minus it",
              ""});

  std::map<Path, std::vector<Sample>> runs;
  for (int rep = 0; rep < plan.reps; ++rep) {
    for (Path p : {Path::kDirect, Path::kRouted, Path::kPersisted}) runs[p].push_back(MeasureSockets(p, plan));
  }
  std::map<Path, Sample> med;
  nlohmann::json raw;
  for (auto& [path, samples] : runs) {
    std::vector<double> t, p50, p99;
    for (const auto& x : samples) {
      t.push_back(x.per_s);
      p50.push_back(x.p50);
      p99.push_back(x.p99);
    }
    med[path] = {Median(t), Median(p50), Median(p99)};
    raw[PathName(path)] = {{"tasks_per_s", t}, {"rtt_p50_us", p50}, {"rtt_p99_us", p99}};
  }
  report.Set("socket_runs", raw);
  const Sample& d = med[Path::kDirect];
  const Sample& r = med[Path::kRouted];
  const Sample& p = med[Path::kPersisted];
  const std::string direct = "client -> worker directly over ipc:// (Broker in the worker), same envelopes";
  report.Add({"router.sockets.tasks_per_s", r.per_s, "tasks/s", d.per_s, direct, ""});
  report.Add({"router.sockets.p50", r.p50, "us", d.p50, direct + ", one task in flight", ""});
  report.Add({"router.sockets.p99", r.p99, "us", d.p99, direct + ", one task in flight", ""});
  report.Add({"router.sockets.added_p99", r.p99 - d.p99, "us", d.p99,
              "p99 of the direct path; value = routed p99 minus it (one more hop each way, routing, A/B pick)", ""});
  const std::string unpersisted = "routed over sockets without persisting (router.sockets.*)";
  report.Add({"router.persisted.tasks_per_s", p.per_s, "tasks/s", r.per_s,
              unpersisted + "; " + fmt::format("{:.3g} of the direct path", Ratio(p.per_s, d.per_s)), ""});
  report.Add({"router.persisted.p50", p.p50, "us", r.p50, unpersisted + ", one task in flight", ""});
  report.Add({"router.persisted.p99", p.p99, "us", r.p99, unpersisted + ", one task in flight", ""});
}

}  // namespace
}  // namespace kaizen::bench

int main(int argc, char** argv) {
  using namespace kaizen::bench;
  spdlog::set_level(spdlog::level::err);
  Plan plan;
  if (QuickArg(argc, argv)) {
    plan.inproc_tasks = 20000;
    plan.reps = 1;
    plan.seconds = 0.5;
    plan.rtt_samples = 500;
  }
  Report report("router");
  report.Set("settings", {{"split", "worker-clone 90% / worker 10%, sticky per routing key"},
                          {"users", plan.users},
                          {"inproc_tasks", plan.inproc_tasks},
                          {"reps", plan.reps},
                          {"window", plan.window},
                          {"throughput_seconds", plan.seconds},
                          {"rtt_samples", plan.rtt_samples},
                          {"journaling", "router.sockets: off (its cost is figure 1); router.persisted: tasks and "
                                         "answers stored, answers journaled, one transaction per poll turn"}});
  Run(report, plan);
  return report.WriteJson(JsonPathArg(argc, argv)) ? 0 : 1;
}
