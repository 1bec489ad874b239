#include "agents/training/strategy_training.h"

#include <algorithm>
#include <set>

namespace kaizen::agents {

using json = nlohmann::json;
namespace llm = models::llm;

CandidateScore ScoreModel(const StrategyTrainingInputs& in, const llm::PromptModel& model,
                          const llm::PromptAssets& assets, const std::vector<models::Example>& rows,
                          const std::string& tag, std::atomic<int>* tool_calls) {
  PromptSearchHooks hooks;
  hooks.classify = [&](const PromptDraft&, const std::string& text) -> Result<std::string> {
    if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
    std::vector<llm::ToolCallTrace> trace;
    auto answer = llm::AnswerWithTools(*in.worker, model, assets, text, tag, nullptr, &trace);
    if (tool_calls) *tool_calls += static_cast<int>(trace.size());
    return answer;
  };
  hooks.grade = in.grade;
  PromptDraft draft;
  draft.origin = model.origin;
  std::atomic<int> calls{0};
  return ScoreDraft(draft, rows, in.concurrency, hooks, calls);
}

std::vector<models::Example> ScoredRows(const StrategyTrainingInputs& in) {
  std::vector<models::Example> rows = *in.validation;
  if (static_cast<int>(rows.size()) > in.max_validation_rows) rows.resize(static_cast<std::size_t>(in.max_validation_rows));
  return rows;
}

std::vector<std::string> LabelsWithData(const std::vector<std::string>& labels, llm::TaskKind task,
                                        const std::vector<models::Example>& rows, int* added) {
  std::vector<std::string> out = labels;
  if (added) *added = 0;
  if (task != llm::TaskKind::kLabel || labels.empty()) return out;  // free text, or any label accepted
  std::set<std::string> known(labels.begin(), labels.end());
  for (const auto& r : rows) {
    if (r.label.empty() || !known.insert(r.label).second) continue;
    out.push_back(r.label);
    if (added) ++*added;
  }
  return out;
}

json StrategyMetrics(const StrategyTrainingInputs& in, const std::string& strategy, const CandidateScore& before,
                     const CandidateScore& after, const std::string& best,
                     std::chrono::steady_clock::time_point started, const llm::ChatClient* critic,
                     const std::string& critic_name) {
  if (critic == in.teacher) critic = nullptr;  // the teacher as critic: its calls are the teacher's
  const std::string tag = "training:" + in.job->cycle_id;
  const llm::Usage wu = in.worker->UsageFor(tag);
  const llm::Usage tu = in.teacher ? in.teacher->UsageFor(tag) : llm::Usage{};
  const llm::Usage cu = critic ? critic->UsageFor(tag) : llm::Usage{};
  const llm::Usage gu = in.grader ? in.grader->usage() : llm::Usage{};
  json usage = {{"worker", wu.ToJson()}, {"teacher", tu.ToJson()}, {"judge", gu.ToJson()}};
  if (critic) usage["critic"] = cu.ToJson();
  json m = {{"backend", "prompt"},
            {"strategy", strategy},
            {"baseline_score", before.score},
            {"candidate_score", after.score},
            {"validation_rows", after.rows},
            {"train_rows", in.train->size()},
            {"best", best},
            {"worker_calls", wu.calls},
            {"teacher_calls", tu.calls},
            {"teacher", in.teacher_name},
            {"usage", std::move(usage)},
            {"cost", wu.cost + tu.cost + cu.cost + gu.cost},
            {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  if (!critic_name.empty()) m["critic"] = critic_name;
  if (critic) m["critic_calls"] = cu.calls;
  return m;
}

}  // namespace kaizen::agents
