// GatewayTraffic against a fake gateway (cpp-httplib on 127.0.0.1) that
// speaks the gateway's HTTP contract.
#include "agents/simulator/gateway_traffic.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/unit/agents/simulator/http_test_server.h"

using kaizen::agents::GatewayTraffic;
using kaizen::agents::HttpTrafficOptions;
using kaizen::testing::HttpTestServer;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

struct FakeGateway {
  HttpTestServer s;
  std::mutex mu;
  std::atomic<int> readyz_calls{0};
  int not_ready_for = 2;  // /readyz answers 503 this many times first
  std::vector<json> tasks, feedback;
  std::vector<std::string> task_keys, feedback_keys, auths;

  FakeGateway() {
    s.server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
      if (readyz_calls++ < not_ready_for) res.status = 503;
      res.set_content("{}", "application/json");
    });
    s.server.Post("/v1/tasks", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body);
      const std::string key = req.get_header_value("Idempotency-Key");
      {
        std::lock_guard<std::mutex> lock(mu);
        tasks.push_back(body);
        task_keys.push_back(key);
        auths.push_back(req.get_header_value("Authorization"));
      }
      if (body.value("input", "") == "forbidden") {
        res.status = 401;
        res.set_content(R"({"error":{"message":"invalid API key","type":"authentication_error","code":"invalid_api_key"}})",
                        "application/json");
        return;
      }
      json answer{{"id", key},
                  {"output", "label-" + body.value("input", "")},
                  {"model_version", "v1"},
                  {"arm", "serving"},
                  {"confidence", 0.9}};
      // Deferred to the teacher: said in the headers and the body, or (an older gateway) the body only.
      const std::string input = body.value("input", "");
      if (input == "hard") {
        res.set_header("X-Kaizen-Deferred", "oracle");
        res.set_header("X-Kaizen-Deferred-Cost", "0.002");
      }
      if (input == "hard" || input == "hard-body") answer["deferred"] = "oracle";
      res.set_content(answer.dump(), "application/json");
    });
    s.server.Post("/v1/feedback", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body);
      {
        std::lock_guard<std::mutex> lock(mu);
        feedback.push_back(body);
        feedback_keys.push_back(req.get_header_value("Idempotency-Key"));
      }
      if (body.value("id", "") == "sim-old") {
        res.status = 410;
        res.set_content(R"({"error":{"message":"too old","type":"invalid_request_error","code":"gone"}})",
                        "application/json");
        return;
      }
      res.set_content(R"({"ok":true})", "application/json");
    });
  }
};

HttpTrafficOptions Options(const std::string& url) {
  HttpTrafficOptions o;
  o.base_url = url;
  o.max_connections = 4;
  o.api_key = "secret";
  return o;
}

// Polls until `pred` holds or 10 s passed; returns the task outcomes seen.
template <typename Pred>
std::vector<GatewayTraffic::TaskOutcome> PollWhile(GatewayTraffic& g, Pred done) {
  std::vector<GatewayTraffic::TaskOutcome> all;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done(all) && std::chrono::steady_clock::now() < deadline) {
    for (auto& o : g.Poll()) all.push_back(std::move(o));
    std::this_thread::sleep_for(milliseconds(2));
  }
  return all;
}

}  // namespace

