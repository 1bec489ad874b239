// Serve-time deferral (spec.worker.defer) in a real cluster: a worker trained
// on one domain serves traffic from five through the HTTP gateway and hands
// its least confident answers to the teacher. The answers say so (tags,
// headers, JSON), the share stays within max_share, the runtime's metrics and
// the journal's state log show it, and every task is answered exactly once.
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cluster_harness.h"

using json = nlohmann::json;
using kaizen::testing::FreePort;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

constexpr double kMaxShare = 0.3;
const char* const kDomains[] = {"banking", "travel", "home", "auto_and_commute", "kitchen_and_dining"};

// `per_domain` val inputs of each domain, interleaved.
std::vector<std::string> Inputs(int per_domain) {
  std::map<std::string, std::vector<std::string>> by_domain;
  std::ifstream in(std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl");
  for (std::string line; std::getline(in, line);) {
    json row = json::parse(line);
    auto& v = by_domain[row.value("domain", "")];
    if (row.value("split", "") == "val" && static_cast<int>(v.size()) < per_domain) v.push_back(row["text"]);
  }
  std::vector<std::string> out;
  for (int i = 0; i < per_domain; ++i) {
    for (const char* d : kDomains) {
      if (i < static_cast<int>(by_domain[d].size())) out.push_back(by_domain[d][i]);
    }
  }
  return out;
}

// The runtime's metric `name` summed over the series whose labels contain all of `must`.
double MetricSum(int port, const std::string& name, const std::vector<std::string>& must = {}) {
  httplib::Client m("127.0.0.1", port);
  auto r = m.Get("/metrics");
  if (!r || r->status != 200) return -1;
  double sum = 0;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const auto& s : must) all = all && line.find(s) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

struct Answer {
  int status = 0;
  json body;
  std::string deferred, cost;  // the X-Kaizen-Deferred and X-Kaizen-Deferred-Cost headers
};

}  // namespace

