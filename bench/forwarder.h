// Forwarder: a minimal runtime loop around the real Broker, on its own
// thread. It polls the control socket, drains up to 2000 checked envelopes
// per turn (as the runtime does) and sends each to its `recipient`.
//
// Journaling:
//   kOff         forward only.
//   kPerMessage  core::Journal::Record for every message before it is
//                forwarded: one SQLite commit per event (WAL,
//                synchronous=NORMAL: no fsync per commit, the WAL is fsynced
//                at checkpoints), then published; how the runtime journaled
//                before group commit.
//   kBatched     core::Journal::Append + Flush, as the runtime does now:
//                the messages of one poll turn are appended in one
//                transaction, committed, published, then forwarded.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

namespace kaizen::bench {

enum class Journaling { kOff, kPerMessage, kBatched };
const char* JournalingName(Journaling j);

class Forwarder {
 public:
  struct Options {
    std::string control_endpoint, events_endpoint;
    Journaling journaling = Journaling::kOff;
    std::string db_path;  // the store, when journaling
  };
  // Binds on a new thread; returns once bound (throws if binding failed).
  Forwarder(zmq::context_t& context, Options options);
  ~Forwarder();  // stops and joins
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  uint64_t forwarded() const { return forwarded_.load(); }
  uint64_t journaled() const { return journaled_.load(); }
  uint64_t turns() const { return turns_.load(); }  // poll turns that read something

 private:
  void Loop(std::string* error, std::atomic<int>* ready);
  zmq::context_t& context_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> forwarded_{0}, journaled_{0}, turns_{0};
  std::thread thread_;
};

}  // namespace kaizen::bench
