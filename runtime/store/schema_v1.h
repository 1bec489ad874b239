// Schema version 1: the journal, agents, tasks and results, feedback,
// cycles and their transitions, the dataset and model registries.
#pragma once

namespace kaizen::store {

inline constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE journal (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: never reused, even after pruning
  ts_ms   INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  agent   TEXT NOT NULL DEFAULT '',
  role    TEXT NOT NULL DEFAULT '',
  cycle   TEXT NOT NULL DEFAULT '',
  payload BLOB NOT NULL
);
CREATE INDEX journal_kind  ON journal(kind);
CREATE INDEX journal_agent ON journal(agent);
CREATE INDEX journal_cycle ON journal(cycle);
CREATE INDEX journal_ts    ON journal(ts_ms);

CREATE TABLE agents (
  id            TEXT PRIMARY KEY,
  role          TEXT NOT NULL,
  state         TEXT NOT NULL,
  detail        TEXT NOT NULL DEFAULT '',
  pid           INTEGER NOT NULL DEFAULT 0,
  restarts      INTEGER NOT NULL DEFAULT 0,
  model_version TEXT NOT NULL DEFAULT '',
  updated_ms    INTEGER NOT NULL
);

CREATE TABLE tasks (
  id           TEXT PRIMARY KEY,
  routing_key  TEXT NOT NULL DEFAULT '',
  input        BLOB NOT NULL,
  submitted_ms INTEGER NOT NULL,
  assigned_to  TEXT NOT NULL DEFAULT '',
  attempts     INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL
);
CREATE INDEX tasks_status ON tasks(status);

CREATE TABLE results (
  task_id       TEXT PRIMARY KEY REFERENCES tasks(id),
  worker        TEXT NOT NULL,
  output        BLOB NOT NULL,
  confidence    REAL NOT NULL DEFAULT 0,
  latency_ms    REAL NOT NULL DEFAULT 0,
  model_version TEXT NOT NULL DEFAULT '',
  answered_ms   INTEGER NOT NULL
);

CREATE TABLE feedback (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id    TEXT NOT NULL,  -- no foreign key: feedback may name a task this store never saw
  kind       TEXT NOT NULL,
  value      TEXT NOT NULL DEFAULT '',
  correction TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  ts_ms      INTEGER NOT NULL
);
CREATE INDEX feedback_task ON feedback(task_id);

CREATE TABLE cycles (
  id         TEXT PRIMARY KEY,
  stage      TEXT NOT NULL,
  state_json TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE cycle_transitions (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  cycle_id   TEXT NOT NULL REFERENCES cycles(id),
  from_stage TEXT NOT NULL,
  to_stage   TEXT NOT NULL,
  reason     TEXT NOT NULL DEFAULT '',
  ts_ms      INTEGER NOT NULL
);
CREATE INDEX cycle_transitions_cycle ON cycle_transitions(cycle_id);

CREATE TABLE datasets (
  id              TEXT PRIMARY KEY,
  uri             TEXT NOT NULL,
  sha256          TEXT NOT NULL,
  rows            INTEGER NOT NULL DEFAULT 0,
  provenance_json TEXT NOT NULL DEFAULT '{}',
  created_ms      INTEGER NOT NULL
);

CREATE TABLE models (
  version      TEXT PRIMARY KEY,
  parent       TEXT NOT NULL DEFAULT '',
  uri          TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  status       TEXT NOT NULL,
  metrics_json TEXT NOT NULL DEFAULT '{}',
  created_ms   INTEGER NOT NULL
);
)sql";

}  // namespace kaizen::store
