// ModelCalibration: the calibration of one model version's reported
// confidence on live traffic, judged from the journal (read-only):
//
//  * the answers are the `task_result` events served by that version (ok);
//  * an answer the worker gave itself is judged by the latest rating on it:
//    thumbs up = right, thumbs down or a correction = wrong; unrated answers
//    are not judged;
//  * an answer the worker deferred to a teacher (tag `deferred`) is judged
//    against the teacher: right when its tag `worker_answer` equals the
//    output (the teacher's answer), with the confidence of tag
//    `worker_confidence` (else the result's confidence). Ratings on it judge
//    the teacher's answer and are ignored. One without `worker_answer` is not
//    judged.
//
// AnswerJudge does the pairing (pure); LoadModelCalibration scans a store.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/report/calibration.h"
#include "runtime/store/store.h"
#include "task.pb.h"

namespace kaizen::report {

class AnswerJudge {
 public:
  explicit AnswerJudge(std::string version) : version_(std::move(version)) {}

  // A journaled result; other versions' and failed ones are ignored.
  void AddResult(const v1::TaskResult& r);
  // A rating of a result added before; the latest one on a task wins.
  void AddFeedback(const v1::Feedback& f);

  std::vector<JudgedAnswer> Judged() const;
  uint64_t answers() const { return answers_; }          // results of the version
  uint64_t by_feedback() const;                          // rated answers the worker gave itself
  uint64_t by_teacher() const { return by_teacher_; }    // deferred answers with a worker_answer

 private:
  struct Answer {
    double confidence = 0;
    bool deferred = false;
    bool judged = false;  // deferred: at once; else once rated
    bool correct = false;
  };
  std::string version_;
  std::unordered_map<std::string, Answer> by_task_;
  uint64_t answers_ = 0, by_teacher_ = 0;
};

// {"version", "answers", "judged", "by_feedback", "by_teacher", "ece", "bins"} (Calibration::ToJson, 10 bins).
Result<nlohmann::json> LoadModelCalibration(const store::Store& store, const std::string& version);

}  // namespace kaizen::report
