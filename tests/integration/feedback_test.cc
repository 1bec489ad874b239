// `kaizen feedback`: a person attached to a running cluster approves a plan
// and answers datagen's label requests (strategy human_demonstrations), and
// the cycle goes on to training with a dataset whose rows name that person.
// Once with --batch (answers on stdin), once typed into a real terminal
// (tmux: new-session -d, send-keys, capture-pane).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/bus/curve_keys.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::Kaizen;
using kaizen::testing::ScenarioManifest;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kLabels = 3;

// The reduced scenario, planned as human demonstrations: 3 labels, above the
// auto-approve bound of 2, so the plan waits for a person's approval.
std::string HumanManifest(const std::string& name) {
  std::string m = ScenarioManifest(name, 0.0);
  const std::string planning = "  planning:\n";
  m.replace(m.find(planning), planning.size(),
            planning + "    strategies: [human_demonstrations]\n    human_labels: " + std::to_string(kLabels) +
                "\n    auto_approve: {max_teacher_calls: 2}\n    approval_timeout_s: 300\n");
  return m;
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Rows of every dataset in the store labeled by a person ("teacher": "human:...").
std::vector<json> HumanRows(const std::string& state_dir) {
  std::vector<json> rows;
  std::error_code ec;
  for (const auto& f : fs::recursive_directory_iterator(state_dir + "/artifacts", ec)) {
    if (f.path().extension() != ".jsonl" || f.path().string().find("/datasets/") == std::string::npos) continue;
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("teacher", "").rfind("human:", 0) == 0) rows.push_back(j);
    }
  }
  return rows;
}

// The journal's story of cycle c1 reached training (or a later stage).
bool ReachedTraining(TestCluster& c) {
  auto logs = Kaizen("logs -o json --cycle c1 --state-dir " + c.state_dir());
  return logs.out.find("training") != std::string::npos;
}

}  // namespace

