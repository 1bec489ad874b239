// The HTTP gateway over real HTTP on 127.0.0.1, in front of a real cluster:
// every endpoint and error, idempotent retries, API keys and the rate limit,
// and a gateway killed with kill -9 while clients keep retrying.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/temp_dir.h"

using json = nlohmann::json;
using kaizen::testing::FreePort;
using kaizen::testing::Kaizen;
using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;

namespace {

std::string GatewaySpec(int port, const std::string& extra = "") {
  return "  gateway:\n"
         "    listen: 127.0.0.1:" + std::to_string(port) + "\n"
         "    model: intents\n" + extra;
}

bool Ready(httplib::Client& c) {
  auto r = c.Get("/readyz");
  return r && r->status == 200;
}

// The JSON body of `r`, which must hold `key`: any other response fails the
// test saying what came back (its status and body), not a json type error.
json Body(const httplib::Result& r, const std::string& key) {
  REQUIRE(r);
  json body = json::parse(r->body, nullptr, false);
  INFO("HTTP " << r->status << " " << r->body);
  REQUIRE((body.is_object() && body.contains(key)));
  return body;
}

// The runtime's metric `name{labels...}` summed over the series matching all `must` substrings.
double MetricSum(int port, const std::string& name, const std::vector<std::string>& must) {
  httplib::Client m("127.0.0.1", port);
  auto r = m.Get("/metrics");
  if (!r || r->status != 200) return -1;
  double sum = 0;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const auto& s : must) all = all && line.find(s) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace

TEST_CASE("gateway: tasks, chat completions, streaming, models, feedback and every error over HTTP", "[gateway]") {
  const int port = FreePort(), metrics_port = FreePort();
  TestCluster cluster("gateway-http", GatewaySpec(port, "    max_body_bytes: 4096\n") +
                                          "  monitoring: {}\n");
  {
    // spec.runtime.metrics on a free port, for the gateway's metrics.
    std::string m = kaizen::testing::ReadFile(cluster.manifest_path());
    const std::string at = "    shutdown_grace_ms: 3000\n";
    REQUIRE(m.find(at) != std::string::npos);
    m.replace(m.find(at), at.size(), at + "    metrics: {port: " + std::to_string(metrics_port) + "}\n");
    std::ofstream(cluster.manifest_path()) << m;
  }
  REQUIRE(cluster.Up().exit_code == 0);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  REQUIRE(WaitFor([&] { return Ready(c); }, 60000));

  SECTION("health and models") {
    auto h = c.Get("/healthz");
    REQUIRE(h);
    CHECK(h->status == 200);
    json models = Body(c.Get("/v1/models"), "data");
    REQUIRE(models["data"].size() == 1);
    CHECK(models["object"] == "list");
    CHECK(models["data"][0]["id"] == "intents");
    CHECK(models["data"][0]["kaizen"]["serving_version"] == "v1");
    CHECK(Body(c.Get("/v1/models/intents"), "id")["id"] == "intents");
    auto unknown = c.Get("/v1/models/other");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
  }

  SECTION("tasks and chat completions, plain and streaming, with version and arm") {
    auto t = c.Post("/v1/tasks", {{"X-Kaizen-User", "u1"}},
                    R"({"input": "what is the balance of my checking account", "tags": {"domain": "banking"}})",
                    "application/json");
    REQUIRE(t);
    REQUIRE(t->status == 200);
    json task = json::parse(t->body);
    CHECK(task["output"].is_string());
    CHECK_FALSE(task["output"].get<std::string>().empty());
    CHECK(task["model_version"] == "v1");
    CHECK(task["arm"] == "serving");
    CHECK(t->get_header_value("X-Kaizen-Model-Version") == "v1");
    CHECK(t->get_header_value("X-Kaizen-Arm") == "serving");
    CHECK(t->get_header_value("X-Kaizen-Task-Id") == task["id"]);

    const std::string chat_body =
        R"({"model": "intents", "user": "u1", "messages": [{"role": "system", "content": "classify"},
            {"role": "user", "content": "what is the balance of my checking account"}]})";
    auto p = c.Post("/v1/chat/completions", chat_body, "application/json");
    REQUIRE(p);
    REQUIRE(p->status == 200);
    json chat = json::parse(p->body);
    CHECK(chat["object"] == "chat.completion");
    CHECK(chat["choices"][0]["message"]["role"] == "assistant");
    CHECK(chat["choices"][0]["message"]["content"] == task["output"]);
    CHECK(chat["choices"][0]["finish_reason"] == "stop");
    CHECK(chat["usage"]["total_tokens"] == 0);

    json stream_req = json::parse(chat_body);
    stream_req["stream"] = true;
    auto s = c.Post("/v1/chat/completions", stream_req.dump(), "application/json");
    REQUIRE(s);
    REQUIRE(s->status == 200);
    CHECK(s->get_header_value("Content-Type").rfind("text/event-stream", 0) == 0);
    std::string content;
    std::istringstream in(s->body);
    std::vector<std::string> events;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data: ", 0) != 0) continue;
      events.push_back(line.substr(6));
      if (line == "data: [DONE]") continue;
      json chunk = json::parse(line.substr(6));
      CHECK(chunk["object"] == "chat.completion.chunk");
      if (chunk["choices"][0]["delta"].contains("content")) content += chunk["choices"][0]["delta"]["content"];
    }
    REQUIRE_FALSE(events.empty());
    CHECK(events.back() == "[DONE]");
    CHECK(content == task["output"]);
  }

  SECTION("feedback: thumbs, score and correction, joined once; retries are not counted twice") {
    json task = Body(c.Post("/v1/tasks", R"({"input": "transfer 100 dollars to my savings", "user": "u2"})",
                            "application/json"),
                     "id");
    const std::string id = task["id"];
    const double before = MetricSum(metrics_port, "kaizen_feedback_total", {});
    auto up = c.Post("/v1/feedback", json{{"id", id}, {"thumbs", "up"}, {"user", "u2"}}.dump(), "application/json");
    REQUIRE(up);
    CHECK(up->status == 200);
    CHECK(json::parse(up->body)["duplicate"] == false);
    auto again = c.Post("/v1/feedback", json{{"id", id}, {"thumbs", "up"}, {"user", "u2"}}.dump(), "application/json");
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK(json::parse(again->body)["duplicate"] == true);
    auto keyed = c.Post("/v1/feedback", {{"Idempotency-Key", "fb-score-1"}}, json{{"id", id}, {"score", 0.2}}.dump(),
                        "application/json");
    auto keyed_again = c.Post("/v1/feedback", {{"Idempotency-Key", "fb-score-1"}},
                              json{{"id", id}, {"score", 0.2}}.dump(), "application/json");
    REQUIRE(keyed);
    REQUIRE(keyed_again);
    CHECK(keyed->status == 200);
    CHECK(json::parse(keyed_again->body)["duplicate"] == true);
    auto corr = c.Post("/v1/feedback", json{{"id", id}, {"correction", "transfer"}, {"comment", "it was a transfer"}}.dump(),
                       "application/json");
    REQUIRE(corr);
    CHECK(corr->status == 200);
    // Three taken (up, score, correction), each journaled once.
    CHECK(WaitFor([&] { return MetricSum(metrics_port, "kaizen_feedback_total", {}) - before == 3; }, 5000));
    CHECK(MetricSum(metrics_port, "kaizen_feedback_total", {}) - before == 3);
    auto unknown = c.Post("/v1/feedback", R"({"id": "no-such-task", "thumbs": "down"})", "application/json");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(json::parse(unknown->body)["error"]["param"] == "id");
    auto both = c.Post("/v1/feedback", json{{"id", id}, {"thumbs", "up"}, {"score", 1}}.dump(), "application/json");
    REQUIRE(both);
    CHECK(both->status == 400);
    auto bad_score = c.Post("/v1/feedback", json{{"id", id}, {"score", 3}}.dump(), "application/json");
    REQUIRE(bad_score);
    CHECK(bad_score->status == 400);
    CHECK(json::parse(bad_score->body)["error"]["param"] == "score");
  }

  SECTION("bad requests are refused with a reason, counted, and the gateway keeps serving") {
    auto not_json = c.Post("/v1/tasks", "{not json", "application/json");
    REQUIRE(not_json);
    CHECK(not_json->status == 400);
    CHECK(json::parse(not_json->body)["error"]["type"] == "invalid_request_error");
    auto missing = c.Post("/v1/tasks", R"({"inpt": "x"})", "application/json");
    REQUIRE(missing);
    CHECK(missing->status == 400);
    CHECK(json::parse(missing->body)["error"]["param"] == "input");
    auto no_messages = c.Post("/v1/chat/completions", R"({"model": "intents"})", "application/json");
    REQUIRE(no_messages);
    CHECK(no_messages->status == 400);
    CHECK(json::parse(no_messages->body)["error"]["param"] == "messages");
    auto model = c.Post("/v1/chat/completions", R"({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})",
                        "application/json");
    REQUIRE(model);
    CHECK(model->status == 404);
    CHECK(json::parse(model->body)["error"]["code"] == "model_not_found");
    auto big = c.Post("/v1/tasks", json{{"input", std::string(8000, 'a')}}.dump(), "application/json");
    REQUIRE(big);
    CHECK(big->status == 413);
    CHECK(json::parse(big->body)["error"]["code"] == "request_too_large");
    auto route = c.Get("/v2/nothing");
    REQUIRE(route);
    CHECK(route->status == 404);
    auto bad_key = c.Post("/v1/tasks", {{"Idempotency-Key", "has space"}}, R"({"input": "x"})", "application/json");
    REQUIRE(bad_key);
    CHECK(bad_key->status == 400);
    // Still serving.
    auto ok = c.Post("/v1/tasks", R"({"input": "what is my balance"})", "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    // Counted on the runtime's metrics endpoint (reports come every second).
    CHECK(WaitFor([&] { return MetricSum(metrics_port, "kaizen_gateway_requests_total", {"status=\"413\""}) >= 1; },
                  5000));
    CHECK(MetricSum(metrics_port, "kaizen_gateway_requests_total", {"status=\"400\""}) >= 4);
    CHECK(MetricSum(metrics_port, "kaizen_gateway_request_seconds_count", {"/v1/tasks"}) >= 1);
    // And in the journal, with the task id, for kaizen logs --requests.
    CHECK(WaitFor(
        [&] {
          auto logs = Kaizen("logs --requests --state-dir " + cluster.state_dir());
          return logs.out.find("POST /v1/tasks 413") != std::string::npos &&
                 logs.out.find("POST /v1/tasks 200") != std::string::npos;
        },
        5000));
  }

  SECTION("an idempotent retry gets the stored answer and runs nothing twice") {
    const std::string body = R"({"input": "how much money do i have in my account", "user": "u3"})";
    auto first = c.Post("/v1/tasks", {{"Idempotency-Key", "retry-key-1"}}, body, "application/json");
    auto second = c.Post("/v1/tasks", {{"Idempotency-Key", "retry-key-1"}}, body, "application/json");
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(first->status == 200);
    REQUIRE(second->status == 200);
    CHECK(json::parse(first->body)["id"] == "retry-key-1");
    CHECK(first->body == second->body);
    auto router = cluster.Status()["router"];
    CHECK(router["resubmitted"].get<int>() >= 1);
    CHECK(router["duplicate_answers_dropped"] == 0);
  }
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("gateway: API keys are required when listed, and each key has its rate limit", "[gateway]") {
  const int port = FreePort();
  kaizen::testing::TempDir dir("gateway-keys");
  const std::string file = dir.file("keys.txt");
  auto app = Kaizen("keys gateway app --file " + file);
  REQUIRE(app.exit_code == 0);
  const std::string key = app.out.substr(0, app.out.find('\n'));
  REQUIRE(Kaizen("keys gateway other --file " + file).exit_code == 0);
  TestCluster cluster("gateway-keys", GatewaySpec(port, "    api_keys_file: " + file + "\n    rate_limit_per_s: 2\n"));
  REQUIRE(cluster.Up().exit_code == 0);
  httplib::Client c("127.0.0.1", port);
  REQUIRE(WaitFor([&] { return Ready(c); }, 60000));

  auto none = c.Post("/v1/tasks", R"({"input": "what is my balance"})", "application/json");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(json::parse(none->body)["error"]["type"] == "authentication_error");
  auto wrong = c.Post("/v1/tasks", {{"Authorization", "Bearer kz-not-a-key"}}, R"({"input": "what is my balance"})",
                      "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  CHECK(json::parse(wrong->body)["error"]["code"] == "invalid_api_key");

  // 2/s with bursts of 4: a quick run of requests meets a 429 with Retry-After.
  const httplib::Headers auth = {{"Authorization", "Bearer " + key}};
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 12; ++i) {
    auto r = c.Post("/v1/tasks", auth, R"({"input": "what is my balance"})", "application/json");
    REQUIRE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) {
      ++limited;
      retry_after = r->get_header_value("Retry-After");
      CHECK(json::parse(r->body)["error"]["type"] == "rate_limit_error");
    }
  }
  CHECK(ok >= 4);
  CHECK(limited >= 1);
  CHECK(std::stoi(retry_after) >= 1);
  // Each request in the journal names its key (reports come every second).
  CHECK(WaitFor(
      [&] { return Kaizen("logs --requests --state-dir " + cluster.state_dir()).out.find("key app") != std::string::npos; },
      5000));
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("gateway: killed with kill -9 it is restarted, and clients retrying with idempotency keys lose nothing",
          "[gateway][faults]") {
  const int port = FreePort();
  TestCluster cluster("gateway-kill", GatewaySpec(port));
  REQUIRE(cluster.Up().exit_code == 0);
  httplib::Client probe("127.0.0.1", port);
  REQUIRE(WaitFor([&] { return Ready(probe); }, 60000));

  constexpr int kClients = 4, kPerClient = 150;
  std::atomic<int> done{0}, retries{0};
  std::atomic<bool> killed{false};
  std::map<std::string, std::string> answers[kClients];
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&, k] {
      httplib::Client c("127.0.0.1", port);
      c.set_connection_timeout(1, 0);
      c.set_read_timeout(10, 0);
      for (int i = 0; i < kPerClient; ++i) {
        // Half of each client's requests wait for the kill, so that it lands
        // mid-traffic however fast the first half went.
        if (i == kPerClient / 2) WaitFor([&] { return killed.load(); }, 60000);
        const std::string id = "kill-" + std::to_string(k) + "-" + std::to_string(i);
        // Retry until answered, always with the same key, at most 60 s.
        for (int attempt = 0; attempt < 600; ++attempt) {
          auto r = c.Post("/v1/tasks", {{"Idempotency-Key", id}}, R"({"input": "what is my balance", "user": "u"})",
                          "application/json");
          if (r && r->status == 200) {
            answers[k][id] = json::parse(r->body)["id"];
            break;
          }
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ++done;
      }
    });
  }
  REQUIRE(WaitFor([&] { return done >= kClients * kPerClient / 4; }, 60000));
  const auto gw = cluster.Agent("gateway");
  const pid_t pid = static_cast<pid_t>(gw["pid"].get<int64_t>());
  const bool sent = ::kill(pid, SIGKILL) == 0;
  killed = true;  // release the clients even when the kill failed, so the threads end
  REQUIRE(sent);
  INFO("killed gateway pid " << pid);
  for (auto& t : clients) t.join();
  size_t answered = 0;
  for (const auto& a : answers) {
    for (const auto& [id, got] : a) {
      CHECK(id == got);
      ++answered;
    }
  }
  CHECK(answered == kClients * kPerClient);
  CHECK(retries > 0);  // the kill was felt
  auto g = cluster.Agent("gateway");
  CHECK(g["restarts"] == 1);
  auto router = cluster.Status()["router"];
  // Each task ran once: the retries were recognised, not run again.
  CHECK(router["submitted"] == kClients * kPerClient);
  CHECK(router["duplicate_answers_dropped"] == 0);
  std::printf("gateway kill: %zu answered of %d, %d client retries, router %s\n", answered, kClients * kPerClient,
              retries.load(), router.dump().c_str());
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("gateway: feedback on a task older than the tasks kept is 410, and two replicas share the port", "[gateway]") {
  const int port = FreePort();
  TestCluster cluster("gateway-gone", GatewaySpec(port, "    replicas: 2\n"));
  {
    // Keep only 16 answered tasks, so a test can outlive one.
    std::string m = kaizen::testing::ReadFile(cluster.manifest_path());
    const std::string at = "    shutdown_grace_ms: 3000\n";
    REQUIRE(m.find(at) != std::string::npos);
    m.replace(m.find(at), at.size(), at + "    router: {keep_answered_tasks: 16}\n");
    std::ofstream(cluster.manifest_path()) << m;
  }
  REQUIRE(cluster.Up().exit_code == 0);
  httplib::Client c("127.0.0.1", port);
  // Each replica says ready on its own, and a client cannot pick one: the
  // kernel spreads new connections over the port's listeners by a hash, so
  // any number of ready answers in a row may all come from one replica (1 in
  // 128 for 8) while the other still refuses tasks. Wait until each replica,
  // by the id in its /readyz body, has said it is ready (and it stays so
  // here: the worker keeps serving).
  std::set<std::string> ready;
  REQUIRE(WaitFor(
      [&] {
        for (int i = 0; i < 8; ++i) {
          httplib::Client fresh("127.0.0.1", port);
          auto r = fresh.Get("/readyz");
          if (r && r->status == 200) ready.insert(json::parse(r->body).value("gateway", ""));
        }
        return ready == std::set<std::string>{"gateway", "gateway-2"};
      },
      60000));
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    json t = Body(c.Post("/v1/tasks", R"({"input": "what is my balance"})", "application/json"), "id");
    ids.push_back(t["id"]);
  }
  auto old = c.Post("/v1/feedback", json{{"id", ids.front()}, {"thumbs", "up"}}.dump(), "application/json");
  REQUIRE(old);
  CHECK(old->status == 410);
  CHECK(json::parse(old->body)["error"]["code"] == "gone");
  auto recent = c.Post("/v1/feedback", json{{"id", ids.back()}, {"thumbs", "up"}}.dump(), "application/json");
  REQUIRE(recent);
  CHECK(recent->status == 200);
  // An id issued now that the runtime never saw: 404.
  auto never = c.Post("/v1/feedback", json{{"id", kaizen::NewTaskId(kaizen::WallMs())}, {"thumbs", "up"}}.dump(),
                      "application/json");
  REQUIRE(never);
  CHECK(never->status == 404);

  // Both replicas run and serve the one port: new connections reach each.
  CHECK(cluster.Agent("gateway")["state"] == "idle");
  CHECK(cluster.Agent("gateway-2")["state"] == "idle");
  std::set<std::string> seen;
  for (int i = 0; i < 60 && seen.size() < 2; ++i) {
    httplib::Client fresh("127.0.0.1", port);
    auto h = fresh.Get("/healthz");
    if (h && h->status == 200) seen.insert(json::parse(h->body)["gateway"].get<std::string>());
  }
  CHECK(seen == std::set<std::string>{"gateway", "gateway-2"});
  CHECK(cluster.Down().exit_code == 0);
}

