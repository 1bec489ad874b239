#include "agents/worker/teacher_calls.h"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "tests/support/openai_test_server/server.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json Settings(const fs::path& data) {
  json teacher = {{"name", "oracle"}, {"cost_per_call", 0.002}, {"max_concurrency", 3},
                  {"train", {{"dataset", "toy"}, {"split", "train"}}}};
  return {{"cluster", {{"spec", {{"teachers", {teacher}}, {"data", {{"toy", {{"path", data.string()}}}}}}}}}};
}

fs::path WriteToy(const fs::path& dir) {
  fs::path p = dir / "toy.jsonl";
  std::ofstream out(p);
  for (int i = 0; i < 20; ++i) {
    out << json{{"text", "fly plane airport " + std::to_string(i)}, {"label", "travel"}, {"split", "train"}}.dump() << "\n";
    out << json{{"text", "money bank account " + std::to_string(i)}, {"label", "banking"}, {"split", "train"}}.dump()
        << "\n";
  }
  return p;
}

bool PollUntilDone(TeacherCalls& calls) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    if (calls.Poll()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("teacher calls: prepared in the background, then each input answered once with its cost", "[worker]") {
  testing::TempDir tmp{"teacher-calls"};
  auto spec = NamedTeacher(Settings(WriteToy(tmp.path())), "oracle");
  REQUIRE(spec.ok());
  TeacherCalls calls(*spec, tmp.path().string());
  CHECK(calls.capacity() == 3);

  // Before it is ready an input is answered at once, as a failure.
  if (!calls.ready()) {
    bool answered = false;
    calls.Submit("money bank account", 1, [&](TeacherAnswer a) {
      answered = true;
      CHECK_FALSE(a.status.ok());
      CHECK(a.label.empty());
    });
    CHECK(answered);
  }
  REQUIRE(PollUntilDone(calls));
  REQUIRE(calls.ready());
  CHECK_FALSE(calls.Poll());  // once
  // The model is cached under the state dir, where datagen's teacher finds it.
  CHECK(fs::exists(tmp.path() / "artifacts" / "teachers" / ("oracle-" + spec->config_hash + ".kzm")));

  // Checked on this thread afterwards: Catch's assertions are not for other threads.
  std::mutex mu;
  std::map<int, TeacherAnswer> answers;
  std::atomic<int> done{0}, twice{0};
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller{0};
  for (int i = 0; i < 60; ++i) {
    calls.Submit(i % 2 ? "money bank account" : "fly plane airport", static_cast<uint64_t>(i), [&, i](TeacherAnswer a) {
      if (std::this_thread::get_id() == caller) ++on_caller;
      std::lock_guard<std::mutex> lock(mu);
      if (!answers.emplace(i, std::move(a)).second) ++twice;
      ++done;
    });
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (done.load() < 60 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(done.load() == 60);
  CHECK(twice.load() == 0);
  CHECK(on_caller.load() == 0);  // on the pool, never on the caller's thread
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [i, a] : answers) {
    CHECK(a.status.ok());
    CHECK(a.cost == 0.002);
    CHECK(a.label == (i % 2 ? "banking" : "travel"));
  }
}

TEST_CASE("teacher calls: a teacher that cannot be prepared says why", "[worker]") {
  testing::TempDir tmp{"teacher-calls-bad"};
  auto spec = NamedTeacher(Settings(tmp.path() / "missing.jsonl"), "");
  REQUIRE(spec.ok());
  TeacherCalls calls(*spec, tmp.path().string());
  REQUIRE(PollUntilDone(calls));
  CHECK_FALSE(calls.ready());
  CHECK_FALSE(calls.failure().ok());
  CHECK(calls.failure().message().find("oracle") != std::string::npos);
  auto unknown = NamedTeacher(Settings(tmp.path() / "missing.jsonl"), "sage");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "no teacher named 'sage' in spec.teachers (oracle)");
}

TEST_CASE("teacher calls: an LLM teacher answers off the caller's thread, within its concurrency, each call priced",
          "[worker]") {
  testing::OpenAiTestServer server({});
  REQUIRE(server.Start().ok());
  httplib::Client control("127.0.0.1", server.port());
  REQUIRE(control.Post("/control/delay", R"({"ms": 150})", "application/json"));
  json teacher = {{"name", "gpt"},
                  {"backend", "openai"},
                  {"cost_per_call", 0.01},
                  {"max_concurrency", 2},
                  {"openai",
                   {{"base_url", server.base_url()},
                    {"model", "kaizen-test"},
                    {"max_retries", 0},
                    {"price_per_1k_prompt_tokens", 1.0}}},
                  {"prompt", {{"system_prompt", "Label the request."}, {"labels", {"transfer", "balance"}}}}};
  json settings = {{"cluster", {{"spec", {{"teachers", json::array({teacher})}, {"data", json::object()}}}}}};
  auto spec = NamedTeacher(settings, "gpt");
  REQUIRE(spec.ok());
  TeacherCalls calls(*spec, "/nonexistent-state-dir");
  REQUIRE(PollUntilDone(calls));
  REQUIRE(calls.ready());
  CHECK(calls.capacity() == 2);

  std::mutex mu;
  std::vector<TeacherAnswer> answers;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) {
    calls.Submit(i % 2 ? "how much money is in my account" : "please send money to alice", static_cast<uint64_t>(i),
                 [&](TeacherAnswer a) {
                   std::lock_guard<std::mutex> lock(mu);
                   answers.push_back(std::move(a));
                 });
  }
  // Submitting never waits for the LLM (each call takes 150 ms).
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (answers.size() == 6 || std::chrono::steady_clock::now() > until) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto stats = json::parse(control.Get("/control/stats")->body);
  CHECK(stats["max_in_flight"].get<int>() <= 2);
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(answers.size() == 6);
  for (const auto& a : answers) {
    CHECK(a.status.ok());
    CHECK((a.label == "transfer" || a.label == "balance"));
    CHECK(a.cost > 0.01);  // the call's price and its prompt tokens
  }

  // A failed call: no label, and why.
  REQUIRE(control.Post("/control/delay", R"({"ms": 0})", "application/json"));
  REQUIRE(control.Post("/control/fail", R"({"kind": "500", "count": 1})", "application/json"));
  std::atomic<bool> got{false};
  TeacherAnswer failed;
  calls.Submit("send bob 5", 99, [&](TeacherAnswer a) {
    failed = std::move(a);
    got = true;
  });
  for (int i = 0; i < 3000 && !got; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(got);
  CHECK_FALSE(failed.status.ok());
  CHECK(failed.label.empty());
}

}  // namespace kaizen::agents