TEST_CASE("GatewayTraffic waits for /readyz, then sends tasks and feedback with their idempotency keys",
          "[simulator][http]") {
  FakeGateway gw;
  REQUIRE(gw.s.Start() > 0);
  GatewayTraffic g(Options(gw.s.url()));
  CHECK_FALSE(g.ready());
  PollWhile(g, [&](const auto&) { return !g.not_ready_reason().empty(); });
  CHECK(g.not_ready_reason() == "GET /readyz answered 503");
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  CHECK(gw.readyz_calls == 3);

  g.SendTask("sim-1", "hello", "user-3", "banking");
  g.SendTask("sim-2", "bye", "user-4", "");
  CHECK(g.outstanding() == 2);
  auto out = PollWhile(g, [](const auto& all) { return all.size() == 2; });
  REQUIRE(out.size() == 2);
  for (const auto& o : out) {
    CHECK(o.answered);
    CHECK(o.status == 200);
    CHECK(o.output == (o.task_id == "sim-1" ? "label-hello" : "label-bye"));
    CHECK(o.user == (o.task_id == "sim-1" ? "user-3" : "user-4"));
  }
  g.SendFeedback("sim-1", "user-3", true);
  g.SendFeedback("sim-2", "user-4", false);
  PollWhile(g, [&](const auto&) { return g.outstanding() == 0; });
  CHECK(g.outstanding() == 0);

  std::lock_guard<std::mutex> lock(gw.mu);
  REQUIRE(gw.tasks.size() == 2);
  const json& first = gw.task_keys[0] == "sim-1" ? gw.tasks[0] : gw.tasks[1];
  CHECK(first == json{{"input", "hello"}, {"user", "user-3"}, {"tags", {{"domain", "banking"}}}});
  CHECK_FALSE((gw.task_keys[0] == "sim-2" ? gw.tasks[0] : gw.tasks[1]).contains("tags"));
  CHECK(gw.auths == std::vector<std::string>{"Bearer secret", "Bearer secret"});
  REQUIRE(gw.feedback.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const json& f = gw.feedback[i];
    CHECK(gw.feedback_keys[i] == "fb-" + f.value("id", ""));
    CHECK(f.value("thumbs", "") == (f.value("id", "") == "sim-1" ? "up" : "down"));
    CHECK(f.value("user", "") == (f.value("id", "") == "sim-1" ? "user-3" : "user-4"));
  }

  json j = g.ToJson();
  CHECK(j["url"] == gw.s.url());
  CHECK(j["requests"] == 4);  // readiness probes are not counted
  CHECK(j["tasks"]["sent"] == 2);
  CHECK(j["tasks"]["answered"] == 2);
  CHECK(j["feedback"]["ok"] == 2);
  CHECK(j["arms"]["serving"] == 2);
  CHECK(j["latency_ms"]["p50"].get<double>() > 0);
  CHECK(j["latency_ms"]["p99"].get<double>() >= j["latency_ms"]["p50"].get<double>());
  CHECK(j["readiness"]["probes"] == 3);
  CHECK(j["errors"].empty());
}

TEST_CASE("GatewayTraffic counts tasks and ratings the gateway refuses as failed", "[simulator][http]") {
  FakeGateway gw;
  gw.not_ready_for = 0;
  REQUIRE(gw.s.Start() > 0);
  GatewayTraffic g(Options(gw.s.url()));
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  g.SendTask("sim-1", "forbidden", "user-1", "");
  g.SendTask("sim-2", "forbidden", "user-1", "");
  auto out = PollWhile(g, [](const auto& all) { return all.size() == 2; });
  REQUIRE(out.size() == 2);
  for (const auto& o : out) {
    CHECK_FALSE(o.answered);
    CHECK(o.status == 401);
    CHECK(o.error == "HTTP 401: invalid API key");
  }
  g.SendFeedback("sim-old", "user-1", true);
  PollWhile(g, [&](const auto&) { return g.outstanding() == 0; });
  json j = g.ToJson();
  CHECK(j["tasks"]["failed"]["401"] == 2);
  CHECK(j["tasks"]["answered"] == 0);
  CHECK(j["feedback"]["failed"]["410"] == 1);
  CHECK(j["errors"]["401"] == 2);
  CHECK(j["errors"]["410"] == 1);
  CHECK(j["retries"].empty());
}

TEST_CASE("GatewayTraffic says why the gateway is not ready while nothing listens", "[simulator][http]") {
  const int port = kaizen::testing::UnusedPort();
  GatewayTraffic g(Options("http://127.0.0.1:" + std::to_string(port)));
  PollWhile(g, [&](const auto&) { return !g.not_ready_reason().empty(); });
  CHECK_FALSE(g.ready());
  CHECK(g.not_ready_reason() == "GET /readyz: Couldn't connect to server");
  CHECK(g.outstanding() == 0);  // a probe is not a task or a rating
}

