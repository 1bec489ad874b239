// ZapHandler: the ZeroMQ authentication handler (ZAP, RFC 27) of a CURVE
// broker. libzmq asks it about every CURVE handshake on any socket of the
// context; it admits a client only if its public key is listed, and answers
// the key's role ("agent", "feedback", "admin") as the ZAP user id, which
// libzmq then attaches to every message from that connection ("User-Id").
// An unlisted key is refused: the client's handshake fails and it receives
// nothing. Refusals are counted and logged (the first 20, then one in 1000).
//
// It runs on its own thread, for two reasons: handshakes are answered even
// while the runtime's loop is busy (a burst of 2000 frames, a SQLite write),
// and the runtime loop needs no knowledge of it. The thread shares only the
// immutable key list and atomic counters; the destructor stops and joins it,
// and must run before the zmq context is closed.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "runtime/base/result.h"

namespace kaizen::bus {

class ZapHandler {
 public:
  // Z85 public key -> role.
  using KeyRoles = std::map<std::string, std::string>;
  // Called on the handler's thread for each refused key.
  using OnReject = std::function<void()>;

  // Binds inproc://zeromq.zap.01 on `context` (one handler per context) and
  // starts answering. Bind before any CURVE server socket of the context
  // binds, so that no handshake finds the handler missing.
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t& context, KeyRoles keys,
                                                   OnReject on_reject = nullptr);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  uint64_t admitted() const { return admitted_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  ZapHandler(zmq::context_t& context, KeyRoles keys, OnReject on_reject);
  void Serve();
  void Answer();

  const KeyRoles keys_;
  const OnReject on_reject_;
  zmq::socket_t handler_;     // REP on inproc://zeromq.zap.01; used only by thread_
  zmq::socket_t stop_send_;   // PAIR: the destructor says "stop" here ...
  zmq::socket_t stop_recv_;   // ... and the thread hears it here
  std::atomic<uint64_t> admitted_{0}, rejected_{0};
  std::thread thread_;
};

}  // namespace kaizen::bus
