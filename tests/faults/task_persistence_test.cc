// Exactly-once tasks across a runtime crash. A client in this test process
// (not a supervised agent: it outlives the runtime) submits tasks at 1500/s;
// the worker is paused for a moment so tasks pile up accepted but unanswered,
// then the runtime is killed with SIGKILL mid-stream. `kaizen up` on the same
// state dir; the client reconnects, resubmits every id it has no answer for
// and sends the rest. Every id must be answered exactly once, run at most
// once per stored answer (one task_result per id in the journal), and a
// resubmission of an answered id must get the stored answer.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "runtime/base/clock.h"
#include "runtime/bus/bus_client.h"
#include "runtime/store/store.h"
#include "tests/integration/cluster_harness.h"

using kaizen::testing::TestCluster;
using kaizen::testing::WaitFor;
using json = nlohmann::json;
namespace bus = kaizen::bus;

namespace {

constexpr int kTasks = 6000;
constexpr int kKillAt = 3000;    // tasks submitted when the runtime is killed
constexpr int kPauseAt = 2500;   // the worker is paused (SIGSTOP) from here to the kill
constexpr double kRate = 1500;   // tasks per second

std::string TaskId(int i) { return "persist-" + std::to_string(i); }

const char* kInputs[] = {"what is my account balance", "freeze my card please", "how do I cook rice",
                         "set the thermostat to 20", "how long is my commute today"};

// The client: one BusClient, every answer counted per task id.
class Client {
 public:
  Client(zmq::context_t& ctx, const std::string& endpoint) {
    bus::BusClient::Options o;
    o.identity = "persist-client";
    o.control_endpoint = endpoint;
    auto c = bus::BusClient::Connect(ctx, o);
    REQUIRE(c.ok());
    client_ = std::move(c.value());
  }
  // A fresh socket (the old one may hold frames for the dead runtime), then Hello.
  bool Hello() {
    bus::Envelope hello = bus::MakeEnvelope(client_->identity(), "runtime");
    hello.mutable_hello()->set_role("cli");
    return client_->Call(hello, 5000).ok();
  }
  void Reconnect() { REQUIRE(client_->Reconnect().ok()); }
  void Submit(int i) {
    bus::Envelope e = bus::MakeEnvelope(client_->identity(), "runtime");
    auto* t = e.mutable_task();
    t->set_task_id(TaskId(i));
    t->set_routing_key("user-" + std::to_string(i % 50));
    t->set_input(kInputs[i % 5]);
    (void)client_->Send(e);
    ++sends_;
  }
  void Drain(int wait_ms) {
    for (int wait = wait_ms; auto in = client_->Receive(wait); wait = 0) {
      if (in->has_task_result()) {
        const auto& r = in->task_result();
        if (++answers_[r.task_id()] == 1) outputs_[r.task_id()] = r.output();
        else if (r.output() != outputs_[r.task_id()]) ++changed_;
        last_answer_ = r.task_id();
      } else if (in->has_error()) {
        if (errors_++ < 5) std::printf("client: error from the runtime: %s\n", in->error().message().c_str());
      }
    }
  }
  // Sends tasks [from, to) at kRate, reading answers as they come.
  void SubmitPaced(int from, int to, const std::function<void(int)>& before_each = nullptr) {
    const int64_t t0 = kaizen::MonoMs();
    for (int i = from; i < to; ++i) {
      if (before_each) before_each(i);
      Submit(i);
      const int64_t due = t0 + static_cast<int64_t>((i - from + 1) * 1000 / kRate);
      while (kaizen::MonoMs() < due) Drain(1);
    }
  }
  int answered() const { return static_cast<int>(answers_.size()); }
  int AnswersFor(const std::string& id) const {
    auto it = answers_.find(id);
    return it == answers_.end() ? 0 : it->second;
  }
  int duplicated() const {
    int n = 0;
    for (const auto& [id, count] : answers_) n += count - 1;
    return n;
  }
  const std::map<std::string, std::string>& outputs() const { return outputs_; }
  int changed() const { return changed_; }
  int errors() const { return errors_; }
  int sends() const { return sends_; }

 private:
  std::unique_ptr<bus::BusClient> client_;
  std::map<std::string, int> answers_;
  std::map<std::string, std::string> outputs_;
  std::string last_answer_;
  int changed_ = 0, errors_ = 0, sends_ = 0;
};

std::string ControlEndpoint(const TestCluster& c) {
  std::ifstream in(c.state_dir() + "/runtime.json");
  return json::parse(in, nullptr, false).value("control", "");
}

pid_t WorkerPid(TestCluster& c) {
  json a = c.Agent("worker");
  return a.is_object() && a["pid"].is_number() ? static_cast<pid_t>(a["pid"].get<int64_t>()) : 0;
}

json RouterStatus(TestCluster& c) {
  json s = c.Status();
  return s.is_object() ? s["router"] : json();
}

}  // namespace