TEST_CASE("deferral: low-confidence tasks are answered by the teacher within max_share, each exactly once",
          "[integration][deferral]") {
  const int port = FreePort(), metrics_port = FreePort();
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  TestCluster cluster("deferral",
                      "    defer: {enabled: true, max_share: 0.3, window: 100}\n"
                      "  teachers:\n"
                      "    - name: oracle\n"
                      "      train: {dataset: clinc150, split: train, domains: [banking, travel, home, "
                      "auto_and_commute, kitchen_and_dining]}\n"
                      "      cost_per_call: 0.001\n"
                      "  gateway:\n"
                      "    listen: 127.0.0.1:" + std::to_string(port) + "\n"
                      "    model: intents\n");
  {
    std::string m = kaizen::testing::ReadFile(cluster.manifest_path());
    const std::string at = "    shutdown_grace_ms: 3000\n";
    REQUIRE(m.find(at) != std::string::npos);
    m.replace(m.find(at), at.size(), at + "    metrics: {port: " + std::to_string(metrics_port) + "}\n");
    std::ofstream(cluster.manifest_path()) << m;
  }
  REQUIRE(Kaizen("validate " + cluster.manifest_path()).exit_code == 0);
  REQUIRE(cluster.Up().exit_code == 0);

  // Served undeferred until the teacher is ready; then the detail counts deferrals.
  json worker;
  const bool ready = WaitFor(
      [&] {
        worker = cluster.Agent("worker");
        return worker.is_object() && worker["detail"].is_string() &&
               worker["detail"].get<std::string>().find("deferred 0 (") != std::string::npos;
      },
      90000);
  INFO("worker: " << worker.dump());
  REQUIRE(ready);
  httplib::Client probe("127.0.0.1", port);
  REQUIRE(WaitFor(
      [&] {
        auto r = probe.Get("/readyz");
        return r && r->status == 200;
      },
      30000));

  const std::vector<std::string> inputs = Inputs(80);
  REQUIRE(inputs.size() == 400);
  std::vector<Answer> answers(inputs.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> clients;
  for (int k = 0; k < 4; ++k) {
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(30, 0);
      for (size_t i = next++; i < inputs.size(); i = next++) {
        auto r = c.Post("/v1/tasks", {{"Idempotency-Key", "defer-" + std::to_string(i)}},
                        json{{"input", inputs[i]}, {"user", "u" + std::to_string(i % 7)}}.dump(), "application/json");
        if (!r) continue;
        answers[i].status = r->status;
        answers[i].body = json::parse(r->body, nullptr, false);
        answers[i].deferred = r->get_header_value("X-Kaizen-Deferred");
        answers[i].cost = r->get_header_value("X-Kaizen-Deferred-Cost");
      }
    });
  }
  for (auto& t : clients) t.join();

  size_t deferred = 0;
  std::string a_deferred_key;
  for (size_t i = 0; i < answers.size(); ++i) {
    const Answer& a = answers[i];
    INFO("task " << i << ": " << a.status << " " << a.body.dump());
    REQUIRE(a.status == 200);
    CHECK(a.body["id"] == "defer-" + std::to_string(i));
    CHECK_FALSE(a.body["output"].get<std::string>().empty());
    CHECK(a.body["confidence"].get<double>() <= 1.0);
    if (a.deferred.empty()) {
      CHECK_FALSE(a.body.contains("deferred"));
      CHECK(a.cost.empty());
      continue;
    }
    ++deferred;
    a_deferred_key = "defer-" + std::to_string(i);
    CHECK(a.deferred == "oracle");
    CHECK(a.body["deferred"] == "oracle");
    CHECK(a.cost == "0.001");
  }
  std::printf("deferral: %zu of %zu tasks deferred (max_share %.2f)\n", deferred, answers.size(), kMaxShare);
  CHECK(deferred >= 40);  // most of this traffic is outside the worker's one domain
  CHECK(static_cast<double>(deferred) <= kMaxShare * static_cast<double>(answers.size()) + 1);

  // A retry with the same key gets the stored answer, deferral included, and runs nothing again.
  REQUIRE_FALSE(a_deferred_key.empty());
  auto again = probe.Post("/v1/tasks", {{"Idempotency-Key", a_deferred_key}}, R"({"input": "ignored"})",
                          "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(again->get_header_value("X-Kaizen-Deferred") == "oracle");
  CHECK(json::parse(again->body)["deferred"] == "oracle");

  // The runtime journaled the worker's tags with each answer: its metrics count
  // them (published once per tick, so waited for).
  const auto n = static_cast<double>(answers.size()), d = static_cast<double>(deferred);
  CHECK(WaitFor([&] { return MetricSum(metrics_port, "kaizen_tasks_answered_total") == n; }, 10000));
  CHECK(MetricSum(metrics_port, "kaizen_tasks_deferred_total", {"teacher=\"oracle\""}) == d);
  CHECK(MetricSum(metrics_port, "kaizen_deferral_cost_dollars_total", {"teacher=\"oracle\""}) == Approx(0.001 * d));
  // Every task ran and was answered once.
  CHECK(MetricSum(metrics_port, "kaizen_task_duplicate_answers_dropped_total") == 0);
  auto router = cluster.Status()["router"];
  INFO("router: " << router.dump());
  CHECK(router["submitted"] == answers.size());
  CHECK(router["duplicate_answers_dropped"] == 0);

  // The worker's state detail, journaled as it changes, shows the count.
  const std::string want = "deferred " + std::to_string(deferred) + " (";
  CHECK(WaitFor(
      [&] {
        worker = cluster.Agent("worker");
        return worker["detail"].get<std::string>().find(want) != std::string::npos;
      },
      15000));
  INFO("worker: " << worker.dump());
  CHECK(worker["detail"].get<std::string>().find("to oracle") != std::string::npos);
  const std::string logs = Kaizen("logs --agent worker --state-dir " + cluster.state_dir()).out;
  CHECK(logs.find(want) != std::string::npos);

  CHECK(cluster.Down().exit_code == 0);
}
