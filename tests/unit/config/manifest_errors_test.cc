// Invalid manifests: every problem reported at once, in file order, as
// FILE:LINE:COLUMN: error: KEY.PATH: expected X, found Y.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

std::vector<std::string> Lines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(d.ToString());
  return out;
}

// The one error whose path is path; fails the test when there is not exactly one.
Diagnostic Only(const LoadResult& r, const std::string& path) {
  std::vector<Diagnostic> found;
  for (const auto& d : r.errors)
    if (d.path == path) found.push_back(d);
  INFO("errors:\n" << Dump(r));
  REQUIRE(found.size() == 1);
  return found[0];
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("an unknown key and a wrong type: two errors with line, column and key path", "[config]") {
  const std::string yaml =
      "apiVersion: kaizen.dev/v1\n"   // 1
      "kind: Cluster\n"               // 2
      "metadata:\n"                   // 3
      "  name: t\n"                   // 4
      "spec:\n"                       // 5
      "  runtime:\n"                  // 6
      "    heartbeat:\n"              // 7
      "      intervall_ms: 500\n"     // 8
      "      liveness: abc\n"         // 9
      "  worker:\n"                   // 10
      "    skill: {backend: openai}\n";
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK_FALSE(r.ok());
  CHECK(Lines(r) == std::vector<std::string>{
                        "m.yaml:8:7: error: spec.runtime.heartbeat.intervall_ms: unknown key \"intervall_ms\"; did you "
                        "mean \"interval_ms\"? (allowed keys: interval_ms, liveness)",
                        "m.yaml:9:17: error: spec.runtime.heartbeat.liveness: expected integer in 2..100, found \"abc\" "
                        "(string)",
                    });
}

TEST_CASE("a quoted number is a string, not an integer", "[config]") {
  LoadResult r = LoadManifestString(Minimal("  runtime: {heartbeat: {interval_ms: \"500\"}}\n"), "m.yaml");
  CHECK(Only(r, "spec.runtime.heartbeat.interval_ms").message == "expected integer in 50..60000, found \"500\" (string)");
}

TEST_CASE("a YAML syntax error is a diagnostic with line and column", "[config]") {
  LoadResult r = LoadManifestString("apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: t\nspec: {}\n", "m.yaml");
  REQUIRE(r.errors.size() == 1);
  INFO(Dump(r));
  CHECK(r.errors[0].line == 4);
  CHECK(r.errors[0].column >= 1);
  CHECK(Contains(r.errors[0].ToString(), "m.yaml:4:"));
  CHECK(Contains(r.errors[0].message, "YAML syntax error"));

  LoadResult tab = LoadManifestString("a:\n\t- b\n", "t.yaml");
  REQUIRE(tab.errors.size() == 1);
  CHECK(tab.errors[0].line == 2);
}

TEST_CASE("a missing file, an empty file, a non-mapping and an oversized document", "[config]") {
  LoadResult missing = LoadManifestFile("/nonexistent/kaizen.yaml");
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].ToString() == "/nonexistent/kaizen.yaml: error: cannot read the manifest: no such file");

  TempDir dir("errors");
  LoadResult directory = LoadManifestFile(dir.path().string());
  REQUIRE(directory.errors.size() == 1);
  CHECK(Contains(directory.errors[0].message, "directory"));

  LoadResult empty = LoadManifestString("# nothing here\n", "e.yaml");
  REQUIRE(empty.errors.size() == 1);
  CHECK(Contains(empty.errors[0].message, "empty"));

  LoadResult list = LoadManifestString("- a\n- b\n", "l.yaml");
  REQUIRE(list.errors.size() == 1);
  CHECK(list.errors[0].ToString() == "l.yaml:1:1: error: expected mapping, found a list");

  LoadResult huge = LoadManifestString(std::string(5 << 20, '#'), "h.yaml");
  REQUIRE(huge.errors.size() == 1);
  CHECK(Contains(huge.errors[0].message, "limit is 4 MiB"));

  LoadResult two = LoadManifestString(Minimal() + "---\n" + Minimal(), "2.yaml");
  REQUIRE(two.errors.size() == 1);
  CHECK(two.errors[0].line == 8);
}

