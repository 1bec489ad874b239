// HttpTraffic against a real cpp-httplib server on 127.0.0.1.
#include "agents/simulator/http_traffic.h"

#include <arpa/inet.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include <catch2/catch.hpp>

#include "tests/unit/agents/simulator/http_test_server.h"

using kaizen::agents::HttpCompletion;
using kaizen::agents::HttpRequest;
using kaizen::agents::HttpTraffic;
using kaizen::agents::HttpTrafficOptions;
using kaizen::testing::HttpTestServer;
using kaizen::testing::PollUntil;
using std::chrono::milliseconds;

namespace {

HttpRequest Post(const std::string& path, const std::string& key, const std::string& body = "{}") {
  HttpRequest r;
  r.path = path;
  r.body = body;
  r.idempotency_key = key;
  return r;
}

HttpTrafficOptions Options(const std::string& url, size_t connections) {
  HttpTrafficOptions o;
  o.base_url = url;
  o.max_connections = connections;
  o.backoff_initial_ms = 20;
  o.backoff_max_ms = 100;
  o.timeout_ms = 10000;
  return o;
}

// Requests at once in the handler, and the most seen.
struct Concurrency {
  std::mutex mu;
  std::condition_variable cv;
  int active = 0, peak = 0;
  void Enter() {
    std::lock_guard<std::mutex> lock(mu);
    peak = std::max(peak, ++active);
    cv.notify_all();
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu);
    --active;
  }
  // Holds the request until `n` are in the handler at once (or 5 s passed).
  void WaitForPeak(int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return peak >= n; });
  }
};

// The server's record of what arrived.
struct Seen {
  std::mutex mu;
  std::vector<std::string> keys;
  std::set<int> client_ports;
  std::map<std::string, int> count_by_key;
  int Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu);
    keys.push_back(req.get_header_value("Idempotency-Key"));
    client_ports.insert(req.remote_port);
    return ++count_by_key[req.get_header_value("Idempotency-Key")];
  }
};

}  // namespace

TEST_CASE("HttpTraffic runs requests at once and hands back status, body and latency", "[simulator][http]") {
  HttpTestServer s;
  Concurrency c;
  std::atomic<int> bad_headers{0};
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    c.Enter();
    if (req.get_header_value("Authorization") != "Bearer key-1" ||
        req.get_header_value("Content-Type") != "application/json") {
      ++bad_headers;
    }
    c.WaitForPeak(5);
    res.set_content(req.get_header_value("Idempotency-Key") + " " + req.body, "text/plain");
    c.Leave();
  });
  REQUIRE(s.Start() > 0);
  // Five: cpp-httplib listens with a backlog of 5, and more connects at once
  // than its accept queue holds would wait for a SYN retransmit (1 s).
  auto options = Options(s.url(), 5);
  options.api_key = "key-1";
  HttpTraffic http(options);
  std::map<uint64_t, std::string> keys;
  for (int i = 1; i <= 5; ++i) {
    std::string key = "sim-" + std::to_string(i);
    keys[http.Submit(Post("/v1/tasks", key, "{\"n\":" + std::to_string(i) + "}"))] = key;
  }
  CHECK(http.outstanding() == 5);
  auto done = PollUntil(http, 5);
  REQUIRE(done.size() == 5);
  for (const HttpCompletion& d : done) {
    CHECK(d.status == 200);
    CHECK(d.attempts == 1);
    CHECK(d.body.rfind(keys[d.id] + " {\"n\":", 0) == 0);
    CHECK(d.latency_ms > 0);
    CHECK(d.total_ms >= d.latency_ms);
  }
  CHECK(c.peak == 5);  // all five were in the handler at once
  CHECK(bad_headers == 0);
  CHECK(http.outstanding() == 0);
  CHECK(http.stats().requests == 5);
  CHECK(http.stats().connections == 5);
  CHECK(http.stats().errors.empty());
}

