#include "runtime/report/model_calibration.h"


#include "runtime/base/text.h"
#include "runtime/report/journal_scan.h"

namespace kaizen::report {
namespace {

std::string Tag(const v1::TaskResult& r, const char* name) {
  auto it = r.tags().find(name);
  return it == r.tags().end() ? std::string() : it->second;
}

// A decimal such as "0.83"; `fallback` when it is missing or not a finite number.
double Decimal(const std::string& text, double fallback) { return ParseDecimal(text).value_or(fallback); }

}  // namespace

void AnswerJudge::AddResult(const v1::TaskResult& r) {
  if (r.model_version() != version_ || !r.ok()) return;
  ++answers_;
  Answer a;
  a.confidence = r.confidence();
  if (const std::string teacher = Tag(r, "deferred"); !teacher.empty()) {
    a.deferred = true;
    auto worker = r.tags().find("worker_answer");
    if (worker != r.tags().end()) {
      a.judged = true;
      a.correct = worker->second == r.output();
      a.confidence = Decimal(Tag(r, "worker_confidence"), r.confidence());
      ++by_teacher_;
    }
  }
  by_task_[r.task_id()] = a;
}

void AnswerJudge::AddFeedback(const v1::Feedback& f) {
  auto it = by_task_.find(f.task_id());
  if (it == by_task_.end() || it->second.deferred) return;
  switch (f.kind()) {
    case v1::Feedback::THUMBS_UP:
      it->second.judged = true;
      it->second.correct = true;
      return;
    case v1::Feedback::THUMBS_DOWN:
    case v1::Feedback::CORRECTION:
      it->second.judged = true;
      it->second.correct = false;
      return;
    default:
      return;  // a label answer, or no kind: not a rating
  }
}

uint64_t AnswerJudge::by_feedback() const {
  uint64_t n = 0;
  for (const auto& [id, a] : by_task_) n += a.judged && !a.deferred;
  return n;
}

std::vector<JudgedAnswer> AnswerJudge::Judged() const {
  std::vector<JudgedAnswer> out;
  for (const auto& [id, a] : by_task_) {
    if (a.judged) out.push_back({a.confidence, a.correct});
  }
  return out;
}

Result<nlohmann::json> LoadModelCalibration(const store::Store& store, const std::string& version) {
  AnswerJudge judge(version);
  store::EventFilter f;
  f.kind = "task_result";
  Status s = ScanJournal(store, f, [&](const store::JournalEvent&, const v1::Envelope& e) {
    if (e.has_task_result()) judge.AddResult(e.task_result());
  });
  if (!s.ok()) return s;
  f.kind = "feedback";
  s = ScanJournal(store, f, [&](const store::JournalEvent&, const v1::Envelope& e) {
    if (e.has_feedback()) judge.AddFeedback(e.feedback());
  });
  if (!s.ok()) return s;
  nlohmann::json out = ComputeCalibration(judge.Judged()).ToJson();
  out["version"] = version;
  out["answers"] = judge.answers();
  out["by_feedback"] = judge.by_feedback();
  out["by_teacher"] = judge.by_teacher();
  return out;
}

}  // namespace kaizen::report
