// What the broker saw and refused. Dropped frames are counted by reason and
// logged at a bounded rate, so a flood cannot fill the disk with log lines.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "status.pb.h"

namespace kaizen::bus {

enum class DropReason { kMalformed, kOversized, kUnknownSender, kForgedSender, kUnexpected };
const char* DropReasonName(DropReason reason);

class BusCounters {
 public:
  void OnReceived() { ++received_; }
  void OnSent() { ++sent_; }
  void OnPublished() { ++published_; }
  // Counts the drop; returns true when this one should be logged (the first
  // 20 of each reason, then one in every 1000).
  bool OnDropped(DropReason reason);
  // A CURVE handshake refused for an unlisted key. Thread-safe: the ZAP
  // handler's thread counts here.
  void OnRejectedKey() { rejected_keys_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t rejected_keys() const { return rejected_keys_.load(std::memory_order_relaxed); }

  uint64_t dropped_total() const;
  uint64_t dropped(DropReason reason) const;
  v1::BusStats ToProto() const;

 private:
  uint64_t received_ = 0, sent_ = 0, published_ = 0;
  uint64_t drops_[5] = {0, 0, 0, 0, 0};
  std::atomic<uint64_t> rejected_keys_{0};
};

}  // namespace kaizen::bus
