// kaizen-openai-test-server: the OpenAI-compatible test server as a process.
//   kaizen-openai-test-server [--port N] [--port-file F] [--api-key-env NAME]
//                             [--knowledge MODEL=FILE.jsonl] ...
// Prints "listening on 127.0.0.1:<port>" once it serves (and writes the port
// to --port-file); stops on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "agents/models/jsonl_dataset.h"
#include "tests/support/openai_test_server/server.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"OpenAI-compatible test server for Kaizen (rules: tests/support/openai_test_server/README.md)"};
  int port = 0;
  std::string port_file, api_key_env;
  std::vector<std::string> knowledge;
  app.add_option("--port", port, "Port on 127.0.0.1; 0 picks a free one");
  app.add_option("--port-file", port_file, "Write the port to this file once serving");
  app.add_option("--api-key-env", api_key_env, "Require the key in this environment variable");
  app.add_option("--knowledge", knowledge, "MODEL=FILE.jsonl[:SPLIT]: what MODEL knows (split train by default)");
  CLI11_PARSE(app, argc, argv);

  kaizen::testing::OpenAiTestServerOptions options;
  options.port = port;
  if (!api_key_env.empty()) {
    const char* key = std::getenv(api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      std::cerr << "the environment variable " << api_key_env << " is not set\n";
      return 2;
    }
    options.api_key = key;
  }
  for (const auto& k : knowledge) {
    auto eq = k.find('=');
    if (eq == std::string::npos) {
      std::cerr << "--knowledge " << k << ": expected MODEL=FILE.jsonl[:SPLIT]\n";
      return 2;
    }
    std::string file = k.substr(eq + 1), split = "train";
    if (auto colon = file.rfind(':'); colon != std::string::npos) split = file.substr(colon + 1), file.resize(colon);
    auto data = kaizen::models::LoadJsonlExamples(file, split);
    if (!data.ok()) {
      std::cerr << "--knowledge " << k << ": " << data.status().ToString() << "\n";
      return 2;
    }
    options.knowledge[k.substr(0, eq)] = kaizen::testing::Knowledge::From(data->examples);
  }
  kaizen::testing::OpenAiTestServer server(std::move(options));
  auto bound = server.Start();
  if (!bound.ok()) {
    std::cerr << bound.status().ToString() << "\n";
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    { std::ofstream(tmp) << *bound << "\n"; }
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::cout << "listening on 127.0.0.1:" << *bound << std::endl;
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.Stop();
  return 0;
}