TEST_CASE("missing required keys are reported at the mapping that lacks them", "[config]") {
  const std::string yaml =
      "kind: Cluster\n"     // 1
      "metadata:\n"         // 2
      "  labels: {a: b}\n"  // 3
      "spec:\n"             // 4
      "  teachers:\n"       // 5
      "    - cost_per_call: 1\n";
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK(Lines(r) == std::vector<std::string>{
                        "m.yaml:1:1: error: apiVersion: missing required key \"apiVersion\" (expected \"kaizen.dev/v1\")",
                        "m.yaml:3:3: error: metadata.name: missing required key \"name\" (expected string matching "
                        "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])? (lowercase letters, digits and '-', 1 to 63 characters, not "
                        "starting or ending with '-'))",
                        "m.yaml:5:3: error: spec.worker: missing required key \"worker\" (expected mapping)",
                        "m.yaml:6:7: error: spec.teachers[0].name: missing required key \"name\" (expected string "
                        "matching [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])? (lowercase letters, digits and '-', 1 to 63 "
                        "characters, not starting or ending with '-'))",
                        "m.yaml:6:7: error: spec.teachers[0].train: missing required key \"train\" (the "
                        "builtin-classifier backend trains its model on this data)",
                    });
}

TEST_CASE("enum errors list the allowed values and suggest the nearest", "[config]") {
  LoadResult r = LoadManifestString(
      "apiVersion: kaizen.dev/v2\n"
      "kind: Clusters\n"
      "metadata: {name: t}\n"
      "spec:\n"
      "  runtime: {log_level: verbose}\n"
      "  worker: {during_improvement: clon, skill: {backend: openai}}\n",
      "m.yaml");
  CHECK(Lines(r) == std::vector<std::string>{
                        "m.yaml:1:13: error: apiVersion: expected \"kaizen.dev/v1\", found \"kaizen.dev/v2\" (string)",
                        "m.yaml:2:7: error: kind: expected \"Cluster\", found \"Clusters\" (string)",
                        "m.yaml:5:24: error: spec.runtime.log_level: expected one of \"trace\", \"debug\", \"info\", "
                        "\"warn\", \"error\", found \"verbose\" (string)",
                        "m.yaml:6:32: error: spec.worker.during_improvement: expected one of \"clone\", \"pause\", found "
                        "\"clon\" (string); did you mean \"clone\"?",
                    });
}

TEST_CASE("range errors name the range, including open bounds", "[config]") {
  LoadResult r = LoadManifestString(Minimal("  runtime: {heartbeat: {interval_ms: 10}}\n"
                                            "  teachers: [{name: a, backend: openai, noise: 1.5}]\n"
                                            "  deployment: {steps: [0, 0.5, 0.4], alpha: .nan}\n"
                                            "  datagen: {concurrency: 2.5, dedupe: yes}\n"),
                                    "m.yaml");
  CHECK(Only(r, "spec.runtime.heartbeat.interval_ms").message == "expected integer in 50..60000, found 10 (integer)");
  CHECK(Only(r, "spec.teachers[0].noise").message == "expected number in [0, 1], found 1.5 (number)");
  CHECK(Only(r, "spec.deployment.steps[0]").message == "expected number in (0, 1], found 0 (integer)");
  CHECK(Only(r, "spec.deployment.steps[2]").message ==
        "expected a share greater than the previous step's 0.5 (steps increase), found 0.4");
  CHECK(Only(r, "spec.deployment.alpha").message == "expected number in (0, 0.5], found .nan (number)");
  CHECK(Only(r, "spec.datagen.concurrency").message == "expected integer in 1..1024, found 2.5 (number)");
  CHECK(Only(r, "spec.datagen.dedupe").message == "expected boolean (true or false), found \"yes\" (string)");
  CHECK(r.errors.size() == 7);
}