TEST_CASE("HttpTraffic keeps at most max_connections on the wire, and the rest wait their turn", "[simulator][http]") {
  HttpTestServer s;
  Concurrency c;
  s.server.Post("/v1/tasks", [&](const httplib::Request&, httplib::Response& res) {
    c.Enter();
    std::this_thread::sleep_for(milliseconds(30));
    res.set_content("ok", "text/plain");
    c.Leave();
  });
  REQUIRE(s.Start() > 0);
  HttpTraffic http(Options(s.url(), 2));
  for (int i = 1; i <= 10; ++i) http.Submit(Post("/v1/tasks", "sim-" + std::to_string(i)));
  http.Poll();
  CHECK(http.running() == 2);
  CHECK(http.outstanding() == 10);
  auto done = PollUntil(http, 10);
  REQUIRE(done.size() == 10);
  for (const auto& d : done) CHECK(d.status == 200);
  CHECK(c.peak <= 2);
  // Handed back in the order submitted: one FIFO, two connections.
  CHECK(done.front().id <= 2);
}

TEST_CASE("HttpTraffic reuses keep-alive connections", "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    seen.Record(req);
    res.set_content("ok", "text/plain");
  });
  REQUIRE(s.Start() > 0);
  HttpTraffic http(Options(s.url(), 2));
  // Four waves of five: later waves find the connections of the earlier ones idle in the cache.
  for (int wave = 0; wave < 4; ++wave) {
    for (int i = 0; i < 5; ++i) http.Submit(Post("/v1/tasks", "sim-" + std::to_string(wave * 5 + i)));
    REQUIRE(PollUntil(http, 5).size() == 5);
  }
  CHECK(http.stats().requests == 20);
  CHECK(http.stats().connections <= 2);
  CHECK(seen.client_ports.size() <= 2);  // the server saw at most two client sockets
  CHECK(seen.keys.size() == 20);
}

TEST_CASE("HttpTraffic retries a 503 after its Retry-After with the same Idempotency-Key", "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    if (seen.Record(req) == 1) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content(R"({"error":{"message":"no worker serves","type":"unavailable","code":"no_worker"}})",
                      "application/json");
      return;
    }
    res.set_content(R"({"id":"sim-1","output":"x"})", "application/json");
  });
  REQUIRE(s.Start() > 0);
  HttpTraffic http(Options(s.url(), 4));
  http.Submit(Post("/v1/tasks", "sim-1"));
  auto done = PollUntil(http, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status == 200);
  CHECK(done[0].attempts == 2);
  CHECK(done[0].total_ms >= 950);  // waited the second it was told to
  CHECK(seen.keys == std::vector<std::string>{"sim-1", "sim-1"});
  CHECK(http.stats().retries.at("503") == 1);
  CHECK(http.stats().errors.at("503") == 1);
  CHECK(http.stats().requests == 2);
}

TEST_CASE("HttpTraffic hands back the final response's headers, names in lower case", "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    if (seen.Record(req) == 1) {
      res.status = 503;
      res.set_header("X-Kaizen-Arm", "first-attempt");
      res.set_header("Retry-After", "0");
      return;
    }
    res.set_header("X-Kaizen-Arm", "candidate");
    res.set_header("X-Kaizen-Model-Version", "v2");
    res.set_content("{}", "application/json");
  });
  REQUIRE(s.Start() > 0);
  HttpTraffic http(Options(s.url(), 2));
  http.Submit(Post("/v1/tasks", "sim-1"));
  auto done = PollUntil(http, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status == 200);
  CHECK(done[0].attempts == 2);
  CHECK(done[0].headers.at("x-kaizen-arm") == "candidate");  // the final attempt's, not the 503's
  CHECK(done[0].headers.at("x-kaizen-model-version") == "v2");
  CHECK(done[0].headers.at("content-type") == "application/json");
  CHECK_FALSE(done[0].headers.count("retry-after"));
  CHECK(http.stats().by_path.at("/v1/tasks") == 2);
}

