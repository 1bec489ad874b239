#include "runtime/bus/bus_counters.h"

namespace kaizen::bus {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kMalformed: return "malformed";
    case DropReason::kOversized: return "oversized";
    case DropReason::kUnknownSender: return "unknown_sender";
    case DropReason::kForgedSender: return "forged_sender";
    case DropReason::kUnexpected: return "unexpected";
  }
  return "unknown";
}

bool BusCounters::OnDropped(DropReason reason) {
  uint64_t n = ++drops_[static_cast<int>(reason)];
  return n <= 20 || n % 1000 == 0;
}

uint64_t BusCounters::dropped(DropReason reason) const { return drops_[static_cast<int>(reason)]; }

uint64_t BusCounters::dropped_total() const {
  uint64_t total = 0;
  for (uint64_t d : drops_) total += d;
  return total;
}

v1::BusStats BusCounters::ToProto() const {
  v1::BusStats s;
  s.set_received(received_);
  s.set_sent(sent_);
  s.set_published(published_);
  s.set_dropped_frames(dropped_total());
  s.set_dropped_malformed(dropped(DropReason::kMalformed));
  s.set_dropped_oversized(dropped(DropReason::kOversized));
  s.set_dropped_unknown_sender(dropped(DropReason::kUnknownSender));
  s.set_dropped_forged_sender(dropped(DropReason::kForgedSender));
  s.set_dropped_unexpected(dropped(DropReason::kUnexpected));
  s.set_rejected_keys(rejected_keys());
  return s;
}

}  // namespace kaizen::bus
