// The ends of the bus benchmark's round trips.
//
//  kaizen:  KaizenPinger (BusClient "a") -> Forwarder (Broker) -> KaizenEcho
//           (BusClient "b") -> Forwarder -> "a"; Protobuf envelopes with the
//           payload in a Task's input.
//  raw:     RawPinger (DEALER "a") -> RawRelay (ROUTER) -> RawEcho (DEALER "b")
//           -> RawRelay -> "a": the same hops with opaque frames of the same
//           size as the encoded envelope, no decoding, no checks.
//  direct:  RawPinger -> RawRouterEcho (ROUTER) -> back: one hop each way.
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "bench/background.h"
#include "bench/pinger.h"

namespace kaizen::bench {

// The encoded size of the envelope KaizenPinger sends for `payload_bytes`.
size_t KaizenFrameBytes(size_t payload_bytes);

std::unique_ptr<Pinger> MakeKaizenPinger(zmq::context_t& ctx, const std::string& endpoint, size_t payload_bytes);
std::unique_ptr<Pinger> MakeRawPinger(zmq::context_t& ctx, const std::string& endpoint, size_t frame_bytes);

std::unique_ptr<Background> StartKaizenEcho(zmq::context_t& ctx, const std::string& endpoint);
std::unique_ptr<Background> StartRawEcho(zmq::context_t& ctx, const std::string& endpoint);
std::unique_ptr<Background> StartRawRelay(zmq::context_t& ctx, const std::string& endpoint);
std::unique_ptr<Background> StartRawRouterEcho(zmq::context_t& ctx, const std::string& endpoint);

}  // namespace kaizen::bench