TEST_CASE("HttpTraffic retries a 2xx its complete check refuses, and gives up on it like on a dropped connection",
          "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    const int n = seen.Record(req);
    const bool whole = req.get_header_value("Idempotency-Key") == "sim-1" && n == 3;
    res.set_content(whole ? "data: x\n\ndata: [DONE]\n\n" : "data: x\n\n", "text/event-stream");
  });
  REQUIRE(s.Start() > 0);
  auto options = Options(s.url(), 2);
  options.retry_for_ms = 600;
  HttpTraffic http(options);
  auto complete = [](const std::string& body) { return body.find("data: [DONE]\n") != std::string::npos; };
  HttpRequest whole_later = Post("/v1/tasks", "sim-1");
  whole_later.complete = complete;
  HttpRequest never_whole = Post("/v1/tasks", "sim-2");
  never_whole.complete = complete;
  HttpRequest no_retry = Post("/v1/tasks", "sim-3");
  no_retry.complete = complete;
  no_retry.retry = false;
  std::map<uint64_t, std::string> keys;
  keys[http.Submit(whole_later)] = "sim-1";
  keys[http.Submit(never_whole)] = "sim-2";
  keys[http.Submit(no_retry)] = "sim-3";
  auto done = PollUntil(http, 3);
  REQUIRE(done.size() == 3);
  for (const HttpCompletion& d : done) {
    INFO(keys[d.id]);
    CHECK(d.status == 200);
    if (keys[d.id] == "sim-1") {
      CHECK(d.attempts == 3);
      CHECK_FALSE(d.incomplete);
      CHECK(d.body == "data: x\n\ndata: [DONE]\n\n");
    } else if (keys[d.id] == "sim-2") {
      CHECK(d.attempts > 1);
      CHECK(d.incomplete);
    } else {
      CHECK(d.attempts == 1);
      CHECK(d.incomplete);
    }
  }
  CHECK(seen.count_by_key["sim-1"] == 3);  // the same key on every attempt
  const auto sim2 = static_cast<uint64_t>(seen.count_by_key["sim-2"]);
  CHECK(http.stats().retries.at("incomplete") == 2 + (sim2 - 1));
  CHECK(http.stats().errors.at("incomplete") == 2 + sim2 + 1);
  CHECK(http.stats().given_up == 1);
}

TEST_CASE("HttpTraffic retries 429 without Retry-After after the default wait, and 504 after a backoff",
          "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    const int n = seen.Record(req);
    if (n == 1) {
      res.status = req.get_header_value("Idempotency-Key") == "a" ? 429 : 504;
      return;
    }
    res.set_content("ok", "text/plain");
  });
  REQUIRE(s.Start() > 0);
  auto options = Options(s.url(), 4);
  options.retry_after_default_ms = 50;
  HttpTraffic http(options);
  http.Submit(Post("/v1/tasks", "a"));
  http.Submit(Post("/v1/tasks", "b"));
  auto done = PollUntil(http, 2);
  REQUIRE(done.size() == 2);
  for (const auto& d : done) {
    CHECK(d.status == 200);
    CHECK(d.attempts == 2);
  }
  CHECK(http.stats().retries.at("429") == 1);
  CHECK(http.stats().retries.at("504") == 1);
  CHECK(seen.count_by_key["a"] == 2);
  CHECK(seen.count_by_key["b"] == 2);
}

TEST_CASE("HttpTraffic retries a refused connection until the server is up", "[simulator][http]") {
  HttpTestServer s;  // started below; declared first so that it stops after the client closed its connections
  Seen seen;
  const int port = kaizen::testing::UnusedPort();
  REQUIRE(port > 0);
  HttpTraffic http(Options("http://127.0.0.1:" + std::to_string(port), 4));
  http.Submit(Post("/v1/tasks", "sim-7"));
  // Refused for a while: the request keeps retrying, nothing is handed back.
  auto early = PollUntil(http, 1, milliseconds(300));
  CHECK(early.empty());
  CHECK(http.stats().retries.count("transport") == 1);
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    seen.Record(req);
    res.set_content("ok", "text/plain");
  });
  REQUIRE(s.Start(port) == port);
  auto done = PollUntil(http, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status == 200);
  CHECK(done[0].attempts >= 2);
  CHECK(http.stats().errors.at("transport") == static_cast<uint64_t>(done[0].attempts - 1));
  CHECK(seen.keys == std::vector<std::string>{"sim-7"});  // one run, once the server was there
}

TEST_CASE("HttpTraffic retries a connection closed without a reply", "[simulator][http]") {
  HttpTestServer s;  // started below; declared first so that it stops after the client closed its connections
  Seen seen;
  // A listener that takes the first connection, reads the request and closes
  // it unanswered (a gateway killed mid-request), then goes away.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const int port = ntohs(a.sin_port);
  std::thread dropper([fd] {
    int c = ::accept(fd, nullptr, nullptr);
    if (c >= 0) {
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      ::close(c);
    }
    ::close(fd);
  });
  HttpTraffic http(Options("http://127.0.0.1:" + std::to_string(port), 4));
  http.Submit(Post("/v1/tasks", "sim-9"));
  auto early = PollUntil(http, 1, milliseconds(200));
  dropper.join();
  CHECK(early.empty());
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    seen.Record(req);
    res.set_content("ok", "text/plain");
  });
  REQUIRE(s.Start(port) == port);
  auto done = PollUntil(http, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status == 200);
  CHECK(done[0].attempts >= 2);
  CHECK(http.stats().retries.at("transport") >= 1);
  CHECK(seen.keys == std::vector<std::string>{"sim-9"});
}

