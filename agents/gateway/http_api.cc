#include "agents/gateway/http_api.h"

#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <future>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "agents/gateway/openai_shapes.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::gateway {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxIdempotencyKey = 255;

// One request from routing to response: its record is written when it ends,
// whatever path it took out of the handler.
class RequestScope {
 public:
  RequestScope(GatewayMetrics& metrics, const httplib::Request& req, httplib::Response& res)
      : metrics_(metrics), req_(req), res_(res), start_(std::chrono::steady_clock::now()) {
    metrics_.BeginRequest();
  }
  ~RequestScope() {
    record_.set_ts_ms(WallMs());
    record_.set_method(req_.method);
    record_.set_path(req_.path);
    // httplib fills in 200 after a handler that left the status unset.
    record_.set_status(res_.status == -1 ? 200 : res_.status);
    record_.set_latency_ms(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count());
    metrics_.Record(std::move(record_));
    metrics_.EndRequest();
  }
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

  v1::RequestRecord& record() { return record_; }

  // An error response in OpenAI's shape, with its reason kept for the record.
  void Fail(int status, const std::string& message, const std::string& code, const std::string& param = "") {
    res_.status = status;
    res_.set_content(ErrorBody(message, ErrorType(status), code, param).dump(), "application/json");
    record_.set_error(message);
  }

 private:
  GatewayMetrics& metrics_;
  const httplib::Request& req_;
  httplib::Response& res_;
  std::chrono::steady_clock::time_point start_;
  v1::RequestRecord record_;
};

std::string Bearer(const httplib::Request& req) {
  const std::string h = req.get_header_value("Authorization");
  static const std::string kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) return "";
  return h.substr(kPrefix.size());
}

bool ValidIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxIdempotencyKey) return false;
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Waits for a Backend call; nullopt when it did not answer in time.
std::optional<Backend::Reply> Await(const std::function<void(Backend::Done)>& call, int64_t timeout_ms) {
  auto promise = std::make_shared<std::promise<Backend::Reply>>();
  std::future<Backend::Reply> future = promise->get_future();
  call([promise](Backend::Reply r) { promise->set_value(std::move(r)); });
  if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) return std::nullopt;
  return future.get();
}

std::string StatusCode(int status) {
  switch (status) {
    case 404:
      return "not_found";
    case 410:
      return "gone";
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "internal_error" : "invalid_request";
  }
}

}  // namespace

HttpApi::HttpApi(Options options, Backend& backend, GatewayMetrics& metrics)
    : options_(std::move(options)),
      backend_(backend),
      metrics_(metrics),
      limiter_(options_.rate_limit_per_s, 2 * options_.rate_limit_per_s),
      server_(std::make_unique<httplib::Server>()),
      started_s_(WallMs() / 1000) {}

Result<std::unique_ptr<HttpApi>> HttpApi::Start(Options options, Backend& backend, GatewayMetrics& metrics) {
  std::unique_ptr<HttpApi> api(new HttpApi(std::move(options), backend, metrics));
  httplib::Server& s = *api->server_;
  const int threads = api->options_.threads;
  // httplib owns the queue it is handed (its API takes a raw pointer).
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(60);
  s.set_payload_max_length(api->options_.max_body_bytes);
  // The listening socket, seen here before httplib binds it: its backlog is
  // raised below (httplib's is 5, which drops connections opened together).
  auto listen_fd = std::make_shared<int>(-1);
  s.set_socket_options([listen_fd, reuse_port = api->options_.reuse_port](int sock) {
    int yes = 1;
    if (::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0)
      spdlog::warn("gateway: SO_REUSEADDR not set: {}", std::strerror(errno));
    if (reuse_port && ::setsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes) != 0)
      spdlog::warn("gateway: SO_REUSEPORT not set (replicas cannot share the port): {}", std::strerror(errno));
    *listen_fd = sock;
  });
  api->Routes();
  std::string host = api->options_.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string where = api->options_.host + ":" + std::to_string(api->options_.port);
  if (api->options_.port == 0) {
    api->port_ = s.bind_to_any_port(host);
    if (api->port_ <= 0) return Status::Unavailable("gateway: cannot listen on " + host + " (any port)");
  } else {
    if (!s.bind_to_port(host, api->options_.port))
      return Status::Unavailable("gateway: cannot listen on " + where +
                                 " (in use by another program, or not an address of this host); change "
                                 "spec.gateway.listen");
    api->port_ = api->options_.port;
  }
  // Listening again only changes the backlog (Linux); the kernel caps it at somaxconn.
  if (*listen_fd >= 0 && ::listen(*listen_fd, 4096) != 0)
    spdlog::warn("gateway: listen backlog not raised: {}", std::strerror(errno));
  HttpApi* self = api.get();
  api->thread_ = std::thread([self] { self->server_->listen_after_bind(); });
  return api;
}

