// An operator's tools against a real cluster: the metrics endpoint scraped
// with libcurl over 127.0.0.1, a promotion waiting for `kaizen approve`
// (deployment.require_approval), the CLI's errors, and `kaizen logs` filters.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include "tests/integration/cluster_harness.h"
#include "tests/unit/metrics/exposition_check.h"

using namespace kaizen::testing;
using kaizen::metrics::testing::CheckExposition;
using kaizen::metrics::testing::SampleValue;

namespace {

struct HttpResult {
  long status = 0;
  std::string body, content_type;
};

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

HttpResult Get(const std::string& url) {
  HttpResult r;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char* ct = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) r.content_type = ct;
  }
  curl_easy_cleanup(curl);
  return r;
}


std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

std::string CycleStage(TestCluster& c) {
  auto s = c.Status();
  if (!s.is_object() || !s["cycle"].is_object()) return "";
  return s["cycle"].value("stage", "");
}

// The reduced scenario with deployment.require_approval and `deployment_extra` (more flow-map keys).
void WriteApprovalManifest(const TestCluster& cluster, const std::string& name, const std::string& deployment_extra,
                           int metrics_port = 0) {
  std::string manifest = ScenarioManifest(name, 0.0, 300, 8000, 1500);
  if (metrics_port) {
    manifest = Replace(manifest, "  runtime:\n", "  runtime:\n    metrics: {port: " + std::to_string(metrics_port) + "}\n");
  }
  manifest = Replace(manifest, "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100}\n",
                     "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100, require_approval: true, " +
                         deployment_extra + "}\n");
  FILE* f = std::fopen(cluster.manifest_path().c_str(), "w");
  REQUIRE(f);
  std::fputs(manifest.c_str(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("metrics over HTTP, a promotion approved by hand, and the operator's CLI", "[integration]") {
  const int port = FreePort();
  TestCluster cluster("operator", "");
  WriteApprovalManifest(cluster, "operator", "approval_timeout_policy: wait", port);
  const std::string dir = " --state-dir " + cluster.state_dir();
  REQUIRE(cluster.Up().exit_code == 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  // /healthz: 200 and a short JSON body while the runtime serves.
  HttpResult health;
  REQUIRE(WaitFor([&] { return (health = Get(base + "/healthz")).status == 200; }, 10000));
  auto h = nlohmann::json::parse(health.body, nullptr, false);
  REQUIRE(h.is_object());
  CHECK(h["status"] == "serving");
  CHECK(h["cluster"] == "operator");

  // /metrics twice: valid exposition text, and the task counters move.
  HttpResult first;
  REQUIRE(WaitFor([&] {
    first = Get(base + "/metrics");
    return first.status == 200 && SampleValue(first.body, "kaizen_tasks_submitted_total") > 0;
  }, 15000));
  CHECK(first.content_type.find("text/plain; version=0.0.4") == 0);
  {
    const auto problems = CheckExposition(first.body);
    INFO((problems.empty() ? std::string() : problems.front()));
    CHECK(problems.empty());
  }
  const double submitted1 = SampleValue(first.body, "kaizen_tasks_submitted_total");
  const double answered1 = SampleValue(first.body, "kaizen_tasks_answered_total");
  HttpResult second;
  REQUIRE(WaitFor([&] {
    second = Get(base + "/metrics");
    return SampleValue(second.body, "kaizen_tasks_answered_total") > answered1;
  }, 10000));
  CHECK(SampleValue(second.body, "kaizen_tasks_submitted_total") > submitted1);
  CHECK(SampleValue(second.body, "kaizen_task_latency_seconds_count{model_version=\"v1\"}") > 0);
  CHECK(SampleValue(second.body, "kaizen_agent_up{agent=\"worker\",role=\"worker\"}") == 1);
  CHECK(second.body.find("kaizen_bus_dropped_total{reason=\"malformed\"}") != std::string::npos);
  CHECK(CheckExposition(second.body).empty());

  // Nothing waits yet: approve and promote say so.
  auto early = Kaizen("approve c1 --reason early" + dir);
  CHECK(early.exit_code == 1);

  // The A/B test passes; the promotion waits for a person.
  REQUIRE(WaitFor([&] { return CycleStage(cluster) == "awaiting_approval"; }, 90000));
  auto st = cluster.Status();
  REQUIRE(st["cycle"].contains("approval"));
  const std::string id = st["cycle"]["approval"]["id"];
  CHECK(st["cycle"]["approval"]["subject"] == "promotion");
  CHECK(Kaizen("status" + dir).out.find("approval waiting: " + id + " (promotion") != std::string::npos);
  // The endpoint serves the snapshot of the runtime's last tick: allow one.
  CHECK(WaitFor([&] { return SampleValue(Get(base + "/metrics").body, "kaizen_approvals_waiting") == 1; }, 5000));

  auto unknown = Kaizen("approve nope --reason typo" + dir);
  CHECK(unknown.exit_code == 1);
  auto no_reason = Kaizen("approve " + id + dir);
  CHECK(no_reason.exit_code == 2);
  auto approved = Kaizen("approve " + id + " --reason \"A/B looks right, shipping\"" + dir);
  CHECK(approved.exit_code == 0);
  CHECK(approved.out.find("approved the promotion of cycle " + id) != std::string::npos);
  REQUIRE(WaitFor([&] { return CycleStage(cluster) == "promoted"; }, 10000));
  CHECK(Kaizen("rollback --reason late" + dir).exit_code == 1);  // nothing rolls out any more

  // Who approved what and why is in the journal, and the filters find it.
  auto warn = Kaizen("logs --level warn" + dir);
  CHECK(warn.out.find("approval_request") != std::string::npos);
  CHECK(warn.out.find("starting -> idle") == std::string::npos);  // info lines are left out
  auto cycle_log = Kaizen("logs --cycle " + id + dir);
  CHECK(cycle_log.out.find("approved") != std::string::npos);
  CHECK(cycle_log.out.find("A/B looks right, shipping") != std::string::npos);
  auto worker = Kaizen("logs --role worker" + dir);
  CHECK(worker.out.find("worker ") != std::string::npos);
  CHECK(worker.out.find("planning ") == std::string::npos);
  auto after = Get(base + "/metrics").body;
  CHECK(SampleValue(after, "kaizen_cycles_finished_total{outcome=\"promoted\"}") == 1);
  CHECK(SampleValue(after, "kaizen_approvals_waiting") == 0);

  // The drift anchor: the first model until an operator moves it, audited.
  CHECK(Kaizen("anchor show" + dir).out.find("anchor: v1 (the first model; never moved)") != std::string::npos);
  auto no_such = Kaizen("anchor set v9 --reason typo 2>&1" + dir);
  CHECK(no_such.exit_code == 1);
  CHECK(no_such.out.find("no model version 'v9'") != std::string::npos);
  auto moved = Kaizen("anchor set v2 --as alice --reason \"reviewed after the A/B test\"" + dir);
  CHECK(moved.exit_code == 0);
  CHECK(moved.out.find("drift anchor v1 -> v2 by alice (cli-") != std::string::npos);
  auto shown = Kaizen("anchor show" + dir);
  CHECK(shown.out.find("anchor: v2 sha256 ") != std::string::npos);
  CHECK(shown.out.find("reviewed after the A/B test") != std::string::npos);
  auto trail = Kaizen("audit show" + dir);
  CHECK(trail.out.find(" anchor ") != std::string::npos);
  CHECK(trail.out.find("by alice (cli-") != std::string::npos);
  CHECK(trail.out.find("drift anchor v2 sha256") != std::string::npos);
  CHECK(Kaizen("audit verify" + dir).exit_code == 0);

  REQUIRE(cluster.Down().exit_code == 0);
  CHECK(Kaizen("anchor show" + dir).out.find("anchor: v2 ") != std::string::npos);  // from the store, cluster down
  CHECK(Get(base + "/healthz").status == 0);  // nothing listens once the runtime is gone
  auto down = Kaizen("approve " + id + " --reason gone" + dir);
  CHECK(down.exit_code == 3);
}

TEST_CASE("kaizen rollback ends a promotion waiting for its approval and the incumbent keeps serving", "[integration]") {
  TestCluster cluster("rollback", "");
  WriteApprovalManifest(cluster, "rollback", "approval_timeout_policy: wait");
  const std::string dir = " --state-dir " + cluster.state_dir();
  REQUIRE(cluster.Up().exit_code == 0);
  CHECK(Kaizen("promote --reason early" + dir).exit_code == 1);  // no A/B test yet
  REQUIRE(WaitFor([&] { return CycleStage(cluster) == "awaiting_approval"; }, 90000));
  const std::string id = cluster.Status()["cycle"]["id"];
  CHECK(Kaizen("rollback other --reason typo" + dir).exit_code == 1);  // not the running cycle
  auto rb = Kaizen("rollback " + id + " --reason \"support tickets up\"" + dir);
  CHECK(rb.exit_code == 0);
  REQUIRE(WaitFor([&] { return CycleStage(cluster) == "rolled_back"; }, 10000));
  auto st = cluster.Status();
  CHECK(st["cycle"]["outcome_reason"].get<std::string>().find("support tickets up") != std::string::npos);
  CHECK(st["router"]["serving"] == "v1");
  auto warn = Kaizen("logs --level warn --cycle " + id + dir);
  CHECK(warn.out.find("rolled_back") != std::string::npos);
  CHECK(Kaizen("logs --level warn" + dir).out.find("operator_rollback") != std::string::npos);
  REQUIRE(cluster.Down().exit_code == 0);
}

TEST_CASE("a promotion nobody approves in time is rolled back by deployment.approval_timeout_policy", "[integration]") {
  TestCluster cluster("timeout", "");
  WriteApprovalManifest(cluster, "timeout", "approval_timeout_s: 1, approval_timeout_policy: reject");
  REQUIRE(cluster.Up().exit_code == 0);
  std::string stage;
  REQUIRE(WaitFor([&] {
    stage = CycleStage(cluster);
    return stage == "rolled_back" || stage == "promoted" || stage == "aborted";
  }, 90000));
  CHECK(stage == "rolled_back");
  auto st = cluster.Status();
  CHECK(st["cycle"]["outcome_reason"].get<std::string>().find("deployment.approval_timeout_policy") !=
        std::string::npos);
  CHECK(st["router"]["serving"] == "v1");
  REQUIRE(cluster.Down().exit_code == 0);
}
