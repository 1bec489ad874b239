// GatewayTraffic: the simulated users' side of the gateway's HTTP contract
// (docs/gateway.md), on an HttpTraffic:
//
//   GET  /readyz        polled every 200 ms until it answers 200 once
//   POST /v1/tasks      {"input", "user", "tags": {"domain"}}, Idempotency-Key: the task id
//   POST /v1/feedback   {"id", "thumbs": "up"|"down", "user"}, Idempotency-Key: "fb-" + the task id
//
// Retries (429/503 after Retry-After, 504 and transport errors after a
// backoff) reuse the request's Idempotency-Key, so the gateway never runs a
// task or counts a rating twice. Other refusals (400, 401, 404, 410, 413, ...)
// are final: each kind is logged once and counted as failed. ToJson() is the
// "http" object of the scenario report.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/simulator/http_traffic.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

class GatewayTraffic {
 public:
  // The end of a task's request.
  struct TaskOutcome {
    std::string task_id, user;
    bool answered = false;  // 200 with an output
    std::string output;
    long status = 0;     // the final HTTP status; 0: no response
    std::string error;   // not answered: why, e.g. "HTTP 401: invalid API key"
  };

  explicit GatewayTraffic(HttpTrafficOptions options);

  // The client options from the simulator's settings (spec.simulator with
  // defaults; settings["cluster"]["spec"] is the whole spec): gateway_url, or
  // http://<spec.gateway.listen> (a wildcard host becomes loopback);
  // api_key_file's key; connections: max_in_flight, but at most 3/4 of the
  // gateway's threads over its replicas (a keep-alive connection holds a
  // gateway thread; the rest stay free for other clients), 64 when the spec
  // has no gateway; the per-attempt timeout 5 s past the gateway's
  // request_timeout_ms, so its 504 arrives first.
  static Result<HttpTrafficOptions> OptionsFromSettings(const nlohmann::json& settings);
  // "http://<host:port>" for a listen address; 0.0.0.0 -> 127.0.0.1, [::] -> [::1].
  static std::string UrlForListen(const std::string& listen);

  bool ready() const { return ready_; }
  // Why not ready yet, e.g. "GET /readyz answered 503"; empty before the first probe ends.
  const std::string& not_ready_reason() const { return not_ready_reason_; }
  const std::string& base_url() const { return http_.options().base_url; }

  void SendTask(const std::string& task_id, const std::string& input, const std::string& user,
                const std::string& domain);
  void SendFeedback(const std::string& task_id, const std::string& user, bool thumbs_up);
  // Moves requests along (and probes /readyz until ready); returns the tasks
  // whose requests ended since the last call. Never blocks.
  std::vector<TaskOutcome> Poll();

  size_t outstanding() const;  // task and feedback requests not ended
  // {"url", "requests", "connections", "retries", "errors", "given_up", "tasks", "feedback",
  //  "latency_ms": {"p50", "p99"}, "arms", "readiness_wait_ms"}
  nlohmann::json ToJson() const;

 private:
  enum class Kind { kTask, kFeedback, kProbe };
  struct Sent {
    Kind kind;
    std::string task_id, user;
  };
  void OnTask(const Sent& s, const HttpCompletion& c, std::vector<TaskOutcome>* out);
  void OnFeedback(const Sent& s, const HttpCompletion& c);
  void OnProbe(const HttpCompletion& c);
  // Counts a final failure; logs the first of each (kind, status).
  void Failed(const char* kind, const std::string& id, const HttpCompletion& c, std::string* error);

  HttpTraffic http_;
  std::unordered_map<uint64_t, Sent> sent_;  // by HttpTraffic id
  bool ready_ = false;
  bool probing_ = false;
  int64_t next_probe_ms_ = 0, first_probe_ms_ = -1, ready_after_ms_ = -1;
  uint64_t probes_ = 0;
  std::string not_ready_reason_;
  uint64_t tasks_sent_ = 0, tasks_answered_ = 0, feedback_sent_ = 0, feedback_ok_ = 0;
  std::map<std::string, uint64_t> tasks_failed_, feedback_failed_, arms_;
  std::set<std::string> logged_;
  std::vector<double> latency_ms_;  // answered tasks, the final attempt
};

}  // namespace kaizen::agents
