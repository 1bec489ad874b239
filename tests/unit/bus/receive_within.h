// Shared by the broker and CURVE tests: the next valid message a broker
// receives, if one arrives within a deadline.
#pragma once

#include <chrono>
#include <optional>

#include <zmq.hpp>

#include "runtime/base/clock.h"
#include "runtime/bus/broker.h"

namespace kaizen::testing {

inline std::optional<bus::Broker::Incoming> ReceiveWithin(bus::Broker& b, int ms) {
  const int64_t deadline = MonoMs() + ms;
  while (MonoMs() < deadline) {
    zmq::pollitem_t item{b.control().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(20));
    bool read = false;
    auto in = b.Receive(&read);
    if (in) return in;
  }
  return std::nullopt;
}

}  // namespace kaizen::testing
