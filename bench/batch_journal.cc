#include "bench/batch_journal.h"

namespace kaizen::bench {

Status BatchJournal::Begin() { return store_.Begin(); }

Status BatchJournal::Add(const std::string& kind, const std::string& agent, bus::Envelope event) {
  store::JournalEvent row;
  row.ts_ms = event.timestamp_ms();
  row.kind = kind;
  row.agent = agent;
  row.cycle = event.cycle_id();
  event.set_seq(last_seq_ + 1);
  row.payload = bus::Encode(event);
  Status s = store_.AppendEvent(&row);
  if (!s.ok()) return s;
  last_seq_ = row.seq;
  kinds_.push_back(kind);
  pending_.push_back(std::move(event));
  return Status::OK();
}

Status BatchJournal::Flush(std::vector<bus::Envelope>* committed) {
  Status s = store_.Commit();
  if (!s.ok()) {
    (void)store_.Rollback();
    last_seq_ = store_.LastSeq();
    kinds_.clear();
    pending_.clear();
    return s;
  }
  for (size_t i = 0; i < pending_.size(); ++i) broker_.Publish(kinds_[i], pending_[i]);
  kinds_.clear();
  *committed = std::move(pending_);
  pending_.clear();
  return Status::OK();
}

}  // namespace kaizen::bench
