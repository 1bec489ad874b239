// HttpApi: the gateway's HTTP/1.1 surface (cpp-httplib, a pool of threads,
// keep-alive). It parses and checks requests (API key, rate limit, body
// size, fields), hands tasks and feedback to a Backend, and writes answers
// and errors in OpenAI's shapes (openai_shapes.h). It holds no bus: the
// gateway agent is the Backend in production, the tests pass a fake.
//
// Contract: every request gets exactly one response, none crashes or wedges
// the server; each is counted in GatewayMetrics by route and status and
// recorded with its task id. A task request waits at most
// request_timeout_ms for its answer (then 504: the task still runs, and a
// retry with the same Idempotency-Key gets its answer, never a second run).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/gateway/api_keys.h"
#include "agents/gateway/gateway_metrics.h"
#include "agents/gateway/rate_limiter.h"
#include "runtime/base/result.h"
#include "task.pb.h"

namespace httplib {
class Server;
}

namespace kaizen::gateway {

// What the HTTP side needs from the cluster. Submit and SendFeedback call
// `done` exactly once, from any thread; Snapshot is called from HTTP threads.
class Backend {
 public:
  struct Reply {
    int status = 200;          // 200, or the HTTP status of the failure
    std::string message;       // why, when status != 200; Ack detail otherwise
    v1::TaskResult result;     // Submit, status 200
  };
  using Done = std::function<void(Reply)>;
  struct Serving {
    bool ready = false;
    std::string reason;                 // why not ready
    std::string serving_version;        // the registry's serving version
    nlohmann::json versions = nlohmann::json::array();  // [{instance, model_version, state}]
    std::string traffic;                // e.g. "worker-clone 90% / worker 10%"
  };

  virtual ~Backend() = default;
  virtual void Submit(v1::Task task, Done done) = 0;
  virtual void SendFeedback(v1::Feedback feedback, Done done) = 0;
  virtual Serving Snapshot() const = 0;
};

class HttpApi {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 8080;                    // 0: any free port (tests)
    std::string model;                  // the name clients send in `model`
    std::string gateway_id = "gateway";
    int64_t request_timeout_ms = 30000;
    size_t max_body_bytes = 1 << 20;
    int threads = 64;
    double rate_limit_per_s = 1000;     // per API key; 0 = unlimited
    bool reuse_port = true;             // replicas share the port
    std::optional<ApiKeys> keys;        // nullopt: no Authorization needed
  };

  // Binds and serves on a thread of its own; an error names the address.
  static Result<std::unique_ptr<HttpApi>> Start(Options options, Backend& backend, GatewayMetrics& metrics);
  ~HttpApi();  // stops taking requests, finishes those in progress, joins
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  int port() const { return port_; }
  // Closes the listening socket: no new connections; requests in progress
  // (and keep-alive connections' current request) finish. Does not block.
  void StopAccepting();

 private:
  HttpApi(Options options, Backend& backend, GatewayMetrics& metrics);
  void Routes();

  Options options_;
  Backend& backend_;
  GatewayMetrics& metrics_;
  RateLimiter limiter_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  int64_t started_s_ = 0;
};

}  // namespace kaizen::gateway