TEST_CASE("gateway: a task not answered in time is a 504, and the retry with its key gets the one answer",
          "[gateway][faults]") {
  const int port = FreePort();
  TestCluster cluster("gateway-timeout", GatewaySpec(port, "    request_timeout_ms: 300\n"));
  REQUIRE(cluster.Up().exit_code == 0);
  httplib::Client c("127.0.0.1", port);
  REQUIRE(WaitFor([&] { return Ready(c); }, 60000));
  const auto submitted_before = cluster.Status()["router"]["submitted"].get<int64_t>();
  const pid_t worker = static_cast<pid_t>(cluster.Agent("worker")["pid"].get<int64_t>());
  REQUIRE(::kill(worker, SIGSTOP) == 0);
  auto slow = c.Post("/v1/tasks", {{"Idempotency-Key", "slow-1"}}, R"({"input": "what is my balance"})",
                     "application/json");
  ::kill(worker, SIGCONT);
  REQUIRE(slow);
  CHECK(slow->status == 504);
  CHECK(json::parse(slow->body)["error"]["message"].get<std::string>().find("Idempotency-Key: slow-1") !=
        std::string::npos);
  // The task still runs (on this worker, or another instance if it was declared lost): the retry gets it.
  std::string answer;
  CHECK(WaitFor(
      [&] {
        auto r = c.Post("/v1/tasks", {{"Idempotency-Key", "slow-1"}}, R"({"input": "what is my balance"})",
                        "application/json");
        if (!r || r->status != 200) return false;
        answer = json::parse(r->body)["id"];
        return true;
      },
      30000));
  CHECK(answer == "slow-1");
  auto router = cluster.Status()["router"];
  CHECK(router["submitted"].get<int64_t>() == submitted_before + 1);  // run once
  CHECK(router["duplicate_answers_dropped"] == 0);
  CHECK(cluster.Down().exit_code == 0);
}
