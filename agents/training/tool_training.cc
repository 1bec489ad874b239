#include "agents/training/tool_training.h"

#include <atomic>
#include <chrono>

#include <spdlog/fmt/fmt.h>

#include "agents/models/llm/prompt_tools.h"
#include "agents/training/tool_creation.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

void ReportTool(const StrategyTrainingInputs& in, const CreatedTool& t) {
  if (!in.progress) return;
  CreatedToolRecord r;
  r.name = t.artifact.spec.name;
  r.spec_sha256 = t.artifact.spec.ContentHash();
  r.uri = t.written.uri;
  r.sha256 = t.written.sha256;
  r.accepted = t.accepted();
  r.reason = t.artifact.reason;
  std::lock_guard<std::mutex> lock(in.progress->mu);
  in.progress->events.push_back({0.5, "tool " + r.name + " " + (r.accepted ? "accepted" : "rejected") + ": " + r.reason,
                                 {r}, nullptr});
}

}  // namespace

Result<json> RunToolTraining(const StrategyTrainingInputs& in) {
  const auto started = std::chrono::steady_clock::now();
  const PromptTrainJob& job = *in.job;
  if (!in.teacher) {
    return Status::InvalidArgument("tool_creation needs a teacher with backend openai to write the tool "
                                   "(training.prompt.teacher, else the first openai entry of spec.teachers)");
  }
  if (in.train->empty()) return Status::InvalidArgument("tool_creation: the dataset has no train rows (failures)");
  const std::string tag = "training:" + job.cycle_id;
  ToolCreationJob tj;
  tj.failures = *in.train;
  tj.max_failures_shown = job.prompt.value("max_failures_shown", 20);
  tj.tools_dir = job.tools_dir;
  tj.provenance = {{"cycle", job.cycle_id}, {"version", job.version}, {"teacher", in.teacher_name}};
  in.note(fmt::format("tool creation for {} from {}: {} failures shown to teacher {}", job.version, job.base_version,
                      std::min<std::size_t>(tj.failures.size(), static_cast<std::size_t>(tj.max_failures_shown)),
                      in.teacher_name));
  auto created = CreateTool(*in.teacher, tj, tag);
  if (!created.ok()) return created.status();
  ReportTool(in, *created);
  const tools::ToolSpec& spec = created->artifact.spec;
  in.note("tool " + spec.name + ": " + created->artifact.status + ", " + created->artifact.reason + " (" +
          created->written.uri + ")");
  if (!created->accepted()) {
    return Status::FailedPrecondition("the tool " + spec.name + " the teacher wrote failed its tests in the sandbox (" +
                                      created->artifact.reason +
                                      "); it is recorded as rejected and never offered to the worker");
  }

  llm::PromptModel candidate = *in.base;
  std::erase_if(candidate.tools, [&](const llm::ToolRef& t) { return t.name == spec.name; });  // a new version replaces
  candidate.tools.push_back({spec.name, created->written.uri, created->written.sha256});
  candidate.origin = fmt::format("{}: tool {} ({})", job.version, spec.name, created->artifact.reason);
  auto candidate_tools = llm::LoadPromptAssets(candidate);
  if (!candidate_tools.ok()) return candidate_tools.status().WithContext("the candidate's tools");
  auto base_tools = llm::LoadPromptAssets(*in.base);
  if (!base_tools.ok()) return base_tools.status().WithContext("the incumbent's tools");

  const std::vector<models::Example> rows = ScoredRows(in);
  std::atomic<int> candidate_calls{0};
  const CandidateScore before = ScoreModel(in, *in.base, *base_tools, rows, tag);
  const CandidateScore after = ScoreModel(in, candidate, *candidate_tools, rows, tag, &candidate_calls);
  if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
  in.note(fmt::format("validation: incumbent {:.3f}, with the tool {:.3f} ({} tool calls on {} rows)", before.score,
                      after.score, candidate_calls.load(), after.rows));
  candidate.origin += fmt::format(" (validation {:.3f}, baseline {:.3f})", after.score, before.score);
  if (Status s = llm::SavePromptModel(job.output_path, candidate); !s.ok()) return s;

  json metrics = StrategyMetrics(in, "tool_creation", before, after, candidate.origin, started);
  metrics["tool"] = {{"name", spec.name},
                     {"uri", created->written.uri},
                     {"sha256", created->written.sha256},
                     {"tests", created->artifact.reason},
                     {"calls_on_validation", candidate_calls.load()}};
  metrics["parameters"] = {{"tools", candidate.tools.size()}};
  return metrics;
}

}  // namespace kaizen::agents
