// Journal: group commit, and publish (and act) only after the commit.
#include "runtime/core/journal.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include <zmq.hpp>

using namespace kaizen;

namespace {

struct Fixture {
  std::filesystem::path dir;
  zmq::context_t ctx{1};
  std::unique_ptr<bus::Broker> broker;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::Store> reader;  // another connection: sees only what is committed
  std::unique_ptr<zmq::socket_t> sub;

  Fixture() {
    static int n = 0;
    dir = std::filesystem::temp_directory_path() / ("kz-journal-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(dir);
    bus::Broker::Options o;
    o.control_endpoint = "ipc://" + (dir / "c.sock").string();
    o.events_endpoint = "ipc://" + (dir / "e.sock").string();
    auto b = bus::Broker::Bind(ctx, o);
    REQUIRE(b.ok());
    broker = std::move(b.value());
    auto s = store::Store::Open((dir / "state.db").string());
    REQUIRE(s.ok());
    store = std::move(s.value());
    auto r = store::Store::Open((dir / "state.db").string(), store::Store::Mode::kReadOnly);
    REQUIRE(r.ok());
    reader = std::move(r.value());
    sub = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::sub);
    sub->set(zmq::sockopt::linger, 0);
    sub->set(zmq::sockopt::subscribe, "");
    sub->connect(o.events_endpoint);
    // A subscription takes a moment to reach the publisher: publish probes until one arrives.
    bus::Envelope probe = bus::MakeEnvelope("runtime", "");
    probe.mutable_heartbeat();
    for (int i = 0; i < 200 && Published(10).empty(); ++i) broker->Publish("probe", probe);
    while (!Published(20).empty()) {
    }
  }
  ~Fixture() {
    sub.reset();
    broker.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  // Seqs of the events published so far (waits up to timeout_ms for the first).
  std::vector<uint64_t> Published(int timeout_ms = 200) {
    std::vector<uint64_t> seqs;
    zmq::pollitem_t item{sub->handle(), 0, ZMQ_POLLIN, 0};
    while (zmq::poll(&item, 1, std::chrono::milliseconds(seqs.empty() ? timeout_ms : 20)) > 0) {
      zmq::message_t topic, body;
      (void)sub->recv(topic);
      (void)sub->recv(body);
      auto d = bus::Decode(body.data(), body.size(), 1 << 20);
      if (topic.to_string() != "probe") seqs.push_back(d.envelope.seq());
    }
    return seqs;
  }
  size_t Committed() { return reader->ReadEvents({})->size(); }
};

bus::Envelope Event() {
  bus::Envelope e = bus::MakeEnvelope("runtime", "");
  e.mutable_cluster_event()->set_what("test");
  return e;
}

}  // namespace

TEST_CASE("journal: appended events are committed together, then published in seq order", "[core][journal]") {
  Fixture f;
  core::Journal j(*f.store, *f.broker);
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    bus::Envelope e = Event();
    REQUIRE(j.Append("test", "", "", &e).ok());
    CHECK(e.seq() == static_cast<uint64_t>(i + 1));
  }
  j.AfterCommit([&] { order.push_back("answer sent after commit of " + std::to_string(f.Committed()) + " events"); });
  CHECK(j.batch_open());
  CHECK(j.last_seq() == 0);  // nothing committed or published yet
  CHECK(f.Committed() == 0);
  CHECK(f.Published(100).empty());
  CHECK(order.empty());

  REQUIRE(j.Flush().ok());
  CHECK_FALSE(j.batch_open());
  CHECK(j.last_seq() == 3);
  CHECK(f.Committed() == 3);
  CHECK(f.Published() == std::vector<uint64_t>{1, 2, 3});
  CHECK(order == std::vector<std::string>{"answer sent after commit of 3 events"});

  // With no batch open an action runs at once.
  j.AfterCommit([&] { order.push_back("now"); });
  CHECK(order.size() == 2);
}

TEST_CASE("journal: Record commits the open batch with its event at once", "[core][journal]") {
  Fixture f;
  core::Journal j(*f.store, *f.broker);
  bus::Envelope a = Event(), b = Event();
  REQUIRE(j.Append("test", "", "", &a).ok());
  REQUIRE(j.Record("test", "", "", &b).ok());
  CHECK(f.Committed() == 2);
  CHECK(f.Published() == std::vector<uint64_t>{1, 2});
  CHECK_FALSE(j.batch_open());
}

