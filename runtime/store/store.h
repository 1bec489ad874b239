// Store: the runtime's SQLite database (WAL) under state_dir. Only the
// runtime writes it; CLI commands may open it read-only (e.g. `kaizen logs`
// after the cluster is down). Proto-agnostic: envelopes are stored as blobs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/audit/audit_chain.h"
#include "runtime/base/result.h"
#include "runtime/base/status.h"
#include "runtime/store/model_status.h"

namespace kaizen::store {

struct JournalEvent {
  uint64_t seq = 0;        // assigned by AppendEvent, strictly increasing, starts at 1
  int64_t ts_ms = 0;       // wall clock
  std::string kind;        // e.g. "state_change", "agent_exit", "cycle_transition"
  std::string agent;       // agent id the event is about ("" if none)
  std::string role;
  std::string cycle;       // cycle id ("" if none)
  std::string payload;     // serialized kaizen.v1.Envelope
};

struct EventFilter {
  uint64_t from_seq = 1;          // inclusive
  uint64_t to_seq = 0;            // inclusive; 0 = no upper bound
  int64_t since_ms = 0;           // ts_ms >= since_ms; 0 = any
  std::string kind;               // "" = any
  std::string agent;              // "" = any
  std::string cycle;              // "" = any
  size_t limit = 1000;            // 0 = no limit
};

struct AgentRow {
  std::string id;
  std::string role;
  std::string state;              // starting, idle, busy, improving, draining, stopped, failed
  std::string detail;
  int64_t pid = 0;
  int restarts = 0;
  std::string model_version;
  int64_t updated_ms = 0;
};

struct ModelRow {
  std::string version;            // e.g. "v3"
  std::string parent;             // "" for an initial model
  std::string uri;                // artifact URI, file://... under state_dir/artifacts
  std::string sha256;
  ModelStatus status = ModelStatus::kCandidate;  // stored by name: ModelStatusName
  std::string metrics_json;       // "{}" when none
  int64_t created_ms = 0;
};

struct DatasetRow {
  std::string id;                 // content address: sha256 of the JSONL
  std::string uri;
  std::string sha256;
  int64_t rows = 0;
  std::string provenance_json;
  int64_t created_ms = 0;
};

// A task the router accepted (tables `tasks` and `results` of schema v1).
// The task and its answer are stored whole, as serialized Protobuf (the
// store stays proto-agnostic): `task` in tasks.input, `answer` in
// results.output; the other columns are kept for people reading the file.
struct TaskRow {
  std::string id;
  uint64_t index = 0;             // arrival order at the router, from 1 (the row's rowid)
  std::string routing_key;
  std::string task;               // serialized kaizen.v1.Task
  int64_t submitted_ms = 0;
  bool answered = false;          // status "answered"; otherwise "pending"
  // Set when answered:
  std::string worker;
  int attempts = 0;
  std::string answer;             // serialized kaizen.v1.TaskResult, as sent to the submitter
  std::string model_version;
  double confidence = 0;
  double latency_ms = 0;
  int64_t answered_ms = 0;
};

// A version of a tool in the tool repository (schema v4).
struct ToolRow {
  std::string name;
  int64_t version = 0;            // 1, 2, ... per name; set by AddTool
  std::string spec_sha256;        // the tool's content address
  std::string uri;                // the artifact: file://.../tools/NAME-SHA12.json
  std::string sha256;             // of the artifact file
  std::string status;             // "accepted" or "rejected"
  std::string reason;             // its tests' summary: "passed 5 of 5 tests", "failed 1 of 5 tests; ..."
  std::string cycle;              // the cycle that wrote it
  int64_t created_ms = 0;
};

struct CycleRow {
  std::string id;
  std::string stage;              // triggered, planning, ..., promoted, rolled_back, aborted
  std::string state_json;         // the coordinator's persisted state
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

class Store {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (creating if needed in kReadWrite) and migrates to kSchemaVersion.
  // A file with a newer schema than this binary knows is refused.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Mode mode = Mode::kReadWrite);