TEST_CASE("triggers are a union chosen by policy and keys of another policy are errors", "[config]") {
  const std::string yaml = Minimal(
      "  monitoring:\n"                      // 8
      "    triggers:\n"                      // 9
      "      - policy: schedule\n"           // 10
      "        every_s: 3600\n"              // 11
      "      - policy: performance\n"        // 12
      "        every_s: 60\n"                // 13
      "      - policy: schedule\n"           // 14
      "      - policy: sometimes\n"          // 15
      "      - min_gain: 0.1\n"              // 16
      "      - {policy: roi, min_gain: 0.2, detector: cusum}\n");  // 17
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK(Lines(r) == std::vector<std::string>{
                        "m.yaml:13:9: error: spec.monitoring.triggers[1].every_s: key \"every_s\" belongs to policy "
                        "\"schedule\", not \"performance\" (allowed keys for \"performance\": policy, detector, "
                        "false_alarm_rate, min_shift, baseline_margin_se, window, threshold, warmup_tasks)",
                        "m.yaml:14:9: error: spec.monitoring.triggers[2].every_s: missing required key \"every_s\" "
                        "(expected integer in 1..31536000)",
                        "m.yaml:15:17: error: spec.monitoring.triggers[3].policy: expected one of \"schedule\", "
                        "\"performance\", \"roi\", found \"sometimes\" (string)",
                        "m.yaml:16:9: error: spec.monitoring.triggers[4].policy: missing required key \"policy\" "
                        "(expected one of \"schedule\", \"performance\", \"roi\")",
                        "m.yaml:17:38: error: spec.monitoring.triggers[5].detector: key \"detector\" belongs to policy "
                        "\"performance\", not \"roi\" (allowed keys for \"roi\": policy, horizon_tasks, "
                        "value_per_correct, min_gain)",
                    });

  LoadResult ok = LoadManifestString(Minimal("  monitoring:\n    triggers:\n      - {policy: schedule, every_s: 60}\n"
                                             "      - {policy: roi}\n"),
                                     "m.yaml");
  INFO(Dump(ok));
  REQUIRE(ok.ok());
  const auto& triggers = ok.manifest.spec.at("monitoring").at("triggers");
  CHECK(triggers[0] == nlohmann::json::parse(R"({"policy": "schedule", "every_s": 60})"));
  CHECK(triggers[1].at("horizon_tasks") == 10000);
  CHECK_FALSE(triggers[1].contains("detector"));
}

TEST_CASE("agent ids and teacher names must be unique", "[config]") {
  const std::string yaml = Minimal(
      "  planning: {id: worker}\n"              // 8
      "  datagen: {id: shared}\n"               // 9
      "  evaluation: {id: shared}\n"            // 10
      "  teachers:\n"                           // 11
      "    - {name: big, backend: openai}\n"    // 12
      "    - {name: big, backend: openai}\n");  // 13
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK(Lines(r) == std::vector<std::string>{
                        "m.yaml:8:18: error: spec.planning.id: agent id \"worker\" is already the id of spec.worker.id; "
                        "agent ids must be unique",
                        "m.yaml:10:20: error: spec.evaluation.id: agent id \"shared\" is already the id of "
                        "spec.datagen.id; agent ids must be unique",
                        "m.yaml:13:14: error: spec.teachers[1].name: teacher name \"big\" is used twice; teacher names "
                        "must be unique",
                    });
}

TEST_CASE("duplicate keys, bad names and bad endpoints", "[config]") {
  const std::string yaml = Minimal(
      "  runtime:\n"                                                            // 8
      "    log_level: info\n"                                                   // 9
      "    log_level: debug\n"                                                  // 10
      "    endpoints: {control: \"udp://x:1\", events: \"tcp://h:70000\"}\n"    // 11
      "  training: {id: Trainer}\n");                                           // 12
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  CHECK(Only(r, "spec.runtime.log_level").ToString() ==
        "m.yaml:10:5: error: spec.runtime.log_level: duplicate key \"log_level\" (first given on line 9)");
  CHECK(Contains(Only(r, "spec.runtime.endpoints.control").message, "found \"udp://x:1\""));
  CHECK(Only(r, "spec.runtime.endpoints.events").message ==
        "expected a port in 1..65535 or *, found \"tcp://h:70000\"");
  CHECK(Contains(Only(r, "spec.training.id").message, "found \"Trainer\""));

  LoadResult same = LoadManifestString(
      Minimal("  runtime: {endpoints: {control: \"tcp://127.0.0.1:5555\", events: \"tcp://127.0.0.1:5555\"},\n"
              "            security: {insecure_tcp: true}}\n"),
      "m.yaml");
  CHECK(Contains(Only(same, "spec.runtime.endpoints.events").message, "other than the control endpoint's"));

  LoadResult long_ipc = LoadManifestString(Minimal(), "m.yaml", "/tmp/" + std::string(120, 'x'));
  CHECK(Contains(Only(long_ipc, "spec.runtime.endpoints.control").message, "Unix sockets allow 107"));
}

