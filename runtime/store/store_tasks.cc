// Tasks and their answers: what makes "answered exactly once" survive a
// runtime crash. Uses schema v1's tasks and results tables; the row's rowid
// is the router's arrival index, so pending tasks come back in order and
// retention prunes by a rowid range.
#include <limits>

#include "runtime/store/store_impl.h"

namespace kaizen::store {
namespace {

// One task with its answer, if any (the columns TaskFrom reads).
constexpr const char* kGetTask =
    "SELECT t.id, t.rowid, t.routing_key, t.input, t.submitted_ms, t.status, t.assigned_to, t.attempts, "
    "r.output, r.model_version, r.confidence, r.latency_ms, r.answered_ms "
    "FROM tasks t LEFT JOIN results r ON r.task_id = t.id WHERE t.id = ?1";
constexpr const char* kPendingTasks =
    "SELECT t.id, t.rowid, t.routing_key, t.input, t.submitted_ms, t.status, t.assigned_to, t.attempts, "
    "NULL, NULL, NULL, NULL, NULL FROM tasks t WHERE t.status = 'pending' ORDER BY t.rowid";

TaskRow TaskFrom(const Statement& s) {
  TaskRow t;
  t.id = s.Text(0);
  t.index = static_cast<uint64_t>(s.Int(1));
  t.routing_key = s.Text(2);
  t.task = s.Text(3);
  t.submitted_ms = s.Int(4);
  t.answered = s.Text(5) == "answered";
  t.worker = s.Text(6);
  t.attempts = static_cast<int>(s.Int(7));
  if (t.answered) {
    t.answer = s.Text(8);
    t.model_version = s.Text(9);
    t.confidence = s.Double(10);
    t.latency_ms = s.Double(11);
    t.answered_ms = s.Int(12);
  }
  return t;
}

int64_t ToInt64(uint64_t v) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(v > kMax ? kMax : v);
}

}  // namespace

Status Store::AddTask(const TaskRow& t) {
  if (Status s = impl_->RequireWritable("AddTask"); !s.ok()) return s;
  if (t.index == 0) return Status::InvalidArgument("task " + t.id + " needs an arrival index (from 1)");
  auto st = impl_->Once(
      impl_->add_task,
      "INSERT INTO tasks(rowid, id, routing_key, input, submitted_ms, status) VALUES(?1,?2,?3,?4,?5,'pending')");
  if (!st.ok()) return st.status();
  (*st)->Reset().BindInt(1, ToInt64(t.index)).BindText(2, t.id).BindText(3, t.routing_key).BindBlob(4, t.task).BindInt(
      5, t.submitted_ms);
  if (Status s = (*st)->Run(); !s.ok()) return s.WithContext("storing task " + t.id);
  return Status::OK();
}

