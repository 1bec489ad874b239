#include "tests/faults/fault_helpers.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime/base/sha256.h"
#include "runtime/store/store.h"
#include "envelope.pb.h"

namespace kaizen::testing {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string Stage(TestCluster& c) {
  json s = c.Status();
  if (s.is_null() || !s["cycle"].is_object()) return "";
  return s["cycle"].value("stage", "");
}

pid_t PidOf(TestCluster& c, const std::string& agent) {
  json a = c.Agent(agent);
  return a.is_object() && a["pid"].is_number() ? static_cast<pid_t>(a["pid"].get<int64_t>()) : 0;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == parent && state != 'Z') out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

pid_t WaitForChild(pid_t parent, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto kids = ChildrenOf(parent);
    if (!kids.empty()) return kids.front();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return 0;
}

int64_t CpuMs(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1;
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // Fields 3..15 of proc(5): state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return (utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK);
}

std::string StagePath(const json& cycle) {
  std::string out;
  for (const auto& s : cycle["stages"]) out += (out.empty() ? "" : " ") + s.value("name", "?");
  return out;
}

void Signal(pid_t pid, int sig, const std::string& what, const std::string& when) {
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, sig) == 0);
  std::printf("fault: %s %s (pid %d) %s\n", sig == SIGSTOP ? "froze" : "killed", what.c_str(), static_cast<int>(pid),
              when.c_str());
  std::fflush(stdout);
}

void KillAt(TestCluster& c, const std::string& stage, const std::string& what, const std::function<pid_t()>& victim,
            int sig) {
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(WaitFor([&] { return Stage(c) == stage; }, 120000));
  pid_t pid = victim();
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, sig) == 0);
  double at = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fault: %s %s (pid %d) during %s, %.1f s into the wait\n", sig == SIGSTOP ? "hung" : "killed",
              what.c_str(), static_cast<int>(pid), stage.c_str(), at);
  std::fflush(stdout);
}

void PrintAccounting(const std::string& name, const json& s) {
  const json& t = s["tasks"];
  std::printf("%s: submitted %lld = answered %lld, lost %lld, duplicated %lld; cycles:", name.c_str(),
              t.value("submitted", -1LL), t.value("answered", -1LL), t.value("lost", -1LL), t.value("duplicated", -1LL));
  for (const auto& c : s["cycles"]) {
    std::printf(" %s %s", c.value("id", "").c_str(), c.value("outcome", "").c_str());
    // Why a cycle did not promote is what a failed CI run most needs to show.
    if (c.value("outcome", "") != "promoted") std::printf(" (%s)", c.value("reason", "").c_str());
    std::printf(";");
  }
  std::printf("\n");
  std::fflush(stdout);
}

void CheckAccounting(const json& s) {
  CHECK(s["tasks"]["lost"] == 0);
  CHECK(s["tasks"]["duplicated"] == 0);
  CHECK(s["tasks"]["submitted"] == s["tasks"]["answered"]);
}

void CheckStore(const std::string& state_dir) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto integrity = (*store)->IntegrityCheck();
  REQUIRE(integrity.ok());
  CHECK(*integrity == "ok");
  auto models = (*store)->ListModels();
  REQUIRE(models.ok());
  for (const auto& m : *models) {
    auto sha = kaizen::Sha256File(m.uri.substr(std::string("file://").size()));
    REQUIRE(sha.ok());
    CHECK(*sha == m.sha256);
  }
  int artifacts = 0;
  for (const char* kind : {"models", "datasets"}) {
    fs::path dir = fs::path(state_dir) / "artifacts" / kind;
    if (!fs::exists(dir)) continue;
    for (const auto& f : fs::directory_iterator(dir)) {
      auto sha = kaizen::Sha256File(f.path().string());
      REQUIRE(sha.ok());
      CHECK(f.path().stem().string() == *sha);
      ++artifacts;
    }
  }
  std::printf("store: integrity_check %s, %zu models, %d artifacts each hashing to its name\n", integrity->c_str(),
              models->size(), artifacts);
  std::fflush(stdout);
}

int CountEvents(const std::string& state_dir, const std::string& kind, const std::string& role,
                const std::string& cycle) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  kaizen::store::EventFilter f;
  f.kind = kind;
  f.cycle = cycle;
  f.limit = 0;
  auto events = (*store)->ReadEvents(f);
  REQUIRE(events.ok());
  int n = 0;
  for (const auto& e : *events) n += role.empty() || e.role == role;
  return n;
}

int CountClusterEvents(const std::string& state_dir, const std::string& what, const std::string& agent) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  kaizen::store::EventFilter f;
  f.kind = "cluster";
  f.limit = 0;
  auto events = (*store)->ReadEvents(f);
  REQUIRE(events.ok());
  int n = 0;
  for (const auto& e : *events) {
    kaizen::v1::Envelope env;
    if (e.agent != agent || !env.ParseFromString(e.payload)) continue;
    n += env.cluster_event().what() == what;
  }
  return n;
}

std::map<std::string, int> EventsByAgent(const std::string& state_dir, const std::string& kind) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  kaizen::store::EventFilter f;
  f.kind = kind;
  f.limit = 0;
  auto events = (*store)->ReadEvents(f);
  REQUIRE(events.ok());
  std::map<std::string, int> by_agent;
  for (const auto& e : *events) ++by_agent[e.agent];
  return by_agent;
}

int CountModels(const std::string& state_dir) {
  auto store = kaizen::store::Store::Open(state_dir + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  auto models = (*store)->ListModels();
  REQUIRE(models.ok());
  return static_cast<int>(models->size());
}

int TeacherAnswers(const std::string& state_dir, const std::string& cycle) {
  int lines = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir + "/datagen", ec)) {
    if (entry.path().filename().string().rfind("ledger-" + cycle + "-", 0) != 0) continue;
    std::ifstream in(entry.path());
    for (std::string l; std::getline(in, l);) ++lines;
  }
  return lines;
}

}  // namespace kaizen::testing