TEST_CASE("GatewayTraffic::OptionsFromSettings derives the URL, key and connections from the manifest",
          "[simulator][http]") {
  json s = {{"max_in_flight", 256},
            {"seed", 7},
            {"cluster", {{"spec", {{"gateway", {{"listen", "0.0.0.0:9090"}, {"threads", 64}, {"replicas", 1},
                                                {"request_timeout_ms", 30000}}}}}}}};
  auto o = GatewayTraffic::OptionsFromSettings(s);
  REQUIRE(o.ok());
  CHECK(o->base_url == "http://127.0.0.1:9090");
  CHECK(o->max_connections == 48);  // 3/4 of the gateway's 64 threads
  CHECK(o->timeout_ms == 35000);
  CHECK(o->api_key.empty());

  s["cluster"]["spec"]["gateway"]["replicas"] = 4;
  s["max_in_flight"] = 100;
  CHECK(GatewayTraffic::OptionsFromSettings(s)->max_connections == 100);

  const std::string key_file =
      (std::filesystem::temp_directory_path() / ("kaizen-sim-key-" + std::to_string(::getpid()))).string();
  std::ofstream(key_file) << "  kz-secret-key\n";
  s["api_key_file"] = key_file;
  s["gateway_url"] = "http://gw.example:8000/";
  o = GatewayTraffic::OptionsFromSettings(s);
  REQUIRE(o.ok());
  CHECK(o->api_key == "kz-secret-key");
  CHECK(o->base_url == "http://gw.example:8000/");
  std::remove(key_file.c_str());
  CHECK_FALSE(GatewayTraffic::OptionsFromSettings(s).ok());  // the key file is gone

  json no_gateway = {{"cluster", {{"spec", json::object()}}}};
  CHECK_FALSE(GatewayTraffic::OptionsFromSettings(no_gateway).ok());
  no_gateway["gateway_url"] = "http://10.0.0.5:8080";
  o = GatewayTraffic::OptionsFromSettings(no_gateway);
  REQUIRE(o.ok());
  CHECK(o->max_connections == 64);
  CHECK(o->timeout_ms == 60000);

  CHECK(GatewayTraffic::UrlForListen("127.0.0.1:8080") == "http://127.0.0.1:8080");
  CHECK(GatewayTraffic::UrlForListen("[::]:8080") == "http://[::1]:8080");
  CHECK(GatewayTraffic::UrlForListen("localhost:80") == "http://localhost:80");
}

namespace {

using kaizen::agents::ChatStream;
using kaizen::agents::GatewayRoute;
using kaizen::agents::ParseChatStream;

// A fake gateway's POST /v1/chat/completions, plain or streamed like the real
// one (a role chunk, the content, a finish chunk, data: [DONE]); the arm of
// each task id is set by the test ("serving" by default). Inputs steer the
// stream: "cut-once" ends the first attempt's stream before [DONE], "cut-always"
// every attempt's, "drop-once" drops the first attempt's connection mid-stream.
struct FakeChatGateway {
  HttpTestServer s;
  std::mutex mu;
  std::vector<json> bodies;
  std::map<std::string, int> attempts;        // by Idempotency-Key
  std::map<std::string, std::string> arm_of;  // by Idempotency-Key

  static std::string Event(const json& chunk) { return "data: " + chunk.dump() + "\n\n"; }
  static json Chunk(const std::string& id, json delta, json finish) {
    return {{"id", id},
            {"object", "chat.completion.chunk"},
            {"model", "intents"},
            {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}})}};
  }

  FakeChatGateway() {
    s.server.Get("/readyz", [](const httplib::Request&, httplib::Response& res) { res.set_content("{}", "application/json"); });
    s.server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body);
      const std::string key = req.get_header_value("Idempotency-Key");
      int attempt = 0;
      std::string arm = "serving";
      {
        std::lock_guard<std::mutex> lock(mu);
        bodies.push_back(body);
        attempt = ++attempts[key];
        if (arm_of.count(key)) arm = arm_of[key];
      }
      if (body.value("model", "") != "intents") {
        res.status = 404;
        res.set_content(R"({"error":{"message":"no such model","type":"invalid_request_error","code":"model_not_found"}})",
                        "application/json");
        return;
      }
      const std::string input = body["messages"].back().value("content", "");
      const std::string output = "label-" + input;
      res.set_header("X-Kaizen-Task-Id", key);
      res.set_header("X-Kaizen-Arm", arm);
      res.set_header("X-Kaizen-Model-Version", arm == "candidate" ? "v2" : "v1");
      if (!body.value("stream", false)) {
        res.set_content(json{{"id", key},
                             {"object", "chat.completion"},
                             {"model", "intents"},
                             {"choices", json::array({{{"index", 0},
                                                       {"message", {{"role", "assistant"}, {"content", output}}},
                                                       {"finish_reason", "stop"}}})}}
                            .dump(),
                        "application/json");
        return;
      }
      // The content in two chunks, to check they are joined.
      std::vector<std::string> events = {Event(Chunk(key, {{"role", "assistant"}, {"content", ""}}, nullptr)),
                                         Event(Chunk(key, {{"content", output.substr(0, 3)}}, nullptr)),
                                         Event(Chunk(key, {{"content", output.substr(3)}}, nullptr)),
                                         Event(Chunk(key, json::object(), "stop")), "data: [DONE]\n\n"};
      const bool cut = input == "cut-always" || (input == "cut-once" && attempt == 1);
      const bool drop = input == "drop-once" && attempt == 1;
      if (cut) events.pop_back();
      res.set_chunked_content_provider("text/event-stream", [events, drop](size_t, httplib::DataSink& sink) {
        for (size_t i = 0; i < events.size(); ++i) {
          if (drop && i == 2) return false;  // the connection goes, the chunked body unfinished
          if (!sink.write(events[i].data(), events[i].size())) return false;
        }
        sink.done();
        return true;
      });
    });
  }
};

