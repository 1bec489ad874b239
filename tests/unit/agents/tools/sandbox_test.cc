// The tool sandbox against real programs: each limit and wall on its own.
// These need bubblewrap (scripts/install-deps.sh): without it they fail with
// the reason, they never skip.
#include "agents/tools/sandbox.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "agents/tools/unique_fd.h"

namespace kaizen::tools {
namespace {

using Outcome = SandboxRun::Outcome;

void RequireSandbox() {
  Status s = SandboxAvailable();
  INFO(s.ToString());
  REQUIRE(s.ok());
}

SandboxRun Run(const std::string& program, SandboxLimits limits = {}, const std::string& input = "") {
  RequireSandbox();
  auto run = RunPython(program, input, limits);
  INFO(run.status().ToString());
  REQUIRE(run.ok());
  UNSCOPED_INFO("outcome: " << OutcomeName(run->outcome) << "; reason: " << run->reason
                            << "\nstdout: " << run->stdout_text.substr(0, 400)
                            << "\nstderr: " << run->stderr_text.substr(0, 2000));
  return std::move(run).value();
}

std::string Marker() {
  std::random_device rd;
  return "kaizen-sandbox-test-" + std::to_string(getpid()) + "-" + std::to_string(rd());
}

// Processes on the host whose command line contains `marker`.
int ProcessesWith(const std::string& marker) {
  int count = 0;
  DIR* proc = opendir("/proc");
  REQUIRE(proc != nullptr);
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) ++count;
  }
  closedir(proc);
  return count;
}

bool HostPathExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

TEST_CASE("sandbox: is available here (bwrap installed, user namespaces allowed)") { RequireSandbox(); }

TEST_CASE("sandbox: a tool that prints its JSON result on stdout works") {
  SandboxRun run = Run(
      "import json, sys\n"
      "args = json.load(sys.stdin)\n"
      "print(json.dumps({'sum': args['a'] + args['b']}))\n",
      {}, R"({"a": 2, "b": 40})");
  CHECK(run.outcome == Outcome::kOk);
  CHECK(run.exit_code == 0);
  CHECK(run.stdout_text == "{\"sum\": 42}\n");
  CHECK(run.wall_seconds > 0);
}

TEST_CASE("sandbox: the tool sees only the sandbox, as nobody, with a clean environment") {
  SandboxRun run = Run(
      "import os\n"
      "print(os.getuid(), os.getgid())\n"
      "print(sorted(os.listdir('/tmp')))\n"
      "print(os.path.exists('/work'), os.path.exists('/root'), os.path.exists('/home'), os.path.exists('/sys'))\n"
      "print(sorted(os.environ))\n"
      "print(os.getcwd())\n");
  REQUIRE(run.outcome == Outcome::kOk);
  CHECK(run.stdout_text ==
        "65534 65534\n[]\nFalse False False False\n['HOME', 'LANG', 'PATH', 'PWD']\n/tmp\n");
}

TEST_CASE("sandbox: a CPU loop is stopped by the CPU limit") {
  SandboxLimits limits;
  limits.cpu_seconds = 1;
  limits.wall_timeout_ms = 20000;  // this machine may be busy: CPU, not wall, must end it
  SandboxRun run = Run("while True:\n    pass\n", limits);
  CHECK(run.outcome == Outcome::kTimedOut);
  CHECK(run.reason.find("CPU") != std::string::npos);
  CHECK(run.wall_seconds < 19);
}

TEST_CASE("sandbox: time.sleep(60) is stopped by the wall timeout") {
  SandboxLimits limits;
  limits.wall_timeout_ms = 1000;
  const std::string marker = Marker();
  SandboxRun run = Run("import os\nos.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(60)', '" +
                           marker + "'])\n",
                       limits);
  CHECK(run.outcome == Outcome::kTimedOut);
  CHECK(run.reason.find("wall time") != std::string::npos);
  CHECK(run.wall_seconds < 5);
  CHECK(ProcessesWith(marker) == 0);
}

TEST_CASE("sandbox: allocating 2 GiB is stopped by the memory limit") {
  SandboxRun run = Run("block = bytearray(2 * 1024 ** 3)\nprint(len(block))\n");
  CHECK(run.outcome == Outcome::kMemory);
  CHECK(run.reason.find("MemoryError") != std::string::npos);
  CHECK(run.reason.find("256 MiB") != std::string::npos);
  CHECK(run.stdout_text.empty());
}

TEST_CASE("sandbox: starting many processes is stopped by the process limit") {
  SandboxLimits limits;
  limits.max_processes = 8;
  const std::string marker = Marker();
  SandboxRun run = Run(
      "import os\n"
      "for i in range(64):\n"
      "    if os.fork() == 0:\n"
      "        os.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(30)', '" + marker + "'])\n"
      "print('forked 64')\n",
      limits);
  CHECK(run.outcome == Outcome::kProcesses);
  CHECK(run.reason.find("limit of 8 processes") != std::string::npos);
  CHECK(run.stdout_text.empty());
  CHECK(ProcessesWith(marker) == 0);  // the sleeping children went with the sandbox
}

TEST_CASE("sandbox: a fork bomb is stopped and leaves nothing behind") {
  SandboxLimits limits;
  limits.max_processes = 8;
  limits.cpu_seconds = 1;
  limits.wall_timeout_ms = 3000;
  const std::string marker = Marker();
  SandboxRun run = Run(
      "import os\n"
      "os.execv('/usr/bin/python3', ['python3', '-c',\n"
      "    'import os\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass', '" +
          marker + "'])\n",
      limits);
  CHECK_FALSE(run.ok());
  CHECK((run.outcome == Outcome::kTimedOut || run.outcome == Outcome::kProcesses));
  CHECK_FALSE(run.reason.empty());
  CHECK(run.wall_seconds < 6);
  CHECK(ProcessesWith(marker) == 0);
}

