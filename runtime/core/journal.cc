#include "runtime/core/journal.h"

#include <spdlog/spdlog.h>

namespace kaizen::core {

Status Journal::Record(const std::string& kind, const std::string& agent, const std::string& role,
                       bus::Envelope* event) {
  store::JournalEvent row;
  row.ts_ms = event->timestamp_ms();
  row.kind = kind;
  row.agent = agent;
  row.role = role;
  row.cycle = event->cycle_id();
  // The stored envelope carries its own seq, so replay and live look alike:
  // reserve the next number, then store.
  event->set_seq(last_seq_ + 1);
  row.payload = bus::Encode(*event);
  Status s = store_.AppendEvent(&row);
  if (!s.ok()) {
    spdlog::error("journal: cannot store {} event: {}", kind, s.ToString());
    last_seq_ = store_.LastSeq();  // a rolled-back append hands its number out again
    return s;
  }
  if (row.seq != event->seq()) {
    // Only the runtime writes the journal, so this means a second writer.
    spdlog::error("journal: expected seq {} but the store assigned {}", event->seq(), row.seq);
    event->set_seq(row.seq);
  }
  last_seq_ = row.seq;
  broker_.Publish(kind, *event);
  return Status::OK();
}

}  // namespace kaizen::core