TEST_CASE("data files must exist and datasets must be defined", "[config]") {
  TempDir dir("refs");
  dir.Write("ok.jsonl", "{}\n");
  const std::string file = dir.Write("m.yaml",
                                     "apiVersion: kaizen.dev/v1\n"                               // 1
                                     "kind: Cluster\n"                                           // 2
                                     "metadata: {name: t}\n"                                     // 3
                                     "spec:\n"                                                   // 4
                                     "  data:\n"                                                 // 5
                                     "    good: {path: ok.jsonl}\n"                              // 6
                                     "    gone: {path: missing.jsonl}\n"                         // 7
                                     "  worker: {skill: {train: {dataset: good}}}\n"             // 8
                                     "  teachers: [{name: t1, train: {dataset: nope}}]\n"        // 9
                                     "  training: {backend: command}\n");                        // 10
  LoadResult r = LoadManifestFile(file);
  INFO(Dump(r));
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].ToString() == file + ":7:18: error: spec.data.gone.path: file \"" +
                                      (dir.path() / "missing.jsonl").string() +
                                      "\" does not exist (relative paths resolve against the manifest's directory)");
  CHECK(r.errors[1].path == "spec.training.command");

  dir.Write("gone.jsonl", "");
  LoadResult refs = LoadManifestString(
      "apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: t}\nspec:\n"
      "  data: {good: {path: " + (dir.path() / "ok.jsonl").string() + "}}\n"
      "  worker: {skill: {train: {dataset: good}}}\n"
      "  teachers: [{name: t1, train: {dataset: nope}}]\n"
      "  simulator: {dataset: other}\n",
      "m.yaml");
  CHECK(Lines(refs) == std::vector<std::string>{
                           "m.yaml:7:42: error: spec.teachers[0].train.dataset: expected the name of an entry of "
                           "spec.data (good), found \"nope\"",
                           "m.yaml:8:24: error: spec.simulator.dataset: expected the name of an entry of spec.data "
                           "(good), found \"other\"",
                       });
}

TEST_CASE("restart backoff bounds are checked after merging overrides", "[config]") {
  LoadResult r = LoadManifestString(Minimal("  datagen:\n    restart: {backoff_max_ms: 100}\n"), "m.yaml");
  CHECK(Only(r, "spec.datagen.restart.backoff_max_ms").message ==
        "expected backoff_initial_ms <= backoff_max_ms, found 500 > 100");
}

TEST_CASE("YAML aliases work within limits but an alias bomb is refused", "[config]") {
  LoadResult ok = LoadManifestString(Minimal("  datagen: {restart: &fast {backoff_initial_ms: 10}}\n"
                                             "  training: {restart: *fast}\n"),
                                     "m.yaml");
  INFO(Dump(ok));
  REQUIRE(ok.ok());
  CHECK(ok.manifest.agents[4].restart.backoff_initial_ms == 10);

  std::string bomb = Minimal("  x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
  for (int i = 1; i < 8; ++i) {
    bomb += "  x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  LoadResult boom = LoadManifestString(bomb, "b.yaml");
  REQUIRE(boom.errors.size() == 1);
  CHECK(Contains(boom.errors[0].message, "expands to more than"));

  LoadResult deep = LoadManifestString("a: " + std::string(10000, '[') + "\n", "d.yaml");
  REQUIRE(deep.errors.size() == 1);
  CHECK(Contains(deep.errors[0].message, "nesting deeper than"));
}

TEST_CASE("an LLM planner without its endpoint is refused at its key", "[config]") {
  const std::string head =  // lines 1-5: an LLM worker
      "apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: t}\nspec:\n"
      "  worker: {skill: {backend: openai, openai: {base_url: 'http://127.0.0.1:1/v1', model: m}}}\n";
  LoadResult r = LoadManifestString(head + "  planning:\n    backend: openai\n", "m.yaml");
  INFO(Dump(r));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].path == "spec.planning.openai");
  CHECK(r.errors[0].ToString().find("m.yaml:7:5: ") == 0);  // at the backend that needs it
  CHECK(r.errors[0].ToString().find("required with backend: openai") != std::string::npos);
  LoadResult wrong = LoadManifestString(head + "  planning: {backend: gpt}\n", "m.yaml");
  INFO(Dump(wrong));
  REQUIRE(wrong.errors.size() == 1);
  CHECK(wrong.errors[0].ToString().find("m.yaml:6:23: error: spec.planning.backend: expected one of \"rules\", \"openai\"") == 0);
}