TEST_CASE("journal: a batch flushes itself at max_batch events", "[core][journal]") {
  Fixture f;
  core::Journal j(*f.store, *f.broker, core::Journal::Options{4});
  for (int i = 0; i < 5; ++i) {
    bus::Envelope e = Event();
    REQUIRE(j.Append("test", "", "", &e).ok());
  }
  CHECK(f.Committed() == 4);
  CHECK(j.pending_events() == 1);
  REQUIRE(j.Flush().ok());
  CHECK(f.Committed() == 5);
  CHECK(f.Published() == std::vector<uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("journal: store writes made during a batch commit with it: seqs continue after a reopen", "[core][journal]") {
  Fixture f;
  {
    core::Journal j(*f.store, *f.broker);
    REQUIRE(j.Batch().ok());
    store::TaskRow t;
    t.id = "t1";
    t.index = 1;
    t.task = "bytes";
    REQUIRE(f.store->AddTask(t).ok());
    bus::Envelope e = Event();
    REQUIRE(j.Append("test", "", "", &e).ok());
    CHECK_FALSE(*f.reader->GetTask("t1"));
    REQUIRE(j.Flush().ok());
    CHECK(*f.reader->GetTask("t1"));
  }
  core::Journal again(*f.store, *f.broker);
  CHECK(again.last_seq() == 1);
  bus::Envelope e = Event();
  REQUIRE(again.Record("test", "", "", &e).ok());
  CHECK(e.seq() == 2);
}

TEST_CASE("journal: a decision commits alone, in one transaction, and Record or Flush inside it waits",
          "[core][journal]") {
  Fixture f;
  core::Journal j(*f.store, *f.broker, core::Journal::Options{2});
  bus::Envelope before = Event();
  REQUIRE(j.Append("test", "", "", &before).ok());
  REQUIRE(j.BeginDecision().ok());
  CHECK(f.Committed() == 1);  // what was batched before went first, on its own
  CHECK(j.in_decision());
  store::CycleRow row;
  row.id = "c1";
  row.stage = "promoted";
  row.state_json = "{}";
  REQUIRE(f.store->PutCycle(row).ok());
  for (int i = 0; i < 3; ++i) {  // past max_batch: still not committed
    bus::Envelope e = Event();
    REQUIRE(j.Record("test", "", "", &e).ok());
  }
  REQUIRE(j.Flush().ok());
  REQUIRE(j.BeginDecision().ok());  // a nested decision joins
  REQUIRE(j.EndDecision(true).ok());
  CHECK(j.in_decision());
  CHECK(f.Committed() == 1);
  CHECK_FALSE(f.reader->GetCycle("c1")->has_value());
  REQUIRE(j.EndDecision(true).ok());
  CHECK_FALSE(j.in_decision());
  CHECK(f.Committed() == 4);
  CHECK(f.reader->GetCycle("c1")->has_value());
  CHECK(f.Published() == std::vector<uint64_t>{1, 2, 3, 4});
}

TEST_CASE("journal: a decision ended without commit keeps and publishes none of it, and its seqs are handed out again",
          "[core][journal]") {
  Fixture f;
  core::Journal j(*f.store, *f.broker);
  bool told = false;
  REQUIRE(j.BeginDecision().ok());
  store::ModelRow m;
  m.version = "v2";
  m.status = store::ModelStatus::kServing;
  m.metrics_json = "{}";
  REQUIRE(f.store->PutModel(m).ok());
  bus::Envelope e = Event();
  REQUIRE(j.Record("test", "", "", &e).ok());
  j.AfterCommit([&] { told = true; });
  REQUIRE(j.EndDecision(false).ok());
  CHECK(told);  // a client waiting on it is answered, not left hanging
  CHECK(f.Committed() == 0);
  CHECK_FALSE(f.reader->GetModel("v2")->has_value());
  CHECK(f.Published(100).empty());
  bus::Envelope next = Event();
  REQUIRE(j.Record("test", "", "", &next).ok());
  CHECK(next.seq() == 1);
  CHECK(f.Published() == std::vector<uint64_t>{1});
  CHECK(j.EndDecision(true).code() == Status::Code::kFailedPrecondition);  // none is open
}
