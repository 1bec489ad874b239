#include "runtime/core/journal.h"

#include <spdlog/spdlog.h>

namespace kaizen::core {

Journal::Journal(store::Store& store, bus::Broker& broker, Options options)
    : store_(store), broker_(broker), options_(options), last_seq_(store.LastSeq()), next_seq_(last_seq_ + 1) {}

Status Journal::Batch() {
  if (open_) return Status::OK();
  if (Status s = store_.Begin(); !s.ok()) {
    spdlog::error("journal: cannot open a transaction: {}", s.ToString());
    return s;
  }
  open_ = true;
  return Status::OK();
}

Status Journal::Store(const std::string& kind, const std::string& agent, const std::string& role,
                      bus::Envelope* event, std::string* encoded) {
  // A decision whose transaction did not open writes nothing: one by one, its
  // writes would commit the half of it that a crash must never leave.
  if (in_decision() && !open_) return Status::FailedPrecondition("the decision's transaction is not open");
  store::JournalEvent row;
  row.ts_ms = event->timestamp_ms();
  row.kind = kind;
  row.agent = agent;
  row.role = role;
  row.cycle = event->cycle_id();
  // The stored envelope carries its own seq, so replay and live look alike:
  // reserve the next number, then store.
  event->set_seq(next_seq_);
  row.payload = bus::Encode(*event);
  if (Status s = store_.AppendEvent(&row); !s.ok()) {
    spdlog::error("journal: cannot store {} event: {}", kind, s.ToString());
    return s;
  }
  if (row.seq != event->seq()) {
    // Only the runtime writes the journal, so this means a second writer.
    spdlog::error("journal: expected seq {} but the store assigned {}", event->seq(), row.seq);
    event->set_seq(row.seq);
    row.payload = bus::Encode(*event);
  }
  next_seq_ = row.seq + 1;
  *encoded = std::move(row.payload);
  return Status::OK();
}

Status Journal::Append(const std::string& kind, const std::string& agent, const std::string& role,
                       bus::Envelope* event) {
  if (Status s = Batch(); !s.ok()) return s;
  Pending& p = pending_.emplace_back();
  if (Status s = Store(kind, agent, role, event, &p.encoded); !s.ok()) {
    pending_.pop_back();
    return s;
  }
  p.kind = kind;
  p.seq = event->seq();
  if (pending_.size() >= options_.max_batch && !in_decision()) return Flush();
  return Status::OK();
}

Status Journal::Record(const std::string& kind, const std::string& agent, const std::string& role,
                       bus::Envelope* event) {
  if (Status s = Batch(); !s.ok()) return s;
  Pending& p = pending_.emplace_back();
  if (Status s = Store(kind, agent, role, event, &p.encoded); !s.ok()) {
    pending_.pop_back();
    if (in_decision()) return s;  // the decision's owner decides what happens to its writes
    if (Status f = Flush(); !f.ok()) spdlog::error("journal: the batch before the failed event: {}", f.ToString());
    return s;
  }
  p.kind = kind;
  p.seq = event->seq();
  return in_decision() ? Status::OK() : Flush();
}

Status Journal::BeginDecision() {
  if (in_decision()) {
    ++decision_depth_;
    return Status::OK();
  }
  if (Status s = Flush(); !s.ok()) spdlog::error("journal: the batch before a decision: {}", s.ToString());
  decision_depth_ = 1;  // even without a transaction: EndDecision() ends it
  return Batch();
}

Status Journal::EndDecision(bool commit) {
  if (decision_depth_ == 0) return Status::FailedPrecondition("no decision is open");
  if (--decision_depth_ > 0) return Status::OK();
  if (commit) return Flush();
  if (open_) {
    open_ = false;
    if (Status s = store_.Rollback(); !s.ok()) spdlog::error("journal: cannot roll a decision back: {}", s.ToString());
  }
  pending_.clear();
  next_seq_ = store_.LastSeq() + 1;
  std::vector<std::function<void()>> actions;
  actions.swap(actions_);
  for (auto& a : actions) a();  // answers to clients: they are told, not left waiting
  return Status::OK();
}

void Journal::AfterCommit(std::function<void()> action) {
  if (!open_) {
    action();
    return;
  }
  actions_.push_back(std::move(action));
}

Status Journal::Flush() {
  if (in_decision()) return Status::OK();  // EndDecision() commits it
  Status result = Status::OK();
  if (open_) {
    open_ = false;
    result = store_.Commit();
    if (!result.ok()) {
      spdlog::error("journal: cannot commit {} events: {}; they are not published", pending_.size(),
                    result.ToString());
      (void)store_.Rollback();
      pending_.clear();
      next_seq_ = store_.LastSeq() + 1;  // a rolled-back batch hands its numbers out again
    }
  }
  for (const auto& p : pending_) broker_.PublishEncoded(p.kind, p.encoded);
  if (!pending_.empty()) last_seq_ = pending_.back().seq;
  pending_.clear();
  // Actions may queue more (a send that journals): run what was queued now.
  std::vector<std::function<void()>> actions;
  actions.swap(actions_);
  for (auto& a : actions) a();
  return result;
}

}  // namespace kaizen::core
