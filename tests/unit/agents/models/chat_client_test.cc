// ChatClient against the OpenAI-compatible test server over real sockets on
// 127.0.0.1: success, every failure kind, retries, Retry-After, rate and
// concurrency limits, cost accounting, timeouts, and the API key kept secret.
#include <cstdlib>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/retry_policy.h"
#include "tests/support/openai_test_server/server.h"

namespace {

using kaizen::Status;
using kaizen::models::llm::ChatClient;
using kaizen::models::llm::ChatClientConfig;
using kaizen::models::llm::ChatMessage;
using kaizen::testing::OpenAiTestServer;
using kaizen::testing::OpenAiTestServerOptions;
using json = nlohmann::json;

struct Fixture {
  OpenAiTestServer server;
  explicit Fixture(OpenAiTestServerOptions o = {}) : server(std::move(o)) { REQUIRE(server.Start().ok()); }

  json Control(const std::string& path, const json& body = json::object()) {
    httplib::Client c("127.0.0.1", server.port());
    auto r = path == "/control/stats" ? c.Get(path.c_str()) : c.Post(path.c_str(), body.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }
  void Fail(const std::string& kind, int count = 1, const std::string& retry_after = "") {
    Control("/control/fail", {{"kind", kind}, {"count", count}, {"retry_after", retry_after}});
  }
  json Stats() { return Control("/control/stats"); }

  ChatClientConfig Config() const {
    ChatClientConfig c;
    c.base_url = server.base_url();
    c.model = "kaizen-test";
    c.backoff_initial = std::chrono::milliseconds(1);
    c.backoff_max = std::chrono::milliseconds(5);
    c.timeout = std::chrono::milliseconds(5000);
    c.jitter_seed = 7;
    return c;
  }
  std::unique_ptr<ChatClient> Client(ChatClientConfig c) {
    auto client = ChatClient::Create(std::move(c));
    REQUIRE(client.ok());
    return std::move(*client);
  }
};

const std::vector<ChatMessage> kClassify = {
    {"system", "Classify the message.\n\nLabels: transfer, balance\nAnswer with JSON: {\"label\": \"<one of the labels>\"}"},
    {"user", "what is my balance today"}};

}  // namespace

TEST_CASE("a chat completion returns the text, its tokens and its cost") {
  Fixture f;
  auto cfg = f.Config();
  cfg.price_per_1k_prompt_tokens = 2.0;
  cfg.price_per_1k_completion_tokens = 10.0;
  auto client = f.Client(cfg);
  auto r = client->Complete(kClassify, "datagen:c-1");
  REQUIRE(r.ok());
  CHECK(r->text == "{\"label\":\"balance\"}");
  CHECK(r->attempts == 1);
  // The server counts whitespace-separated words + 3 per message (its README): 14 + 5 words.
  const int64_t prompt = (3 + 14) + (3 + 5);
  CHECK(r->prompt_tokens == prompt);
  CHECK(r->completion_tokens == 1);
  CHECK(r->cost == Approx(prompt / 1000.0 * 2.0 + 1 / 1000.0 * 10.0));
  CHECK(r->finish_reason == "stop");

  REQUIRE(client->Complete({{"user", "hello there"}}, "serve").ok());
  auto total = client->TotalUsage();
  CHECK(total.calls == 2);
  CHECK(total.attempts == 2);
  CHECK(total.failures == 0);
  CHECK(total.prompt_tokens == prompt + 5);
  auto datagen = client->UsageFor("datagen:c-1");
  CHECK(datagen.calls == 1);
  CHECK(datagen.cost == Approx(r->cost));
  CHECK(client->UsageFor("never").calls == 0);
  CHECK(client->UsageByTag().size() == 2);
  CHECK(f.Stats()["by_outcome"]["ok"] == 2);
}

TEST_CASE("every transient failure kind is retried until an answer comes") {
  for (std::string kind : {"429", "500", "502", "503", "broken-json", "cut", "empty-choices"}) {
    DYNAMIC_SECTION(kind) {
      Fixture f;
      auto client = f.Client(f.Config());
      f.Fail(kind, 2);
      auto r = client->Complete(kClassify, "t");
      REQUIRE(r.ok());
      CHECK(r->attempts == 3);
      auto stats = f.Stats();
      CHECK(stats["requests"] == 3);
      CHECK(stats["by_outcome"][kind == "empty-choices" ? "ok" : kind] >= 2);
      auto u = client->TotalUsage();
      CHECK(u.calls == 1);
      CHECK(u.retries == 2);
      CHECK(u.attempts == 3);
    }
  }
}

TEST_CASE("retries stop at max_retries and the error says why") {
  Fixture f;
  auto cfg = f.Config();
  cfg.max_retries = 2;
  auto client = f.Client(cfg);
  f.Fail("500", 10);
  auto r = client->Complete(kClassify, "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK(r.status().message().find("HTTP 500") != std::string::npos);
  CHECK(r.status().message().find("3 attempts") != std::string::npos);
  CHECK(f.Stats()["requests"] == 3);
  auto u = client->TotalUsage();
  CHECK(u.failures == 1);
  CHECK(u.calls == 0);
  CHECK(u.retries == 2);

  f.Fail("broken-json", 10);
  f.Control("/control/reset");
  f.Fail("broken-json", 10);
  auto broken = client->Complete(kClassify);
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().code() == Status::Code::kCorruption);
}

TEST_CASE("client errors (4xx other than 429) are not retried") {
  for (std::string kind : {"400", "401", "404"}) {
    DYNAMIC_SECTION(kind) {
      Fixture f;
      auto client = f.Client(f.Config());
      f.Fail(kind, 5);
      auto r = client->Complete(kClassify);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Status::Code::kInvalidArgument);
      CHECK(r.status().message().find("injected failure " + kind) != std::string::npos);
      CHECK(f.Stats()["requests"] == 1);
    }
  }
}