TEST_CASE("kaizen feedback --batch approves the plan and labels and the cycle trains on the answers", "[integration]") {
  TestCluster cluster("fb-batch");
  std::ofstream(cluster.manifest_path()) << HumanManifest("fb-batch");
  REQUIRE(cluster.Up().exit_code == 0);
  const std::string input = "approve next fine for a test\\n# three labels\\nlabel next balance\\nlabel next "
                            "balance\\nlabel next balance\\n";
  const std::string out = Shell("printf '" + input + "' | " + KAIZEN_BINARY + " feedback --batch --as bob --wait 120 "
                                "--state-dir " + cluster.state_dir());
  INFO(out);
  std::vector<json> results;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    auto j = json::parse(out.substr(pos, end - pos), nullptr, false);
    if (j.is_object()) results.push_back(j);
    pos = end == std::string::npos ? out.size() : end + 1;
  }
  REQUIRE(results.size() == 1 + kLabels);
  for (const auto& r : results) CHECK(r["ok"] == true);
  CHECK(results[0]["command"] == "approve");
  CHECK(results[0]["id"] == "c1");
  REQUIRE(WaitFor([&] { return ReachedTraining(cluster); }, 60000));
  auto rows = HumanRows(cluster.state_dir());
  REQUIRE(rows.size() == kLabels);
  for (const auto& r : rows) {
    CHECK(r["label"] == "balance");
    CHECK(r["teacher"].get<std::string>().rfind("human:bob.", 0) == 0);
  }
  // Who approved is in the journal.
  auto logs = Kaizen("logs -o json --cycle c1 --state-dir " + cluster.state_dir());
  CHECK(logs.out.find("approved by bob.") != std::string::npos);
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("a person in a terminal (tmux) approves the plan and answers label requests", "[integration]") {
  if (std::system("command -v tmux > /dev/null 2>&1") != 0) FAIL("tmux is not installed (scripts/install-deps.sh)");
  TestCluster cluster("fb-tmux");
  std::ofstream(cluster.manifest_path()) << HumanManifest("fb-tmux");
  REQUIRE(cluster.Up().exit_code == 0);
  const std::string session = "kz-fb-" + std::to_string(::getpid());
  // An 80-column terminal, as over ssh.
  REQUIRE(std::system(("tmux new-session -d -s " + session + " -x 80 -y 40 '" + KAIZEN_BINARY +
                       " feedback --as alice --sample-every 0 --low-confidence 0 --state-dir " + cluster.state_dir() +
                       "; sleep 30'")
                          .c_str()) == 0);
  auto pane = [&] { return Shell("tmux capture-pane -p -S -200 -t " + session); };
  auto keys = [&](const std::string& k) { (void)std::system(("tmux send-keys -t " + session + " " + k).c_str()); };
  struct KillSession {
    std::string name;
    ~KillSession() { (void)std::system(("tmux kill-session -t " + name + " 2>/dev/null").c_str()); }
  } kill_session{session};

  INFO(pane());
  REQUIRE(WaitFor([&] { return pane().find("APPROVAL plan c1") != std::string::npos; }, 90000));
  keys("a");
  keys("'looks right' Enter");
  REQUIRE(WaitFor([&] { return pane().find("ok approved") != std::string::npos; }, 10000));
  for (int i = 1; i <= kLabels; ++i) {
    const std::string header = "LABEL " + std::to_string(i) + "/" + std::to_string(kLabels);
    REQUIRE(WaitFor([&] { return pane().find(header) != std::string::npos; }, 60000));
    keys("l");
    keys("transfer Enter");
    REQUIRE(WaitFor([&] { return pane().find("labeled 'transfer'") != std::string::npos; }, 10000));
    // Each answer line is printed once per label; wait for this one's.
    REQUIRE(WaitFor(
        [&] {
          std::string p = pane();
          size_t n = 0;
          for (size_t at = p.find("ok labeled 'transfer'"); at != std::string::npos; at = p.find("ok labeled", at + 1)) ++n;
          return n >= static_cast<size_t>(i);
        },
        10000));
  }
  INFO(pane());
  REQUIRE(WaitFor([&] { return ReachedTraining(cluster); }, 60000));
  auto rows = HumanRows(cluster.state_dir());
  REQUIRE(rows.size() == kLabels);
  for (const auto& r : rows) {
    CHECK(r["label"] == "transfer");
    CHECK(r["teacher"].get<std::string>().rfind("human:alice.", 0) == 0);
  }
  keys("q");
  CHECK(WaitFor([&] { return pane().find("detached.") != std::string::npos; }, 5000));
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("with CURVE a person attaches with a feedback key but not with an agent key or an unlisted one", "[integration]") {
  TestCluster cluster("fb-curve");
  const std::string dir = fs::path(cluster.manifest_path()).parent_path().string();
  REQUIRE(Kaizen("keys alice --dir " + dir).exit_code == 0);
  REQUIRE(Kaizen("keys stranger --dir " + dir).exit_code == 0);
  const std::string alice_pub = *kaizen::bus::ReadPublicKeyFile(dir + "/alice.pub");
  std::string yaml = kaizen::testing::TestManifest("fb-curve", "");
  yaml.replace(yaml.find("  runtime:\n"), 11,
               "  runtime:\n"
               "    security:\n"
               "      curve: true\n"
               "      clients:\n"
               "        - {name: alice, role: feedback, public_key: \"" + alice_pub + "\"}\n");
  std::ofstream(cluster.manifest_path()) << yaml;
  REQUIRE(cluster.Up().exit_code == 0);
  auto attach = [&](const std::string& key) {
    return Shell("echo 'sleep 0.2' | " + std::string(KAIZEN_BINARY) + " feedback --batch --as alice --key-file " + key +
                 " --state-dir " + cluster.state_dir() + " 2>&1; echo \"exit=$?\"");
  };
  std::string ok = attach(dir + "/alice.key");
  INFO(ok);
  CHECK(ok.find("exit=0") != std::string::npos);
  std::string agent = attach(cluster.state_dir() + "/keys/agent.key");
  INFO(agent);
  CHECK(agent.find("needs a feedback or admin key") != std::string::npos);
  CHECK(agent.find("exit=0") == std::string::npos);
  std::string stranger = attach(dir + "/stranger.key");
  INFO(stranger);
  CHECK(stranger.find("exit=3") != std::string::npos);
  CHECK(cluster.Down().exit_code == 0);
}
