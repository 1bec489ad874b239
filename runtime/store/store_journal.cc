// The event journal: append (hot path, prepared once) and filtered reads.
#include <spdlog/spdlog.h>

#include <limits>

#include "runtime/store/store_impl.h"

namespace kaizen::store {
namespace {

// EventFilter fields that are set, one bit each; indexes Impl::read_events.
constexpr unsigned kTo = 1, kSince = 2, kKind = 4, kAgent = 8, kCycle = 16;

unsigned ShapeOf(const EventFilter& f) {
  return (f.to_seq ? kTo : 0u) | (f.since_ms ? kSince : 0u) | (f.kind.empty() ? 0u : kKind) |
         (f.agent.empty() ? 0u : kAgent) | (f.cycle.empty() ? 0u : kCycle);
}

// Parameters are numbered, so binds do not depend on which clauses exist.
std::string ReadEventsSql(unsigned shape) {
  std::string sql = "SELECT seq, ts_ms, kind, agent, role, cycle, payload FROM journal WHERE seq >= ?1";
  if (shape & kTo) sql += " AND seq <= ?2";
  if (shape & kSince) sql += " AND ts_ms >= ?3";
  if (shape & kKind) sql += " AND kind = ?4";
  if (shape & kAgent) sql += " AND agent = ?5";
  if (shape & kCycle) sql += " AND cycle = ?6";
  return sql + " ORDER BY seq LIMIT ?7";
}

int64_t ClampToInt64(uint64_t v) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(v > kMax ? kMax : v);
}

}  // namespace

Status Store::AppendEvent(JournalEvent* e) {
  if (Status s = impl_->RequireWritable("AppendEvent"); !s.ok()) return s;
  Statement& st = impl_->append_event;
  st.Reset()
      .BindInt(1, e->ts_ms)
      .BindText(2, e->kind)
      .BindText(3, e->agent)
      .BindText(4, e->role)
      .BindText(5, e->cycle)
      .BindBlob(6, e->payload);
  if (Status s = st.Run(); !s.ok()) return s.WithContext("appending a '" + e->kind + "' event");
  e->seq = static_cast<uint64_t>(impl_->db.last_insert_rowid());
  return Status::OK();
}

Result<std::vector<JournalEvent>> Store::ReadEvents(const EventFilter& f) const {
  const unsigned shape = ShapeOf(f);
  Statement& st = impl_->read_events[shape];
  if (!st.valid()) {
    auto prepared = impl_->db.Prepare(ReadEventsSql(shape));
    if (!prepared.ok()) return prepared.status();
    st = std::move(prepared.value());
  }
  ScopedReset scope(st);
  st.BindInt(1, ClampToInt64(f.from_seq));
  if (shape & kTo) st.BindInt(2, ClampToInt64(f.to_seq));
  if (shape & kSince) st.BindInt(3, f.since_ms);
  if (shape & kKind) st.BindText(4, f.kind);
  if (shape & kAgent) st.BindText(5, f.agent);
  if (shape & kCycle) st.BindText(6, f.cycle);
  st.BindInt(7, f.limit == 0 ? -1 : ClampToInt64(f.limit));  // SQLite: a negative LIMIT means none
  std::vector<JournalEvent> out;
  while (st.Step()) {
    JournalEvent& e = out.emplace_back();
    e.seq = static_cast<uint64_t>(st.Int(0));
    e.ts_ms = st.Int(1);
    e.kind = st.Text(2);
    e.agent = st.Text(3);
    e.role = st.Text(4);
    e.cycle = st.Text(5);
    e.payload = st.Text(6);
  }
  if (!st.status().ok()) return st.status().WithContext("reading the journal");
  return out;
}

uint64_t Store::LastSeq() const {
  // sqlite_sequence holds the last seq AUTOINCREMENT handed out, even if
  // those rows are gone later, so LastSeq() + 1 is always the next seq.
  auto st = impl_->Cached("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'journal'), 0)");
  if (!st.ok()) {
    spdlog::error("store: cannot read the last journal seq: {}", st.status().ToString());
    return 0;
  }
  ScopedReset scope(**st);
  if (!(*st)->Step()) {
    spdlog::error("store: cannot read the last journal seq: {}", (*st)->status().ToString());
    return 0;
  }
  return static_cast<uint64_t>((*st)->Int(0));
}

}  // namespace kaizen::store
