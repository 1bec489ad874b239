// Last known agent states and the model, dataset and cycle registries.
#include "runtime/store/store_impl.h"

namespace kaizen::store {
namespace {

// The stored JSON columns are never empty: "{}" stands for "none".
std::string_view JsonOrEmptyObject(const std::string& s) { return s.empty() ? std::string_view("{}") : s; }

// Runs a cached query, turning each row into a T with `from` (which returns
// a T, or a Result<T> when a row can fail to convert: the first failure ends it).
template <typename T, typename From, typename BindFn>
Result<std::vector<T>> Collect(Result<Statement*> st, BindFn bind, From from) {
  if (!st.ok()) return st.status();
  Statement& s = **st;
  ScopedReset scope(s);
  bind(s);
  std::vector<T> out;
  while (s.Step()) {
    Result<T> row = from(s);
    if (!row.ok()) return row.status();
    out.push_back(std::move(*row));
  }
  if (!s.status().ok()) return s.status();
  return out;
}

template <typename T>
Result<std::optional<T>> First(Result<std::vector<T>> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

auto NoBinds = [](Statement&) {};
auto BindKey(const std::string& key) {
  return [&key](Statement& s) { s.BindText(1, key); };
}

AgentRow AgentFrom(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4), static_cast<int>(s.Int(5)), s.Text(6), s.Int(7)};
}
// Reads a models row of the file at `path`; an unknown status is an error, not a guess.
auto ModelFrom(const std::string& path) {
  return [&path](const Statement& s) -> Result<ModelRow> {
    auto status = ParseModelStatus(s.Text(4));
    if (!status.ok()) {
      return Status::Corruption("model " + s.Text(0) + " in " + path + ": " + status.status().message() +
                                "; the row was written by a newer kaizen or edited by hand: fix its status "
                                "column or open the file with the kaizen that wrote it");
    }
    return ModelRow{s.Text(0), s.Text(1), s.Text(2), s.Text(3), *status, s.Text(5), s.Int(6)};
  };
}
DatasetRow DatasetFrom(const Statement& s) { return {s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4), s.Int(5)}; }
CycleRow CycleFrom(const Statement& s) { return {s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)}; }
ToolRow ToolFrom(const Statement& s) {
  return {s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7), s.Int(8)};
}
constexpr const char* kToolColumns = "name, version, spec_sha256, uri, sha256, status, reason, cycle, created_ms";

}  // namespace

// --- agents ---

Status Store::UpsertAgent(const AgentRow& r) {
  if (Status s = impl_->RequireWritable("UpsertAgent"); !s.ok()) return s;
  Statement& st = impl_->upsert_agent;
  st.Reset()
      .BindText(1, r.id)
      .BindText(2, r.role)
      .BindText(3, r.state)
      .BindText(4, r.detail)
      .BindInt(5, r.pid)
      .BindInt(6, r.restarts)
      .BindText(7, r.model_version)
      .BindInt(8, r.updated_ms);
  return st.Run();
}

Result<std::vector<AgentRow>> Store::ListAgents() const {
  // rowid order is first-registration order, which an update keeps.
  return Collect<AgentRow>(
      impl_->Cached(
          "SELECT id, role, state, detail, pid, restarts, model_version, updated_ms FROM agents ORDER BY rowid"),
      NoBinds, AgentFrom);
}

// --- models: Put replaces every field of an existing version ---

Status Store::PutModel(const ModelRow& r) {
  if (Status s = impl_->RequireWritable("PutModel"); !s.ok()) return s;
  auto st = impl_->Cached(
      "INSERT INTO models(version, parent, uri, sha256, status, metrics_json, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7) "
      "ON CONFLICT(version) DO UPDATE SET parent = excluded.parent, uri = excluded.uri, sha256 = excluded.sha256, "
      "status = excluded.status, metrics_json = excluded.metrics_json, created_ms = excluded.created_ms");
  if (!st.ok()) return st.status();
  (*st)
      ->Reset()
      .BindText(1, r.version)
      .BindText(2, r.parent)
      .BindText(3, r.uri)
      .BindText(4, r.sha256)
      .BindText(5, ModelStatusName(r.status))
      .BindText(6, JsonOrEmptyObject(r.metrics_json))
      .BindInt(7, r.created_ms);
  return (*st)->Run();
}

Result<std::optional<ModelRow>> Store::GetModel(const std::string& version) const {
  return First(Collect<ModelRow>(
      impl_->Cached(
          "SELECT version, parent, uri, sha256, status, metrics_json, created_ms FROM models WHERE version = ?1"),
      BindKey(version), ModelFrom(impl_->db.path())));
}

Result<std::vector<ModelRow>> Store::ListModels() const {
  return Collect<ModelRow>(impl_->Cached("SELECT version, parent, uri, sha256, status, metrics_json, created_ms FROM "
                                         "models ORDER BY created_ms, rowid"),
                           NoBinds, ModelFrom(impl_->db.path()));
}

// --- datasets: content-addressed, so a Put of the same id is the same data ---

