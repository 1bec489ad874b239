#include "tests/integration/cluster_harness.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "runtime/base/process_state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

namespace kaizen::testing {
namespace fs = std::filesystem;

CommandResult Kaizen(const std::string& args, const std::string& prefix) {
  CommandResult r;
  std::string cmd = prefix + std::string(KAIZEN_BINARY) + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool WaitFor(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

bool ProcessAlive(pid_t pid) { return kaizen::ProcessRunning(pid); }

std::string TestManifest(const std::string& name, const std::string& spec_extra) {
  std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  return "apiVersion: kaizen.dev/v1\n"
         "kind: Cluster\n"
         "metadata:\n"
         "  name: " + name + "\n"
         "spec:\n"
         "  runtime:\n"
         "    heartbeat: {interval_ms: 100, liveness: 5}\n"
         "    shutdown_grace_ms: 3000\n"
         "    restart: {policy: always, backoff_initial_ms: 200, backoff_max_ms: 2000, max_restarts: 5, window_s: 60}\n"
         "  data:\n"
         "    clinc150: {path: " + data + "}\n"
         "  worker:\n"
         "    skill:\n"
         "      backend: builtin-classifier\n"
         "      train: {dataset: clinc150, split: train, domains: [banking]}\n" +
         spec_extra;
}

std::string ScenarioManifest(const std::string& name, double teacher_noise, int rate_per_s, int total_tasks,
                             int drift_at_task) {
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  return "apiVersion: kaizen.dev/v1\n"
         "kind: Cluster\n"
         "metadata: {name: " + name + "}\n"
         "spec:\n"
         "  runtime:\n"
         "    heartbeat: {interval_ms: 200, liveness: 10}\n"
         "    restart: {policy: always, backoff_initial_ms: 200, backoff_max_ms: 2000, max_restarts: 5, window_s: 60}\n"
         "  data:\n"
         "    clinc150: {path: " + data + "}\n"
         "  worker:\n"
         "    skill:\n"
         "      backend: builtin-classifier\n"
         "      train: {dataset: clinc150, split: train, domains: [banking, credit_cards, kitchen_and_dining, home, "
         "auto_and_commute]}\n"
         "  teachers:\n"
         "    - name: oracle\n"
         "      train: {dataset: clinc150, split: train}\n"
         "      cost_per_call: 0.001\n"
         "      noise: " + std::to_string(teacher_noise) + "\n"
         "  monitoring:\n"
         "    cooldown_s: 600\n"
         "    triggers: [{policy: performance, detector: cusum, false_alarm_rate: 0.000001, min_shift: 0.1, "
         "warmup_tasks: 200}]\n"
         "  planning:\n"
         "    max_replans: 1\n"
         "    teacher_budget: {max_calls: 1500, max_cost: 5.0}\n"
         "  datagen: {collect_timeout_s: 20}\n"
         "  deployment: {steps: [0.1, 0.5], min_samples_per_step: 100}\n"
         "  simulator:\n"
         "    dataset: clinc150\n"
         "    split: val,test\n"
         "    rate_per_s: " + std::to_string(rate_per_s) + "\n"
         "    total_tasks: " + std::to_string(total_tasks) + "\n"
         "    drift_at_task: " + std::to_string(drift_at_task) + "\n"
         "    before_drift_domains: [banking, credit_cards, kitchen_and_dining, home, auto_and_commute]\n"
         "    tasks_after_cycle: 1500\n"
         "    max_tasks: 30000\n"
         "    seed: 11\n";
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string EditedManifest(const std::string& relative_path,
                           const std::vector<std::pair<std::string, std::string>>& edits, std::string* missing) {
  std::string m = ReadFile(std::string(KAIZEN_SOURCE_DIR) + "/" + relative_path);
  missing->clear();
  for (const auto& [from, to] : edits) {
    if (m.find(from) == std::string::npos) {
      if (missing->empty()) *missing = from;
      continue;
    }
    for (std::size_t at = 0; (at = m.find(from, at)) != std::string::npos; at += to.size()) m.replace(at, from.size(), to);
  }
  return m;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

TestCluster::TestCluster(const std::string& name, const std::string& spec_extra) {
  std::random_device rd;
  // Short path: ipc:// socket paths must fit in 107 bytes.
  dir_ = (fs::temp_directory_path() / ("kz-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000)))
             .string();
  fs::create_directories(dir_);
  state_dir_ = dir_ + "/state";
  manifest_ = dir_ + "/" + name + ".yaml";
  std::ofstream(manifest_) << TestManifest(name, spec_extra);
}

TestCluster::~TestCluster() {
  if (fs::exists(state_dir_ + "/runtime.json")) Down();
  // Last resort for a failed test: end what this cluster started, by pid.
  for (pid_t pid : seen_) {
    if (ProcessAlive(pid)) ::kill(pid, SIGKILL);
  }
  // KAIZEN_KEEP_TEST_DIRS=1 keeps the state dir (journal, logs) of every cluster for a post-mortem.
  if (const char* keep = std::getenv("KAIZEN_KEEP_TEST_DIRS"); keep && *keep && std::string(keep) != "0") {
    std::fprintf(stderr, "kept the test cluster's files in %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

nlohmann::json TestCluster::WaitSummary(int timeout_ms) {
  const std::string path = state_dir_ + "/summary.json";
  if (!WaitFor([&] { (void)Status(); return fs::exists(path); }, timeout_ms)) return nullptr;
  return nlohmann::json::parse(ReadFile(path), nullptr, false);  // written atomically by the runtime
}

CommandResult TestCluster::Up(const std::string& extra_args) {
  CommandResult r = Kaizen("up " + manifest_ + " --detach --state-dir " + state_dir_ +
                               (extra_args.empty() ? "" : " " + extra_args),
                           prefix_);
  pid_t pid = RuntimePid();
  if (pid > 0) seen_.insert(pid);
  return r;
}

CommandResult TestCluster::Down() { return Kaizen("down --state-dir " + state_dir_, prefix_); }

nlohmann::json TestCluster::Status() {
  CommandResult r = Kaizen("status -o json --state-dir " + state_dir_, prefix_);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return nullptr;
  for (const auto& a : j["agents"]) {
    if (a["pid"].is_number() && a["pid"].get<int64_t>() > 0) seen_.insert(static_cast<pid_t>(a["pid"].get<int64_t>()));
  }
  return j;
}

bool TestCluster::WaitAllInState(const std::string& state, int timeout_ms) {
  return WaitFor(
      [&] {
        auto j = Status();
        if (j.is_null() || j["agents"].size() < 7) return false;
        for (const auto& a : j["agents"]) {
          if (a["state"] != state) return false;
        }
        return true;
      },
      timeout_ms);
}

nlohmann::json TestCluster::Agent(const std::string& id) {
  auto j = Status();
  if (j.is_null()) return nullptr;
  for (const auto& a : j["agents"]) {
    if (a["id"] == id) return a;
  }
  return nullptr;
}

bool TestCluster::RuntimeGone(pid_t runtime) const {
  if (ProcessAlive(runtime)) return false;
  int fd = ::open((state_dir_ + "/runtime.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return !locked;
}

pid_t TestCluster::RuntimePid() const {
  std::ifstream in(state_dir_ + "/runtime.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return 0;
  return static_cast<pid_t>(j.value("pid", 0));
}

}  // namespace kaizen::testing
