// GatewayTraffic: the simulated users' side of the gateway's HTTP contract
// (docs/gateway.md), on an HttpTraffic:
//
//   GET  /readyz        polled every 200 ms until it answers 200 once
//   POST /v1/tasks      {"input", "user", "tags": {"domain"}}, Idempotency-Key: the task id
//     or, gateway_route: chat_completions,
//   POST /v1/chat/completions  {"model", "user", "metadata": {"domain"},
//                        "messages": [{"role": "user", "content": input}], "stream"},
//                        Idempotency-Key: the task id; the answer is
//                        choices[0].message.content, or with stream the
//                        choices[0].delta.content of the server-sent events up
//                        to "data: [DONE]"
//   POST /v1/feedback   {"id", "thumbs": "up"|"down", "user"}, Idempotency-Key: "fb-" + the task id
//
// Retries (429/503 after Retry-After, 504 and transport errors after a
// backoff, an event stream that ends before [DONE] after a backoff) reuse the
// request's Idempotency-Key, so the gateway never runs a task or counts a
// rating twice. Other refusals (400, 401, 404, 410, 413, ...) are final: each
// kind is logged once and counted as failed. ToJson() is the "http" object of
// the scenario report.
//
// Deferral: an answer a teacher gave in the worker's place says so in
// X-Kaizen-Deferred (the teacher) and X-Kaizen-Deferred-Cost (the call's cost);
// /v1/tasks also in its body's "deferred". TaskOutcome::deferral carries it.
//
// Sticky arms: every answer names its A/B arm (X-Kaizen-Arm: serving,
// incumbent or candidate). During a rollout a user who got an answer from the
// candidate must never get one from the incumbent again: the candidate's
// share only grows, and only moves users from the incumbent to it. Arms are
// decided where the runtime routes, and requests of one user in flight at the
// same time can reach it in any order (another connection, a retry), so only
// requests that cannot have been reordered are compared: a task answered by
// the incumbent counts as a flip back ("arm_flips_back") when the user's
// earlier candidate answer had come back before that task was sent (the
// later task reached the router after the earlier was routed). Both tasks
// must have been sent within the same rollout (EndRollout() between them
// separates them); answers to tasks sent before the last EndRollout() are
// counted in "arms" but not compared.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/simulator/deferral.h"
#include "agents/simulator/http_traffic.h"
#include "runtime/base/result.h"

namespace kaizen::agents {

// Which endpoint tasks go to (simulator.gateway_route, simulator.stream).
struct GatewayRoute {
  bool chat = false;    // POST /v1/chat/completions; false: POST /v1/tasks
  bool stream = false;  // chat: ask for server-sent events
  std::string model;    // chat: the "model" of each request

  // gateway_route and stream from the simulator's settings; the model is
  // spec.gateway.model, by default the cluster's name. stream without
  // chat_completions is refused.
  static Result<GatewayRoute> FromSettings(const nlohmann::json& settings);
  const char* path() const { return chat ? "/v1/chat/completions" : "/v1/tasks"; }
};

// A chat completion's server-sent events ("data: {chunk}" lines, then "data: [DONE]").
struct ChatStream {
  bool done = false;    // a whole "data: [DONE]" line came
  std::string id;       // the first chunk's id
  std::string content;  // choices[0].delta.content of every chunk before [DONE], joined
  std::string error;    // a data line that is not a JSON chunk, or a chunk with an "error"
};
ChatStream ParseChatStream(std::string_view body);

class GatewayTraffic {
 public:
  // The end of a task's request.
  struct TaskOutcome {
    std::string task_id, user;
    bool answered = false;  // 200 with an output
    std::string output;
    std::string arm, model_version;  // answered: X-Kaizen-Arm, X-Kaizen-Model-Version
    // answered: handed to a teacher at serve time (X-Kaizen-Deferred and
    // X-Kaizen-Deferred-Cost, or /v1/tasks' "deferred" and "deferred_cost")
    Deferral deferral;
    long status = 0;     // the final HTTP status; 0: no response
    std::string error;   // not answered: why, e.g. "HTTP 401: invalid API key"
  };

  explicit GatewayTraffic(HttpTrafficOptions options, GatewayRoute route = {});

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
  // A rollout ended (or a new one starts): forget which users had the
  // candidate; answers to tasks sent before now are no longer compared.
  void EndRollout();

  size_t outstanding() const;  // task and feedback requests not ended
  // {"url", "route", "stream", "requests", "connections", "retries", "errors", "given_up", "by_path", "tasks",
  //  "feedback", "latency_ms": {"p50", "p99"}, "arms": {"serving", "incumbent", "candidate"},
  //  "arm_flips_back", "model_versions", "readiness": {"probes", "wait_ms"}}
  nlohmann::json ToJson() const;

 private:
  enum class Kind { kTask, kFeedback, kProbe };
  struct Sent {
    Kind kind;
    std::string task_id, user;
    uint64_t seq = 0, rollout = 0;  // tasks: the n-th task sent, in the rollout-th rollout
  };
  // Where a user got the candidate in this rollout: tasks sent after this answer came back must get it too.
  struct CandidateSeen {
    uint64_t sent_through = 0;  // tasks_sent_ when the answer came back
    std::string task_id;
  };
  void OnTask(const Sent& s, const HttpCompletion& c, std::vector<TaskOutcome>* out);
  void OnFeedback(const Sent& s, const HttpCompletion& c);
  void OnProbe(const HttpCompletion& c);
  // The answer's output and id, or why there is none (*incomplete: an event stream without [DONE]).
  bool ReadAnswer(const HttpCompletion& c, std::string* output, std::string* id, std::string* why,
                  bool* incomplete) const;
  void TrackArm(const Sent& s, const std::string& arm);
  // Counts a final failure; logs the first of each (kind, status).
  void Failed(const char* kind, const std::string& id, const HttpCompletion& c, std::string* error);

  HttpTraffic http_;
  GatewayRoute route_;
  std::unordered_map<uint64_t, Sent> sent_;  // by HttpTraffic id
  bool ready_ = false;
  bool probing_ = false;
  int64_t next_probe_ms_ = 0, first_probe_ms_ = -1, ready_after_ms_ = -1;
  uint64_t probes_ = 0;
  std::string not_ready_reason_;
  uint64_t tasks_sent_ = 0, tasks_answered_ = 0, feedback_sent_ = 0, feedback_ok_ = 0;
  std::map<std::string, uint64_t> tasks_failed_, feedback_failed_, arms_, model_versions_;
  uint64_t rollout_ = 0;  // EndRollout() calls so far
  std::unordered_map<std::string, CandidateSeen> candidate_seen_;  // by user, this rollout
  uint64_t arm_flips_back_ = 0;
  std::set<std::string> logged_;
  std::vector<double> latency_ms_;  // answered tasks, the final attempt
};

}  // namespace kaizen::agents