Status Store::PutDataset(const DatasetRow& r) {
  if (Status s = impl_->RequireWritable("PutDataset"); !s.ok()) return s;
  auto st = impl_->Cached(
      "INSERT INTO datasets(id, uri, sha256, rows, provenance_json, created_ms) VALUES(?1,?2,?3,?4,?5,?6) "
      "ON CONFLICT(id) DO UPDATE SET uri = excluded.uri, sha256 = excluded.sha256, rows = excluded.rows, "
      "provenance_json = excluded.provenance_json, created_ms = excluded.created_ms");
  if (!st.ok()) return st.status();
  (*st)
      ->Reset()
      .BindText(1, r.id)
      .BindText(2, r.uri)
      .BindText(3, r.sha256)
      .BindInt(4, r.rows)
      .BindText(5, JsonOrEmptyObject(r.provenance_json))
      .BindInt(6, r.created_ms);
  return (*st)->Run();
}

Result<std::optional<DatasetRow>> Store::GetDataset(const std::string& id) const {
  return First(Collect<DatasetRow>(
      impl_->Cached("SELECT id, uri, sha256, rows, provenance_json, created_ms FROM datasets WHERE id = ?1"),
      BindKey(id), DatasetFrom));
}

// --- cycles: created_ms is set once; later Puts update the rest ---

Status Store::PutCycle(const CycleRow& r) {
  if (Status s = impl_->RequireWritable("PutCycle"); !s.ok()) return s;
  auto st = impl_->Cached(
      "INSERT INTO cycles(id, stage, state_json, created_ms, updated_ms) VALUES(?1,?2,?3,?4,?5) "
      "ON CONFLICT(id) DO UPDATE SET stage = excluded.stage, state_json = excluded.state_json, "
      "updated_ms = excluded.updated_ms");
  if (!st.ok()) return st.status();
  (*st)
      ->Reset()
      .BindText(1, r.id)
      .BindText(2, r.stage)
      .BindText(3, JsonOrEmptyObject(r.state_json))
      .BindInt(4, r.created_ms)
      .BindInt(5, r.updated_ms);
  return (*st)->Run();
}

Result<std::optional<CycleRow>> Store::GetCycle(const std::string& id) const {
  return First(
      Collect<CycleRow>(impl_->Cached("SELECT id, stage, state_json, created_ms, updated_ms FROM cycles WHERE id = ?1"),
                        BindKey(id), CycleFrom));
}

Result<std::vector<CycleRow>> Store::ListCycles() const {
  return Collect<CycleRow>(
      impl_->Cached("SELECT id, stage, state_json, created_ms, updated_ms FROM cycles ORDER BY created_ms, rowid"),
      NoBinds, CycleFrom);
}

// --- tools: versions per name; the same spec is the same version ---

Result<ToolRow> Store::AddTool(ToolRow r) {
  if (Status s = impl_->RequireWritable("AddTool"); !s.ok()) return s;
  if (r.status != "accepted" && r.status != "rejected") {
    return Status::InvalidArgument("tool " + r.name + ": status must be accepted or rejected, not '" + r.status + "'");
  }
  auto same = First(Collect<ToolRow>(
      impl_->Cached(std::string("SELECT ") + kToolColumns + " FROM tools WHERE name = ?1 AND spec_sha256 = ?2"),
      [&r](Statement& st) { st.BindText(1, r.name).BindText(2, r.spec_sha256); }, ToolFrom));
  if (!same.ok()) return same.status();
  if (*same) return **same;
  auto last = impl_->Cached("SELECT COALESCE(MAX(version), 0) FROM tools WHERE name = ?1");
  if (!last.ok()) return last.status();
  {
    ScopedReset scope(**last);
    (*last)->BindText(1, r.name);
    if (!(*last)->Step()) return (*last)->status().ok() ? Status::Internal("no row from MAX(version)") : (*last)->status();
    r.version = (*last)->Int(0) + 1;
  }
  auto st = impl_->Cached(std::string("INSERT INTO tools(") + kToolColumns + ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  if (!st.ok()) return st.status();
  (*st)
      ->Reset()
      .BindText(1, r.name)
      .BindInt(2, r.version)
      .BindText(3, r.spec_sha256)
      .BindText(4, r.uri)
      .BindText(5, r.sha256)
      .BindText(6, r.status)
      .BindText(7, r.reason)
      .BindText(8, r.cycle)
      .BindInt(9, r.created_ms);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  return r;
}

Result<std::vector<ToolRow>> Store::ListTools() const {
  return Collect<ToolRow>(impl_->Cached(std::string("SELECT ") + kToolColumns + " FROM tools ORDER BY name, version"),
                          NoBinds, ToolFrom);
}

Result<std::optional<ToolRow>> Store::GetTool(const std::string& name, int64_t version) const {
  if (version > 0) {
    return First(Collect<ToolRow>(
        impl_->Cached(std::string("SELECT ") + kToolColumns + " FROM tools WHERE name = ?1 AND version = ?2"),
        [&](Statement& st) { st.BindText(1, name).BindInt(2, version); }, ToolFrom));
  }
  return First(Collect<ToolRow>(impl_->Cached(std::string("SELECT ") + kToolColumns +
                                              " FROM tools WHERE name = ?1 AND status = 'accepted' "
                                              "ORDER BY version DESC LIMIT 1"),
                                BindKey(name), ToolFrom));
}

}  // namespace kaizen::store