  static constexpr int kSchemaVersion = 4;

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int schema_version() const;
  const std::string& path() const;

  // Batching: events appended between Begin and Commit share one WAL commit.
  Status Begin();
  Status Commit();
  // Discards the open transaction (e.g. after a failed Commit); OK if none.
  Status Rollback();
  bool in_transaction() const;

  // Journal. AppendEvent sets event->seq.
  Status AppendEvent(JournalEvent* event);
  Result<std::vector<JournalEvent>> ReadEvents(const EventFilter& filter) const;
  uint64_t LastSeq() const;

  // Tasks: accepted (pending), then answered once. Written inside the
  // journal's batch transaction, so a task is durable before its answer is,
  // and an answer before anyone is told it.
  Status AddTask(const TaskRow& row);             // pending; an id already stored is an error
  Status AnswerTask(const TaskRow& row);          // fills the answer columns of a pending task
  Result<std::optional<TaskRow>> GetTask(const std::string& id) const;
  Result<std::vector<TaskRow>> PendingTasks() const;   // arrival order
  uint64_t LastTaskIndex() const;                 // 0 when none
  // Deletes answered tasks (and their results) with index < below_index;
  // pending ones are kept whatever their age. Returns how many went.
  Result<int64_t> PruneAnsweredTasks(uint64_t below_index);
  // The oldest task kept (index and submitted_ms only); nullopt when none.
  // An index above 1 means older tasks were pruned.
  Result<std::optional<TaskRow>> FirstTask() const;

  // Feedback idempotency keys (schema v2): true when `key` is new and now
  // stored, false when it was stored before (the feedback is a retry).
  Result<bool> AddFeedbackKey(const std::string& key, const std::string& task_id, int64_t ts_ms);
  Result<int64_t> PruneFeedbackKeys(int64_t before_ms);

  // Agents (last known state of each).
  Status UpsertAgent(const AgentRow& row);
  Result<std::vector<AgentRow>> ListAgents() const;

  // Registries.
  // A row whose status is not a known ModelStatus name (the file was edited,
  // or written by a kaizen that knows more) is a Corruption error naming the
  // version and the value, for Get and List alike.
  Status PutModel(const ModelRow& row);                 // insert or replace by version
  Result<std::optional<ModelRow>> GetModel(const std::string& version) const;
  Result<std::vector<ModelRow>> ListModels() const;
  Status PutDataset(const DatasetRow& row);
  Result<std::optional<DatasetRow>> GetDataset(const std::string& id) const;
  Status PutCycle(const CycleRow& row);
  Result<std::optional<CycleRow>> GetCycle(const std::string& id) const;
  Result<std::vector<CycleRow>> ListCycles() const;

  // The tool repository. AddTool gives the row the next version of its name
  // and returns it; a tool whose spec_sha256 is already stored under that
  // name is not added again: the stored row comes back (so a retried
  // registration is idempotent).
  Result<ToolRow> AddTool(ToolRow row);
  Result<std::vector<ToolRow>> ListTools() const;  // by name, then version
  // Version 0: the latest accepted version of that name.
  Result<std::optional<ToolRow>> GetTool(const std::string& name, int64_t version = 0) const;

  // The audit trail (schema v3; runtime/audit/audit_chain.h). AppendAudit
  // chains `entry` after the last one (sets seq, prev_hash, hash) and
  // writes it; inside the caller's transaction, so it commits with the
  // decision it records or not at all. Entries are never updated or deleted.
  Status AppendAudit(audit::AuditEntry* entry);
  // The entries of `cycle` ("" = all), in seq order. A column that does not
  // read back as written sets the entry's `unreadable` (not an error here:
  // `kaizen audit verify` names the entry).
  Result<std::vector<audit::AuditEntry>> ReadAudit(const std::string& cycle = "") const;
  // The last entry of `kind` (e.g. "anchor"), nullopt when there is none.
  Result<std::optional<audit::AuditEntry>> LastAuditOfKind(const std::string& kind) const;

  // Integrity check for operators and tests ("ok" when fine).
  Result<std::string> IntegrityCheck() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaizen::store