void HttpApi::StopAccepting() { server_->stop(); }

HttpApi::~HttpApi() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpApi::Routes() {
  httplib::Server& s = *server_;

  // Checks every /v1 request shares: the API key and its rate limit. False
  // when the request was answered (401, 429).
  auto admit = [this](const httplib::Request& req, httplib::Response& res, RequestScope& scope) {
    std::string client = "anonymous";
    if (options_.keys) {
      const std::string key = Bearer(req);
      auto name = key.empty() ? std::nullopt : options_.keys->Verify(key);
      if (!name) {
        scope.Fail(401,
                   key.empty() ? "missing API key: send it as 'Authorization: Bearer KEY'"
                               : "incorrect API key provided; keys are made with kaizen keys gateway NAME --file F",
                   "invalid_api_key");
        return false;
      }
      client = *name;
      scope.record().set_api_key(client);
    }
    if (auto wait_s = limiter_.Take(client, MonoMs())) {
      const int64_t retry = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(*wait_s)));
      res.set_header("Retry-After", std::to_string(retry));
      scope.Fail(429,
                 "rate limit of " + std::to_string(static_cast<int64_t>(options_.rate_limit_per_s)) +
                     " requests/s for '" + client + "' reached; retry after " + std::to_string(retry) + " s",
                 "rate_limit_exceeded");
      return false;
    }
    return true;
  };

  auto parse_body = [](const httplib::Request& req, RequestScope& scope) -> std::optional<json> {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      scope.Fail(400, "the request body is not valid JSON", "invalid_json");
      return std::nullopt;
    }
    return body;
  };

  auto task = [this, admit, parse_body](const httplib::Request& req, httplib::Response& res, bool chat) {
    RequestScope scope(metrics_, req, res);
    if (!admit(req, res, scope)) return;
    auto body = parse_body(req, scope);
    if (!body) return;
    auto parsed = chat ? ParseChatRequest(*body) : ParseTaskRequest(*body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) {
      scope.Fail(400, bad->message, "invalid_request", bad->param);
      return;
    }
    TaskRequest& tr = std::get<TaskRequest>(parsed);
    if (chat && tr.model != options_.model) {
      scope.Fail(404, "the model '" + tr.model + "' does not exist; this gateway serves '" + options_.model + "'",
                 "model_not_found", "model");
      return;
    }
    std::string id = req.get_header_value("Idempotency-Key");
    if (!id.empty() && !ValidIdempotencyKey(id)) {
      scope.Fail(400, "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
                 "invalid_idempotency_key");
      return;
    }
    if (id.empty()) id = NewTaskId(WallMs());
    if (tr.user.empty()) tr.user = req.get_header_value("X-Kaizen-User");
    scope.record().set_task_id(id);
    scope.record().set_user(tr.user);
    res.set_header("X-Kaizen-Task-Id", id);
    const Backend::Serving serving = backend_.Snapshot();
    if (!serving.ready) {
      res.set_header("Retry-After", "1");
      scope.Fail(503, "no worker is serving: " + serving.reason, "unavailable");
      return;
    }
    v1::Task t;
    t.set_task_id(id);
    // A user stays on one A/B arm; without one, each task is its own key.
    t.set_routing_key(tr.user.empty() ? id : tr.user);
    t.set_input(std::move(tr.input));
    for (auto& [k, v] : tr.tags) (*t.mutable_tags())[k] = v;
    t.set_submitted_ms(WallMs());
    auto reply = Await([&](Backend::Done done) { backend_.Submit(std::move(t), std::move(done)); },
                       options_.request_timeout_ms);
    if (!reply) {
      scope.Fail(504,
                 "task " + id + " was not answered within " + std::to_string(options_.request_timeout_ms) +
                     " ms; it still runs: retry with the header 'Idempotency-Key: " + id + "' to get its answer",
                 "timeout");
      return;
    }
    if (reply->status != 200) {
      if (reply->status == 503) res.set_header("Retry-After", "1");
      scope.Fail(reply->status, reply->message, StatusCode(reply->status));
      return;
    }
    const v1::TaskResult& r = reply->result;
    if (!r.ok()) {
      scope.Fail(502, "the worker could not answer task " + id + ": " + r.error(), "worker_error");
      return;
    }
    res.set_header("X-Kaizen-Model-Version", r.model_version());
    res.set_header("X-Kaizen-Arm", r.arm());
    if (auto d = r.tags().find("deferred"); d != r.tags().end()) {  // the teacher answered (spec.worker.defer)
      res.set_header("X-Kaizen-Deferred", d->second);
      if (auto c = r.tags().find("deferred_cost"); c != r.tags().end()) {
        res.set_header("X-Kaizen-Deferred-Cost", c->second);
      }
    }
    if (!chat) {
      res.set_content(TaskAnswer(r).dump(), "application/json");
      return;
    }
    if (!tr.stream) {
      res.set_content(ChatCompletion(r, options_.model, WallMs() / 1000).dump(), "application/json");
      return;
    }
    auto events = std::make_shared<std::vector<std::string>>(
        ChatCompletionEvents(r, options_.model, WallMs() / 1000, tr.include_usage));
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [events](size_t, httplib::DataSink& sink) {
      for (const std::string& e : *events) {
        if (!sink.write(e.data(), e.size())) return false;
      }
      sink.done();
      return true;
    });
  };

  s.Post("/v1/chat/completions",
         [task](const httplib::Request& req, httplib::Response& res) { task(req, res, true); });
  s.Post("/v1/tasks", [task](const httplib::Request& req, httplib::Response& res) { task(req, res, false); });

  s.Post("/v1/feedback", [this, admit, parse_body](const httplib::Request& req, httplib::Response& res) {
    RequestScope scope(metrics_, req, res);
    if (!admit(req, res, scope)) return;
    auto body = parse_body(req, scope);
    if (!body) return;
    auto parsed = ParseFeedbackRequest(*body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) {
      scope.Fail(400, bad->message, "invalid_request", bad->param);
      return;
    }
    v1::Feedback f = std::get<v1::Feedback>(std::move(parsed));
    std::string user = f.source();
    if (user.empty()) user = req.get_header_value("X-Kaizen-User");
    scope.record().set_task_id(f.task_id());
    scope.record().set_user(user);
    const std::string key = req.get_header_value("Idempotency-Key");
    if (!key.empty() && !ValidIdempotencyKey(key)) {
      scope.Fail(400, "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
                 "invalid_idempotency_key");
      return;
    }
    f.set_feedback_id(key.empty() ? DerivedFeedbackKey(f, user) : "idem:" + key);
    // Who gave it: the user, else the API key's name.
    if (user.empty()) user = scope.record().api_key().empty() ? "http" : "key:" + scope.record().api_key();
    f.set_source(user);
    f.set_want_ack(true);
    const std::string task_id = f.task_id();
    auto reply = Await([&](Backend::Done done) { backend_.SendFeedback(std::move(f), std::move(done)); },
                       options_.request_timeout_ms);
    if (!reply) {
      scope.Fail(504, "the runtime did not confirm the feedback in time; retry the same request", "timeout");
      return;
    }
    if (reply->status != 200) {
      if (reply->status == 503) res.set_header("Retry-After", "1");
      scope.Fail(reply->status, reply->message, StatusCode(reply->status), reply->status == 404 ? "id" : "");
      return;
    }
    const bool again = reply->message.find("before") != std::string::npos;
    res.set_content(json{{"ok", true}, {"id", task_id}, {"duplicate", again}}.dump(), "application/json");
  });

  auto model_object = [this](const Backend::Serving& serving) {
    return json{{"id", options_.model},
                {"object", "model"},
                {"created", started_s_},
                {"owned_by", "kaizen"},
                {"kaizen",
                 {{"serving_version", serving.serving_version},
                  {"traffic", serving.traffic},
                  {"instances", serving.versions}}}};
  };
  s.Get("/v1/models", [this, admit, model_object](const httplib::Request& req, httplib::Response& res) {
    RequestScope scope(metrics_, req, res);
    if (!admit(req, res, scope)) return;
    res.set_content(json{{"object", "list"}, {"data", json::array({model_object(backend_.Snapshot())})}}.dump(),
                    "application/json");
  });
  s.Get(R"(/v1/models/(.+))", [this, admit, model_object](const httplib::Request& req, httplib::Response& res) {
    RequestScope scope(metrics_, req, res);
    if (!admit(req, res, scope)) return;
    if (req.matches[1] != options_.model) {
      scope.Fail(404, "the model '" + std::string(req.matches[1]) + "' does not exist", "model_not_found", "model");
      return;
    }
    res.set_content(model_object(backend_.Snapshot()).dump(), "application/json");
  });

  s.Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
    RequestScope scope(metrics_, req, res);
    res.set_content(json{{"status", "ok"}, {"gateway", options_.gateway_id}}.dump(), "application/json");
  });
  s.Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
    RequestScope scope(metrics_, req, res);
    const Backend::Serving serving = backend_.Snapshot();
    if (!serving.ready) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      scope.record().set_error(serving.reason);
    }
    res.set_content(json{{"ready", serving.ready},
                         {"reason", serving.reason},
                         {"serving_version", serving.serving_version},
                         {"gateway", options_.gateway_id}}
                        .dump(),
                    "application/json");
  });

  // Errors httplib answers itself (413 body too large, 404 no such route,
  // 400 a malformed request line): OpenAI's shape, counted and recorded.
  s.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    // httplib calls this for every status >= 400; the handlers' own errors have a body and were recorded.
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    RequestScope scope(metrics_, req, res);
    const int status = res.status;
    if (status == 413) {
      scope.Fail(413, "the request body is larger than " + std::to_string(options_.max_body_bytes) +
                          " bytes (spec.gateway.max_body_bytes)", "request_too_large");
    } else if (status == 404) {
      scope.Fail(404, "no route " + req.method + " " + req.path +
                          "; routes: POST /v1/chat/completions, POST /v1/tasks, POST /v1/feedback, GET /v1/models, "
                          "GET /healthz, GET /readyz", "unknown_route");
    } else {
      scope.Fail(status, "request refused (HTTP " + std::to_string(status) + ")", StatusCode(status));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  // The handler's RequestScope recorded the request while unwinding.
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("gateway: {} {} failed: {}", req.method, req.path, what);
    res.status = 500;
    res.set_content(ErrorBody("internal error: " + what, "server_error", "internal_error").dump(), "application/json");
  });
}

}  // namespace kaizen::gateway