GatewayTraffic ChatTraffic(const std::string& url, bool stream) {
  GatewayRoute route;
  route.chat = true;
  route.stream = stream;
  route.model = "intents";
  HttpTrafficOptions o = Options(url);
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 100;
  return GatewayTraffic(o, route);
}

std::map<std::string, GatewayTraffic::TaskOutcome> ById(std::vector<GatewayTraffic::TaskOutcome> all) {
  std::map<std::string, GatewayTraffic::TaskOutcome> m;
  for (auto& o : all) m[o.task_id] = std::move(o);
  return m;
}

}  // namespace

TEST_CASE("GatewayRoute::FromSettings picks the endpoint, and the model from spec.gateway or the cluster's name",
          "[simulator][http]") {
  json s = {{"cluster", {{"name", "llm-intent"}, {"spec", {{"gateway", {{"listen", "127.0.0.1:9090"}}}}}}}};
  auto r = GatewayRoute::FromSettings(s);
  REQUIRE(r.ok());
  CHECK_FALSE(r->chat);
  CHECK_FALSE(r->stream);
  CHECK(std::string(r->path()) == "/v1/tasks");
  s["gateway_route"] = "chat_completions";
  s["stream"] = true;
  r = GatewayRoute::FromSettings(s);
  REQUIRE(r.ok());
  CHECK(r->chat);
  CHECK(r->stream);
  CHECK(r->model == "llm-intent");
  CHECK(std::string(r->path()) == "/v1/chat/completions");
  s["cluster"]["spec"]["gateway"]["model"] = "intents";
  CHECK(GatewayRoute::FromSettings(s)->model == "intents");
  s["gateway_route"] = "tasks";
  CHECK_FALSE(GatewayRoute::FromSettings(s).ok());  // stream needs chat completions
  s["gateway_route"] = "completions";
  s["stream"] = false;
  CHECK_FALSE(GatewayRoute::FromSettings(s).ok());
}

TEST_CASE("ParseChatStream joins the content of the chunks up to data: [DONE]", "[simulator][http]") {
  ChatStream st = ParseChatStream(
      ": a comment\r\n"
      "data: {\"id\":\"sim-1\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n"
      "data:{\"id\":\"other\",\"choices\":[{\"delta\":{\"content\":\"bal\"}}]}\n\n"
      "event: message\ndata: {\"choices\":[{\"delta\":{\"content\":\"ance\"}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":0}}\n\n"
      "data: [DONE]\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"after done\"}}]}\n\n");
  CHECK(st.done);
  CHECK(st.id == "sim-1");
  CHECK(st.content == "balance");
  CHECK(st.error.empty());

  CHECK_FALSE(ParseChatStream("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n").done);
  CHECK_FALSE(ParseChatStream("data: {\"choices\":[]}\n\ndata: [DONE]").done);  // the last line may be cut
  CHECK_FALSE(ParseChatStream("").done);
  ChatStream bad = ParseChatStream("data: {not json\n\ndata: [DONE]\n\n");
  CHECK(bad.done);
  CHECK(bad.error.rfind("an event that is not a JSON object", 0) == 0);
  ChatStream error = ParseChatStream("data: {\"error\":{\"message\":\"worker failed\"}}\n\ndata: [DONE]\n\n");
  CHECK(error.error == "an error event: worker failed");
}

