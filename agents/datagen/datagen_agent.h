// DatagenAgent: answers the runtime's DataRequest with a DatasetReady.
//
//   1. collect candidate inputs from the journal (task_result and feedback
//      events from request.from_seq, joined by task id), re-reading every 2 s
//      until enough thumbs-down / low-confidence inputs are there or
//      collect_timeout_s passes (traffic keeps flowing during a cycle);
//   2. select plan.teacher_calls of them: inputs whose answer a person
//      corrected first, then the plan's selection policy (as many as
//      plan.max_cost buys);
//   3. label corrected inputs with their correction (no call, teacher
//      "human:<source>") and the rest with the teacher (threads, bounded
//      concurrency, rate limit);
//   4. split train/validation, write the JSONL artifact and reply.
// Without a teacher, or with a budget for no call, corrections alone make the
// dataset (provenance.corrections_only says why); with none either, an Error.
// With plan.strategy human_demonstrations, step 3 asks people instead
// (label requests to attached `kaizen feedback` agents: datagen_human.cc).
// Steps 3-4 run on a thread; the loop thread only moves messages and reports
// progress. The teacher model is trained (or loaded from its cache) on a
// thread at start; requests that come before it is ready wait for it.
// Requests follow the stage-job protocol (sdk/stage_jobs.h). Paid labeling is
// not stopped: a new request or a drain while it runs waits for its answer;
// a collection or people's labeling is dropped (the runtime sends the request
// again to the restarted agent).
#pragma once

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agents/datagen/candidate_selector.h"
#include "agents/datagen/datagen_settings.h"
#include "agents/datagen/teacher.h"
#include "agents/sdk/agent.h"
#include "agents/sdk/stage_jobs.h"

namespace kaizen::agents {

class DatagenAgent : public sdk::Agent {
 public:
  DatagenAgent();
  ~DatagenAgent() override;
  Status OnStart() override;
  void OnDrain() override;

 private:
  struct Job;
  Status StartJob(const sdk::Envelope& request);
  Status Stop(sdk::StageJobs::StopReason why);
  void OnReplayBatch(const sdk::Envelope& batch);
  void OnRuntimeError(const sdk::Envelope& error);
  void Tick();
  void PollTeacher();
  void LoadCarried(Job& job);
  void SendReplay();
  void Decide();
  void StartLabeling();
  void FinishLabeling();
  void FailJob(const Status& why);

  // Human demonstrations (datagen_human.cc).
  struct HumanJob;
  void StartHumanLabeling(const sdk::Envelope& request, const v1::DataRequest& data, const std::string& key,
                          const std::string& policy, std::vector<SelectedCandidate> rows,
                          std::map<std::string, int64_t> counts, std::size_t candidates, std::size_t qualifying);
  void OnLabelAnswer(const sdk::Envelope& answer);
  void TickHuman();
  void WithdrawLabelRequests(const std::string& reason);
  void FinishHumanLabeling(const std::string& shrunk);

  DatagenSettings settings_;
  std::optional<TeacherSpec> teacher_spec_;
  Status teacher_status_;  // why there is no teacher, once known
  std::future<Result<Teacher>> teacher_training_;
  std::shared_ptr<const Teacher> teacher_;
  std::unique_ptr<Job> job_;
  std::unique_ptr<HumanJob> human_job_;  // people are labeling; job_ is done with
  std::unique_ptr<sdk::StageJobs> jobs_;
};

}  // namespace kaizen::agents