TEST_CASE("a connection refused is retried and reported as unavailable") {
  int port = 0;
  {
    Fixture f;  // a port that was just free and is closed again
    port = f.server.port();
  }
  ChatClientConfig c;
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  c.model = "m";
  c.max_retries = 2;
  c.backoff_initial = std::chrono::milliseconds(1);
  auto client = ChatClient::Create(c);
  REQUIRE(client.ok());
  auto r = (*client)->Complete(kClassify);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kUnavailable);
  CHECK((*client)->TotalUsage().attempts == 3);
}

TEST_CASE("Retry-After is honoured, in seconds and as an HTTP date") {
  SECTION("seconds") {
    Fixture f;
    auto client = f.Client(f.Config());  // backoff at most 5 ms: only Retry-After can wait longer
    f.Fail("429", 1, "1");
    REQUIRE(client->Complete(kClassify).ok());
    auto arrivals = f.Stats()["arrivals_ms"];
    REQUIRE(arrivals.size() == 2);
    CHECK(arrivals[1].get<double>() - arrivals[0].get<double>() >= 1000.0);
  }
  SECTION("HTTP date") {
    Fixture f;
    auto client = f.Client(f.Config());
    std::time_t when = std::time(nullptr) + 2;
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&when));
    f.Fail("503", 1, buf);
    REQUIRE(client->Complete(kClassify).ok());
    auto arrivals = f.Stats()["arrivals_ms"];
    REQUIRE(arrivals.size() == 2);
    CHECK(arrivals[1].get<double>() - arrivals[0].get<double>() >= 900.0);
  }
}

TEST_CASE("Retry-After values are parsed") {
  using kaizen::models::llm::ParseRetryAfter;
  CHECK(ParseRetryAfter("3", 0)->count() == 3000);
  CHECK(ParseRetryAfter("0.5", 0)->count() == 500);
  CHECK_FALSE(ParseRetryAfter("", 0).has_value());
  CHECK_FALSE(ParseRetryAfter("soon", 0).has_value());
  // Thu, 01 Jan 1970 00:00:10 GMT is 10 s after the epoch.
  CHECK(ParseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4)->count() == 6000);
  CHECK(ParseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 20)->count() == 0);  // in the past: no wait
}

TEST_CASE("backoff is full jitter under an exponential cap") {
  kaizen::models::llm::RetryPolicy p(std::chrono::milliseconds(100), std::chrono::milliseconds(1000),
                                     std::chrono::milliseconds(60000), 42);
  for (int retry = 0; retry < 8; ++retry) {
    const int64_t cap = std::min<int64_t>(1000, 100LL << retry);
    int64_t lo = cap, hi = 0;
    for (int i = 0; i < 200; ++i) {
      auto w = p.Backoff(retry).count();
      REQUIRE(w >= 0);
      REQUIRE(w <= cap);
      lo = std::min(lo, w), hi = std::max(hi, w);
    }
    CHECK(lo < cap / 4);        // spread over [0, cap], not a fixed delay
    CHECK(hi > cap * 3 / 4);
  }
  CHECK(p.Cap(std::chrono::milliseconds(120000)).count() == 60000);
}

TEST_CASE("a call slower than the timeout fails with Timeout after its retries") {
  Fixture f;
  auto cfg = f.Config();
  cfg.timeout = std::chrono::milliseconds(200);
  cfg.max_retries = 1;
  auto client = f.Client(cfg);
  f.Control("/control/delay", {{"ms", 1500}});
  auto r = client->Complete(kClassify);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kTimeout);
  CHECK(client->TotalUsage().attempts == 2);
  f.Control("/control/delay", {{"ms", 0}});
  // A slow answer within the timeout is fine.
  cfg.timeout = std::chrono::milliseconds(5000);
  auto patient = f.Client(cfg);
  f.Fail("slow", 1);
  CHECK(patient->Complete(kClassify).ok());
}

