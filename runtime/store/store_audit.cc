// The audit trail (schema v3): append with the chain's next link, read in
// seq order. The table's triggers refuse UPDATE and DELETE.
#include "runtime/store/store_impl.h"

namespace kaizen::store {

Status Store::AppendAudit(audit::AuditEntry* entry) {
  if (Status s = impl_->RequireWritable("AppendAudit"); !s.ok()) return s;
  // The last entry is read and the next written under one write lock: two
  // writers cannot both chain after the same entry.
  if (!impl_->db.in_transaction()) {
    return Status::FailedPrecondition("an audit entry is written inside its decision's transaction; none is open");
  }
  auto last = impl_->Cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (!last.ok()) return last.status().WithContext("reading the last audit entry");
  audit::AuditEntry prev;
  bool has_prev = false;
  {
    Statement& st = **last;
    ScopedReset scope(st);
    if (st.Step()) {
      has_prev = true;
      prev.seq = static_cast<uint64_t>(st.Int(0));
      prev.hash = st.Text(1);
    }
    if (!st.status().ok()) return st.status().WithContext("reading the last audit entry");
  }
  audit::ChainAfter(has_prev ? &prev : nullptr, entry);
  auto insert = impl_->Cached(
      "INSERT INTO audit(seq, ts_ms, cycle, kind, actor, body, artifacts, prev_hash, hash) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  if (!insert.ok()) return insert.status();
  Statement& st = **insert;
  st.Reset()
      .BindInt(1, static_cast<int64_t>(entry->seq))
      .BindInt(2, entry->ts_ms)
      .BindText(3, entry->cycle)
      .BindText(4, entry->kind)
      .BindText(5, entry->actor)
      .BindText(6, audit::BodyText(entry->body))
      .BindText(7, audit::ArtifactsText(entry->artifacts))
      .BindText(8, entry->prev_hash)
      .BindText(9, entry->hash);
  if (Status s = st.Run(); !s.ok()) {
    return s.WithContext("appending audit entry " + std::to_string(entry->seq) + " (" + entry->kind + ")");
  }
  return Status::OK();
}

namespace {

// The entries a prepared SELECT of the nine audit columns returns, in its order.
Result<std::vector<audit::AuditEntry>> AuditRows(Statement& st) {
  std::vector<audit::AuditEntry> out;
  while (st.Step()) {
    audit::AuditEntry& e = out.emplace_back();
    e.seq = static_cast<uint64_t>(st.Int(0));
    e.ts_ms = st.Int(1);
    e.cycle = st.Text(2);
    e.kind = st.Text(3);
    e.actor = st.Text(4);
    audit::FromStoredColumns(st.Text(5), st.Text(6), &e);
    e.prev_hash = st.Text(7);
    e.hash = st.Text(8);
  }
  if (!st.status().ok()) return st.status().WithContext("reading the audit trail");
  return out;
}

}  // namespace

Result<std::vector<audit::AuditEntry>> Store::ReadAudit(const std::string& cycle) const {
  const char* sql = cycle.empty()
                        ? "SELECT seq, ts_ms, cycle, kind, actor, body, artifacts, prev_hash, hash FROM audit "
                          "ORDER BY seq"
                        : "SELECT seq, ts_ms, cycle, kind, actor, body, artifacts, prev_hash, hash FROM audit "
                          "WHERE cycle = ?1 ORDER BY seq";
  auto prepared = impl_->Cached(sql);
  if (!prepared.ok()) return prepared.status().WithContext("reading the audit trail");
  Statement& st = **prepared;
  ScopedReset scope(st);
  if (!cycle.empty()) st.BindText(1, cycle);
  return AuditRows(st);
}

Result<std::optional<audit::AuditEntry>> Store::LastAuditOfKind(const std::string& kind) const {
  auto prepared = impl_->Cached(
      "SELECT seq, ts_ms, cycle, kind, actor, body, artifacts, prev_hash, hash FROM audit WHERE kind = ?1 "
      "ORDER BY seq DESC LIMIT 1");
  if (!prepared.ok()) return prepared.status().WithContext("reading the audit trail");
  Statement& st = **prepared;
  ScopedReset scope(st);
  st.BindText(1, kind);
  auto rows = AuditRows(st);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<audit::AuditEntry>();
  return std::optional<audit::AuditEntry>(std::move(rows->front()));
}

}  // namespace kaizen::store
