// The official OpenAI client library (npm `openai`, pinned in
// tests/node/package-lock.json) against a real cluster's gateway: the real
// kaizen binary, a builtin-classifier worker, spec.gateway on a free port.
// tests/node/openai_client.mjs makes the calls and checks the answers; this
// test starts the cluster, runs it with node and checks how it ended.
//
// The ctest fixture openai_client_npm_install (scripts/install-node-openai.sh)
// installs the package into the build tree first; without it the test fails.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <curl/curl.h>
#include <filesystem>
#include <regex>
#include <string>

#include "tests/integration/cluster_harness.h"

using kaizen::testing::CommandResult;
using kaizen::testing::FreePort;
using kaizen::testing::ReadFile;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The status of GET url (0 when nothing answered); the body in *body.
long HttpGet(const std::string& url, std::string* body) {
  body->clear();
  CURL* curl = curl_easy_init();
  if (!curl) return 0;
  long status = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  return status;
}

std::string Quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command; stdout and stderr together.
CommandResult Shell(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The files the agents log to, for a failure's message.
std::string Logs(const TestCluster& cluster) {
  std::string out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cluster.state_dir(), ec)) {
    const std::string path = e.path().string();
    if (!e.is_regular_file() || path.size() < 4 || path.compare(path.size() - 4, 4, ".log") != 0) continue;
    std::string text = ReadFile(path);
    if (text.size() > 4000) text = "..." + text.substr(text.size() - 4000);
    out += "==> " + path + " <==\n" + text + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("the official OpenAI client (npm openai) talks to the gateway of a real cluster",
          "[integration][gateway]") {
  const std::string node_modules = KAIZEN_NODE_MODULES;
  const std::string script = std::string(KAIZEN_SOURCE_DIR) + "/tests/node/openai_client.mjs";
  {
    INFO("node is not installed: scripts/install-deps.sh installs Debian's nodejs and npm");
    REQUIRE(Shell("command -v node").exit_code == 0);
  }
  {
    INFO("the npm package 'openai' is not in " << node_modules
         << ": the ctest fixture openai_client_npm_install (scripts/install-node-openai.sh) did not install it; "
            "see its output, or run scripts/install-node-openai.sh "
         << std::filesystem::path(node_modules).parent_path().string());
    REQUIRE(std::filesystem::exists(node_modules + "/openai/package.json"));
  }

  const int port = FreePort();
  const std::string host = "127.0.0.1:" + std::to_string(port);
  TestCluster cluster("openai-client",
                      "  gateway:\n"
                      "    listen: " + host + "\n"
                      "    model: kaizen-test\n");
  auto up = cluster.Up();
  INFO("kaizen up: " << up.out);
  REQUIRE(up.exit_code == 0);

  // Ready: the gateway listens and a worker serves a trained model.
  std::string body;
  long status = 0;
  const bool ready = WaitFor(
      [&] {
        status = HttpGet("http://" + host + "/readyz", &body);
        return status == 200;
      },
      60000);
  if (!ready) FAIL("GET /readyz: " << status << " " << body << "\n" << Logs(cluster));

  const std::string cmd = "cd " + Quoted(std::string(KAIZEN_SOURCE_DIR) + "/tests/node") +
                          " && KAIZEN_GATEWAY_URL=" + Quoted("http://" + host + "/v1") +
                          " KAIZEN_MODEL=kaizen-test NODE_PATH=" + Quoted(node_modules) + " node " + Quoted(script);
  const CommandResult node = Shell(cmd);
  INFO("$ " << cmd << "\n" << node.out);
  if (node.exit_code != 0) {
    INFO(Logs(cluster));
    CHECK(node.exit_code == 0);
  }
  // The script's last line counts its checks: all of them ran and passed.
  std::smatch m;
  const bool counted = std::regex_search(node.out, m, std::regex(R"((^|\n)(\d+) passed, (\d+) failed\n?$)"));
  REQUIRE(counted);
  CHECK(std::stoi(m[2].str()) >= 12);  // six checks, on each of two transports
  CHECK(m[3].str() == "0");
  CHECK(node.out.find("FAIL") == std::string::npos);

  CHECK(cluster.Down().exit_code == 0);
}