TEST_CASE("sandbox: opening a socket is a forbidden call") {
  SandboxRun run = Run("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nprint('opened')\n");
  CHECK(run.outcome == Outcome::kForbiddenCall);
  CHECK(run.reason.find("socket") != std::string::npos);
  CHECK(run.stdout_text.empty());
  SandboxRun netlink = Run("import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n");
  CHECK(netlink.outcome == Outcome::kForbiddenCall);
  SandboxRun inet6 = Run("import socket\nsocket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n");
  CHECK(inet6.outcome == Outcome::kForbiddenCall);
}

TEST_CASE("sandbox: no network, not even to 127.0.0.1") {
  // A port on the host's loopback that the tool tries to reach.
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  REQUIRE(listener.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener.get(), 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);

  SandboxRun run = Run("import socket\nsocket.create_connection(('127.0.0.1', " + std::to_string(port) +
                       "), timeout=2).sendall(b'hi')\nprint('connected')\n");
  CHECK_FALSE(run.ok());
  CHECK(run.outcome == Outcome::kForbiddenCall);
  CHECK(run.stdout_text.empty());
  CHECK(accept(listener.get(), nullptr, nullptr) < 0);  // nobody came

  // Seccomp aside, the network namespace is empty: a down loopback only.
  SandboxRun devices = Run("print(open('/proc/net/dev').read())\n");
  REQUIRE(devices.outcome == Outcome::kOk);
  CHECK(devices.stdout_text.find("lo:") != std::string::npos);
  CHECK(devices.stdout_text.find("eth") == std::string::npos);
}

TEST_CASE("sandbox: writing /etc fails with the tool's own error and nothing reaches the host") {
  REQUIRE_FALSE(HostPathExists("/etc/kaizen-test"));
  SandboxRun run = Run("open('/etc/kaizen-test', 'w').write('escaped')\n");
  CHECK(run.outcome == Outcome::kFailed);
  CHECK(run.exit_code == 1);
  CHECK(run.reason.find("Read-only file system") != std::string::npos);
  CHECK(run.reason.find("OSError") != std::string::npos);
  CHECK_FALSE(HostPathExists("/etc/kaizen-test"));
  SandboxRun usr = Run("open('/usr/kaizen-test', 'w')\n");
  CHECK(usr.outcome == Outcome::kFailed);
  CHECK(usr.reason.find("Read-only file system") != std::string::npos);
  CHECK_FALSE(HostPathExists("/usr/kaizen-test"));
}

TEST_CASE("sandbox: writing /tmp inside works and leaves nothing in the host's /tmp") {
  const std::string name = Marker();
  REQUIRE_FALSE(HostPathExists("/tmp/" + name));
  SandboxRun run = Run("open('/tmp/" + name + "', 'w').write('kept inside')\nprint(open('/tmp/" + name +
                       "').read())\n");
  CHECK(run.outcome == Outcome::kOk);
  CHECK(run.stdout_text == "kept inside\n");
  CHECK_FALSE(HostPathExists("/tmp/" + name));
  // The next run's /tmp is empty again.
  SandboxRun next = Run("import os\nprint(os.listdir('/tmp'))\n");
  CHECK(next.stdout_text == "[]\n");
}

TEST_CASE("sandbox: /tmp is bounded in size") {
  SandboxLimits limits;
  limits.tmp_bytes = 1 << 20;
  SandboxRun run = Run("open('/tmp/big', 'wb').write(b'x' * (4 << 20))\n", limits);
  CHECK(run.outcome == Outcome::kFailed);
  CHECK((run.reason.find("File too large") != std::string::npos ||
         run.reason.find("No space left") != std::string::npos));
}

TEST_CASE("sandbox: output over the limit is cut") {
  SandboxLimits limits;
  limits.max_output_bytes = 64 << 10;
  SandboxRun run = Run("import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n", limits);
  CHECK(run.outcome == Outcome::kOutputTooLarge);
  CHECK(run.stdout_text.size() == static_cast<size_t>(64 << 10));
  CHECK(run.reason.find("64 KiB on stdout") != std::string::npos);
  SandboxRun err = Run("import sys\nsys.stderr.write('e' * 100000)\n", limits);
  CHECK(err.outcome == Outcome::kOutputTooLarge);
  CHECK(err.stderr_text.size() == static_cast<size_t>(64 << 10));
}

TEST_CASE("sandbox: a tool that fails or crashes is reported with the reason") {
  SandboxRun failed = Run("raise ValueError('no answer for that input')\n");
  CHECK(failed.outcome == Outcome::kFailed);
  CHECK(failed.reason == "exited with code 1: ValueError: no answer for that input");
  SandboxRun exited = Run("import sys\nsys.exit(3)\n");
  CHECK(exited.outcome == Outcome::kFailed);
  CHECK(exited.exit_code == 3);
  SandboxRun crashed = Run("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n");
  CHECK(crashed.outcome == Outcome::kCrashed);
  CHECK(crashed.signal == 11);
  CHECK(crashed.reason.find("SIGSEGV") != std::string::npos);
}

TEST_CASE("sandbox: limits that cannot hold are refused") {
  SandboxLimits limits;
  limits.max_processes = 2;
  auto run = RunPython("print(1)\n", "", limits);
  REQUIRE_FALSE(run.ok());
  CHECK(run.status().code() == Status::Code::kInvalidArgument);
  CHECK(run.status().message().find("at least 4") != std::string::npos);
}

}  // namespace kaizen::tools
