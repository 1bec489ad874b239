// JournalReplay against a journal held in memory, answered the way the
// runtime answers ReplayRequests (filter by kind and seq range, at most
// `limit` events, done when fewer came or to_seq was reached).
#include "agents/monitoring/journal_replay.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using kaizen::agents::JournalReplay;
using kaizen::v1::Envelope;

namespace {

struct Journal {
  std::vector<Envelope> events;  // events[i].seq() == i + 1

  void Rating(bool down) {
    Envelope& e = Add();
    e.mutable_feedback()->set_kind(down ? kaizen::v1::Feedback::THUMBS_DOWN : kaizen::v1::Feedback::THUMBS_UP);
  }
  void Stage(kaizen::v1::CycleStage to) { Add().mutable_cycle_transition()->set_to(to); }
  void Other() { Add().mutable_task_result()->set_task_id("t"); }

  kaizen::v1::ReplayBatch Answer(const kaizen::v1::ReplayRequest& r) const {
    kaizen::v1::ReplayBatch b;
    b.set_last_seq(events.size());
    const uint64_t to = r.to_seq() == 0 ? events.size() : r.to_seq();
    uint64_t last = 0;
    for (uint64_t seq = std::max<uint64_t>(1, r.from_seq()); seq <= std::min<uint64_t>(to, events.size()); ++seq) {
      const Envelope& e = events[seq - 1];
      const bool match = r.kind() == "feedback" ? e.has_feedback() : e.has_cycle_transition();
      if (!match) continue;
      *b.add_events() = e;
      last = seq;
      if (static_cast<uint32_t>(b.events_size()) == r.limit()) break;
    }
    b.set_done(static_cast<uint32_t>(b.events_size()) < r.limit() || last >= to);
    return b;
  }

 private:
  Envelope& Add() {
    Envelope& e = events.emplace_back();
    e.set_seq(events.size());
    return e;
  }
};

// Runs a replay to the end; returns what it handed back and counts requests.
std::vector<JournalReplay::Item> Run(const Journal& j, JournalReplay& r, int* requests = nullptr) {
  std::vector<JournalReplay::Item> fed;
  int n = 0;
  while (auto req = r.Next()) {
    REQUIRE(++n < 10000);
    r.OnBatch(j.Answer(*req), &fed);
  }
  if (requests) *requests = n;
  return fed;
}

std::vector<uint64_t> Seqs(const std::vector<JournalReplay::Item>& items) {
  std::vector<uint64_t> out;
  for (const auto& i : items) out.push_back(i.kind == JournalReplay::Item::Kind::kGap ? 0 : i.event.seq());
  return out;
}

}  // namespace

TEST_CASE("an empty journal replays nothing", "[monitoring]") {
  Journal j;
  JournalReplay r;
  CHECK(Run(j, r).empty());
  CHECK(r.done());
  CHECK(r.last_seq() == 0);
}

TEST_CASE("ratings and cycle transitions come back merged in journal order", "[monitoring]") {
  Journal j;
  j.Rating(false);                                 // 1
  j.Other();                                       // 2
  j.Rating(true);                                  // 3
  j.Stage(kaizen::v1::CYCLE_STAGE_TRIGGERED);      // 4
  j.Rating(true);                                  // 5
  j.Stage(kaizen::v1::CYCLE_STAGE_ABORTED);        // 6
  j.Rating(false);                                 // 7
  JournalReplay::Options o;
  o.batch = 2;  // several requests per kind
  JournalReplay r(o);
  auto fed = Run(j, r);
  CHECK(Seqs(fed) == std::vector<uint64_t>{1, 3, 4, 5, 6, 7});
  CHECK(r.ratings() == 4);
  CHECK(r.transitions() == 2);
  CHECK(r.last_seq() == 7);
  CHECK_FALSE(r.skipped());
}

TEST_CASE("replay starts at the last promotion: the served version's baseline began there", "[monitoring]") {
  Journal j;
  for (int i = 0; i < 5; ++i) j.Rating(false);    // 1-5: the old version
  j.Stage(kaizen::v1::CYCLE_STAGE_TRIGGERED);      // 6
  j.Stage(kaizen::v1::CYCLE_STAGE_PROMOTED);       // 7
  j.Rating(true);                                  // 8
  j.Stage(kaizen::v1::CYCLE_STAGE_TRIGGERED);      // 9: a cycle still running
  JournalReplay r;
  auto fed = Run(j, r);
  CHECK(Seqs(fed) == std::vector<uint64_t>{7, 8, 9});
  CHECK(r.start_seq() == 7);
  REQUIRE(fed[0].event.has_cycle_transition());
  CHECK(fed[0].event.cycle_transition().to() == kaizen::v1::CYCLE_STAGE_PROMOTED);
}

TEST_CASE("a long history replays its head and its tail, with a gap between", "[monitoring]") {
  Journal j;
  for (int i = 0; i < 3000; ++i) {
    j.Rating(i % 10 == 0);
    j.Other();
  }
  j.Stage(kaizen::v1::CYCLE_STAGE_TRIGGERED);  // 6001: in the skipped middle, still handed back
  for (int i = 0; i < 3000; ++i) {
    j.Rating(false);
    j.Other();
  }
  JournalReplay::Options o;
  o.batch = 100;
  o.head_ratings = 500;
  o.tail_seqs = 2000;
  JournalReplay r(o);
  int requests = 0;
  auto fed = Run(j, r, &requests);
  CHECK(r.skipped());
  auto seqs = Seqs(fed);
  // Head: the first 500 ratings (odd seqs 1..999), then the transition, the gap, the tail.
  REQUIRE(seqs.size() == 500 + 1 + 1 + 1000);
  CHECK(seqs[0] == 1);
  CHECK(seqs[499] == 999);
  CHECK(seqs[500] == 6001);
  CHECK(seqs[501] == 0);  // the gap
  CHECK(seqs[502] == 10002);
  CHECK(seqs.back() == 12000);
  for (size_t i = 503; i < seqs.size(); ++i) CHECK(seqs[i] > seqs[i - 1]);
  CHECK(requests < 30);  // not the 60 a full replay would take
}

TEST_CASE("events past the journal's end at the first answer are left to the live stream", "[monitoring]") {
  Journal j;
  j.Rating(false);
  j.Rating(true);
  JournalReplay r;
  std::vector<JournalReplay::Item> fed;
  r.OnBatch(j.Answer(*r.Next()), &fed);  // transitions: none; the end is seq 2
  CHECK(r.last_seq() == 2);
  j.Rating(true);  // seq 3 arrives live meanwhile
  while (auto req = r.Next()) r.OnBatch(j.Answer(*req), &fed);
  CHECK(Seqs(fed) == std::vector<uint64_t>{1, 2});
}
