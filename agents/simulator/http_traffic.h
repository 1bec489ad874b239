// HttpTraffic: many HTTP/1.1 requests to one server, driven from a
// single-threaded loop without blocking it. Requests are queued, run on
// libcurl's multi interface over a cache of keep-alive connections (at most
// max_connections open and running at once; the rest wait in a FIFO), and
// tried again when the answer says so:
//
//   429, 503           after Retry-After (delta-seconds or an HTTP date; 200 ms without one)
//   504, no response   (connection refused or reset, empty reply, client timeout)
//                      after an exponential backoff with full jitter
//   incomplete         a 2xx whose body the request's `complete` check refuses
//                      (e.g. an event stream cut before its end): the same backoff
//
// A retry sends the same request, Idempotency-Key included, so a server that
// keys on it never runs it twice. Any other status is final and handed back
// as it is. A request is given up (handed back with its last status or
// error) once retrying it would pass retry_for_ms after its Submit.
//
//   HttpTraffic http(options);
//   http.Submit({.method = "POST", .path = "/v1/tasks", .body = ..., .idempotency_key = "sim-1"});
//   every few ms: for (HttpCompletion& c : http.Poll()) ...
//
// Poll() never waits: it starts what may start, lets curl move every transfer
// along (curl_multi_perform) and collects what finished. Not thread-safe; use
// it from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

struct HttpTrafficOptions {
  std::string base_url;  // "http://127.0.0.1:8080"; a request's path is appended
  std::string api_key;   // sent as "Authorization: Bearer <key>" when not empty
  // Transfers running at once, each on its own connection (HTTP/1.1 has one
  // request per connection at a time); also the size of the connection cache.
  size_t max_connections = 64;
  int64_t connect_timeout_ms = 5000;  // a dropped SYN (full accept queue) is sent again after 1 s, then 3 s
  int64_t timeout_ms = 60000;  // one attempt, connecting included; a timeout is retried
  int64_t retry_for_ms = 60000;  // no retry starts later than this after Submit
  int64_t backoff_initial_ms = 100, backoff_max_ms = 2000;  // 504 and transport errors
  int64_t retry_after_default_ms = 200;  // 429/503 without a Retry-After header
  int64_t retry_after_max_ms = 30000;    // a longer Retry-After is cut to this
  size_t max_body_bytes = 16u << 20;     // a longer response fails the attempt (not retried)
  uint64_t jitter_seed = 1;
};

struct HttpRequest {
  std::string method = "POST";  // "GET" or "POST"
  std::string path;             // e.g. "/v1/tasks"
  std::string body;             // POST: sent as application/json
  std::string idempotency_key;  // sent as Idempotency-Key when not empty, the same on every attempt
  bool retry = true;            // false: every answer is final (e.g. a readiness probe)
  bool in_stats = true;         // false: left out of stats() (e.g. readiness probes)
  // When set: whether a 2xx response's body is whole. One it says is not (a
  // server-sent event stream without its last event) is tried again after a
  // backoff, like a dropped connection; retry false: handed back as it is.
  std::function<bool(const std::string& body)> complete;
};

struct HttpCompletion {
  uint64_t id = 0;          // what Submit returned
  long status = 0;          // the final HTTP status; 0: no response (see error)
  std::string body;         // the final response's body
  std::string error;        // status 0: the transport error, e.g. "Failed to connect to 127.0.0.1 port 8080 ..."
  int transport_code = 0;   // status 0: the CURLcode; TransportErrorName() says it without details
  std::string retry_after;  // the final response's Retry-After header, if any
  std::map<std::string, std::string> headers;  // the final response's headers, names in lower case
  bool incomplete = false;  // a 2xx whose body the request's `complete` refused (retries ran out)
  int attempts = 0;
  double latency_ms = 0;    // the final attempt, from its start on the wire to its end
  double total_ms = 0;      // from Submit to now: waiting for a connection and retries included
};

// Counts over every attempt of every request with in_stats.
struct HttpStats {
  uint64_t requests = 0;     // attempts that finished (with a response or a transport error)
  uint64_t connections = 0;  // new connections opened; requests - connections reused one
  std::map<std::string, uint64_t> retries;  // by reason: "429", "503", "504", "transport", "incomplete"
  // Attempts without a 2xx, by status ("503") or "transport"; and 2xx answers
  // a request's `complete` refused, as "incomplete".
  std::map<std::string, uint64_t> errors;
  std::map<std::string, uint64_t> by_path;  // attempts by request path, e.g. "/v1/tasks"
  uint64_t given_up = 0;     // requests still failing when their retry time ran out

  nlohmann::json ToJson() const;
};

class HttpTraffic {
 public:
  explicit HttpTraffic(HttpTrafficOptions options);
  ~HttpTraffic();
  HttpTraffic(const HttpTraffic&) = delete;
  HttpTraffic& operator=(const HttpTraffic&) = delete;

  // Queues a request; it starts on a later Poll(). Returns its id (1, 2, ...).
  uint64_t Submit(HttpRequest request);
  // Starts queued requests and due retries, moves transfers along, and hands
  // back the requests that are done. Never blocks.
  std::vector<HttpCompletion> Poll();

  size_t outstanding() const;  // submitted and not yet handed back: queued, running, or waiting to retry
  size_t running() const { return running_.size(); }
  const HttpStats& stats() const { return stats_; }
  const HttpTrafficOptions& options() const { return options_; }

  // How long to wait before trying again after an attempt ended with `status`
  // (0: no response, `transport_retryable` says whether the transport error
  // is worth another try) and Retry-After `retry_after`; nullopt when the
  // outcome is final. `backoff` is the next exponential backoff. Sets
  // *reason to "429", "503", "504" or "transport".
  // A transport error in words that do not change between attempts, e.g. "Couldn't connect to server".
  static std::string TransportErrorName(int transport_code);

  static std::optional<std::chrono::milliseconds> RetryDelay(long status, bool transport_retryable,
                                                            const std::string& retry_after,
                                                            std::chrono::milliseconds backoff,
                                                            const HttpTrafficOptions& options, std::string* reason);

 private:
  struct Pending;
  struct Transfer;
  struct MultiCloser {
    void operator()(void* multi) const;
  };
  using Clock = std::chrono::steady_clock;

  void StartSome();
  void Perform();
  void Collect(std::vector<HttpCompletion>* done);
  bool Start(std::unique_ptr<Pending> p);

  HttpTrafficOptions options_;
  HttpStats stats_;
  // Declared before the transfers: destroyed after them, so every easy handle
  // leaves the multi handle before it is cleaned up.
  std::unique_ptr<void, MultiCloser> multi_;
  std::deque<std::unique_ptr<Pending>> queue_;                    // waiting for a connection
  std::multimap<Clock::time_point, std::unique_ptr<Pending>> retry_at_;  // waiting to retry
  std::map<void*, std::unique_ptr<Transfer>> running_;           // by CURL*
  std::vector<HttpCompletion> failed_to_start_;
  uint64_t next_id_ = 1;
  struct Backoff;
  std::unique_ptr<Backoff> backoff_;
};

}  // namespace kaizen::agents
