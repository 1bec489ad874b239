#include "tests/support/openai_test_server/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>

namespace kaizen::testing {

// One injected failure, from /control/fail or the X-Test-* headers. Outside the
// anonymous namespace: the server's State holds them.
struct InjectedFault {
  std::string kind;         // 429 500 502 503 400 401 broken-json cut slow empty-choices
  std::string retry_after;  // for 429/503: the Retry-After header ("" = none)
  int delay_ms = 0;         // slow: before answering
};

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void Error(httplib::Response& res, int status, const std::string& type, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", {{"message", message}, {"type", type}, {"code", status}}}}.dump(),
                  "application/json");
}

std::string FinishReason(const RuleReply& reply) { return reply.tool_calls.empty() ? "stop" : "tool_calls"; }

// A streamed reply (stream: true), as OpenAI sends it: server-sent events of
// chat.completion.chunk objects. The first chunk carries the role and either
// the whole content or the whole tool call (delta.tool_calls with index 0);
// the last has an empty delta and the finish reason; with include_usage a
// chunk with no choices and the usage follows; then "data: [DONE]".
std::string StreamBody(const std::string& model, const RuleReply& reply, bool empty_choices, const json& usage) {
  auto chunk = [&](const json& choices) {
    json c{{"id", "chatcmpl-test"}, {"object", "chat.completion.chunk"}, {"created", 0}, {"model", model},
           {"choices", empty_choices ? json::array() : choices}};
    return "data: " + c.dump() + "\n\n";
  };
  json delta{{"role", "assistant"}, {"content", reply.content}};
  if (!reply.tool_calls.empty()) {
    json calls = reply.tool_calls;
    for (std::size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
    delta = {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", calls}};
  }
  std::string body = chunk(json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}}));
  body += chunk(json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", FinishReason(reply)}}}));
  if (!usage.is_null()) {
    json last{{"id", "chatcmpl-test"}, {"object", "chat.completion.chunk"}, {"created", 0}, {"model", model},
              {"choices", json::array()}, {"usage", usage}};
    body += "data: " + last.dump() + "\n\n";
  }
  return body + "data: [DONE]\n\n";
}

}  // namespace

struct OpenAiTestServer::State {
  std::mutex mu;
  std::deque<InjectedFault> faults;  // the next requests' failures, in order
  int delay_ms = 0;          // added to every chat request
  std::map<std::string, int64_t> by_outcome;
  std::map<std::string, int64_t> by_rule;
  std::map<std::string, int64_t> by_model;
  int64_t requests = 0;
  int64_t unauthorized = 0;
  int64_t with_authorization = 0;
  std::vector<double> arrivals_ms;  // since start, of every chat request
  std::atomic<int> in_flight{0};
  int max_in_flight = 0;
  Clock::time_point started = Clock::now();
};

OpenAiTestServer::OpenAiTestServer(OpenAiTestServerOptions options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()), state_(std::make_unique<State>()) {}

OpenAiTestServer::~OpenAiTestServer() { Stop(); }

std::string OpenAiTestServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

void OpenAiTestServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

