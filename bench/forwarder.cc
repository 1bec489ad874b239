#include "bench/forwarder.h"

#include <pthread.h>

#include <stdexcept>
#include <vector>

#include "runtime/bus/broker.h"
#include "runtime/base/status.h"
#include "runtime/core/journal.h"
#include "runtime/store/store.h"

namespace kaizen::bench {
namespace {
constexpr int kDrainPerTurn = 2000;  // as the runtime's loop
}

const char* JournalingName(Journaling j) {
  switch (j) {
    case Journaling::kOff: return "journal_off";
    case Journaling::kPerMessage: return "journal_per_message";
    case Journaling::kBatched: return "journal_batched";
  }
  return "?";
}

Forwarder::Forwarder(zmq::context_t& context, Options options) : context_(context), options_(std::move(options)) {
  std::string error;
  std::atomic<int> ready{0};  // 1 bound, -1 failed
  thread_ = std::thread([this, &error, &ready] { Loop(&error, &ready); });
  ::pthread_setname_np(thread_.native_handle(), "forwarder");
  while (ready.load() == 0) std::this_thread::yield();
  if (ready.load() < 0) {
    thread_.join();
    throw std::runtime_error("forwarder: " + error);
  }
}

Forwarder::~Forwarder() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Forwarder::Loop(std::string* error, std::atomic<int>* ready) {
  bus::Broker::Options bo;
  bo.control_endpoint = options_.control_endpoint;
  bo.events_endpoint = options_.events_endpoint;
  auto broker = bus::Broker::Bind(context_, bo);
  if (!broker.ok()) {
    *error = broker.status().ToString();
    ready->store(-1);
    return;
  }
  std::unique_ptr<store::Store> store;
  if (options_.journaling != Journaling::kOff) {
    auto opened = store::Store::Open(options_.db_path);
    if (!opened.ok()) {
      *error = opened.status().ToString();
      ready->store(-1);
      return;
    }
    store = std::move(opened.value());
  }
  bus::Broker& b = **broker;
  // The runtime's own journal: Record commits each event by itself (as the
  // runtime journaled before group commit); Append + Flush is group commit.
  std::unique_ptr<core::Journal> journal;
  if (store) journal = std::make_unique<core::Journal>(*store, b);
  const bool batched = options_.journaling == Journaling::kBatched;
  ready->store(1);  // error and ready are not touched after this

  std::vector<bus::Broker::Incoming> turn;
  while (!stop_.load(std::memory_order_relaxed)) {
    zmq::pollitem_t items[2] = {{b.control().handle(), 0, ZMQ_POLLIN, 0}, {b.events().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(50));
    if (items[1].revents & ZMQ_POLLIN) b.DrainSubscriptions();
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    turns_.fetch_add(1, std::memory_order_relaxed);
    turn.clear();
    for (int i = 0; i < kDrainPerTurn; ++i) {
      bool read = false;
      auto in = b.Receive(&read);
      if (!read) break;
      if (!in) continue;
      if (journal) {
        Status s = batched ? journal->Append("bench_message", in->identity, "bench", &in->envelope)
                           : journal->Record("bench_message", in->identity, "bench", &in->envelope);
        if (!s.ok()) continue;
        journaled_.fetch_add(1, std::memory_order_relaxed);
      }
      if (batched) {
        turn.push_back(std::move(*in));  // forwarded after the commit, as the runtime answers clients
        continue;
      }
      if (b.Forward(in->envelope.recipient(), *in)) forwarded_.fetch_add(1, std::memory_order_relaxed);
    }
    if (batched) {
      (void)journal->Flush();  // the end of the runtime's poll turn: commit, then publish
      for (const auto& in : turn) {
        if (b.Forward(in.envelope.recipient(), in)) forwarded_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace kaizen::bench
