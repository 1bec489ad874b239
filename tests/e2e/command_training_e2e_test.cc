// End to end with `training.backend: command`: the reduced intent-router
// scenario where the candidate is trained by a user's script (a shell script
// around `kaizen train-model`, standing in for a fine-tuning script), and one
// where the script fails and the cycle stops with its last log lines.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/base/sha256.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using kaizen::testing::ReadFile;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The scenario with a command trainer; returns the summary it writes.
json RunWithCommand(TestCluster& cluster, const std::string& name, const std::string& script_body) {
  const std::string script = fs::path(cluster.manifest_path()).parent_path().string() + "/finetune.sh";
  std::ofstream(script) << "#!/bin/sh\n" << script_body;
  fs::permissions(script, fs::perms::owner_all);
  std::ofstream(cluster.manifest_path())
      << ScenarioManifest(name, 0.0) << "  training:\n"
      << "    backend: command\n"
      << "    command: " << script << " {base_model} {dataset} {output_dir} {epochs} {output_version}\n"
      << "    timeout_s: 120\n";
  auto up = cluster.Up();
  REQUIRE(up.exit_code == 0);
  json summary = cluster.WaitSummary();
  CHECK(cluster.Down().exit_code == 0);
  REQUIRE(summary.is_object());
  std::printf("%s: %s\n", name.c_str(), summary.dump().c_str());
  return summary;
}

}  // namespace

TEST_CASE("a training command trains the candidate of a whole cycle, which is registered and promoted", "[e2e]") {
  TestCluster cluster("e2e-command");
  json s = RunWithCommand(cluster, "e2e-command",
                          "echo \"progress 0.05 loss=0 preparing\"\n"
                          "exec " KAIZEN_BINARY " train-model --base \"$1\" --dataset \"$2\" --output \"$3/model.kzm\""
                          " --epochs \"$4\" --version \"$5\" --replay-fraction 0\n");
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "promoted");
  CHECK(s["serving"] == c["candidate"]);
  CHECK(s["tasks"]["lost"] == 0);
  // The script's output went to the training log, with its progress lines.
  const std::string log = ReadFile(cluster.state_dir() + "/logs/train-" + c["candidate"].get<std::string>() + ".log");
  CHECK(log.find("progress 0.05 loss=0 preparing") != std::string::npos);
  CHECK(log.find("result {") != std::string::npos);
  // Registered: the registry holds the script's model under the candidate's
  // version, with its parent, and the artifact hashes to what it recorded.
  auto store = kaizen::store::Store::Open(cluster.state_dir() + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto row = (*store)->GetModel(c["candidate"].get<std::string>());
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  CHECK((**row).status == kaizen::store::ModelStatus::kServing);
  CHECK((**row).parent == c["incumbent"].get<std::string>());
  const std::string uri = (**row).uri;
  const std::string path = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  auto sha = kaizen::Sha256File(path);
  REQUIRE(sha.ok());
  CHECK(*sha == (**row).sha256);
}

TEST_CASE("a training command that fails stops the cycle with its exit code and last log lines", "[e2e]") {
  TestCluster cluster("e2e-command-fail");
  json s = RunWithCommand(cluster, "e2e-command-fail",
                          "echo \"progress 0.1 loading $1\"\n"
                          "echo 'RuntimeError: CUDA out of memory' >&2\n"
                          "exit 7\n");
  INFO(s.dump(2));
  REQUIRE(s["cycles"].size() >= 1);
  const json& c = s["cycles"][0];
  CHECK(c["outcome"] == "aborted");
  const std::string reason = c["reason"];
  CHECK(reason.find("exited with code 7") != std::string::npos);
  CHECK(reason.find("RuntimeError: CUDA out of memory") != std::string::npos);
  CHECK(s["serving"] == c["incumbent"]);
}