Status Store::AnswerTask(const TaskRow& t) {
  if (Status s = impl_->RequireWritable("AnswerTask"); !s.ok()) return s;
  auto upd = impl_->Once(
      impl_->mark_answered,
      "UPDATE tasks SET status = 'answered', assigned_to = ?2, attempts = ?3 WHERE id = ?1 AND status = 'pending'");
  if (!upd.ok()) return upd.status();
  (*upd)->Reset().BindText(1, t.id).BindText(2, t.worker).BindInt(3, t.attempts);
  if (Status s = (*upd)->Run(); !s.ok()) return s.WithContext("answering task " + t.id);
  if (impl_->db.changes() != 1) {
    return Status::FailedPrecondition("task " + t.id + " is not stored as pending; its answer is not stored");
  }
  auto ins = impl_->Once(
      impl_->insert_result,
      "INSERT INTO results(task_id, worker, output, confidence, latency_ms, model_version, answered_ms) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!ins.ok()) return ins.status();
  (*ins)
      ->Reset()
      .BindText(1, t.id)
      .BindText(2, t.worker)
      .BindBlob(3, t.answer)
      .BindDouble(4, t.confidence)
      .BindDouble(5, t.latency_ms)
      .BindText(6, t.model_version)
      .BindInt(7, t.answered_ms);
  if (Status s = (*ins)->Run(); !s.ok()) return s.WithContext("storing the answer to task " + t.id);
  return Status::OK();
}

Result<std::optional<TaskRow>> Store::GetTask(const std::string& id) const {
  auto st = impl_->Once(impl_->get_task, kGetTask);
  if (!st.ok()) return st.status();
  ScopedReset scope(**st);
  (*st)->BindText(1, id);
  if ((*st)->Step()) return std::optional<TaskRow>(TaskFrom(**st));
  if (!(*st)->status().ok()) return (*st)->status().WithContext("reading task " + id);
  return std::optional<TaskRow>();
}

Result<std::vector<TaskRow>> Store::PendingTasks() const {
  auto st = impl_->Cached(kPendingTasks);
  if (!st.ok()) return st.status();
  ScopedReset scope(**st);
  std::vector<TaskRow> out;
  while ((*st)->Step()) out.push_back(TaskFrom(**st));
  if (!(*st)->status().ok()) return (*st)->status().WithContext("reading pending tasks");
  return out;
}

uint64_t Store::LastTaskIndex() const {
  auto st = impl_->Cached("SELECT COALESCE(MAX(rowid), 0) FROM tasks");
  if (!st.ok()) return 0;
  ScopedReset scope(**st);
  return (*st)->Step() ? static_cast<uint64_t>((*st)->Int(0)) : 0;
}

Result<int64_t> Store::PruneAnsweredTasks(uint64_t below_index) {
  if (Status s = impl_->RequireWritable("PruneAnsweredTasks"); !s.ok()) return s;
  auto results = impl_->Cached(
      "DELETE FROM results WHERE task_id IN (SELECT id FROM tasks WHERE rowid < ?1 AND status = 'answered')");
  if (!results.ok()) return results.status();
  (*results)->Reset().BindInt(1, ToInt64(below_index));
  if (Status s = (*results)->Run(); !s.ok()) return s.WithContext("pruning answered tasks");
  auto tasks = impl_->Cached("DELETE FROM tasks WHERE rowid < ?1 AND status = 'answered'");
  if (!tasks.ok()) return tasks.status();
  (*tasks)->Reset().BindInt(1, ToInt64(below_index));
  if (Status s = (*tasks)->Run(); !s.ok()) return s.WithContext("pruning answered tasks");
  return static_cast<int64_t>(impl_->db.changes());
}

Result<std::optional<TaskRow>> Store::FirstTask() const {
  auto st = impl_->Cached("SELECT rowid, submitted_ms FROM tasks ORDER BY rowid LIMIT 1");
  if (!st.ok()) return st.status();
  ScopedReset scope(**st);
  if (!(*st)->Step()) {
    if (!(*st)->status().ok()) return (*st)->status().WithContext("reading the oldest task");
    return std::optional<TaskRow>();
  }
  TaskRow t;
  t.index = static_cast<uint64_t>((*st)->Int(0));
  t.submitted_ms = (*st)->Int(1);
  return std::optional<TaskRow>(std::move(t));
}

Result<bool> Store::AddFeedbackKey(const std::string& key, const std::string& task_id, int64_t ts_ms) {
  if (Status s = impl_->RequireWritable("AddFeedbackKey"); !s.ok()) return s;
  auto st = impl_->Cached("INSERT OR IGNORE INTO feedback_keys(key, task_id, ts_ms) VALUES(?1, ?2, ?3)");
  if (!st.ok()) return st.status();
  (*st)->Reset().BindText(1, key).BindText(2, task_id).BindInt(3, ts_ms);
  if (Status s = (*st)->Run(); !s.ok()) return s.WithContext("storing feedback key " + key);
  return impl_->db.changes() == 1;
}

Result<int64_t> Store::PruneFeedbackKeys(int64_t before_ms) {
  if (Status s = impl_->RequireWritable("PruneFeedbackKeys"); !s.ok()) return s;
  auto st = impl_->Cached("DELETE FROM feedback_keys WHERE ts_ms < ?1");
  if (!st.ok()) return st.status();
  (*st)->Reset().BindInt(1, before_ms);
  if (Status s = (*st)->Run(); !s.ok()) return s.WithContext("pruning feedback keys");
  return static_cast<int64_t>(impl_->db.changes());
}

}  // namespace kaizen::store
