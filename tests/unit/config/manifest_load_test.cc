// Loading valid manifests: the shipped demo, defaults, paths and endpoints.
#include <catch2/catch.hpp>
#include <filesystem>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;
namespace fs = std::filesystem;

static const std::string kDemo = std::string(KAIZEN_SOURCE_DIR) + "/manifests/intent-router.yaml";

TEST_CASE("intent-router.yaml loads with nine agents in start order, the gateway and simulator last", "[config]") {
  LoadResult r = LoadManifestFile(kDemo);
  INFO(Dump(r));
  REQUIRE(r.ok());
  const Manifest& m = r.manifest;
  CHECK(m.api_version == "kaizen.dev/v1");
  CHECK(m.kind == "Cluster");
  CHECK(m.name == "intent-router");
  CHECK(m.labels.at("app") == "intent-router");
  CHECK(m.source_path == fs::path(kDemo).lexically_normal().string());
  CHECK(m.base_dir == fs::path(kDemo).lexically_normal().parent_path().string());

  std::vector<std::string> roles;
  for (const auto& a : m.agents) {
    roles.push_back(a.role);
    CHECK(a.id == a.role);
    CHECK(a.settings.at("id") == a.id);
    CHECK(a.restart.policy == RestartPolicy::kAlways);
    CHECK(a.restart.max_restarts == 5);
  }
  CHECK(roles == std::vector<std::string>{"worker", "monitoring", "planning", "datagen", "training", "evaluation",
                                          "deployment", "gateway", "simulator"});

  const auto& worker = m.agents[0].settings;
  CHECK(worker.at("during_improvement") == "clone");
  CHECK(worker.at("skill").at("backend") == "builtin-classifier");
  CHECK(worker.at("skill").at("train").at("domains").size() == 5);

  const std::string data = m.spec.at("data").at("clinc150").at("path");
  CHECK(fs::path(data).is_absolute());
  CHECK(fs::exists(data));
  CHECK(m.spec.at("teachers").at(0).at("name") == "oracle");
  CHECK(m.spec.at("simulator").at("drift_at_task") == 4000);
  CHECK(m.spec.at("monitoring").at("triggers").at(0).at("policy") == "performance");
  // Keys the demo leaves out still come with their defaults.
  CHECK(m.spec.at("monitoring").at("triggers").at(0).at("window") == 200);
  CHECK(m.spec.at("runtime").at("bus").at("max_frame_bytes") == 1048576);

  CHECK(m.runtime.state_dir == (fs::current_path() / ".kaizen/intent-router").lexically_normal().string());
  CHECK(m.runtime.control_endpoint == "ipc://" + m.runtime.state_dir + "/control.sock");
  CHECK(m.runtime.events_endpoint == "ipc://" + m.runtime.state_dir + "/events.sock");
  CHECK(m.runtime.heartbeat_interval_ms == 500);
  CHECK(m.runtime.liveness == 4);
  CHECK(m.runtime.log_level == "info");
  CHECK_FALSE(m.runtime.curve);
}

