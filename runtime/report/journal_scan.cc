#include "runtime/report/journal_scan.h"

namespace kaizen::report {

Status ScanJournal(const store::Store& store, store::EventFilter filter,
                   const std::function<void(const store::JournalEvent&, const v1::Envelope&)>& fn) {
  if (filter.limit == 0) filter.limit = 5000;
  while (true) {
    auto events = store.ReadEvents(filter);
    if (!events.ok()) return events.status();
    for (const auto& row : *events) {
      v1::Envelope e;
      if (e.ParseFromString(row.payload)) fn(row, e);
    }
    if (events->size() < filter.limit) return Status::OK();
    filter.from_seq = events->back().seq + 1;
    if (filter.to_seq != 0 && filter.from_seq > filter.to_seq) return Status::OK();
  }
}

}  // namespace kaizen::report