TEST_CASE("worker.defer: defaults and its rules - a classifier worker and a teacher by name", "[config]") {
  TempDir dir("defer");
  dir.Write("d.jsonl", "{}\n");
  auto load = [&](const std::string& worker_and_teachers) {
    return LoadManifestFile(dir.Write("m.yaml", "apiVersion: kaizen.dev/v1\nkind: Cluster\nmetadata: {name: t}\n"
                                                "spec:\n"
                                                "  data: {d: {path: d.jsonl}}\n" +
                                                    worker_and_teachers));
  };
  LoadResult plain = load("  worker: {skill: {train: {dataset: d}}}\n");
  INFO(Dump(plain));
  REQUIRE(plain.ok());
  CHECK(plain.manifest.spec.at("worker").at("defer") ==
        nlohmann::json::parse(R"({"enabled": false, "max_share": 0.25, "max_cost_per_hour": 0.0, "teacher": "",
                                  "window": 2000})"));

  LoadResult ok = load("  worker: {skill: {train: {dataset: d}}, defer: {enabled: true, teacher: big}}\n"
                       "  teachers: [{name: small, train: {dataset: d}}, {name: big, train: {dataset: d}}]\n");
  INFO(Dump(ok));
  CHECK(ok.ok());

  LoadResult unknown = load("  worker: {skill: {train: {dataset: d}}, defer: {enabled: true, teacher: huge}}\n"
                            "  teachers: [{name: small, train: {dataset: d}}, {name: big, train: {dataset: d}}]\n");
  INFO(Dump(unknown));
  CHECK(Only(unknown, "spec.worker.defer.teacher").message ==
        "expected the name of a teacher in spec.teachers (small, big), found \"huge\"");

  LoadResult alone = load("  worker: {skill: {train: {dataset: d}}, defer: {enabled: true}}\n");
  INFO(Dump(alone));
  CHECK(Contains(Only(alone, "spec.worker.defer.enabled").message, "add one to spec.teachers"));

  LoadResult off = load("  worker: {skill: {train: {dataset: d}}, defer: {enabled: false, teacher: huge}}\n");
  INFO(Dump(off));
  CHECK(off.ok());  // not checked while off

  LoadResult share = load("  worker: {skill: {train: {dataset: d}}, defer: {max_share: 1.5, window: 5}}\n");
  INFO(Dump(share));
  CHECK(Only(share, "spec.worker.defer.max_share").message == "expected number in [0, 1], found 1.5 (number)");
  CHECK(Contains(Only(share, "spec.worker.defer.window").message, "expected integer in 10..100000"));
}

TEST_CASE("worker.defer on an LLM worker is refused at defer.enabled with the reason", "[config]") {
  LoadResult r = LoadManifestString(Minimal("    defer: {enabled: true}\n"
                                            "  teachers: [{name: big, backend: openai}]\n"),
                                    "m.yaml");
  INFO(Dump(r));
  const Diagnostic d = Only(r, "spec.worker.defer.enabled");
  CHECK(Contains(d.message, "builtin-classifier workers only"));
  CHECK(Contains(d.message, "spec.worker.skill.backend is openai"));
  CHECK(d.ToString().find("m.yaml:8:") == 0);
}