TEST_CASE("the rate limit spaces requests out") {
  Fixture f;
  auto cfg = f.Config();
  cfg.rate_limit_per_s = 5;  // burst of 5, then one every 200 ms
  auto client = f.Client(cfg);
  for (int i = 0; i < 8; ++i) REQUIRE(client->Complete(kClassify).ok());
  auto arrivals = f.Stats()["arrivals_ms"];
  REQUIRE(arrivals.size() == 8);
  CHECK(arrivals[7].get<double>() - arrivals[0].get<double>() >= 500.0);  // 3 tokens refilled at 200 ms each
}

TEST_CASE("no more than max_concurrency requests are in flight") {
  auto run = [](int limit) {
    Fixture f;
    auto cfg = f.Config();
    cfg.max_concurrency = limit;
    auto client = f.Client(cfg);
    f.Control("/control/delay", {{"ms", 100}});
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 12; ++i) threads.emplace_back([&] { ok += client->Complete(kClassify).ok(); });
    for (auto& t : threads) t.join();
    CHECK(ok == 12);
    return f.Stats()["max_in_flight"].get<int>();
  };
  CHECK(run(3) <= 3);
  CHECK(run(12) > 3);  // without the limit they do overlap: the check above can fail
}

TEST_CASE("the API key is sent, never logged and never in an error") {
  const std::string key = "sk-kaizen-test-9f8e7d6c5b4a";
  ::setenv("KAIZEN_TEST_LLM_KEY", key.c_str(), 1);
  ::setenv("KAIZEN_TEST_LLM_WRONG_KEY", "sk-wrong-key-000111", 1);
  OpenAiTestServerOptions o;
  o.api_key = key;
  Fixture f(o);

  std::ostringstream logs;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  auto cfg = f.Config();
  cfg.api_key_env = "KAIZEN_TEST_LLM_KEY";
  auto client = f.Client(cfg);
  CHECK(client->has_api_key());
  f.Fail("500", 1);
  REQUIRE(client->Complete(kClassify).ok());  // retried (and logged at debug) with the key
  f.Fail("echo-auth", 1);
  auto echoed = client->Complete(kClassify);
  REQUIRE_FALSE(echoed.ok());
  CHECK(echoed.status().message().find("Bearer ***") != std::string::npos);

  cfg.api_key_env = "KAIZEN_TEST_LLM_WRONG_KEY";
  auto wrong = f.Client(cfg);
  auto denied = wrong->Complete(kClassify);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().code() == Status::Code::kInvalidArgument);
  CHECK(denied.status().message().find("Incorrect API key") != std::string::npos);

  cfg.api_key_env = "KAIZEN_TEST_LLM_UNSET_KEY";
  auto unset = ChatClient::Create(cfg);
  REQUIRE_FALSE(unset.ok());
  CHECK(unset.status().code() == Status::Code::kFailedPrecondition);
  CHECK(unset.status().message().find("KAIZEN_TEST_LLM_UNSET_KEY") != std::string::npos);

  spdlog::set_default_logger(previous);
  const std::string everything = logs.str() + echoed.status().ToString() + denied.status().ToString() +
                                 client->TotalUsage().ToJson().dump();
  CHECK(logs.str().find("retrying") != std::string::npos);  // the capture did see the client's logs
  CHECK(everything.find(key) == std::string::npos);
  CHECK(everything.find("sk-wrong-key-000111") == std::string::npos);
  CHECK(f.Stats()["unauthorized"] == 1);
}

TEST_CASE("bad configurations are refused with a clear error") {
  ChatClientConfig c;
  c.base_url = "127.0.0.1:8000/v1";
  c.model = "m";
  auto r = ChatClient::Create(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("http://") != std::string::npos);
  auto parsed = kaizen::models::llm::ChatConfigFromJson(json{{"model", "m"}}, "spec.worker.skill.openai");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message().find("spec.worker.skill.openai.base_url") != std::string::npos);
  auto full = kaizen::models::llm::ChatConfigFromJson(
      json{{"base_url", "http://x/v1"}, {"model", "m"}, {"timeout_ms", 1234}, {"max_retries", 5},
           {"price_per_1k_prompt_tokens", 0.5}, {"rate_limit_per_s", 3.0}},
      "w");
  REQUIRE(full.ok());
  CHECK(full->timeout.count() == 1234);
  CHECK(full->max_retries == 5);
  CHECK(full->price_per_1k_prompt_tokens == 0.5);
  CHECK(full->rate_limit_per_s == 3.0);
}
