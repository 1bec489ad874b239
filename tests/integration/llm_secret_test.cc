// An LLM worker cluster (real kaizen processes) served by the OpenAI-compatible
// test server with an API key: tasks are answered over HTTP, the usage shows in
// `kaizen status`, and the key appears nowhere in the journal, the logs or
// status, even when the server echoes it back in an error.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "tests/integration/cluster_harness.h"
#include "tests/support/openai_test_server/server.h"

namespace {

namespace fs = std::filesystem;
using kaizen::testing::TestCluster;
using json = nlohmann::json;

const char* const kKey = "sk-kaizen-secret-5e1f2a3b4c";

std::string Manifest(int port) {
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  return "apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: llm-secret}\nspec:\n"
         "  runtime:\n"
         "    heartbeat: {interval_ms: 100, liveness: 5}\n"
         "    shutdown_grace_ms: 3000\n"
         "  data:\n"
         "    clinc150: {path: " + data + "}\n"
         "  worker:\n"
         "    skill:\n"
         "      backend: openai\n"
         "      train: {dataset: clinc150, split: train, domains: [banking]}\n"
         "      openai:\n"
         "        base_url: http://127.0.0.1:" + std::to_string(port) + "/v1\n"
         "        model: kaizen-test\n"
         "        api_key_env: KAIZEN_LLM_SECRET_TEST_KEY\n"
         "        max_retries: 1\n"
         "        backoff_initial_ms: 1\n"
         "        price_per_1k_prompt_tokens: 0.5\n"
         "      prompt: {system_prompt: 'Classify the banking request.', shots: 30}\n"
         "  monitoring: {triggers: []}\n"
         "  simulator:\n"
         "    dataset: clinc150\n"
         "    split: val\n"
         "    rate_per_s: 50\n"
         "    total_tasks: 60\n"
         "    before_drift_domains: [banking]\n"
         "    drift_at_task: 100000\n";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("an LLM worker serves over HTTP and its API key appears in no journal, log or status",
          "[integration][llm]") {
  ::setenv("KAIZEN_LLM_SECRET_TEST_KEY", kKey, 1);
  kaizen::testing::OpenAiTestServerOptions options;
  options.api_key = kKey;
  kaizen::testing::OpenAiTestServer server(options);
  REQUIRE(server.Start().ok());
  {
    // The first answers fail with an error message quoting the Authorization header.
    httplib::Client c("127.0.0.1", server.port());
    REQUIRE(c.Post("/control/fail", json{{"kind", "echo-auth"}, {"count", 3}}.dump(), "application/json"));
  }

  TestCluster cluster("llm-secret");
  std::ofstream(cluster.manifest_path()) << Manifest(server.port());
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);

  httplib::Client c("127.0.0.1", server.port());
  json stats;
  const bool served = kaizen::testing::WaitFor(
      [&] {
        auto r = c.Get("/control/stats");
        if (!r) return false;
        stats = json::parse(r->body);
        return stats["by_outcome"].value("ok", 0) >= 57;  // 60 tasks, 3 answered with the echoed error
      },
      60000);
  INFO(stats.dump(2));
  REQUIRE(served);
  CHECK(stats["by_outcome"]["echo-auth"] == 3);
  CHECK(stats["unauthorized"] == 0);  // every request carried the key
  json worker;
  CHECK(kaizen::testing::WaitFor(
      [&] {
        worker = cluster.Agent("worker");
        return worker.dump().find(" calls, ") != std::string::npos;  // "serving v1 · llm N calls, T tokens, cost C"
      },
      20000));
  INFO(worker.dump(2));
  auto status = cluster.Status();
  auto logs = kaizen::testing::Kaizen("logs --state-dir " + cluster.state_dir());
  REQUIRE(cluster.Down().exit_code == 0);

  // Every file the cluster wrote (journal database and its WAL, logs, artifacts).
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(cluster.state_dir())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    INFO(entry.path().string());
    CHECK(ReadAll(entry.path()).find(kKey) == std::string::npos);
  }
  CHECK(files > 3);
  CHECK(status.dump().find(kKey) == std::string::npos);
  CHECK(logs.out.find(kKey) == std::string::npos);
  // The error went through (masked) to the results: the check above looked at real traffic.
  bool masked = false;
  for (const auto& entry : fs::recursive_directory_iterator(cluster.state_dir())) {
    if (entry.is_regular_file() && ReadAll(entry.path()).find("Bearer ***") != std::string::npos) masked = true;
  }
  CHECK(masked);
}
