// Journal: journal-then-publish. An event is stored (and gets its sequence
// number) before it is published, so nothing an operator sees live is missing
// from history; a subscriber that sees a gap replays from the store.
#pragma once

#include <string>

#include "runtime/bus/broker.h"
#include "runtime/store/store.h"

namespace kaizen::core {

class Journal {
 public:
  Journal(store::Store& store, bus::Broker& broker)
      : store_(store), broker_(broker), last_seq_(store.LastSeq()) {}
  uint64_t last_seq() const { return last_seq_; }

  // Stores then publishes `event` on topic `kind`; sets event->seq.
  // A store failure is logged and the event is not published (history and
  // live view must agree).
  Status Record(const std::string& kind, const std::string& agent, const std::string& role,
                bus::Envelope* event);

 private:
  store::Store& store_;
  bus::Broker& broker_;
  uint64_t last_seq_;  // cached: only the runtime writes the journal
};

}  // namespace kaizen::core