TEST_CASE("HttpTraffic hands back other statuses as they are, and gives up when retrying runs out of time",
          "[simulator][http]") {
  HttpTestServer s;
  Seen seen;
  s.server.Post("/v1/tasks", [&](const httplib::Request& req, httplib::Response& res) {
    seen.Record(req);
    const std::string key = req.get_header_value("Idempotency-Key");
    res.status = key == "bad" ? 400 : key == "nokey" ? 401 : 503;
    res.set_content(R"({"error":{"message":")" + key + R"("}})", "application/json");
  });
  REQUIRE(s.Start() > 0);
  auto options = Options(s.url(), 4);
  options.retry_after_default_ms = 40;
  options.retry_for_ms = 300;
  HttpTraffic http(options);
  const uint64_t bad = http.Submit(Post("/v1/tasks", "bad"));
  const uint64_t nokey = http.Submit(Post("/v1/tasks", "nokey"));
  const uint64_t busy = http.Submit(Post("/v1/tasks", "busy"));
  auto done = PollUntil(http, 3);
  REQUIRE(done.size() == 3);
  for (const auto& d : done) {
    if (d.id == bad) {
      CHECK(d.status == 400);
      CHECK(d.attempts == 1);
      CHECK(d.body.find("bad") != std::string::npos);
    } else if (d.id == nokey) {
      CHECK(d.status == 401);
      CHECK(d.attempts == 1);
    } else {
      CHECK(d.id == busy);
      CHECK(d.status == 503);
      CHECK(d.attempts >= 3);
      CHECK(d.total_ms < 1500);
    }
  }
  CHECK(http.stats().given_up == 1);
  CHECK(http.stats().errors.at("400") == 1);
  CHECK(http.stats().errors.at("401") == 1);
}

TEST_CASE("HttpTraffic GETs, and leaves requests without in_stats out of its counts", "[simulator][http]") {
  HttpTestServer s;
  s.server.Get("/readyz", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("not yet", "text/plain");
  });
  REQUIRE(s.Start() > 0);
  HttpTraffic http(Options(s.url(), 1));
  HttpRequest probe;
  probe.method = "GET";
  probe.path = "/readyz";
  probe.retry = false;
  probe.in_stats = false;
  http.Submit(probe);
  auto done = PollUntil(http, 1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].status == 503);  // retry = false: a 503 is final
  CHECK(done[0].attempts == 1);
  CHECK(done[0].body == "not yet");
  CHECK(http.stats().requests == 0);
  CHECK(http.stats().errors.empty());
}

TEST_CASE("HttpTraffic::RetryDelay says which outcomes are tried again, and when", "[simulator][http]") {
  HttpTrafficOptions o;
  o.retry_after_default_ms = 200;
  o.retry_after_max_ms = 5000;
  const milliseconds backoff(123);
  std::string reason;
  CHECK(HttpTraffic::RetryDelay(429, false, "2", backoff, o, &reason) == milliseconds(2000));
  CHECK(reason == "429");
  CHECK(HttpTraffic::RetryDelay(503, false, "", backoff, o, &reason) == milliseconds(200));
  CHECK(reason == "503");
  CHECK(HttpTraffic::RetryDelay(503, false, "3600", backoff, o, &reason) == milliseconds(5000));
  CHECK(HttpTraffic::RetryDelay(504, false, "", backoff, o, &reason) == backoff);
  CHECK(reason == "504");
  CHECK(HttpTraffic::RetryDelay(0, true, "", backoff, o, &reason) == backoff);
  CHECK(reason == "transport");
  CHECK_FALSE(HttpTraffic::RetryDelay(0, false, "", backoff, o, &reason));
  for (long final_status : {200L, 400L, 401L, 404L, 410L, 413L, 500L}) {
    CHECK_FALSE(HttpTraffic::RetryDelay(final_status, false, "1", backoff, o, &reason));
  }
}
