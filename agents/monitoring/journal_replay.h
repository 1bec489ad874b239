// JournalReplay: what monitoring reads back from the runtime's journal when it
// starts. Without it a monitoring agent restarted after a drift (or with the
// whole cluster after a runtime crash) would learn the drifted rate as its
// baseline and never trigger on it. No sockets here: it plans the
// ReplayRequests and hands back, in journal order, what to feed the engine.
//
//   1. Every cycle_transition (a few per cycle). The last PROMOTED one is
//      where the served version's baseline started, so earlier ratings do not
//      matter: replay starts there (at seq 1 when nothing was promoted).
//   2. The feedback from there on, merged with the later transitions by seq:
//      the first `head_ratings` (the baseline), then, when more than
//      `tail_seqs` journal entries remain, a jump to the last `tail_seqs`
//      (the detectors' recent state), marked by a gap item so the statistics
//      restart there. A restart therefore costs at most a few hundred
//      thousand events, however long the version has served.
//
// Everything up to last_seq() (the journal's end when the replay began) is
// replayed; live events up to it are duplicates and are dropped by the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "envelope.pb.h"

namespace kaizen::agents {

class JournalReplay {
 public:
  struct Options {
    uint32_t batch = 1000;          // events per request (the runtime caps it at 1000)
    int64_t head_ratings = 5000;    // feedback events replayed from the start point
    uint64_t tail_seqs = 200000;    // journal entries replayed before the end
  };
  struct Item {
    enum class Kind { kEvent, kGap };
    Kind kind = Kind::kEvent;
    v1::Envelope event;  // kEvent: a feedback or cycle_transition event
  };

  JournalReplay() : JournalReplay(Options{}) {}
  explicit JournalReplay(Options options) : options_(options) {}

  // The request to send now; nullopt once done.
  std::optional<v1::ReplayRequest> Next() const;
  // Takes the runtime's answer to the last Next() and appends what to feed,
  // in seq order.
  void OnBatch(const v1::ReplayBatch& batch, std::vector<Item>* feed);

  bool done() const { return phase_ == Phase::kDone; }
  uint64_t last_seq() const { return end_seq_; }
  uint64_t start_seq() const { return start_seq_; }
  int64_t ratings() const { return ratings_; }          // feedback events handed back
  int64_t transitions() const { return transitions_; }  // cycle transitions handed back
  bool skipped() const { return skipped_; }            // jumped over the middle

 private:
  enum class Phase { kTransitions, kHead, kTail, kDone };
  void EmitTransitionsBefore(uint64_t seq, std::vector<Item>* feed);
  void Finish(std::vector<Item>* feed);

  Options options_;
  Phase phase_ = Phase::kTransitions;
  uint64_t next_seq_ = 1;
  uint64_t end_seq_ = 0;    // 0 until the first answer
  uint64_t start_seq_ = 1;
  std::vector<v1::Envelope> cycle_events_;  // transitions from start_seq_ on, not yet handed back
  size_t next_cycle_event_ = 0;
  int64_t ratings_ = 0, transitions_ = 0;
  bool skipped_ = false;
};

}  // namespace kaizen::agents
