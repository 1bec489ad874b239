#include "agents/monitoring/journal_replay.h"

#include <algorithm>

namespace kaizen::agents {

std::optional<v1::ReplayRequest> JournalReplay::Next() const {
  if (phase_ == Phase::kDone) return std::nullopt;
  v1::ReplayRequest r;
  r.set_from_seq(next_seq_);
  r.set_to_seq(end_seq_);  // 0 on the first request: up to the journal's end, which the answer names
  r.set_limit(options_.batch);
  r.set_kind(phase_ == Phase::kTransitions ? "cycle_transition" : "feedback");
  return r;
}

void JournalReplay::OnBatch(const v1::ReplayBatch& batch, std::vector<Item>* feed) {
  if (phase_ == Phase::kDone) return;
  if (end_seq_ == 0) end_seq_ = batch.last_seq();
  uint64_t last = 0;
  for (const auto& e : batch.events()) {
    if (e.seq() < next_seq_ || e.seq() > end_seq_) continue;  // not what was asked for
    last = std::max(last, e.seq());
    if (phase_ == Phase::kTransitions) {
      if (!e.has_cycle_transition()) continue;
      // A promotion starts a new version's baseline: what came before is moot.
      if (e.cycle_transition().to() == v1::CYCLE_STAGE_PROMOTED) {
        cycle_events_.clear();
        start_seq_ = e.seq();
      }
      cycle_events_.push_back(e);
      continue;
    }
    if (!e.has_feedback()) continue;
    EmitTransitionsBefore(e.seq(), feed);
    feed->push_back(Item{Item::Kind::kEvent, e});
    ++ratings_;
  }
  const bool phase_done = end_seq_ == 0 || batch.done() || batch.events_size() == 0 || last >= end_seq_;
  next_seq_ = std::max(next_seq_, last + 1);

  switch (phase_) {
    case Phase::kTransitions:
      if (!phase_done) return;
      phase_ = Phase::kHead;
      next_seq_ = start_seq_;
      if (end_seq_ == 0) Finish(feed);
      return;
    case Phase::kHead:
      if (phase_done) {
        Finish(feed);
        return;
      }
      if (ratings_ >= options_.head_ratings && end_seq_ > options_.tail_seqs &&
          end_seq_ - options_.tail_seqs + 1 > next_seq_) {
        // The middle says nothing the recent tail does not: jump to it.
        next_seq_ = end_seq_ - options_.tail_seqs + 1;
        EmitTransitionsBefore(next_seq_, feed);
        feed->push_back(Item{Item::Kind::kGap, {}});
        skipped_ = true;
        phase_ = Phase::kTail;
      }
      return;
    case Phase::kTail:
      if (phase_done) Finish(feed);
      return;
    case Phase::kDone:
      return;
  }
}

void JournalReplay::EmitTransitionsBefore(uint64_t seq, std::vector<Item>* feed) {
  while (next_cycle_event_ < cycle_events_.size() && cycle_events_[next_cycle_event_].seq() < seq) {
    feed->push_back(Item{Item::Kind::kEvent, cycle_events_[next_cycle_event_++]});
    ++transitions_;
  }
}

void JournalReplay::Finish(std::vector<Item>* feed) {
  EmitTransitionsBefore(end_seq_ + 1, feed);
  cycle_events_.clear();
  next_cycle_event_ = 0;
  phase_ = Phase::kDone;
}

}  // namespace kaizen::agents
