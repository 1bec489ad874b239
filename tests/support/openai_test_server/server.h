// OpenAiTestServer: a small OpenAI-compatible HTTP server on 127.0.0.1 for
// tests (README.md in this folder): POST /v1/chat/completions answers by the
// rules in rules.h; GET /v1/models lists the models; /control/* injects
// failures and reports what it saw.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "runtime/base/result.h"
#include "tests/support/openai_test_server/rules.h"

namespace httplib {
class Server;
}

namespace kaizen::testing {

struct OpenAiTestServerOptions {
  int port = 0;                                   // 0: the system picks one
  std::string api_key;                            // when set, requests must carry "Bearer <key>"
  std::map<std::string, Knowledge> knowledge;     // model name -> what it knows
  int threads = 32;                               // requests served at once
};

class OpenAiTestServer {
 public:
  explicit OpenAiTestServer(OpenAiTestServerOptions options);
  ~OpenAiTestServer();  // stops it
  OpenAiTestServer(const OpenAiTestServer&) = delete;
  OpenAiTestServer& operator=(const OpenAiTestServer&) = delete;

  // Binds 127.0.0.1 and serves on a thread; returns the port.
  Result<int> Start();
  void Stop();
  int port() const { return port_; }
  std::string base_url() const;  // http://127.0.0.1:<port>/v1

 private:
  struct State;
  void Routes();

  OpenAiTestServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<State> state_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace kaizen::testing
