// BatchJournal: journal-then-publish with group commit. Events added between
// Begin() and Flush() are appended inside one SQLite transaction; Flush()
// commits it and only then publishes them, so nothing is seen live that is
// not in history (the runtime's Journal guarantees the same per event).
#pragma once

#include <string>
#include <vector>

#include "runtime/bus/broker.h"
#include "runtime/store/store.h"

namespace kaizen::bench {

class BatchJournal {
 public:
  BatchJournal(store::Store& store, bus::Broker& broker)
      : store_(store), broker_(broker), last_seq_(store.LastSeq()) {}

  Status Begin();
  // Stores `event` (sets its seq); it is published by the next Flush().
  Status Add(const std::string& kind, const std::string& agent, bus::Envelope event);
  // Commits, then publishes what was added. The events are returned to the
  // caller (moved out) so it can forward them after the commit.
  Status Flush(std::vector<bus::Envelope>* committed);

 private:
  store::Store& store_;
  bus::Broker& broker_;
  uint64_t last_seq_;
  std::vector<std::string> kinds_;
  std::vector<bus::Envelope> pending_;
};

}  // namespace kaizen::bench