TEST_CASE("GatewayTraffic sends tasks as chat completions and reads the answer, arm and version",
          "[simulator][http]") {
  FakeChatGateway gw;
  REQUIRE(gw.s.Start() > 0);
  gw.arm_of["sim-2"] = "candidate";
  GatewayTraffic g = ChatTraffic(gw.s.url(), false);
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  g.SendTask("sim-1", "hello", "user-3", "banking");
  g.SendTask("sim-2", "bye", "user-4", "");
  auto out = ById(PollWhile(g, [](const auto& all) { return all.size() == 2; }));
  REQUIRE(out.size() == 2);
  CHECK(out["sim-1"].answered);
  CHECK(out["sim-1"].output == "label-hello");
  CHECK(out["sim-1"].arm == "serving");
  CHECK(out["sim-1"].model_version == "v1");
  CHECK(out["sim-2"].output == "label-bye");
  CHECK(out["sim-2"].arm == "candidate");
  CHECK(out["sim-2"].model_version == "v2");

  std::lock_guard<std::mutex> lock(gw.mu);
  REQUIRE(gw.bodies.size() == 2);
  for (const json& b : gw.bodies) {
    const bool first = b["messages"][0]["content"] == "hello";
    json want = {{"model", "intents"},
                 {"user", first ? "user-3" : "user-4"},
                 {"messages", json::array({{{"role", "user"}, {"content", first ? "hello" : "bye"}}})},
                 {"stream", false}};
    if (first) want["metadata"] = {{"domain", "banking"}};
    CHECK(b == want);
  }
  CHECK(gw.attempts == std::map<std::string, int>{{"sim-1", 1}, {"sim-2", 1}});
  json j = g.ToJson();
  CHECK(j["route"] == "/v1/chat/completions");
  CHECK(j["stream"] == false);
  CHECK(j["by_path"]["/v1/chat/completions"] == 2);
  CHECK(j["tasks"]["answered"] == 2);
  CHECK(j["arms"] == json{{"serving", 1}, {"incumbent", 0}, {"candidate", 1}});
  CHECK(j["model_versions"] == json{{"v1", 1}, {"v2", 1}});
}

TEST_CASE("GatewayTraffic reads a streamed chat completion, and retries a stream cut before [DONE] with the same key",
          "[simulator][http]") {
  FakeChatGateway gw;
  REQUIRE(gw.s.Start() > 0);
  GatewayTraffic g = ChatTraffic(gw.s.url(), true);
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  g.SendTask("sim-1", "what is my balance", "user-1", "banking");
  g.SendTask("sim-2", "cut-once", "user-2", "");
  g.SendTask("sim-3", "drop-once", "user-3", "");
  auto out = ById(PollWhile(g, [](const auto& all) { return all.size() == 3; }));
  REQUIRE(out.size() == 3);
  for (const char* id : {"sim-1", "sim-2", "sim-3"}) {
    INFO(id << ": " << out[id].error);
    CHECK(out[id].answered);
    CHECK(out[id].arm == "serving");
    CHECK(out[id].model_version == "v1");
  }
  CHECK(out["sim-1"].output == "label-what is my balance");
  CHECK(out["sim-2"].output == "label-cut-once");
  CHECK(out["sim-3"].output == "label-drop-once");
  {
    std::lock_guard<std::mutex> lock(gw.mu);
    CHECK(gw.attempts == std::map<std::string, int>{{"sim-1", 1}, {"sim-2", 2}, {"sim-3", 2}});
    for (const json& b : gw.bodies) CHECK(b["stream"] == true);
  }
  json j = g.ToJson();
  CHECK(j["stream"] == true);
  CHECK(j["tasks"]["answered"] == 3);
  CHECK(j["retries"]["incomplete"] == 1);  // sim-2: a whole response without [DONE]
  CHECK(j["retries"]["transport"] == 1);   // sim-3: the connection went mid-stream
  CHECK(j["tasks"]["failed"].empty());
}

TEST_CASE("GatewayTraffic counts a stream that never reaches [DONE] as failed once its retries run out",
          "[simulator][http]") {
  FakeChatGateway gw;
  REQUIRE(gw.s.Start() > 0);
  GatewayRoute route;
  route.chat = route.stream = true;
  route.model = "intents";
  HttpTrafficOptions o = Options(gw.s.url());
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 50;
  o.retry_for_ms = 400;
  GatewayTraffic g(o, route);
  PollWhile(g, [&](const auto&) { return g.ready(); });
  g.SendTask("sim-1", "cut-always", "user-1", "");
  auto out = PollWhile(g, [](const auto& all) { return all.size() == 1; });
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].answered);
  CHECK(out[0].status == 200);
  CHECK(out[0].error.rfind("HTTP 200 the event stream ended before data: [DONE] (after ", 0) == 0);
  json j = g.ToJson();
  CHECK(j["tasks"]["failed"]["200 incomplete stream"] == 1);
  CHECK(j["given_up"] == 1);
  CHECK(j["retries"]["incomplete"].get<int>() >= 2);
}

