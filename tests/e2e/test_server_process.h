// The OpenAI-compatible test server (tests/support/openai_test_server) as a
// real child process on 127.0.0.1, for the LLM end-to-end tests; stopped by
// its pid when the test ends.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/cluster_harness.h"

extern char** environ;

namespace kaizen::testing {

class TestServerProcess {
 public:
  // knowledge: "MODEL=FILE.jsonl" for the server's --knowledge.
  TestServerProcess(const std::string& dir, const std::string& knowledge)
      : TestServerProcess(dir, std::vector<std::string>{knowledge}) {}
  // One --knowledge option per entry.
  TestServerProcess(const std::string& dir, const std::vector<std::string>& knowledge) {
    port_file_ = dir + "/server.port";
    std::vector<std::string> args = {KAIZEN_OPENAI_TEST_SERVER, "--port-file", port_file_};
    for (const auto& k : knowledge) args.insert(args.end(), {"--knowledge", k});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    REQUIRE(WaitFor([&] { return !ReadFile(port_file_).empty(); }, 30000));
    port_ = std::stoi(ReadFile(port_file_));
  }
  ~TestServerProcess() {
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  TestServerProcess(const TestServerProcess&) = delete;
  TestServerProcess& operator=(const TestServerProcess&) = delete;
  int port() const { return port_; }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  std::string port_file_;
};

}  // namespace kaizen::testing