TEST_CASE("a minimal manifest gets every default", "[config]") {
  LoadResult r = LoadManifestString(Minimal(), "min.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  const Manifest& m = r.manifest;
  REQUIRE(m.agents.size() == 7);
  CHECK(m.labels.empty());
  CHECK(m.runtime.state_dir == (fs::current_path() / ".kaizen" / "t").string());
  CHECK(m.runtime.heartbeat_interval_ms == 500);
  CHECK(m.runtime.liveness == 4);
  CHECK(m.runtime.max_frame_bytes == 1 << 20);
  CHECK(m.runtime.shutdown_grace_ms == 5000);
  CHECK(m.runtime.log_level == "info");

  const auto& spec = m.spec;
  CHECK(spec.at("teachers") == nlohmann::json::array());
  CHECK(spec.at("data") == nlohmann::json::object());
  CHECK_FALSE(spec.contains("simulator"));  // optional: absent means no simulated traffic
  CHECK(spec.at("monitoring").at("cooldown_s") == 60);
  CHECK(spec.at("monitoring").at("triggers").size() == 1);
  CHECK(spec.at("monitoring").at("triggers")[0].at("detector") == "cusum");
  CHECK(spec.at("planning").at("strategies") == nlohmann::json::array({"teacher_samples"}));
  CHECK(spec.at("planning").at("approval_timeout_policy") == "reject");
  CHECK(spec.at("datagen").at("validation_fraction") == 0.2);
  CHECK(spec.at("training").at("backend") == "builtin");
  CHECK(spec.at("evaluation").at("paired_test") == "mcnemar");
  CHECK(spec.at("deployment").at("steps") == nlohmann::json::array({0.1, 0.5}));
  CHECK(spec.at("deployment").at("guardrails").at("max_error_rate") == 0.05);
  for (const auto& a : m.agents) {
    CHECK(a.id == a.role);
    CHECK(a.restart.backoff_initial_ms == 500);
    CHECK(a.restart.backoff_max_ms == 30000);
    CHECK(a.restart.window_s == 60);
  }
}

TEST_CASE("an empty section (all keys commented out) means all defaults", "[config]") {
  LoadResult r = LoadManifestString(Minimal("  monitoring:\n  planning:\n    # max_replans: 3\n"), "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  CHECK(r.manifest.spec.at("planning").at("max_replans") == 1);
  CHECK(r.manifest.spec.at("monitoring").at("id") == "monitoring");
}

TEST_CASE("state_dir: relative resolves against the current directory and the override wins", "[config]") {
  LoadResult rel = LoadManifestString(Minimal("  runtime: {state_dir: ./x/../state/}\n"), "m.yaml");
  INFO(Dump(rel));
  REQUIRE(rel.ok());
  CHECK(rel.manifest.runtime.state_dir == (fs::current_path() / "state").string());
  CHECK(rel.manifest.spec.at("runtime").at("state_dir") == rel.manifest.runtime.state_dir);

  LoadResult over = LoadManifestString(Minimal("  runtime: {state_dir: /ignored}\n"), "m.yaml", "/tmp/kz/over");
  REQUIRE(over.ok());
  CHECK(over.manifest.runtime.state_dir == "/tmp/kz/over");
  CHECK(over.manifest.runtime.control_endpoint == "ipc:///tmp/kz/over/control.sock");
  CHECK(over.manifest.runtime.events_endpoint == "ipc:///tmp/kz/over/events.sock");

  LoadResult over_rel = LoadManifestString(Minimal(), "m.yaml", "rel/dir");
  REQUIRE(over_rel.ok());
  CHECK(over_rel.manifest.runtime.state_dir == (fs::current_path() / "rel/dir").string());
}

TEST_CASE("endpoints may be tcp, including an ephemeral port", "[config]") {
  LoadResult r = LoadManifestString(
      Minimal("  runtime:\n    endpoints: {control: \"tcp://127.0.0.1:5555\", events: \"tcp://127.0.0.1:*\"}\n"
              "    security: {insecure_tcp: true}\n"),
      "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  CHECK(r.manifest.runtime.control_endpoint == "tcp://127.0.0.1:5555");
  CHECK(r.manifest.runtime.events_endpoint == "tcp://127.0.0.1:*");
  CHECK(r.manifest.spec.at("runtime").at("endpoints").at("events") == "tcp://127.0.0.1:*");

  LoadResult both_any = LoadManifestString(
      Minimal("  runtime:\n    endpoints: {control: \"tcp://127.0.0.1:*\", events: \"tcp://127.0.0.1:*\"}\n"
              "    security: {curve: true}\n"),
      "m.yaml");
  CHECK(both_any.ok());
}

TEST_CASE("role ids and restart overrides, field by field", "[config]") {
  LoadResult r = LoadManifestString(Minimal("  runtime:\n"
                                            "    restart: {policy: on-failure, max_restarts: 9}\n"
                                            "  training:\n"
                                            "    id: trainer-1\n"
                                            "    restart: {policy: never, backoff_max_ms: 1000}\n"),
                                    "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.ok());
  const AgentSpec& training = r.manifest.agents[4];
  CHECK(training.role == "training");
  CHECK(training.id == "trainer-1");
  CHECK(training.restart.policy == RestartPolicy::kNever);
  CHECK(training.restart.backoff_max_ms == 1000);
  CHECK(training.restart.max_restarts == 9);  // from spec.runtime.restart
  CHECK(training.settings.at("restart").at("policy") == "never");
  const AgentSpec& worker = r.manifest.agents[0];
  CHECK(worker.restart.policy == RestartPolicy::kOnFailure);
  CHECK(worker.restart.backoff_max_ms == 30000);
}

TEST_CASE("relative data paths resolve against the manifest's directory", "[config]") {
  TempDir dir("data");
  dir.Write("sets/d.jsonl", "{}\n");
  const std::string file = dir.Write("m.yaml", "apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: t}\n"
                                               "spec:\n"
                                               "  data: {d: {path: sets/d.jsonl}}\n"
                                               "  worker: {skill: {train: {dataset: d}}}\n"
                                               "  teachers: [{name: big, train: {dataset: d}}]\n"
                                               "  simulator: {dataset: d}\n");
  LoadResult r = LoadManifestFile(file);
  INFO(Dump(r));
  REQUIRE(r.ok());
  CHECK(r.manifest.spec.at("data").at("d").at("path") == (dir.path() / "sets/d.jsonl").string());
  CHECK(r.manifest.spec.at("data").at("d").at("format") == "jsonl");
  CHECK(r.manifest.spec.at("teachers")[0].at("cost_per_call") == 0.001);
  CHECK(r.manifest.spec.at("simulator").at("split") == "test");
  CHECK(r.manifest.base_dir == dir.path().string());
}
