// Journal: journal-then-publish. An event is stored (and gets its sequence
// number) before it is published, so nothing an operator sees live is missing
// from history; a subscriber that sees a gap replays from the store.
//
// Group commit: Append() adds an event to the open batch (one SQLite
// transaction; other store writes made meanwhile, such as task rows, join
// it). Flush() commits the batch, then publishes its events and runs the
// actions queued with AfterCommit() (e.g. answers to clients), in order. So
// nobody sees an event or an answer that a crash could still take back. The
// runtime flushes at the end of every poll turn (at most 2000 messages, a few
// ms); a batch also flushes itself when it reaches Options::max_batch events.
// Record() is for rare events whose consequences must not outrun the disk
// (cycle stages, registry changes): it commits the batch with the event at once.
//
// Decisions: a cycle decision (its transition, cycle row, registry rows and
// journal events) commits in one transaction or not at all, so a crash or a
// failed write never leaves half of one (a cycle `promoted` while the
// registry still serves the old version). BeginDecision() first commits what
// was batched before, so other writes do not share the decision's fate;
// until EndDecision(), Record() and Append() only append, and Flush() waits.
//
// Durability: the store runs WAL with synchronous=NORMAL, so a commit is
// safe from a crash of the runtime (kill -9, OOM) but not from a power cut,
// which may lose the last commits (never corrupt the file).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/bus/broker.h"
#include "runtime/store/store.h"

namespace kaizen::core {

class Journal {
 public:
  struct Options {
    size_t max_batch = 2000;  // events per transaction at most
  };
  Journal(store::Store& store, bus::Broker& broker) : Journal(store, broker, Options{}) {}
  Journal(store::Store& store, bus::Broker& broker, Options options);

  // The last seq committed and published (what subscribers may have seen).
  uint64_t last_seq() const { return last_seq_; }

  // Stores `event` in the open batch and sets event->seq; it is published by
  // the next Flush(). On a store error nothing is published for it.
  Status Append(const std::string& kind, const std::string& agent, const std::string& role,
                bus::Envelope* event);
  // Stores and commits `event` now (with the open batch), then publishes.
  // A store failure is logged and the event is not published.
  Status Record(const std::string& kind, const std::string& agent, const std::string& role,
                bus::Envelope* event);
  // Opens a batch if none is open, so store writes made until Flush() join
  // its transaction.
  Status Batch();
  // Runs `action` after the open batch commits (at once when none is open).
  void AfterCommit(std::function<void()> action);
  // Commits the open batch (if any), publishes its events, runs the queued
  // actions. If the commit fails, the batch is rolled back and its events
  // are not published (history and the live view agree); the actions still
  // run, so clients are not left waiting, and the error is returned.
  Status Flush();
  bool batch_open() const { return open_; }

  // Opens a decision (nested ones join the outermost). An error means no
  // transaction is open: the caller must not write, or its writes would
  // commit one by one.
  Status BeginDecision();
  // Ends the outermost decision: commits and publishes when `commit`, else
  // rolls back and publishes none of its events. Returns an error only when
  // the commit failed (then it is rolled back too). Inner calls return OK.
  Status EndDecision(bool commit);
  bool in_decision() const { return decision_depth_ > 0; }
  size_t pending_events() const { return pending_.size(); }

 private:
  struct Pending {
    std::string kind;
    std::string encoded;  // the envelope as stored: published as is
    uint64_t seq = 0;
  };
  // Stores `event` with the next seq; its encoded form goes to *encoded.
  Status Store(const std::string& kind, const std::string& agent, const std::string& role, bus::Envelope* event,
               std::string* encoded);

  store::Store& store_;
  bus::Broker& broker_;
  Options options_;
  uint64_t last_seq_;   // committed and published
  uint64_t next_seq_;   // the seq the next append gets
  bool open_ = false;
  int decision_depth_ = 0;
  std::vector<Pending> pending_;
  std::vector<std::function<void()>> actions_;
};

}  // namespace kaizen::core
