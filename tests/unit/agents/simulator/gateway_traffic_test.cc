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
      res.set_content(json{{"id", key},
                           {"output", "label-" + body.value("input", "")},
                           {"model_version", "v1"},
                           {"arm", "serving"},
                           {"confidence", 0.9}}
                          .dump(),
                      "application/json");
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