Result<int> OpenAiTestServer::Start() {
  Routes();
  const int threads = options_.threads;
  // cpp-httplib's API owns the queue it is given.
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  port_ = options_.port == 0 ? server_->bind_to_any_port("127.0.0.1")
                             : (server_->bind_to_port("127.0.0.1", options_.port) ? options_.port : -1);
  if (port_ <= 0) return Status::IOError("cannot bind 127.0.0.1:" + std::to_string(options_.port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void OpenAiTestServer::Routes() {
  State& st = *state_;

  server_->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    json data = json::array({{{"id", "kaizen-test"}, {"object", "model"}, {"owned_by", "kaizen"}}});
    for (const auto& [name, k] : options_.knowledge) data.push_back({{"id", name}, {"object", "model"}, {"owned_by", "kaizen"}});
    res.set_content(json{{"object", "list"}, {"data", data}}.dump(), "application/json");
  });

  server_->Post("/control/fail", [&st](const httplib::Request& req, httplib::Response& res) {
    json j;
    try {
      j = json::parse(req.body);
    } catch (const json::exception& e) {
      return Error(res, 400, "invalid_request_error", std::string("not JSON: ") + e.what());
    }
    InjectedFault f{j.value("kind", ""), j.value("retry_after", ""), j.value("delay_ms", 0)};
    int count = j.value("count", 1);
    std::lock_guard<std::mutex> lock(st.mu);
    for (int i = 0; i < count; ++i) st.faults.push_back(f);
    res.set_content(json{{"queued", st.faults.size()}}.dump(), "application/json");
  });
  server_->Post("/control/delay", [&st](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st.mu);
    try {
      st.delay_ms = json::parse(req.body).value("ms", 0);
    } catch (const json::exception&) {
      return Error(res, 400, "invalid_request_error", "expected {\"ms\": N}");
    }
    res.set_content("{}", "application/json");
  });
  server_->Post("/control/reset", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st.mu);
    st.faults.clear();
    st.delay_ms = 0;
    st.by_outcome.clear();
    st.by_rule.clear();
    st.by_model.clear();
    st.requests = st.unauthorized = st.with_authorization = 0;
    st.arrivals_ms.clear();
    st.max_in_flight = 0;
    res.set_content("{}", "application/json");
  });
  server_->Get("/control/stats", [&st](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st.mu);
    json j{{"requests", st.requests},       {"by_outcome", st.by_outcome},
           {"by_rule", st.by_rule},         {"by_model", st.by_model},
           {"unauthorized", st.unauthorized}, {"with_authorization", st.with_authorization},
           {"max_in_flight", st.max_in_flight}, {"arrivals_ms", st.arrivals_ms},
           {"faults_queued", st.faults.size()}};
    res.set_content(j.dump(), "application/json");
  });

  server_->Post("/v1/chat/completions", [this, &st](const httplib::Request& req, httplib::Response& res) {
    const int now_in_flight = ++st.in_flight;
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{st.in_flight};
    InjectedFault fault;
    int delay = 0;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      ++st.requests;
      st.max_in_flight = std::max(st.max_in_flight, now_in_flight);
      st.arrivals_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - st.started).count());
      if (!st.faults.empty()) {
        fault = st.faults.front();
        st.faults.pop_front();
      }
      delay = st.delay_ms;
      if (req.has_header("Authorization")) ++st.with_authorization;
    }
    if (fault.kind.empty() && req.has_header("X-Test-Fail")) {
      fault.kind = req.get_header_value("X-Test-Fail");
      fault.retry_after = req.get_header_value("X-Test-Retry-After");
      fault.delay_ms = std::atoi(req.get_header_value("X-Test-Delay-Ms").c_str());
    }
    auto count = [&st](const std::string& outcome) {
      std::lock_guard<std::mutex> lock(st.mu);
      ++st.by_outcome[outcome];
    };
    if (!options_.api_key.empty() && req.get_header_value("Authorization") != "Bearer " + options_.api_key) {
      {
        std::lock_guard<std::mutex> lock(st.mu);
        ++st.unauthorized;
      }
      count("401");
      return Error(res, 401, "invalid_request_error", "Incorrect API key provided.");
    }
    if (fault.kind == "slow" || delay > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(fault.kind == "slow" ? fault.delay_ms : delay));
    }
    if (fault.kind == "429" || fault.kind == "503") {
      count(fault.kind);
      if (!fault.retry_after.empty()) res.set_header("Retry-After", fault.retry_after);
      return Error(res, std::stoi(fault.kind), fault.kind == "429" ? "rate_limit_error" : "server_error",
                   fault.kind == "429" ? "Rate limit reached, retry later." : "The server is overloaded.");
    }
    if (fault.kind == "500" || fault.kind == "502" || fault.kind == "400" || fault.kind == "401" || fault.kind == "404") {
      count(fault.kind);
      return Error(res, std::stoi(fault.kind), "test_error", "injected failure " + fault.kind);
    }
    if (fault.kind == "echo-auth") {  // a careless server quoting the credentials back
      count("echo-auth");
      return Error(res, 400, "invalid_request_error",
                   "bad request from " + req.get_header_value("Authorization"));
    }
    if (fault.kind == "broken-json") {
      count("broken-json");
      res.set_content("{\"id\": \"chatcmpl-broken\", \"choices\": [{\"message\": {\"content\": \"unterminated",
                      "application/json");
      return;
    }
    if (fault.kind == "cut") {
      count("cut");
      // Promises 4096 bytes, sends a few, then drops the connection.
      res.set_content_provider(4096, "application/json", [](size_t, size_t, httplib::DataSink& sink) {
        sink.write("{\"id\": \"chatcmpl-cut\", ", 22);
        return false;
      });
      return;
    }
    json request;
    try {
      request = json::parse(req.body);
    } catch (const json::exception& e) {
      count("400");
      return Error(res, 400, "invalid_request_error", std::string("the body is not JSON: ") + e.what());
    }
    if (!request.contains("messages") || !request["messages"].is_array() || request["messages"].empty()) {
      count("400");
      return Error(res, 400, "invalid_request_error", "'messages' must be a non-empty array");
    }
    const std::string model = request.value("model", "");
    auto it = options_.knowledge.find(model);
    // The tools again with their key order: tool arguments follow the order of the properties.
    // Only requests that offer tools pay for the second parse.
    nlohmann::ordered_json ordered;
    if (request.contains("tools")) ordered = nlohmann::ordered_json::parse(req.body);
    const nlohmann::ordered_json* tools = ordered.contains("tools") ? &ordered["tools"] : nullptr;
    RuleReply reply = testing::Answer(request, it == options_.knowledge.end() ? nullptr : &it->second, tools);
    const int64_t pt = PromptTokens(request["messages"]), ct = CompletionTokens(reply);
    {
      std::lock_guard<std::mutex> lock(st.mu);
      ++st.by_outcome["ok"];
      ++st.by_rule[reply.rule];
      ++st.by_model[model];
    }
    const json usage{{"prompt_tokens", pt}, {"completion_tokens", ct}, {"total_tokens", pt + ct}};
    if (request.value("stream", false)) {
      const bool include_usage = request.contains("stream_options") && request["stream_options"].is_object() &&
                                 request["stream_options"].value("include_usage", false);
      res.set_content(StreamBody(model, reply, fault.kind == "empty-choices", include_usage ? usage : json()),
                      "text/event-stream");
      return;
    }
    json message{{"role", "assistant"}, {"content", reply.content}};
    if (!reply.tool_calls.empty()) message = {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", reply.tool_calls}};
    json out{{"id", "chatcmpl-test"},
             {"object", "chat.completion"},
             {"created", 0},
             {"model", model},
             {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", FinishReason(reply)}}})},
             {"usage", usage}};
    if (fault.kind == "empty-choices") out["choices"] = json::array();
    res.set_content(out.dump(), "application/json");
  });
}

}  // namespace kaizen::testing
