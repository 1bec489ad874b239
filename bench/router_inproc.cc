#include "bench/router_inproc.h"

#include <string>

#include "bench/task_worker.h"
#include "bench/timing.h"
#include "runtime/router/task_router.h"
#include "runtime/router/traffic_policy.h"

namespace kaizen::bench {
namespace {

std::vector<v1::Task> MakeTasks(int tasks, int users) {
  std::vector<v1::Task> out(static_cast<size_t>(tasks));
  for (int i = 0; i < tasks; ++i) {
    out[static_cast<size_t>(i)].set_task_id("t" + std::to_string(i));
    out[static_cast<size_t>(i)].set_routing_key("user-" + std::to_string(i % users));
    out[static_cast<size_t>(i)].set_input(std::string(100, 'x'));
  }
  return out;
}

}  // namespace

InProcess MeasureRouterInProcess(int tasks, int users, double candidate_weight) {
  InProcess r;
  volatile size_t sink = 0;  // keeps the work from being optimized away

  std::vector<v1::Task> direct_tasks = MakeTasks(tasks, users);
  const int64_t d0 = NowNs();
  for (const auto& t : direct_tasks) {
    const int64_t t0 = NowNs();
    v1::TaskResult res = ServeTask(t, "worker");
    sink = sink + res.output().size();
    r.direct_ns.push_back(static_cast<double>(NowNs() - t0));
  }
  r.direct_per_s = tasks / (static_cast<double>(NowNs() - d0) / 1e9);

  router::TrafficPolicy policy;
  policy.SetSplit("worker-clone", "worker", candidate_weight);
  std::string sent_to;
  v1::TaskResult result;
  router::TaskRouter tr(
      router::TaskRouter::Options{},
      [&policy](const v1::Task& task) {
        return policy.Pick(task.routing_key(), [](const std::string&) { return true; });
      },
      [&](const std::string& instance, const v1::Task& task) {
        sent_to = instance;
        result = ServeTask(task, instance);
        return true;
      });
  std::vector<v1::Task> routed_tasks = MakeTasks(tasks, users);
  const int64_t r0 = NowNs();
  for (auto& t : routed_tasks) {
    const int64_t t0 = NowNs();
    tr.Submit("client", "request", std::move(t), 0);
    auto done = tr.OnAnswer(result.task_id(), sent_to);
    sink = sink + (done ? done->index : 0);
    r.routed_ns.push_back(static_cast<double>(NowNs() - t0));
  }
  r.routed_per_s = tasks / (static_cast<double>(NowNs() - r0) / 1e9);
  return r;
}

}  // namespace kaizen::bench
