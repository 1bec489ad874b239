// Store::Impl, shared by the store_*.cc files: the connection and the
// statements kept prepared for the calls the runtime makes all the time.
// A Store is used by one thread at a time (the connection is NOMUTEX and
// cached statements are reused).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/store/checkpointer.h"
#include "runtime/store/database.h"
#include "runtime/store/store.h"

namespace kaizen::store {

struct Store::Impl {
  explicit Impl(Database d, Mode m) : db(std::move(d)), mode(m) {}

  // First member, so it is destroyed after every statement below.
  Database db;
  Mode mode;
  int schema_version = 0;

  Statement append_event;
  Statement upsert_agent;
  std::array<Statement, 32> read_events;              // one per combination of EventFilter fields set
  std::unordered_map<std::string, Statement> cached;  // the rest, prepared on first use
  // The task path runs these per task: prepared on first use, no lookup by SQL text.
  Statement add_task, mark_answered, insert_result, get_task;
  // Read-write file stores: checkpoints off the writer's thread. Last, so it
  // stops before the statements and the connection it watches go.
  std::unique_ptr<Checkpointer> checkpointer;

  // Opens, configures, migrates and prepares; see Store::Open.
  static Result<std::unique_ptr<Impl>> Open(const std::string& path, Mode mode);
  Status PrepareHotStatements();

  // The statement for `sql`, prepared once per Store.
  Result<Statement*> Cached(std::string_view sql);
  // `slot`, prepared from `sql` the first time.
  Result<Statement*> Once(Statement& slot, std::string_view sql);
  Status RequireWritable(const char* what) const;
};

}  // namespace kaizen::store