TEST_CASE("tasks survive kill -9 of the runtime: every id answered exactly once, none run twice", "[faults]") {
  TestCluster c("fault-tasks");
  REQUIRE(c.Up().exit_code == 0);
  REQUIRE(c.WaitAllInState("idle", 60000));
  zmq::context_t ctx;
  Client client(ctx, ControlEndpoint(c));
  REQUIRE(client.Hello());

  // Phase 1: tasks at 1500/s; the worker paused from kPauseAt, the runtime killed at kKillAt.
  const pid_t worker = WorkerPid(c);
  const pid_t runtime = c.RuntimePid();
  REQUIRE(worker > 0);
  REQUIRE(runtime > 0);
  client.SubmitPaced(0, kKillAt, [&](int i) {
    if (i == kPauseAt) REQUIRE(::kill(worker, SIGSTOP) == 0);
  });
  client.Drain(20);
  REQUIRE(::kill(runtime, SIGKILL) == 0);
  const int before = client.answered();
  std::printf("fault: paused the worker (pid %d) at task %d, killed the runtime (pid %d) at task %d; "
              "%d answered before the kill, %d without an answer\n",
              static_cast<int>(worker), kPauseAt, static_cast<int>(runtime), kKillAt, before, kKillAt - before);
  REQUIRE(WaitFor([&] { return c.RuntimeGone(runtime); }, 10000));
  client.Drain(200);  // nothing more can come

  // Phase 2: the same state dir again; the client reconnects and resubmits what it has no answer for.
  REQUIRE(c.Up().exit_code == 0);
  client.Reconnect();
  REQUIRE(client.Hello());
  std::vector<int> unanswered;
  for (int i = 0; i < kKillAt; ++i) {
    if (client.AnswersFor(TaskId(i)) == 0) unanswered.push_back(i);
  }
  for (int i : unanswered) client.Submit(i);
  client.SubmitPaced(kKillAt, kTasks);
  bool all = WaitFor(
      [&] {
        client.Drain(20);
        return client.answered() == kTasks;
      },
      60000);
  client.Drain(300);  // a second answer, if one were coming, would arrive now
  json router = RouterStatus(c);

  // Answered ids stay answered: resubmitting some from before and after the kill gets the stored answers.
  std::map<std::string, std::string> first = client.outputs();
  std::vector<int> again;
  for (int i = 0; i < kTasks; i += 60) again.push_back(i);
  for (int i : again) client.Submit(i);
  WaitFor(
      [&] {
        client.Drain(20);
        for (int i : again) {
          if (client.AnswersFor(TaskId(i)) < 2) return false;
        }
        return true;
      },
      10000);
  int stored_ok = 0;
  for (int i : again) stored_ok += client.AnswersFor(TaskId(i)) == 2;
  json router_after = RouterStatus(c);
  CHECK(c.Down().exit_code == 0);

  // The journal: one task_result per id, i.e. no task was answered (run to an answer) twice.
  auto store = kaizen::store::Store::Open(c.state_dir() + "/state.db", kaizen::store::Store::Mode::kReadOnly);
  REQUIRE(store.ok());
  kaizen::store::EventFilter f;
  f.kind = "task_result";
  f.limit = 0;
  auto events = (*store)->ReadEvents(f);
  REQUIRE(events.ok());
  std::map<std::string, int> journaled;
  for (const auto& e : *events) {
    bus::Envelope env;
    REQUIRE(env.ParseFromString(e.payload));
    ++journaled[env.task_result().task_id()];
  }
  int journaled_ours = 0, journaled_twice = 0, pending_left = 0;
  for (int i = 0; i < kTasks; ++i) {
    int n = journaled.count(TaskId(i)) ? journaled[TaskId(i)] : 0;
    journaled_ours += n > 0;
    journaled_twice += n > 1;
    auto row = (*store)->GetTask(TaskId(i));
    pending_left += row.ok() && *row && !(*row)->answered;
  }
  CHECK(*(*store)->IntegrityCheck() == "ok");

  int answered_total = client.answered(), duplicated = client.duplicated() - static_cast<int>(again.size());
  std::printf("tasks: submitted %d = answered %d, lost %d, duplicated %d; resubmitted after the restart %zu, "
              "restored by the runtime %lld, accepted anew after the restart %lld; in the journal %d ids, %d twice; "
              "resubmitting %zu answered ids got %d stored answers (%d differed); %d errors, %d sends\n",
              kTasks, answered_total, kTasks - answered_total, duplicated, unanswered.size(),
              router.value("restored", -1LL), router.value("submitted", -1LL), journaled_ours, journaled_twice,
              again.size(), stored_ok, client.changed(), client.errors(), client.sends());
  CHECK(all);
  CHECK(answered_total == kTasks);
  CHECK(duplicated == 0);
  CHECK(journaled_ours == kTasks);
  CHECK(journaled_twice == 0);
  CHECK(pending_left == 0);
  CHECK(router.value("restored", 0LL) > 0);  // the pause left tasks accepted and unanswered
  CHECK(stored_ok == static_cast<int>(again.size()));
  CHECK(client.changed() == 0);
  CHECK(router_after.value("submitted", 0LL) == router.value("submitted", -1LL));  // nothing ran again
  CHECK(client.errors() == 0);
}
