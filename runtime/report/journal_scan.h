// Reading the journal in pages, for reports over a read-only store: each
// event is decoded once and handed to a callback, so a long journal is never
// held in memory whole.
#pragma once

#include <functional>
#include <string>

#include "envelope.pb.h"
#include "runtime/base/status.h"
#include "runtime/store/store.h"

namespace kaizen::report {

// Calls `fn` for every event matching `filter` (its limit is the page size;
// 0 means 5000), oldest first. An event whose payload does not decode is
// skipped. Returns the store's error, if any.
Status ScanJournal(const store::Store& store, store::EventFilter filter,
                   const std::function<void(const store::JournalEvent&, const v1::Envelope&)>& fn);

}  // namespace kaizen::report