TEST_CASE("GatewayTraffic counts a user going back from the candidate to the incumbent within a rollout",
          "[simulator][http]") {
  FakeChatGateway gw;
  REQUIRE(gw.s.Start() > 0);
  GatewayTraffic g = ChatTraffic(gw.s.url(), false);
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  auto send_and_wait = [&](std::vector<std::tuple<std::string, std::string, std::string>> tasks) {
    {
      std::lock_guard<std::mutex> lock(gw.mu);
      for (auto& [id, user, arm] : tasks) gw.arm_of[id] = arm;
    }
    for (auto& [id, user, arm] : tasks) g.SendTask(id, "x", user, "");
    auto out = PollWhile(g, [&](const auto& all) { return all.size() == tasks.size(); });
    REQUIRE(out.size() == tasks.size());
  };
  // Sent at the same time: the runtime may have routed the second first (no flip).
  send_and_wait({{"sim-1", "user-a", "candidate"}, {"sim-2", "user-a", "incumbent"}});
  CHECK(g.ToJson()["arm_flips_back"] == 0);
  // user-b: incumbent, then candidate; then the incumbent again, sent after the candidate's answer: a flip.
  send_and_wait({{"sim-3", "user-b", "incumbent"}});
  send_and_wait({{"sim-4", "user-b", "candidate"}});
  send_and_wait({{"sim-5", "user-b", "incumbent"}, {"sim-6", "user-c", "candidate"}});
  CHECK(g.ToJson()["arm_flips_back"] == 1);
  // user-b is back on the incumbent: staying there is no new flip; user-a, after sim-1 came back, flips.
  send_and_wait({{"sim-7", "user-b", "incumbent"}, {"sim-8", "user-a", "incumbent"}});
  CHECK(g.ToJson()["arm_flips_back"] == 2);

  // A new rollout: user-c's candidate answer was in the last one.
  g.EndRollout();
  send_and_wait({{"sim-9", "user-c", "incumbent"}});
  CHECK(g.ToJson()["arm_flips_back"] == 2);
  // An answer to a task sent before the rollout ended is not compared with the new one.
  {
    std::lock_guard<std::mutex> lock(gw.mu);
    gw.arm_of["sim-10"] = "candidate";
    gw.arm_of["sim-11"] = "incumbent";
  }
  g.SendTask("sim-10", "x", "user-d", "");
  g.EndRollout();
  REQUIRE(PollWhile(g, [](const auto& all) { return all.size() == 1; }).size() == 1);
  g.SendTask("sim-11", "x", "user-d", "");
  REQUIRE(PollWhile(g, [](const auto& all) { return all.size() == 1; }).size() == 1);
  json j = g.ToJson();
  CHECK(j["arm_flips_back"] == 2);
  CHECK(j["arms"] == json{{"serving", 0}, {"incumbent", 7}, {"candidate", 4}});
}

TEST_CASE("GatewayTraffic reads a deferral to the teacher from the headers or the /v1/tasks body",
          "[simulator][http]") {
  FakeGateway gw;
  gw.not_ready_for = 0;
  REQUIRE(gw.s.Start() > 0);
  GatewayTraffic g(Options(gw.s.url()));
  PollWhile(g, [&](const auto&) { return g.ready(); });
  REQUIRE(g.ready());
  g.SendTask("sim-1", "hard", "user-1", "");
  g.SendTask("sim-2", "hard-body", "user-2", "");
  g.SendTask("sim-3", "easy", "user-3", "");
  std::map<std::string, GatewayTraffic::TaskOutcome> out;
  for (auto& o : PollWhile(g, [](const auto& all) { return all.size() == 3; })) out[o.task_id] = std::move(o);
  REQUIRE(out.size() == 3);
  CHECK(out["sim-1"].deferral.deferred());
  CHECK(out["sim-1"].deferral.teacher == "oracle");
  CHECK(out["sim-1"].deferral.cost == Approx(0.002));
  CHECK(out["sim-2"].deferral.teacher == "oracle");
  CHECK(out["sim-2"].deferral.cost == 0.0);
  CHECK_FALSE(out["sim-3"].deferral.deferred());
  CHECK(out["sim-3"].output == "label-easy");
}
